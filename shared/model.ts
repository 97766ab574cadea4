import { createHash } from 'node:crypto';
import type { Provider } from './channels/definition';
import type { Channel } from './channels';

export type { Provider };

/** Kapua's operation statuses. */
export type OperationStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'STALE';

/** One device named by a callback, with the identifier exactly as the provider gave it. */
export interface DeviceRef {
  id: string;
  /** imei, mdn, iccid, esn, meid, min, sn, ...; `account` when the callback names no device. */
  kind: string;
}

/** A callback as received: who sent it, to which route, and its exact bytes. */
export interface ReceivedCallback {
  provider: Provider;
  channel: Channel;
  /** The ThingSpace account or SENSORO AppID: the Kapua scopeId. */
  scopeId: string;
  /** The bytes stored as the raw body (credentials already removed where a channel carries them). */
  body: Buffer;
  receivedOn: Date;
  /**
   * The bytes that identify the message, when not its stored body: the body with what a
   * redelivery changes blanked (Connectivity NIDD's delivery counters). Never a provider's id
   * alone: two distinct messages under one id must stay two records.
   */
  identity?: Buffer;
  /** SENSORO safe mode: the decrypted content, kept beside the body so the stored record can be read without the AppKey. */
  plaintext?: Buffer;
}

/** A stored device event (one per device a callback names). */
export interface DeviceEvent {
  id: string;
  messageId: string;
  scopeId: string;
  deviceId: string;
  deviceKind: string;
  provider: Provider;
  channel: Channel;
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
  channel: Channel;
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
  /** SHA-256 of the message's identity (messageHashOf). */
  hash: Buffer;
  /**
   * True when the ids take the (first) receive time: the provider gave no time, or one far ahead
   * of the receive time (then kept in `providerSentOn`).
   */
  timeless: boolean;
  /** The provider's time (epoch ms) when the ids do not start with it. */
  providerSentOn?: number;
  /** The received callback these records come from (its body is stored once). */
  received: ReceivedCallback;
  events: DeviceEvent[];
  notifications: OperationNotification[];
}

/**
 * The identity of a received callback: SHA-256 of its provider, route, scope and its exact stored
 * bytes (or the `identity` bytes a channel derives from them). The same callback always yields the
 * same hash, which is what makes storing it idempotent; two messages that differ in one byte of
 * what they say never share it, whatever ids or times they carry.
 */
export function messageHashOf(callback: ReceivedCallback): Buffer {
  return createHash('sha256')
    .update([callback.provider, callback.channel, callback.scopeId, ''].join('\u0000'))
    .update('body:')
    .update(callback.identity ?? callback.body)
    .digest();
}

/** Kapua's date format: `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC. */
export function kapuaDate(date: Date): string {
  return date.toISOString();
}
