import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { XMLBuilder } from 'fast-xml-parser';
import type { DeviceRecord } from '../store/devices';

/** An error answered in Kapua's shape (PROVIDERS.md §3); 401 has no body at all. */
export class KapuaError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown> | undefined,
  ) {
    super(typeof body?.message === 'string' ? body.message : `HTTP ${statusCode}`);
    this.name = 'KapuaError';
  }
}

const shown = (value: unknown) => String(value).slice(0, 100);

/** 400 `illegalArgumentExceptionInfo`. */
export function illegalArgument(argumentName: string, argumentValue: unknown, detail?: string): KapuaError {
  return new KapuaError(400, {
    type: 'illegalArgumentExceptionInfo',
    httpErrorCode: 400,
    message: `An illegal value was provided for the argument ${argumentName}: ${shown(argumentValue)}.${detail ? ` ${detail}` : ''}`,
    kapuaErrorCode: 'ILLEGAL_ARGUMENT',
    argumentName,
    argumentValue: shown(argumentValue),
  });
}

/** 404 `entityNotFoundExceptionInfo`. */
export function entityNotFound(entityType: string, entityId: string): KapuaError {
  return new KapuaError(404, {
    type: 'entityNotFoundExceptionInfo',
    httpErrorCode: 404,
    message: `The entity of type ${entityType} with id/name ${shown(entityId)} was not found.`,
    kapuaErrorCode: 'ENTITY_NOT_FOUND',
    entityType,
    entityId: shown(entityId),
  });
}

/** Kapua's permission domains of the collections (its `Domains`: device, device_event, device_management), and ours. */
export type PermissionDomain = 'device' | 'device_event' | 'device_management' | 'callback_registration' | 'rejected_request';

/**
 * 403 `subjectUnauthorizedExceptionInfo`, with the permission as Kapua's object (`domain`, `action`,
 * `targetScopeId`, `forwardable`) and Kapua's message naming it as `domain:action:scope:group`.
 */
export function subjectUnauthorized(domain: PermissionDomain, action: 'read' | 'delete', targetScopeId: string): KapuaError {
  return new KapuaError(403, {
    type: 'subjectUnauthorizedExceptionInfo',
    httpErrorCode: 403,
    message: `User does not have permission to perform this action. Required permission: ${domain}:${action}:${shown(targetScopeId)}:*.`,
    kapuaErrorCode: 'SUBJECT_UNAUTHORIZED',
    permission: { domain, action, targetScopeId: shown(targetScopeId), forwardable: false },
  });
}

/** 401: no body (Kapua's behaviour for a missing or unknown credential). */
/** What every 401 says: API Gateway's answer to a request it does not authorize. */
export const UNAUTHORIZED_BODY = Object.freeze({ message: 'Unauthorized' });
export const unauthenticated = () => new KapuaError(401, UNAUTHORIZED_BODY);

/** The media types the API produces, as Kapua's JAX-RS resources do. */
export type Media = 'json' | 'xml';

const CONTENT_TYPES: Record<Media, string> = { json: 'application/json', xml: 'application/xml' };

// The XML builder is loaded by the first request that asks for XML, not at every cold start.
let builder: XMLBuilder | undefined;
export async function loadXmlBuilder(): Promise<void> {
  if (builder) return;
  const { XMLBuilder: Builder } = await import('fast-xml-parser');
  builder = new Builder({ ignoreAttributes: true, format: false, suppressEmptyNode: false });
}

/**
 * A Kapua body as Kapua's JAXB writes it (after loadXmlBuilder): the root element named by `type`, each field an element,
 * lists as `<items><item>…</item></items>`, numbers and booleans as text. The gateway's own
 * free-form `payload` travels as its JSON text (its keys need not be XML names).
 */
