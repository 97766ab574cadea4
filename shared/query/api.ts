import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AuthorizerContext } from '../apikeys/authorizer';
import { envInt } from '../config';
import { eventPk, notificationPk, operationPk, registrationPk, rejectionPk } from '../store/table';
import { entityNotFound, illegalArgument, kapuaErrorResponse, subjectUnauthorized, toDeviceEvent, toNotification, toOperation, toRegistration, toRejection, unauthenticated } from './kapua';
import { OPENAPI } from './openapi';
import { listOptions, type SortParams } from './params';
import type { CallbackReader } from './reader';

type Event = APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda?: Partial<AuthorizerContext> } } };
type Result = APIGatewayProxyStructuredResultV2;

interface Path {
  scopeId: string;
  deviceId: string;
  operationId?: string;
}

/** One collection of the API: how its records are keyed, sorted and shown. */
interface Collection {
  entityType: string;
  listType: string;
  partition(path: Path): string;
  sortParams: SortParams;
  defaultSort: string;
  show(item: Record<string, unknown>, single: boolean): Record<string, unknown>;
  /** Attributes a list page reads (undefined: all). */
  listAttributes?: string[];
}

const COLLECTIONS: Record<'notifications' | 'events' | 'operations' | 'registrations' | 'rejections', Collection> = {
  notifications: {
    entityType: 'managementOperationNotification',
    listType: 'managementOperationNotificationListResult',
    partition: (p) => notificationPk(p.scopeId, p.deviceId, p.operationId!),
    sortParams: { sentOn: 'time', createdOn: 'created' },
    defaultSort: 'sentOn',
    show: (item) => toNotification(item),
  },
  events: {
    entityType: 'deviceEvent',
    listType: 'deviceEventListResult',
    partition: (p) => eventPk(p.scopeId, p.deviceId),
    sortParams: { sentOn: 'time', receivedOn: 'created', createdOn: 'created' },
    defaultSort: 'sentOn',
    show: (item, single) => toDeviceEvent(item, single),
    // Pages leave the raw bodies out (up to 256 KB each); GET by id returns it.
    listAttributes: ['id', 'scopeId', 'deviceId', 'deviceKind', 'receivedOn', 'sentOn', 'resource', 'action', 'provider', 'channel', 'operationId', 'payload'],
  },
  operations: {
    entityType: 'deviceManagementOperation',
    listType: 'deviceManagementOperationListResult',
    partition: (p) => operationPk(p.scopeId, p.deviceId),
    sortParams: { startedOn: 'created', lastSentOn: 'time' },
    defaultSort: 'startedOn',
    show: (item) => toOperation(item),
  },
  registrations: {
    entityType: 'callbackRegistration',
    listType: 'callbackRegistrationListResult',
    partition: (p) => registrationPk(p.scopeId),
    sortParams: { service: 'key', lastCheckedOn: 'time' },
    defaultSort: 'service',
    show: (item) => toRegistration(item),
  },
  rejections: {
    entityType: 'rejectedRequest',
    listType: 'rejectedRequestListResult',
    partition: (p) => rejectionPk(p.scopeId),
    sortParams: { receivedOn: 'time' },
    defaultSort: 'receivedOn',
    show: (item) => toRejection(item),
  },
};

/** Collections addressed by scope alone (no device in the path). */
const SCOPE_COLLECTIONS = ['/registrations', '/rejections'];

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID = /^[\x21-\x7e]{1,256}$/;

/** The caller, from the authorizer's context: 401 (no body) unless a known key was presented. */
function caller(event: Event): { scopes: string[]; canDelete: boolean } {
  const context = event.requestContext.authorizer?.lambda;
  if (!context || (context.authenticated !== true && String(context.authenticated) !== 'true')) throw unauthenticated();
  return {
    scopes: String(context.scopes ?? '').split(',').filter((s) => s.length > 0),
    canDelete: context.canDelete === true || String(context.canDelete) === 'true',
  };
}

