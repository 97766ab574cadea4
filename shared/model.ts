import { createHash } from 'node:crypto';

/** Kapua's operation statuses. */
export type OperationStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'STALE';

export type Provider = 'thingspace' | 'sensoro';

/** One device named by a callback, with the identifier exactly as the provider gave it. */
export interface DeviceRef {
  id: string;
  /** imei, mdn, iccid, esn, meid, min, sn, ...; `account` when the callback names no device. */
  kind: string;
}

/** A callback as received: who sent it, to which route, and its exact bytes. */
export interface ReceivedCallback {
  provider: Provider;
  channel: string;
  /** The ThingSpace account or SENSORO AppID: the Kapua scopeId. */
  scopeId: string;
  /** The bytes stored as the raw body (credentials already removed where a channel carries them). */
  body: Buffer;
  receivedOn: Date;
  /** The provider's own message id, when it has one (SENSORO `msgId`): redeliveries share it. */
  dedupeKey?: string;
}

/** A stored device event (one per device a callback names). */
export interface DeviceEvent {
  id: string;
  messageId: string;
  scopeId: string;
  deviceId: string;
  deviceKind: string;
  provider: Provider;
  channel: string;
  resource: string;
  action: string;
  receivedOn: string;
  sentOn: string;
  operationId?: string;
  /** The normalised fields of the callback for this device. */
  payload: Record<string, unknown>;
  /** The body exactly as received (UTF-8). */
  rawBody: string;
}

/** A Kapua-shaped notification of an operation. */
export interface OperationNotification {
  id: string;
  messageId: string;
  scopeId: string;
  deviceId: string;
  operationId: string;
  provider: Provider;
  channel: string;
  status: OperationStatus;
  progress: number;
  resource: string;
  sentOn: string;
  createdOn: string;
  createdBy: string;
  message?: string;
}

/** What one callback becomes. */
export interface MappedCallback {
  messageId: string;
  events: DeviceEvent[];
  notifications: OperationNotification[];
}

/**
 * The id of a received callback: its provider, route, scope and the provider's message id or else
 * its exact bytes: 16 base64url characters (96 bits) of SHA-256. The same callback always yields
 * the same id, which is what makes storing it idempotent.
 */
export function messageIdOf(callback: ReceivedCallback): string {
  const hash = createHash('sha256').update([callback.provider, callback.channel, callback.scopeId, ''].join('\u0000'));
  if (callback.dedupeKey !== undefined) hash.update(`id:${callback.dedupeKey}`);
  else hash.update('body:').update(callback.body);
  return hash.digest().subarray(0, 12).toString('base64url');
}

/** Kapua's date format: `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC. */
export function kapuaDate(date: Date): string {
  return date.toISOString();
}
