import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

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

/** 403 `subjectUnauthorizedExceptionInfo`. */
export function subjectUnauthorized(permission: string): KapuaError {
  return new KapuaError(403, {
    type: 'subjectUnauthorizedExceptionInfo',
    httpErrorCode: 403,
    message: `User not authorized to perform this action: ${permission}.`,
    kapuaErrorCode: 'SUBJECT_UNAUTHORIZED',
    permission,
  });
}

/** 401: no body (Kapua's behaviour for a missing or unknown credential). */
export const unauthenticated = () => new KapuaError(401, undefined);

/** The response of a KapuaError, or 500 `exceptionInfo` for anything else (nothing of its message leaks). */
export function kapuaErrorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const e =
    error instanceof KapuaError
      ? error
      : new KapuaError(500, { type: 'exceptionInfo', httpErrorCode: 500, message: 'An internal error occurred.', kapuaErrorCode: 'INTERNAL_ERROR' });
  return e.body === undefined
    ? { statusCode: e.statusCode }
    : { statusCode: e.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(e.body) };
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

/**
 * A stored event in Kapua's `deviceEvent` shape, with the gateway's own fields (provider, channel,
 * deviceKind, operationId, payload). The raw body only on a single GET (`withRawBody`).
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
    resource: item.resource,
    action: item.action,
    responseCode: 'ACCEPTED',
    eventMessage: `${item.provider} ${item.channel} ${item.action}${item.operationId ? ` of operation ${String(item.operationId)}` : ''}`,
    provider: item.provider,
    channel: item.channel,
    deviceKind: item.deviceKind,
    operationId: item.operationId,
    payload: item.payload,
    rawBody: withRawBody ? item.rawBody : undefined,
  });
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'STALE']);

/**
 * An operation in the shape of Kapua's `deviceManagementOperation`, from its first and latest
 * notifications (logical records): status, progress and resource of the latest; `startedOn` and
 * `endedOn` both on the provider's clock (the notifications' `sentOn`), `createdOn` and
 * `modifiedOn` on ours (when the first and the latest were received).
 */
export function toOperation({ first, latest }: { first: Record<string, unknown>; latest: Record<string, unknown> }): Record<string, unknown> {
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
    endedOn: FINAL.has(String(latest.status)) ? latest.sentOn : undefined,
    status: latest.status,
    progress: latest.progress,
    resource: latest.resource,
    lastNotificationId: latest.id,
    lastSentOn: latest.sentOn,
    provider: latest.provider,
    channel: latest.channel,
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
