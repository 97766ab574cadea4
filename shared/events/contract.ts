import { perChannel, type Channel } from '../channels';
import type { OperationStatus, Provider } from '../model';

/**
 * The events the gateway publishes, one per stored device event and one per stored operation
 * notification (README "Events out"; `detail` is described by ./detail.schema.json). This file is
 * the contract: the stream publisher, the local publisher and the replay all build events here.
 */

/** `source` of every event. */
export const EVENT_SOURCE = 'iot-callback-gateway';

/** `detail-type` of a device event, per channel: each channel's own (shared/channels.ts); SENSORO task results have their own, below. */
export const EVENT_DETAIL_TYPES: Readonly<Record<Channel, string>> = perChannel((definition) => definition.detailType);

/** `detail-type` of the event of a SENSORO task result (resource `task`). */
export const SENSORO_TASK_DETAIL_TYPE = 'SENSORO Task Result';

/** `detail-type` of every operation notification, whatever its channel. */
export const NOTIFICATION_DETAIL_TYPE = 'Operation Notification';

/** The partitions published (events and notifications), and those a shared body is read from: the store's (shared/store/table.ts). */

/**
 * EventBridge's limit on one PutEvents entry (and on one request): source, detail-type, detail
 * and resources in UTF-8 bytes.
 */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** At most this many entries in one PutEvents request. */
export const MAX_ENTRIES_PER_REQUEST = 10;

/**
 * `detail` of an event: plain JSON, the same fields the query API shows of the record, never its
 * raw body. Delivery is at least once: `recordType`, `scopeId`, `deviceId` and `recordId` together
 * name one stored record, so a consumer drops what it has already seen.
 */
export interface EventDetail {
  recordType: 'event' | 'notification';
  scopeId: string;
  deviceId: string;
  /** Events: imei, mdn, iccid, sn, ... (`account` when the callback names no device). */
  deviceKind?: string;
  provider: Provider;
  channel: Channel;
  resource: string;
  /** Events: what happened (observation, location-result, callback, ...). */
  action?: string;
  /** Notifications always; events of a callback that belongs to an operation. */
  operationId?: string;
  /** Notifications: the operation's status after this callback. */
  status?: OperationStatus;
  /** Notifications: 0..100. */
  progress?: number;
  /** Notifications: a short text (capped at 120 characters when stored). */
  message?: string;
  sentOn: string;
  receivedOn: string;
  /** The stored record's id: its `sentOn`, then 48 bits of the message hash (sorts as time). */
  recordId: string;
  /** The callback's message id: the same for every record one callback became. */
  messageId: string;
  /** Events: the normalised fields of the callback for this device. */
  payload?: Record<string, unknown>;
  /** Set when the payload was left out to keep the entry within EventBridge's 256 KB: read it from the query API. */
  payloadOmitted?: true;
  /** Events: set when the stored body cannot be decoded (damaged in storage); then there is no payload nor action. */
  bodyError?: 'undecodable';
  /** True when `npm run replay` published it again. */
  replayed: boolean;
}

/** One event to publish: its `detail-type` and `detail` (the source is always EVENT_SOURCE). */
export interface GatewayEvent {
  detailType: string;
  detail: EventDetail;
}

/** Where events go: EventBridge in AWS, an HTTP target locally. */
export interface EventSink {
  /**
   * Publishes the events in order, retrying what fails; resolves with the indexes of those still
   * not published after the retries (never rejects).
   */
  publish(events: readonly GatewayEvent[]): Promise<number[]>;
}

/** The detail-type of a device event: per channel, a SENSORO task result apart. */
export function eventDetailType(channel: Channel, resource: unknown): string {
  return channel === 'sensoro' && resource === 'task' ? SENSORO_TASK_DETAIL_TYPE : EVENT_DETAIL_TYPES[channel];
}

/** Bytes EventBridge counts for one entry (no Time or Resources are sent). */
export function entryBytes(event: GatewayEvent): number {
  return Buffer.byteLength(EVENT_SOURCE) + Buffer.byteLength(event.detailType) + Buffer.byteLength(JSON.stringify(event.detail));
}

/**
 * The event as it can be published: one whose payload makes it larger than an entry may be loses
 * the payload (and says so), rather than never being published at all.
 */
export function withinEntryLimit(event: GatewayEvent): GatewayEvent {
  if (entryBytes(event) <= MAX_ENTRY_BYTES || event.detail.payload === undefined) return event;
  const { payload: _omitted, ...detail } = event.detail;
  return { ...event, detail: { ...detail, payloadOmitted: true } };
}

/** The envelope EventBridge delivers to a target (an API destination, a Lambda, an SQS queue), as the local publisher POSTs it. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: typeof EVENT_SOURCE;
  account: string;
  /** EventBridge's form: seconds, no fraction. */
  time: string;
  region: string;
  resources: string[];
  detail: EventDetail;
}

/** An event in EventBridge's delivery envelope. */
export function envelopeOf(event: GatewayEvent, id: string, at: Date, account: string, region: string): EventEnvelope {
  return {
    version: '0',
    id,
    'detail-type': event.detailType,
    source: EVENT_SOURCE,
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [],
    detail: event.detail,
  };
}
