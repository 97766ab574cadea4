import { channelOfCode, providerOf, type Channel } from '../channels';
import { logger } from '../log';
import { toRecords, type CallbackFacts } from '../mapping';
import { kapuaDate, type OperationStatus, type Provider } from '../model';
import { decodeBody } from './body';
import { STATUS_CODES } from './callback-store';
import { timeOfId } from '../record-ids';
import { ATTR, bodyPk, eventPk, operationOfSk, OPERATION_SEPARATOR, TABLE } from './table';

/**
 * The record codec: stored items (their keys and one-letter attributes, ./table.ts) read back as
 * the logical records the query API shows and the publisher publishes. Nothing outside
 * shared/store/ sees an item's keys or attribute names.
 */

/** A stored item, as DynamoDB returns it: opaque outside shared/store/. */
export type StoredItem = Record<string, unknown>;
type Item = StoredItem;

/**
 * Reads a stored body again into the facts its channel's mapper makes of it: the port through
 * which the store derives an event's payload (the query API and the publisher pass the channels'
 * parsers, shared/query/derive.ts).
 */
export type Deriver = (channel: Channel, body: Buffer, scopeId: string, plaintext?: Buffer) => CallbackFacts;

/** One operation notification, as the query API shows it and the publisher publishes it. */
export type OperationNotificationRecord = {
  id: string;
  messageId: string;
  scopeId: string;
  deviceId: string;
  operationId: string;
  provider: Provider | undefined;
  channel: Channel | undefined;
  status: OperationStatus;
  progress: number | undefined;
  resource: string | undefined;
  /** Kapua dates (ISO 8601, milliseconds). */
  sentOn: string | undefined;
  createdOn: string | undefined;
  createdBy: Provider | undefined;
  message: string | undefined;
};

/** One device event: its stored fields, plus what its body says (derived again from the stored body). */
export type DeviceEventRecord = {
  id: string;
  messageId: string;
  scopeId: string;
  deviceId: string;
  deviceKind: string | undefined;
  provider: Provider | undefined;
  channel: Channel | undefined;
  resource: string | undefined;
  action: string | undefined;
  /** Kapua dates (ISO 8601, milliseconds). */
  receivedOn: string | undefined;
  sentOn: string | undefined;
  /** The body as received (UTF-8), when its stored form decodes. */
  rawBody?: string;
  payload?: Record<string, unknown>;
  operationId?: string;
  /** `undecodable` when the stored body (or SENSORO's decrypted content) cannot be decoded. */
  bodyError?: typeof UNDECODABLE;
  /** SENSORO safe mode: the decrypted content the table keeps beside the encrypted body (UTF-8); the archive keeps it too. */
  content?: string;
};

const STATUS_OF_CODE = new Map(Object.entries(STATUS_CODES).map(([status, code]) => [code, status as OperationStatus]));

const NO_HASH = Buffer.alloc(32);

const iso = (ms: unknown) => (typeof ms === 'number' && Number.isFinite(ms) ? kapuaDate(new Date(ms)) : undefined);

/**
 * A record's `sentOn`: the provider's time kept in ATTR.sentOn when the id does not start with it
 * (a provider time far ahead of the receive time, shared/mapping.ts), else the time the id starts with.
 */
const sentOnOf = (item: Item, id: string) => iso(typeof item[ATTR.sentOn] === 'number' ? item[ATTR.sentOn] : timeOfId(id));

/** The stored body of an item, when it holds one (an event of one device, or a shared body item). */
export interface StoredBody {
  body: Uint8Array;
  plain?: Uint8Array;
}

export function storedBodyOf(item: Item | undefined): StoredBody | undefined {
  const body = item?.[ATTR.body];
  if (!(body instanceof Uint8Array)) return undefined;
  const plain = item![ATTR.plain];
  return { body, ...(plain instanceof Uint8Array ? { plain } : {}) };
}

/**
 * The body of a further device's event of a multi-device callback: on the first device's event, or
 * (once that event was deleted) on its kept-body item. `get` reads one item by key.
 */
