import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AuthorizerContext } from '../apikeys/authorizer';
import { envInt } from '../config';
import { logger } from '../log';
import type { CallbackRecords, LoadDeriver } from '../store/callback-records';
import { RECORD_ID } from '../record-ids';
import type { Deriver } from '../store/records';
import { collections, type Collection, type CollectionName, type Path } from './collections';
import { TooManyToSortError } from '../store/errors';
import { kapuaErrorOf, tooManyToSort } from './errors';
import {
  entityNotFound,
  illegalArgument,
  kapuaErrorResponse,
  kapuaResponse,
  loadXmlBuilder,
  negotiate,
  subjectUnauthorized,
  toOperation,
  unauthenticated,
  type Media,
  type PermissionDomain,
} from './kapua';
import { OPENAPI } from './openapi';
import { listOptions, sortParamOf, type SortParams } from './params';
import { queryRouteTable, type RouteTarget } from './route-table';

type Event = APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda?: Partial<AuthorizerContext> } } };
type Result = APIGatewayProxyStructuredResultV2;

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID = /^[\x21-\x7e]{1,256}$/;

/** The caller, from the authorizer's context: 401 `{"message":"Unauthorized"}` unless a known key was presented. */
function caller(event: Event): { scopes: string[]; canDelete: boolean } {
  const context = event.requestContext.authorizer?.lambda;
  if (!context || (context.authenticated !== true && String(context.authenticated) !== 'true')) throw unauthenticated();
  return {
    scopes: String(context.scopes ?? '')
      .split(',')
      .filter((s) => s.length > 0),
    canDelete: context.canDelete === true || String(context.canDelete) === 'true',
  };
}

