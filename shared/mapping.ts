import {
  kapuaDate,
  messageHashOf,
  type DeviceEvent,
  type DeviceRef,
  type MappedCallback,
  type OperationNotification,
  type OperationStatus,
  type ReceivedCallback,
} from './model';
import { recordId } from './record-ids';

/** What a provider module says about one callback; `toRecords` turns it into stored records. */
export interface CallbackFacts {
  devices: DeviceRef[];
  /** Kapua resource: what the callback is about (diagnostics, location, CarrierService, ...). */
  resource: string;
  /** What happened (observation, location-result, report-ready, ...). */
  action: string;
  /** When the provider says it happened; receivedOn when it does not say. */
  sentOn?: Date;
  /** Normalised fields for a device's event. */
  payload: (device: DeviceRef) => Record<string, unknown>;
  /** Present when the callback belongs to an operation. */
  operation?: {
    id: string;
    status: OperationStatus;
    progress: number;
    message?: string;
  };
}

/**
 * The id of a callback's records: 16 characters, its `sentOn` then 48 bits of its hash, sorting
 * as its time (shared/record-ids.ts, a leaf module). The same callback sent at the same time always has the same id.
 */
export const messageIdOf = (sentOnMs: number, hash: Buffer): string => recordId(sentOnMs, hash);

const OPERATION_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * How far ahead of the receive time a provider's time may be and still set the record's id (and
 * so its place in every time order). A device clock that says 2031 would otherwise sort its
 * records after everything else for years: such a record is keyed like a callback that carries no
 * time (the first delivery's receive time, fixed by a receipt) and keeps the provider's time in
 * `sentOn` (stored beside the id, shared/store/table.ts ATTR.sentOn).
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/**
 * One event per device and, for an operation, one notification per device: what the query API
 * shows of a callback. The store writes a lean form of these records and the reader rebuilds them
 * with this same function from the stored body, so both sides always agree.
 *
 * A record's id is the message id: its `sentOn` (the receive time when the provider's is more than
 * MAX_FUTURE_SKEW_MS ahead of it) then its hash (shared/record-ids.ts). Its partition
 * already names the device (and the operation), and a message names a device once, so the id is
 * unique where it is stored, and a redelivered callback maps to exactly the same keys. A callback
 * that carries no time takes `callback.receivedOn` as `sentOn`: the store makes that the first
 * delivery's time (a receipt) before it calls this.
 */
export function toRecords(callback: ReceivedCallback, facts: CallbackFacts, hash = messageHashOf(callback)): MappedCallback {
  const sentOnDate = facts.sentOn ?? callback.receivedOn;
  const ahead = facts.sentOn !== undefined && facts.sentOn.getTime() > callback.receivedOn.getTime() + MAX_FUTURE_SKEW_MS;
  const messageId = messageIdOf((ahead ? callback.receivedOn : sentOnDate).getTime(), hash);
  const receivedOn = kapuaDate(callback.receivedOn);
  const sentOn = kapuaDate(sentOnDate);
  const rawBody = callback.body.toString('utf8');
  const op = facts.operation && OPERATION_ID.test(facts.operation.id) ? facts.operation : undefined;
  const { scopeId, provider, channel } = callback;

  // Records are built field by field, no leading spread: V8 keeps such literals on its fast path
  // (a spread first, then more properties, measured ~6 µs per record in bench/hot-path.ts).
  const events: DeviceEvent[] = facts.devices.map((device) => {
    const event: DeviceEvent = {
      id: messageId,
      messageId,
      scopeId,
      deviceId: device.id,
      deviceKind: device.kind,
      provider,
      channel,
      resource: facts.resource,
      action: facts.action,
      receivedOn,
      sentOn,
      payload: facts.payload(device),
      rawBody,
    };
    if (op) event.operationId = op.id;
    return event;
  });

  const notifications: OperationNotification[] = op
    ? facts.devices.map((device) => {
        const notification: OperationNotification = {
          id: messageId,
          messageId,
          scopeId,
          deviceId: device.id,
          operationId: op.id,
          provider,
          channel,
          status: op.status,
          progress: op.progress,
          resource: facts.resource,
          sentOn,
          createdOn: receivedOn,
          createdBy: provider,
        };
        if (op.message) notification.message = op.message;
        return notification;
      })
    : [];

  return {
    messageId,
    hash,
    timeless: facts.sentOn === undefined || ahead,
    ...(ahead ? { providerSentOn: sentOnDate.getTime() } : {}),
    received: callback,
    events,
    notifications,
  };
}