export async function sharedBodyOf(
  scopeId: string,
  holderDevice: string,
  sk: string,
  get: (pk: string, sk: string) => Promise<Item | undefined>,
): Promise<StoredBody | undefined> {
  for (const pk of [eventPk(scopeId, holderDevice), bodyPk(scopeId, holderDevice)]) {
    const stored = storedBodyOf(await get(pk, sk));
    if (stored) return stored;
  }
  return undefined;
}

/** A notification item as the logical record the Kapua renderers show (everything it needs is on the item). */
export function notificationOf(item: Item, scopeId: string, deviceId: string): OperationNotificationRecord {
  const sk = String(item[TABLE.sortKey]);
  const id = sk.slice(sk.lastIndexOf(OPERATION_SEPARATOR) + 1);
  const channel = channelOfCode(item[ATTR.channel]);
  const provider = channel ? providerOf(channel) : undefined;
  return {
    id,
    messageId: id,
    scopeId,
    deviceId,
    operationId: operationOfSk(sk),
    provider,
    channel,
    status: STATUS_OF_CODE.get(String(item[ATTR.status])) ?? 'RUNNING',
    progress: item[ATTR.progress] as number | undefined,
    resource: item[ATTR.resource] as string | undefined,
    sentOn: sentOnOf(item, id),
    createdOn: iso(item[ATTR.receivedOn]),
    createdBy: provider,
    message: item[ATTR.message] as string | undefined,
  };
}

/** What `bodyError` says of an event whose stored body (or SENSORO's decrypted content) cannot be decoded. */
export const UNDECODABLE = 'undecodable';

/**
 * An event item as the logical record: its keys and stored fields, plus what its body says
 * (payload, action, operation), derived by reading the body again. A body that no longer parses
 * (a mapper that became stricter) still shows the event, without a payload. A stored body that
 * cannot be decoded at all (an unknown format, damaged bytes) shows the event with
 * `bodyError: 'undecodable'` and without `rawBody` and `payload` (with `rawBody` when only SENSORO's
 * decrypted content is damaged), logged by its ids: one damaged record never fails a page or a batch.
 */
export function eventOf(item: Item, scopeId: string, deviceId: string, stored: StoredBody | undefined, derive: Deriver): DeviceEventRecord {
  const id = String(item[TABLE.sortKey]);
  const channel = channelOfCode(item[ATTR.channel]);
  const provider = channel ? providerOf(channel) : undefined;
  const receivedMs = item[ATTR.receivedOn];
  const event: DeviceEventRecord = {
    id,
    messageId: id,
    scopeId,
    deviceId,
    deviceKind: item[ATTR.kind] as string | undefined,
    provider,
    channel,
    resource: item[ATTR.resource] as string | undefined,
    action: undefined,
    receivedOn: iso(receivedMs),
    sentOn: sentOnOf(item, id),
  };
  if (!channel || !stored) return event;
  const undecodable = (part: 'body' | 'plain', error: unknown) => {
    // Ids only: never the stored bytes, nor an error message that could quote them.
    logger.error('stored body not decodable', { scopeId, deviceId, recordId: id, channel, part, cause: causeOf(error) });
    event.bodyError = UNDECODABLE;
    return event;
  };
  let body: Buffer;
  try {
    body = decodeBody(channel, stored.body);
  } catch (error) {
    return undecodable('body', error);
  }
  event.rawBody = body.toString('utf8');
  let plaintext: Buffer | undefined;
  try {
    plaintext = stored.plain ? decodeBody(channel, stored.plain) : undefined;
  } catch (error) {
    return undecodable('plain', error);
  }
  if (plaintext) event.content = plaintext.toString('utf8');
  try {
    const received = { provider: provider!, channel, scopeId, body, receivedOn: new Date(Number(receivedMs)), ...(plaintext ? { plaintext } : {}) };
    // The record's id is its sort key already: no message hash to compute for it.
    const mine = toRecords(received, derive(channel, body, scopeId, plaintext), NO_HASH).events.find((e) => e.deviceId === deviceId);
    if (mine) {
      event.action = mine.action;
      event.payload = mine.payload;
      if (mine.operationId !== undefined) event.operationId = mine.operationId;
    }
  } catch (error) {
    logger.warn('stored body no longer maps', { channel, id, cause: (error as Error)?.name });
  }
  return event;
}

/** An error's name or code (zlib's Z_DATA_ERROR, ...), never its message. */
function causeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | undefined;
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'unknown';
}