export function toXml(body: Record<string, unknown>, rootName?: string): string {
  const element = (value: unknown): unknown => {
    if (Array.isArray(value)) return { item: value.map(element) };
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k, v]) => k !== 'type' && v !== undefined && v !== null)
          .map(([k, v]) => [k, k === 'payload' ? JSON.stringify(v) : element(v)]),
      );
    }
    return value;
  };
  const root = rootName ?? (typeof body.type === 'string' ? body.type : 'result');
  if (!builder) throw new Error('loadXmlBuilder() first');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${builder.build({ [root]: element(body) }) as string}`;
}

/** A Kapua answer in the negotiated media type. */
export function kapuaResponse(statusCode: number, body: Record<string, unknown>, media: Media, rootName?: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': CONTENT_TYPES[media] }, body: media === 'xml' ? toXml(body, rootName) : JSON.stringify(body) };
}

/** The response of a KapuaError, or 500 `exceptionInfo` for anything else (nothing of its message leaks). */
export function kapuaErrorResponse(error: unknown, media: Media = 'json'): APIGatewayProxyStructuredResultV2 {
  const e =
    error instanceof KapuaError
      ? error
      : new KapuaError(500, { type: 'exceptionInfo', httpErrorCode: 500, message: 'An internal error occurred.', kapuaErrorCode: 'INTERNAL_ERROR' });
  // A missing, malformed, unknown or revoked key: API Gateway's own words, in JSON whatever was asked.
  if (e.body === UNAUTHORIZED_BODY) return { statusCode: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify(UNAUTHORIZED_BODY) };
  return e.body === undefined ? { statusCode: e.statusCode } : kapuaResponse(e.statusCode, e.body, media);
}

/**
 * The media type a request asks for: a `.json` / `.xml` suffix on the path wins, as in Kapua;
 * else the best of `Accept` (JSON when it names none we make, or is absent); undefined when Accept
 * rules out both (406).
 */
export function negotiate(accept: string | undefined, suffix: Media | undefined): Media | undefined {
  if (suffix) return suffix;
  if (!accept || accept.trim() === '') return 'json';
  let best: { media: Media; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    if (!(q > 0)) continue;
    const media: Media | undefined =
      type === 'application/json' || type === 'application/*' || type === '*/*'
        ? 'json'
        : type === 'application/xml' || type === 'text/xml'
          ? 'xml'
          : undefined;
    if (media && (!best || q > best.q)) best = { media, q };
  }
  return best?.media;
}

/** Drops null and undefined fields, as Kapua's serialiser does. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** A stored notification in Kapua's `managementOperationNotification` shape. */
export function toNotification(item: Record<string, unknown>): Record<string, unknown> {
  return compact({
    type: 'managementOperationNotification',
    id: item.id,
    scopeId: item.scopeId,
    createdOn: item.createdOn,
    createdBy: item.createdBy,
    operationId: item.operationId,
    progress: item.progress,
    resource: item.resource,
    sentOn: item.sentOn,
    status: item.status,
    message: item.message,
  });
}

/** Kapua's `KapuaMethod`: the only values a Kapua client accepts as a device event's `action`. */
export type KapuaMethod = 'READ' | 'CREATE' | 'WRITE' | 'DELETE' | 'OPTIONS' | 'EXECUTE' | 'SUBMIT' | 'CANCEL' | 'SENT';

/**
 * Each callback kind as a KapuaMethod (README "Kapua compatibility"): what the device or platform
 * reports of itself is SENT; the answer to a read of its state (a location, a report) is READ; a
 * change of its line or service (Connectivity, SOAP) is WRITE; the result of a command (a SENSORO
 * task) is EXECUTE. The finer word stays in `callbackAction`.
 */
const KAPUA_METHODS: Record<string, KapuaMethod> = {
  'diagnostics/observation': 'SENT',
  'device-location/location-result': 'READ',
  'location/report-status': 'READ',
  'location/notification': 'SENT',
  'connectivity/callback': 'WRITE',
  'soap/callback': 'WRITE',
  'sensoro/text': 'SENT',
  'sensoro/event': 'EXECUTE',
};

export function kapuaMethodOf(channel: unknown, action: unknown): KapuaMethod {
  return KAPUA_METHODS[`${String(channel)}/${String(action)}`] ?? (channel === 'sensoro' ? 'SENT' : 'READ');
}

/** Kapua's `KapuaPosition` of a location event: numbers, `precision` from the radius (m), `timestamp`. */
function positionOf(item: Record<string, unknown>): Record<string, unknown> | undefined {
  const payload = item.payload as Record<string, unknown> | undefined;
  const number = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  const location = payload?.location as Record<string, unknown> | undefined;
  if (location) {
    const latitude = number(location.latitude);
    const longitude = number(location.longitude);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined;
    const precision = number(location.radius);
    return compact({ latitude, longitude, precision: Number.isFinite(precision) ? precision : undefined, timestamp: location.time ?? item.sentOn });
  }
  // SENSORO: `lonlat` is [longitude, latitude] among the readings.
  const lonlat = (payload?.data as Record<string, unknown> | undefined)?.lonlat;
  if (Array.isArray(lonlat) && lonlat.length >= 2) {
    const [longitude, latitude] = [number(lonlat[0]), number(lonlat[1])];
    if (Number.isFinite(latitude) && Number.isFinite(longitude)) return { latitude, longitude, timestamp: item.sentOn };
  }
  return undefined;
}

/**
 * A stored event in Kapua's `deviceEvent` shape, with the gateway's own fields (provider, channel,
 * deviceKind, operationId, payload, callbackAction; `bodyError` when its stored body cannot be
 * decoded). The raw body only on a single GET (`withRawBody`).
 */
export function toDeviceEvent(item: Record<string, unknown>, withRawBody = false): Record<string, unknown> {
  return compact({
    type: 'deviceEvent',
    id: item.id,
    scopeId: item.scopeId,
    deviceId: item.deviceId,
    createdOn: item.receivedOn,
    createdBy: item.provider,
    receivedOn: item.receivedOn,
    sentOn: item.sentOn,
    position: positionOf(item),
    resource: item.resource,
    action: kapuaMethodOf(item.channel, item.action),
    callbackAction: item.action,
    responseCode: 'ACCEPTED',
    eventMessage: [item.provider, item.channel, item.action, ...(item.operationId ? ['of operation', item.operationId] : [])]
      .filter((w) => typeof w === 'string')
      .join(' '),
    provider: item.provider,
    channel: item.channel,
    deviceKind: item.deviceKind,
    operationId: item.operationId,
    payload: item.payload,
    bodyError: item.bodyError,
    rawBody: withRawBody ? item.rawBody : undefined,
  });
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'STALE']);

/**
 * An operation in the shape of Kapua's `deviceManagementOperation`, from its first and latest
 * notifications (logical records) and, when the latest is not terminal, the latest terminal one
 * (COMPLETED or FAILED) in key order. An operation is terminal once any of its notifications is: its
 * `status`, `progress` and `endedOn` come from that terminal notification (a RUNNING sorting after
 * it, tied in the same millisecond, stamped later or redelivered, never undoes it); only when none
 * is terminal, from the latest. `startedOn` and `endedOn` are both on the provider's clock (the
 * notifications' `sentOn`), `createdOn` and `modifiedOn` on ours (when the first and the latest
 * were received); `lastNotificationId`, `lastSentOn` and `resource` are the latest's.
 */
export function toOperation({
  first,
  latest,
  terminal,
}: {
  first: Record<string, unknown>;
  latest: Record<string, unknown>;
  terminal?: Record<string, unknown>;
}): Record<string, unknown> {
  const decided = terminal ?? latest;
  return compact({
    type: 'deviceManagementOperation',
    id: latest.operationId,
    scopeId: latest.scopeId,
    createdOn: first.createdOn,
    createdBy: first.createdBy,
    modifiedOn: latest.createdOn,
    deviceId: latest.deviceId,
    operationId: latest.operationId,
    startedOn: first.sentOn,
    endedOn: FINAL.has(String(decided.status)) ? decided.sentOn : undefined,
    status: decided.status,
    progress: decided.progress,
    resource: latest.resource,
    lastNotificationId: latest.id,
    lastSentOn: latest.sentOn,
    provider: latest.provider,
    channel: latest.channel,
  });
}

/** The device kinds Kapua's Device has a field of its own for (the field holds the id). */
const KAPUA_ID_FIELDS: ReadonlySet<string> = new Set(['imei', 'imsi', 'iccid']);

/**
 * A device in Kapua's `device` shape as far as the stored data goes: the device id is its `id`,
 * `clientId` and `displayName`; `createdOn` is when the gateway first heard of it; `lastEventOn`,
 * `lastEventType` (the resource) and `lastEventId` are those of its newest event (absent once its
 * events are gone); an IMEI, IMSI or ICCID also fills Kapua's field of that name; `deviceKind` is the
 * gateway's own (the kind the provider gave, as on its events).
 */
export function toDevice(device: DeviceRecord): Record<string, unknown> {
  const kind = device.deviceKind?.toLowerCase();
  return compact({
    type: 'device',
    id: device.deviceId,
    scopeId: device.scopeId,
    clientId: device.deviceId,
    displayName: device.deviceId,
    status: 'ENABLED',
    createdOn: device.firstSeenOn,
    lastEventOn: device.lastEvent?.receivedOn,
    lastEventType: device.lastEvent?.resource,
    lastEventId: device.lastEvent?.id,
    ...(kind && KAPUA_ID_FIELDS.has(kind) ? { [kind]: device.deviceId } : {}),
    deviceKind: device.deviceKind,
  });
}

/** A re-registration status record (`GET /v1/{scopeId}/registrations`). */
export function toRegistration(item: Record<string, unknown>): Record<string, unknown> {
  return compact({
    type: 'callbackRegistration',
    scopeId: item.account,
    service: item.service,
    endpoint: item.endpoint,
    status: item.state === 'registered' ? 'REGISTERED' : 'ERROR',
    lastCheckedOn: item.lastCheckedOn,
    lastChangedOn: item.lastChangedOn,
    lastError: item.lastError,
    needsRegistration: item.needsRegistration,
    consecutiveFailures: item.consecutiveFailures,
  });
}

/** A rejected-request record (`GET /v1/{scopeId}/rejections`): never a header value or a body byte. */
export function toRejection(item: Record<string, unknown>): Record<string, unknown> {
  return compact({
    type: 'rejectedRequest',
    scopeId: item.scopeId,
    receivedOn: item.receivedOn,
    provider: item.provider,
    channel: item.channel,
    httpStatus: item.statusCode,
    errorCode: item.errorCode,
    reason: item.reason,
    sourceIp: item.sourceIp,
    fromPublishedSource: item.fromPublishedSource,
    headerNames: item.headerNames,
    moreHeaderNames: item.moreHeaderNames,
    notRecordedBefore: item.notRecordedBefore,
    bodyBytes: item.bodyBytes,
  });
}
