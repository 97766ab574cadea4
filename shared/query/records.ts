import { channelOfCode, providerOf, type Channel } from '../channels';
import { logger } from '../log';
import { toRecords, type CallbackFacts } from '../mapping';
import { kapuaDate, type OperationStatus } from '../model';
import { decodeBody } from '../store/body';
import { STATUS_CODES } from '../store/callback-store';
import { timeOfId } from '../store/ids';
import { ATTR, bodyPk, eventPk, operationOfSk, OPERATION_SEPARATOR, TABLE } from '../store/table';

type Item = Record<string, unknown>;

/** Reads a stored body again into the facts its channel's mapper makes of it (shared/query/derive.ts). */
export type Deriver = (channel: Channel, body: Buffer, scopeId: string, plaintext?: Buffer) => CallbackFacts;

const STATUS_OF_CODE = new Map(Object.entries(STATUS_CODES).map(([status, code]) => [code, status as OperationStatus]));

const NO_HASH = Buffer.alloc(32);

const iso = (ms: unknown) => (typeof ms === 'number' && Number.isFinite(ms) ? kapuaDate(new Date(ms)) : undefined);

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
export async function sharedBodyOf(scopeId: string, holderDevice: string, sk: string, get: (pk: string, sk: string) => Promise<Item | undefined>): Promise<StoredBody | undefined> {
  for (const pk of [eventPk(scopeId, holderDevice), bodyPk(scopeId, holderDevice)]) {
    const stored = storedBodyOf(await get(pk, sk));
    if (stored) return stored;
  }
  return undefined;
}

/** A notification item as the logical record the Kapua renderers show (everything it needs is on the item). */
export function notificationOf(item: Item, scopeId: string, deviceId: string): Item {
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
    progress: item[ATTR.progress],
    resource: item[ATTR.resource],
    sentOn: iso(timeOfId(id)),
    createdOn: iso(item[ATTR.receivedOn]),
    createdBy: provider,
    message: item[ATTR.message],
  };
}

/**
 * An event item as the logical record: its keys and stored fields, plus what its body says
 * (payload, action, operation), derived by reading the body again. A body that no longer parses
 * (a mapper that became stricter) still shows the event, without a payload.
 */
export function eventOf(item: Item, scopeId: string, deviceId: string, stored: StoredBody | undefined, derive: Deriver): Item {
  const id = String(item[TABLE.sortKey]);
  const channel = channelOfCode(item[ATTR.channel]);
  const provider = channel ? providerOf(channel) : undefined;
  const receivedMs = item[ATTR.receivedOn];
  const event: Item = {
    id,
    messageId: id,
    scopeId,
    deviceId,
    deviceKind: item[ATTR.kind],
    provider,
    channel,
    resource: item[ATTR.resource],
    action: undefined,
    receivedOn: iso(receivedMs),
    sentOn: iso(timeOfId(id)),
  };
  if (!channel || !stored) return event;
  const body = decodeBody(channel, stored.body);
  event.rawBody = body.toString('utf8');
  try {
    const plaintext = stored.plain ? decodeBody(channel, stored.plain) : undefined;
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
