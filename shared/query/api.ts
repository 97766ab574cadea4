import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AuthorizerContext } from '../apikeys/authorizer';
import { envInt } from '../config';
import { channelOfCode } from '../channels';
import { logger } from '../log';
import { decodeBody } from '../store/body';
import { ATTR, bodyPk, eventPk, notificationPk, notificationSk, operationPrefix, registrationPk, rejectionPk, TABLE } from '../store/table';
import { idBounds, RECORD_ID } from '../store/ids';
import { entityNotFound, illegalArgument, kapuaErrorResponse, kapuaResponse, loadXmlBuilder, negotiate, subjectUnauthorized, toDeviceEvent, toNotification, toOperation, toRegistration, toRejection, unauthenticated, type Media, type PermissionDomain } from './kapua';
import { OPENAPI } from './openapi';
import { listOptions, type ListDefaults, type SortParams } from './params';
import type { CallbackReader, ListOptions, OperationNotifications, Scope } from './reader';
import { eventOf, notificationOf, sharedBodyOf, storedBodyOf, type Deriver, type StoredBody } from './records';

type Event = APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda?: Partial<AuthorizerContext> } } };
type Result = APIGatewayProxyStructuredResultV2;
type Item = Record<string, unknown>;

interface Path {
  scopeId: string;
  deviceId: string;
  operationId?: string;
}

/** One collection of the API: where its records are, how they sort, and how they are shown. */
interface Collection {
  entityType: string;
  listType: string;
  /** Kapua's permission domain of the collection (named by a 403). */
  domain: PermissionDomain;
  /** Newest first by default, date filters (device events). */
  defaults?: ListDefaults;
  /** Kapua answers 404 `device` on every verb of a device that has none of these (device events). */
  deviceMustExist?: boolean;
  scope(path: Path): Scope;
  /** The sort key of one record, from its public id; undefined when the id cannot name one. */
  sortKey(path: Path, id: string): string | undefined;
  sortParams: SortParams;
  defaultSort: string;
  /** Shows stored items (a page, or one with `single`), reading what they point to. */
  show(items: Item[], path: Path, single: boolean): Promise<Item[]>;
  /**
   * Runs before one record is deleted (with the stored item); what it returns runs once the delete
   * was attempted (also when a concurrent delete won it).
   */
  beforeDelete?: (item: Item, path: Path) => Promise<(() => Promise<void>) | undefined>;
  deletable?: boolean;
  countable?: boolean;
}

/** A list's key range for `startDate` / `endDate`: ids start with their sentOn (shared/store/ids.ts). */
function withDates(scope: Scope, options: ListOptions): Scope {
  if (options.startDate === undefined && options.endDate === undefined) return scope;
  return {
    ...scope,
    from: idBounds(options.startDate ?? 0).first,
    to: idBounds(options.endDate ?? 2 ** 48 - 1).last,
  };
}


/** Collections addressed by scope alone (no device in the path). */
const SCOPE_COLLECTIONS = ['/registrations', '/rejections'];

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID = /^[\x21-\x7e]{1,256}$/;

/** The caller, from the authorizer's context: 401 `{"message":"Unauthorized"}` unless a known key was presented. */
function caller(event: Event): { scopes: string[]; canDelete: boolean } {
  const context = event.requestContext.authorizer?.lambda;
  if (!context || (context.authenticated !== true && String(context.authenticated) !== 'true')) throw unauthenticated();
  return {
    scopes: String(context.scopes ?? '').split(',').filter((s) => s.length > 0),
    canDelete: context.canDelete === true || String(context.canDelete) === 'true',
  };
}

