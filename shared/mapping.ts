import {
  deterministicId,
  kapuaDate,
  messageIdOf,
  type DeviceRef,
  type MappedCallback,
  type OperationStatus,
  type ReceivedCallback,
} from './model';

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

const OPERATION_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * One event per device and, for an operation, one notification per device. Every id derives
 * from the message id, so a redelivered callback maps to exactly the same records.
 */
export function toRecords(callback: ReceivedCallback, facts: CallbackFacts): MappedCallback {
  const messageId = messageIdOf(callback);
  const receivedOn = kapuaDate(callback.receivedOn);
  const sentOn = kapuaDate(facts.sentOn ?? callback.receivedOn);
  const rawBody = callback.body.toString('utf8');
  const op = facts.operation && OPERATION_ID.test(facts.operation.id) ? facts.operation : undefined;
  const common = { messageId, scopeId: callback.scopeId, provider: callback.provider, channel: callback.channel };

  const events = facts.devices.map((device) => ({
    ...common,
    id: deterministicId(messageId, 'event', device.kind, device.id),
    deviceId: device.id,
    deviceKind: device.kind,
    resource: facts.resource,
    action: facts.action,
    receivedOn,
    sentOn,
    ...(op ? { operationId: op.id } : {}),
    payload: facts.payload(device),
    rawBody,
  }));

  const notifications = op
    ? facts.devices.map((device) => ({
        ...common,
        id: deterministicId(messageId, 'notification', op.id, device.kind, device.id),
        deviceId: device.id,
        operationId: op.id,
        status: op.status,
        progress: op.progress,
        resource: facts.resource,
        sentOn,
        createdOn: receivedOn,
        createdBy: callback.provider,
        ...(op.message ? { message: op.message } : {}),
      }))
    : [];

  return { messageId, events, notifications };
}