/** The path's scope, resolved (`_` is the key's own scope) and checked against the key. */
function pathOf(event: Event, scopes: string[], domain: PermissionDomain, scopeOnly = false): Path {
  const p = event.pathParameters ?? {};
  let scopeId = p.scopeId ?? '';
  if (scopeId === '_') {
    if (scopes.length !== 1) throw illegalArgument('scopeId', '_', 'This key reads several scopes: name one.');
    scopeId = scopes[0]!;
  }
  if (!SCOPE.test(scopeId)) throw illegalArgument('scopeId', scopeId);
  if (!scopes.includes(scopeId)) throw subjectUnauthorized(domain, 'read', scopeId);
  if (scopeOnly) return { scopeId, deviceId: '' };
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

/** A `.json` / `.xml` suffix on the last path segment (Kapua's resources take both). */
function suffixOf(event: Event): Media | undefined {
  const last = event.rawPath?.slice(event.rawPath.lastIndexOf('/') + 1) ?? '';
  return /\.(json|xml)$/.exec(last)?.[1] as Media | undefined;
}

/**
 * The channels' parsers, loaded on the first page of events rather than at cold start: most
 * queries (notifications, counts, operations) never need them, and they carry the XML parser.
 */
let parsers: Promise<Deriver> | undefined;
const loadParsers = (): Promise<Deriver> => (parsers ??= import('./derive').then((m) => m.factsOf));

/** A device's operations: key order is the operation id; the other two are sorted at query time. */
const OPERATION_SORTS: SortParams = { operationId: 'key', startedOn: 'startedOn', lastSentOn: 'lastSentOn' };

/** What every answer reads through: the store, the collections on it, and the largest page. */
interface Api {
  records: CallbackRecords;
  collections: Readonly<Record<CollectionName, Collection>>;
  maxLimit: number;
}

/** One request being answered: who asks, in which media, and how to answer. */
interface Ask {
  event: Event;
  media: Media;
  suffix: Media | undefined;
  who: { scopes: string[]; canDelete: boolean };
  respond: (statusCode: number, body: Record<string, unknown>, rootName?: string) => Result;
}

/**
 * The query API: Kapua's notification verbs, the same verbs for device events, a device's
 * operations, and a scope's registrations and rejected requests, read through `records`. Which
 * verb is asked is the route key API Gateway (or the local server) matched, looked up in the table
 * of the query function's routes (shared/routes.ts); a route key not in it is a 500, logged.
 */
export function createQueryApi(records: CallbackRecords, maxLimit = envInt('QUERY_MAX_LIMIT', 500, { min: 1, max: 10_000 }), derive?: Deriver) {
  const load: LoadDeriver = derive ? async () => derive : loadParsers;
  const api: Api = { records, collections: collections(records, load), maxLimit };
  const routeTable = queryRouteTable(api.collections);
  return async function query(event: Event): Promise<Result> {
    const suffix = suffixOf(event);
    const media = negotiate(event.headers?.accept ?? event.headers?.Accept, suffix);
    // Nothing we make is acceptable: 406, with no body (there is no type to write one in).
    if (!media) return { statusCode: 406 };
    if (media === 'xml') await loadXmlBuilder();
    const target = routeTable.get(event.routeKey);
    if (!target) {
      logger.error('route not served by the query API', { routeKey: event.routeKey });
      return kapuaErrorResponse(new Error('unknown route'), media);
    }
    try {
      const who = caller(event);
      const respond = (statusCode: number, body: Record<string, unknown>, rootName?: string) => kapuaResponse(statusCode, body, media, rootName);
      return await answer(api, target, { event, media, suffix, who, respond });
    } catch (error) {
      return kapuaErrorResponse(kapuaErrorOf(error), media);
    }
  };
}

function answer(api: Api, target: RouteTarget, ask: Ask): Promise<Result> | Result {
  if (target.kind === 'openapi') return ask.media === 'json' ? kapuaResponse(200, OPENAPI, 'json') : { statusCode: 406 };
  if (target.kind === 'operations') return operations(api, ask, pathOf(ask.event, ask.who.scopes, 'device_management'));
  const collection = api.collections[target.collection];
  const path = pathOf(ask.event, ask.who.scopes, collection.domain, collection.scopeOnly);
  switch (target.kind) {
    case 'list':
      return list(api, collection, path, ask, target.from === 'body' ? jsonBody(ask.event) : (ask.event.queryStringParameters ?? {}));
    case 'count':
      return count(api, collection, path, ask);
    case 'get':
    case 'delete':
      return one(api, collection, path, ask, target.kind, target.idParam);
  }
}

/**
 * Kapua answers every verb on the events of a device it does not know with 404 `device`; here a
 * device is known once it has an event (one one-item query, only when the answer is empty).
 */
async function deviceOrEmpty<T>(api: Api, collection: Collection, path: Path, empty: boolean, value: T): Promise<T> {
  if (empty && collection.deviceMustExist && !(await api.records.hasEvents(path.scopeId, path.deviceId))) throw entityNotFound('device', path.deviceId);
  return value;
}

async function list(api: Api, collection: Collection, path: Path, ask: Ask, source: Record<string, unknown>): Promise<Result> {
  const options = listOptions(source, collection.sortParams, collection.defaultSort, api.maxLimit, collection.defaults);
  const nothing = (limitExceeded: boolean) => ({ type: collection.listType, limitExceeded, size: 0, items: [] });
  // Kapua's answer to limit=0: no items, and more past them.
  if (options.limit === 0) return ask.respond(200, await deviceOrEmpty(api, collection, path, true, nothing(true)));
  // An empty range: nothing to read.
  if (options.startDate !== undefined && options.endDate !== undefined && options.startDate > options.endDate) {
    return ask.respond(200, await deviceOrEmpty(api, collection, path, true, nothing(false)));
  }
  const page = await collection.list(path, options).catch((error: unknown) => {
    // The store names the order by the attribute it sorts on; the caller named it by its sortParam.
    if (error instanceof TooManyToSortError) throw tooManyToSort(sortParamOf(source, collection.defaultSort), error.limit, keyOrderOf(collection));
    throw error;
  });
  const listed = {
    type: collection.listType,
    limitExceeded: page.limitExceeded,
    size: page.items.length,
    items: page.items,
    ...(page.totalCount !== undefined ? { totalCount: page.totalCount } : {}),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
  return ask.respond(200, await deviceOrEmpty(api, collection, path, page.items.length === 0, listed));
}

/** The collection's sortParam of the stored order (which pages any size). */
const keyOrderOf = (collection: Collection) => Object.keys(collection.sortParams).find((p) => collection.sortParams[p] === 'key');

/**
 * As in Kapua, a count ignores paging and order in its body; the resource filter and (device
 * events) the startDate / endDate range count, as they filter `_query`.
 */
async function count(api: Api, collection: Collection, path: Path, ask: Ask): Promise<Result> {
  const body = jsonBody(ask.event);
  const options = listOptions(
    { resource: body.resource, startDate: body.startDate, endDate: body.endDate },
    collection.sortParams,
    collection.defaultSort,
    api.maxLimit,
    collection.defaults,
  );
  const empty = options.startDate !== undefined && options.endDate !== undefined && options.startDate > options.endDate;
  const n = empty ? 0 : await collection.count!(path, options);
  // Kapua's JSON count is `{"count": n}`; its XML root is `countResult`.
  return ask.respond(200, await deviceOrEmpty(api, collection, path, n === 0, { count: n }), 'countResult');
}

/** GET or DELETE of one record by its id (a `.json` / `.xml` suffix on it chooses the media). */
async function one(api: Api, collection: Collection, path: Path, ask: Ask, verb: 'get' | 'delete', idParam: string): Promise<Result> {
  let id = ask.event.pathParameters?.[idParam] ?? '';
  if (ask.suffix) id = id.slice(0, -(ask.suffix.length + 1));
  const notFound = async () => deviceOrEmpty(api, collection, path, true, entityNotFound(collection.entityType, id));
  if (!(collection.idPattern ?? RECORD_ID).test(id)) throw await notFound();
  if (verb === 'delete') {
    if (!ask.who.canDelete) throw subjectUnauthorized(collection.domain, 'delete', path.scopeId);
    if (!(await collection.delete!(path, id))) throw await notFound();
    return { statusCode: 204 };
  }
  const record = await collection.get!(path, id);
  if (!record) throw await notFound();
  return ask.respond(200, record);
}

async function operations(api: Api, ask: Ask, path: Path): Promise<Result> {
  const options = listOptions(ask.event.queryStringParameters ?? {}, OPERATION_SORTS, 'operationId', api.maxLimit);
  if (options.resource !== undefined) throw illegalArgument('resource', options.resource, 'Operations are not filtered by resource.');
  if (options.limit === 0) return ask.respond(200, { type: 'deviceManagementOperationListResult', limitExceeded: true, size: 0, items: [] });
  const page = await api.records.deviceOperations(path.scopeId, path.deviceId, options);
  return ask.respond(200, {
    type: 'deviceManagementOperationListResult',
    limitExceeded: page.limitExceeded,
    size: page.items.length,
    items: page.items.map(toOperation),
    ...(page.totalCount !== undefined ? { totalCount: page.totalCount } : {}),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  });
}