/** The path's scope, resolved (`_` is the key's own scope) and checked against the key. */
function pathOf(event: Event, scopes: string[], domain: PermissionDomain): Path {
  const p = event.pathParameters ?? {};
  let scopeId = p.scopeId ?? '';
  if (scopeId === '_') {
    if (scopes.length !== 1) throw illegalArgument('scopeId', '_', 'This key reads several scopes: name one.');
    scopeId = scopes[0]!;
  }
  if (!SCOPE.test(scopeId)) throw illegalArgument('scopeId', scopeId);
  if (!scopes.includes(scopeId)) throw subjectUnauthorized(domain, 'read', scopeId);
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

/** A `.json` / `.xml` suffix on the last path segment (Kapua's resources take both), and the path without it. */
function suffixOf(event: Event): { media?: Media; id?: string } {
  const last = event.rawPath?.slice(event.rawPath.lastIndexOf('/') + 1) ?? '';
  const match = /\.(json|xml)$/.exec(last);
  return match ? { media: match[1] as Media } : {};
}

/**
 * The channels' parsers, loaded on the first page of events rather than at cold start: most
 * queries (notifications, counts, operations) never need them, and they carry the XML parser.
 */
let parsers: Promise<Deriver> | undefined;
const loadParsers = (): Promise<Deriver> => (parsers ??= import('./derive').then((m) => m.factsOf));

/**
 * The kept bodies of multi-device callbacks (MB#), and the events that reference them. The devices
 * of a callback are named by its body (read with the channel's parser); an event of a further
 * device has the same sort key as the holder's and names the holder (ATTR.bodyDevice). Reads are
 * strongly consistent, so that of two deletes racing for the last two references, the later one
 * sees the other done and removes the kept body.
 */
function keptBodiesOf(reader: CallbackReader, given?: Deriver) {
  const self = {
    /** The devices a stored body names, but `excluding`; undefined (logged) when the body cannot be read. */
    async devicesOf(channelCode: unknown, stored: StoredBody, scopeId: string, sk: string, excluding: string[]): Promise<string[] | undefined> {
      const channel = channelOfCode(channelCode);
      try {
        if (!channel) throw new Error('unknown channel');
        const derive = given ?? (await loadParsers());
        const plain = stored.plain ? decodeBody(channel, stored.plain) : undefined;
        const devices = derive(channel, decodeBody(channel, stored.body), scopeId, plain).devices.map((d) => d.id);
        return [...new Set(devices)].filter((d) => !excluding.includes(d));
      } catch (error) {
        // Ids only: the kept body stays (its records' expiry, if any, still removes it).
        logger.error('devices of a shared body not readable: its kept body stays', { scopeId, recordId: sk, channel, cause: (error as Error)?.name });
        return undefined;
      }
    },
    /** Whether any of `devices` still has its event of this callback (pointing at `holder`). */
    async anyEvent(scopeId: string, devices: string[], sk: string, holder: string): Promise<boolean> {
      // The first alone (usually found: one read), then ten at a time, stopping at the first found.
      for (let i = 0; i < devices.length; i += i === 0 ? 1 : 10) {
        const batch = devices.slice(i, i === 0 ? 1 : i + 10);
        const found = await Promise.all(batch.map(async (d) => (await reader.get(eventPk(scopeId, d), sk, true))?.[ATTR.bodyDevice] === holder));
        if (found.includes(true)) return true;
      }
      return false;
    },
    /**
     * After the event of `deleted` went: removes the kept body of `holder`'s callback when no event
     * references it any more (the holder's own event, when it is there again, holds the body itself).
     * `others`, when known, are the devices to check besides the holder.
     */
    async dropUnreferenced(scopeId: string, holder: string, sk: string, deleted: string, others?: string[]): Promise<void> {
      try {
        let devices = others;
        if (devices === undefined) {
          if (await reader.get(eventPk(scopeId, holder), sk, true)) return;
          const kept = await reader.get(bodyPk(scopeId, holder), sk, true);
          const stored = storedBodyOf(kept);
          if (!stored) return;
          devices = await self.devicesOf(kept![ATTR.channel], stored, scopeId, sk, [holder, deleted]);
          if (devices === undefined) return;
        }
        if (await self.anyEvent(scopeId, devices, sk, holder)) return;
        await reader.delete(bodyPk(scopeId, holder), sk);
      } catch (error) {
        // The event is deleted, as asked; the kept body stays (with the records' expiry, if any).
        logger.error('kept body not removed', { scopeId, holder, recordId: sk, cause: (error as Error)?.name });
      }
    },
  };
  return self;
}

/** The collections, reading through `reader` and deriving event details with `derive` (the channels' parsers by default). */
function collections(reader: CallbackReader, given?: Deriver): Record<'notifications' | 'events' | 'registrations' | 'rejections', Collection> {
  const keptBodies = keptBodiesOf(reader, given);
  return {
    notifications: {
      entityType: 'managementOperationNotification',
      listType: 'managementOperationNotificationListResult',
      domain: 'device_management',
      scope: (p) => ({ pk: notificationPk(p.scopeId, p.deviceId), prefix: operationPrefix(p.operationId!) }),
      sortKey: (p, id) => (RECORD_ID.test(id) ? notificationSk(p.operationId!, id) : undefined),
      // sentOn is the key's own order; createdOn (receive time) is sorted at query time.
      sortParams: { sentOn: 'key', createdOn: ATTR.receivedOn },
      defaultSort: 'sentOn',
      show: async (items, p) => items.map((item) => toNotification(notificationOf(item, p.scopeId, p.deviceId))),
    },
    events: {
      entityType: 'deviceEvent',
      listType: 'deviceEventListResult',
      domain: 'device_event',
      // Kapua lists device events newest first; here by sentOn, the key's own order (README).
      defaults: { descending: true, dates: true },
      deviceMustExist: true,
      scope: (p) => ({ pk: eventPk(p.scopeId, p.deviceId) }),
      sortKey: (_p, id) => (RECORD_ID.test(id) ? id : undefined),
      sortParams: { sentOn: 'key', receivedOn: ATTR.receivedOn, createdOn: ATTR.receivedOn },
      defaultSort: 'sentOn',
      show: async (items, p, single) => {
        const derive = given ?? (await loadParsers());
        // A callback naming several devices keeps its body once, on the first device's event (or,
        // once that event is deleted, on a kept-body item): read those of this page together.
        const get = (pk: string, sk: string) => reader.get(pk, sk);
        return Promise.all(
          items.map(async (item) => {
            const holderDevice = item[ATTR.bodyDevice];
            const stored = typeof holderDevice === 'string' ? await sharedBodyOf(p.scopeId, holderDevice, String(item[TABLE.sortKey]), get) : storedBodyOf(item);
            return toDeviceEvent(eventOf(item, p.scopeId, p.deviceId, stored, derive), single);
          }),
        );
      },
      // A callback naming several devices stores its body once, on its first device's event; the
      // others point to it. Deleting the event that holds it keeps the body (MB#) while another
      // event still references it, and the body goes with the last of them (the retention may be 0).
      beforeDelete: async (item, p) => {
        const sk = String(item[TABLE.sortKey]);
        const holder = item[ATTR.bodyDevice];
        if (typeof holder === 'string') return () => keptBodies.dropUnreferenced(p.scopeId, holder, sk, p.deviceId);
        const stored = storedBodyOf(item);
        if (typeof item[ATTR.sharedBy] !== 'number' || !stored) return undefined;
        const others = await keptBodies.devicesOf(item[ATTR.channel], stored, p.scopeId, sk, [p.deviceId]);
        // No other device's event left: nothing needs the body once this event goes.
        if (others !== undefined && !(await keptBodies.anyEvent(p.scopeId, others, sk, p.deviceId))) return undefined;
        const { [ATTR.body]: body, [ATTR.plain]: plain, [ATTR.channel]: channel, [TABLE.ttlAttribute]: ttl } = item;
        await reader.put({
          [TABLE.partitionKey]: bodyPk(p.scopeId, p.deviceId),
          [TABLE.sortKey]: sk,
          [ATTR.body]: body,
          [ATTR.channel]: channel,
          ...(plain !== undefined ? { [ATTR.plain]: plain } : {}),
          ...(ttl !== undefined ? { [TABLE.ttlAttribute]: ttl } : {}),
        });
        // Once this event is gone, check again: another device's event deleted meanwhile saw this
        // one still holding the body, and left the kept body to us.
        return others === undefined ? undefined : () => keptBodies.dropUnreferenced(p.scopeId, p.deviceId, sk, p.deviceId, others);
      },
    },
    registrations: {
      entityType: 'callbackRegistration',
      listType: 'callbackRegistrationListResult',
      domain: 'callback_registration',
      scope: (p) => ({ pk: registrationPk(p.scopeId) }),
      sortKey: () => undefined,
      sortParams: { service: 'key', lastCheckedOn: 'lastCheckedOn' },
      defaultSort: 'service',
      show: async (items) => items.map(toRegistration),
    },
    rejections: {
      entityType: 'rejectedRequest',
      listType: 'rejectedRequestListResult',
      domain: 'rejected_request',
      scope: (p) => ({ pk: rejectionPk(p.scopeId) }),
      sortKey: () => undefined,
      sortParams: { receivedOn: 'receivedOn' },
      defaultSort: 'receivedOn',
      show: async (items) => items.map(toRejection),
    },
  };
}

/** A device's operations: key order is the operation id; the other two are sorted at query time. */
const OPERATION_SORTS: SortParams = { operationId: 'key', startedOn: 'startedOn', lastSentOn: 'lastSentOn' };

/** An operation's sort value: the id of its first (startedOn) or latest (lastSentOn) notification, which sorts as its sentOn. */
const operationSortValue = (order: string) => (op: OperationNotifications) => {
  const sk = String((order === 'startedOn' ? op.first : op.latest)[TABLE.sortKey]);
  return sk.slice(sk.lastIndexOf('#') + 1);
};

/**
 * The query API: Kapua's notification verbs, the same verbs for device events, and a device's
 * operations, each a Query or GetItem on one partition. Which verb is asked is read off the
 * route key API Gateway (or the local server) matched.
 */
export function createQueryApi(reader: CallbackReader, maxLimit = envInt('QUERY_MAX_LIMIT', 500, { min: 1, max: 10_000 }), derive?: Deriver) {
  const COLLECTIONS = collections(reader, derive);
  return async function query(event: Event): Promise<Result> {
    const suffix = suffixOf(event).media;
    const media = negotiate(event.headers?.accept ?? event.headers?.Accept, suffix);
    // Nothing we make is acceptable: 406, with no body (there is no type to write one in).
    if (!media) return { statusCode: 406 };
    if (media === 'xml') await loadXmlBuilder();
    try {
      return await answer(event, media, suffix);
    } catch (error) {
      return kapuaErrorResponse(error, media);
    }
  };

  async function answer(event: Event, media: Media, suffix: Media | undefined): Promise<Result> {
    const who = caller(event);
    const [method, routePath = ''] = event.routeKey.split(' ');
    const path = routePath.replace(/\.(json|xml)$/, '');
    if (path === '/v1/openapi') {
      if (media !== 'json') return { statusCode: 406 };
      return kapuaResponse(200, OPENAPI, 'json');
    }
    const respond = (statusCode: number, body: Record<string, unknown>, rootName?: string) => kapuaResponse(statusCode, body, media, rootName);

    if (path.endsWith('/operations')) return operations(event, pathOf(event, who.scopes, 'device_management'), respond);

    const name = path.includes('/notifications') ? 'notifications' : path.includes('/events') ? 'events' : path.endsWith('/registrations') ? 'registrations' : 'rejections';
    const collection = COLLECTIONS[name];
    const at = pathOf(event, who.scopes, collection.domain);
    const scope = collection.scope(at);
    const last = path.slice(path.lastIndexOf('/') + 1);
    // Kapua answers every verb on the events of a device it does not know with 404 `device`; here a
    // device is known once it has an event (one one-item query, only when the answer is empty).
    const deviceOrEmpty = async <T>(empty: boolean, value: T): Promise<T> => {
      if (empty && collection.deviceMustExist && !(await reader.any(scope.pk))) throw entityNotFound('device', at.deviceId);
      return value;
    };

    if (last === '_count') {
      // As in Kapua, a count ignores paging and order in its body; the resource filter and (device
      // events) the startDate / endDate range count, as they filter `_query`.
      const body = jsonBody(event);
      const options = listOptions({ resource: body.resource, startDate: body.startDate, endDate: body.endDate }, collection.sortParams, collection.defaultSort, maxLimit, collection.defaults);
      const empty = options.startDate !== undefined && options.endDate !== undefined && options.startDate > options.endDate;
      const count = empty ? 0 : await reader.count(withDates(scope, options), options.resource);
      // Kapua's JSON count is `{"count": n}`; its XML root is `countResult`.
      return respond(200, await deviceOrEmpty(count === 0, { count }), 'countResult');
    }
    if (last.startsWith('{')) {
      let id = event.pathParameters?.[last.slice(1, -1)] ?? '';
      if (suffix) id = id.slice(0, -(suffix.length + 1));
      const sk = collection.sortKey(at, id);
      const notFound = async () => deviceOrEmpty(true, entityNotFound(collection.entityType, id));
      if (sk === undefined) throw await notFound();
      if (method === 'DELETE') {
        if (!who.canDelete) throw subjectUnauthorized(collection.domain, 'delete', at.scopeId);
        let after: (() => Promise<void>) | undefined;
        if (collection.beforeDelete) {
          const item = await reader.get(scope.pk, sk);
          if (!item) throw await notFound();
          after = await collection.beforeDelete(item, at);
        }
        const deleted = await reader.delete(scope.pk, sk);
        // Also when a concurrent delete won: its own check may have run before this one's.
        if (after) await after();
        if (!deleted) throw await notFound();
        return { statusCode: 204 };
      }
      const item = await reader.get(scope.pk, sk);
      if (!item) throw await notFound();
      return respond(200, (await collection.show([item], at, true))[0]!);
    }
    const source = last === '_query' ? jsonBody(event) : (event.queryStringParameters ?? {});
    const options = listOptions(source, collection.sortParams, collection.defaultSort, maxLimit, collection.defaults);
    if (options.limit === 0) {
      // Kapua's answer to limit=0: no items, and more past them.
      return respond(200, await deviceOrEmpty(true, { type: collection.listType, limitExceeded: true, size: 0, items: [] }));
    }
    if (options.startDate !== undefined && options.endDate !== undefined && options.startDate > options.endDate) {
      // An empty range: nothing to read.
      return respond(200, await deviceOrEmpty(true, { type: collection.listType, limitExceeded: false, size: 0, items: [] }));
    }
    const page = await reader.list(withDates(scope, options), options);
    const listed = {
      type: collection.listType,
      limitExceeded: page.limitExceeded,
      size: page.items.length,
      items: await collection.show(page.items, at, false),
      ...(page.totalCount !== undefined ? { totalCount: page.totalCount } : {}),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
    return respond(200, await deviceOrEmpty(page.items.length === 0, listed));
  }

  async function operations(event: Event, at: Path, respond: (statusCode: number, body: Record<string, unknown>) => Result): Promise<Result> {
    const options = listOptions(event.queryStringParameters ?? {}, OPERATION_SORTS, 'operationId', maxLimit);
    if (options.resource !== undefined) throw illegalArgument('resource', options.resource, 'Operations are not filtered by resource.');
    if (options.limit === 0) return respond(200, { type: 'deviceManagementOperationListResult', limitExceeded: true, size: 0, items: [] });
    const page = await reader.operations(notificationPk(at.scopeId, at.deviceId), options, operationSortValue(options.order));
    return respond(200, {
      type: 'deviceManagementOperationListResult',
      limitExceeded: page.limitExceeded,
      size: page.items.length,
      items: page.items.map((op) =>
        toOperation({
          first: notificationOf(op.first, at.scopeId, at.deviceId),
          latest: notificationOf(op.latest, at.scopeId, at.deviceId),
          ...(op.terminal ? { terminal: notificationOf(op.terminal, at.scopeId, at.deviceId) } : {}),
        }),
      ),
      ...(page.totalCount !== undefined ? { totalCount: page.totalCount } : {}),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    });
  }
}