/** The path's scope, resolved (`_` is the key's own scope) and checked against the key. */
function pathOf(event: Event, scopes: string[]): Path {
  const p = event.pathParameters ?? {};
  let scopeId = p.scopeId ?? '';
  if (scopeId === '_') {
    if (scopes.length !== 1) throw illegalArgument('scopeId', '_', 'This key reads several scopes: name one.');
    scopeId = scopes[0]!;
  }
  if (!SCOPE.test(scopeId)) throw illegalArgument('scopeId', scopeId);
  if (!scopes.includes(scopeId)) throw subjectUnauthorized(`read:${scopeId}`);
  if (SCOPE_COLLECTIONS.some((c) => event.routeKey.endsWith(c))) return { scopeId, deviceId: '' };
  if (!p.deviceId || !ID.test(p.deviceId)) throw illegalArgument('deviceId', p.deviceId ?? '');
  if (p.operationId !== undefined && !ID.test(p.operationId)) throw illegalArgument('operationId', p.operationId);
  return { scopeId, deviceId: p.deviceId, ...(p.operationId !== undefined ? { operationId: p.operationId } : {}) };
}

function jsonBody(event: Event): Record<string, unknown> {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw illegalArgument('body', raw.slice(0, 50), 'The body must be a JSON object.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw illegalArgument('body', raw.slice(0, 50), 'The body must be a JSON object.');
  return value as Record<string, unknown>;
}

const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The query API: Kapua's notification verbs, the same verbs for device events, and a device's
 * operations, each a Query or GetItem on one partition. Which verb is asked is read off the
 * route key API Gateway (or the local server) matched.
 */
export function createQueryApi(reader: CallbackReader, maxLimit = envInt('QUERY_MAX_LIMIT', 500, { min: 1, max: 10_000 })) {
  return async function query(event: Event): Promise<Result> {
    try {
      return await answer(event);
    } catch (error) {
      return kapuaErrorResponse(error);
    }
  };

  async function answer(event: Event): Promise<Result> {
    const who = caller(event);
    const [method, path = ''] = event.routeKey.split(' ');
    if (path === '/v1/openapi.json') return json(200, OPENAPI);

    const name = path.includes('/notifications')
      ? 'notifications'
      : path.includes('/events')
        ? 'events'
        : path.endsWith('/registrations')
          ? 'registrations'
          : path.endsWith('/rejections')
            ? 'rejections'
            : 'operations';
    const collection = COLLECTIONS[name];
    const at = pathOf(event, who.scopes);
    const pk = collection.partition(at);
    const last = path.slice(path.lastIndexOf('/') + 1);

    if (last === '_count') {
      // As in Kapua, a count ignores paging and order in its body; only the resource filter counts.
      const { resource } = listOptions({ resource: jsonBody(event).resource }, collection.sortParams, collection.defaultSort, maxLimit);
      return json(200, { count: await reader.count(pk, resource) });
    }
    if (last.startsWith('{')) {
      const id = event.pathParameters?.[last.slice(1, -1)] ?? '';
      if (!ID.test(id)) throw entityNotFound(collection.entityType, id);
      if (method === 'DELETE') {
        if (!who.canDelete) throw subjectUnauthorized(`delete:${at.scopeId}`);
        if (!(await reader.delete(pk, id))) throw entityNotFound(collection.entityType, id);
        return { statusCode: 204 };
      }
      const item = await reader.get(pk, id);
      if (!item) throw entityNotFound(collection.entityType, id);
      return json(200, collection.show(item, true));
    }
    const source = last === '_query' ? jsonBody(event) : (event.queryStringParameters ?? {});
    const options = listOptions(source, collection.sortParams, collection.defaultSort, maxLimit);
    const page = await reader.list(pk, options, collection.listAttributes);
    return json(200, {
      type: collection.listType,
      limitExceeded: page.limitExceeded,
      size: page.items.length,
      items: page.items.map((item) => collection.show(item, false)),
      ...(page.totalCount !== undefined ? { totalCount: page.totalCount } : {}),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    });
  }
}
