import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { channelOfCode, type Channel } from '../channels';
import { logger } from '../log';
import type { OperationStatus, Provider } from '../model';
import { factsOf } from '../query/derive';
import { eventOf, notificationOf, sharedBodyOf, storedBodyOf, type StoredBody } from '../query/records';
import { ATTR, eventPk, TABLE } from '../store/table';
import { eventDetailType, NOTIFICATION_DETAIL_TYPE, PUBLISHED_PK_PREFIXES, type EventDetail, type EventSink, type GatewayEvent } from './contract';

type Item = Record<string, unknown>;

/**
 * Reads the body a further device's event shares: the first device's event (`EV#`), or the body
 * kept (`MB#`) after that event was deleted. Undefined when neither holds it.
 */
export type BodyReader = (scopeId: string, holderDevice: string, sk: string) => Promise<StoredBody | undefined>;

/** The shared bodies of events, read from the table with GetItem (strongly consistent: the holder was written a moment ago). */
export function tableBodyReader(client: DynamoDBDocumentClient, tableName: string): BodyReader {
  const get = async (pk: string, sk: string) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk }, ConsistentRead: true }))).Item;
  return (scopeId, holderDevice, sk) => sharedBodyOf(scopeId, holderDevice, sk, get);
}

export class SharedBodyMissingError extends Error {
  constructor() {
    super('The shared body of this event is not stored');
    this.name = 'SharedBodyMissingError';
  }
}

export interface BuildOptions {
  /** Marks the events as published again by `npm run replay`. */
  replayed?: boolean;
}

/** The scope and device a published record's partition key names (`EV#{scope}#{device}`, `NO#...`; the device URI-encoded). */
function partitionOf(pk: string): { kind: 'event' | 'notification'; scopeId: string; deviceId: string } | undefined {
  const kind = pk.startsWith(PUBLISHED_PK_PREFIXES[0]) ? 'event' : pk.startsWith(PUBLISHED_PK_PREFIXES[1]) ? 'notification' : undefined;
  if (!kind) return undefined;
  const rest = pk.slice(PUBLISHED_PK_PREFIXES[0].length);
  const at = rest.lastIndexOf('#');
  return { kind, scopeId: rest.slice(0, at), deviceId: decodeURIComponent(rest.slice(at + 1)) };
}

/**
 * THE one function that turns stored items into events: the stream publisher, the local publisher
 * and the replay all go through it. Each item is rebuilt into the logical record the query API
 * shows (shared/query/records.ts, the payload derived from the stored body by the channel's own
 * parser), and that record into the event's detail. Results are in the items' order: an event, or
 * `undefined` for an item that is not published (receipts, kept bodies, keys...), or a rejection
 * when the item cannot become its event (a shared body not stored, an unknown channel). An event
 * whose stored body cannot be decoded is no rejection (no retry could ever decode it): it is
 * published without payload, with `bodyError: 'undecodable'`.
 */
export async function eventsOfItems(items: readonly Item[], readBody: BodyReader, options: BuildOptions = {}): Promise<PromiseSettledResult<GatewayEvent | undefined>[]> {
  // A callback naming several devices stores its body once, on its first device's event: usually
  // in the same batch, so look there before reading the table.
  const byKey = new Map(items.map((item) => [`${item[TABLE.partitionKey]}\u0000${item[TABLE.sortKey]}`, item]));
  const bodyOf = async (scopeId: string, holderDevice: string, sk: string) =>
    storedBodyOf(byKey.get(`${eventPk(scopeId, holderDevice)}\u0000${sk}`)) ?? (await readBody(scopeId, holderDevice, sk));
  return Promise.allSettled(items.map((item) => eventOfItem(item, bodyOf, options.replayed === true)));
}

async function eventOfItem(item: Item, readBody: BodyReader, replayed: boolean): Promise<GatewayEvent | undefined> {
  const where = partitionOf(String(item[TABLE.partitionKey]));
  if (!where) return undefined;
  const channel = channelOfCode(item[ATTR.channel]);
  if (!channel) throw new Error(`Unknown channel code ${JSON.stringify(item[ATTR.channel])}`);
  const { scopeId, deviceId } = where;
  if (where.kind === 'notification') {
    const n = notificationOf(item, scopeId, deviceId);
    return {
      detailType: NOTIFICATION_DETAIL_TYPE,
      detail: detailOf(n, channel, 'notification', {
        receivedOn: n.createdOn,
        operationId: n.operationId,
        status: n.status as OperationStatus,
        progress: n.progress,
        message: n.message,
      }, replayed),
    };
  }
  const sk = String(item[TABLE.sortKey]);
  const holder = item[ATTR.bodyDevice];
  const stored = typeof holder === 'string' ? await readBody(scopeId, holder, sk) : storedBodyOf(item);
  if (!stored) throw new SharedBodyMissingError();
  const e = eventOf(item, scopeId, deviceId, stored, factsOf);
  return {
    detailType: eventDetailType(channel, e.resource),
    detail: detailOf(e, channel, 'event', {
      receivedOn: e.receivedOn,
      deviceKind: e.deviceKind,
      action: e.action,
      operationId: e.operationId,
      payload: e.payload,
      // A stored body that cannot be decoded: published without payload, marked (eventOf logged it).
      bodyError: e.bodyError,
    }, replayed),
  };
}

/** The detail of a logical record: the fields every event has, then its kind's own (absent ones left out). */
function detailOf(record: Item, channel: Channel, recordType: EventDetail['recordType'], own: Record<string, unknown>, replayed: boolean): EventDetail {
  const detail: Record<string, unknown> = {
    recordType,
    scopeId: record.scopeId,
    deviceId: record.deviceId,
    provider: record.provider as Provider,
    channel,
    resource: record.resource,
    sentOn: record.sentOn,
    recordId: record.id,
    messageId: record.messageId,
  };
  for (const [name, value] of Object.entries(own)) if (value !== undefined) detail[name] = value;
  detail.replayed = replayed;
  return detail as unknown as EventDetail;
}

/** What became of one stored item: published, not a published kind of record, or not published (logged). */
export type Outcome = 'published' | 'skipped' | 'failed';

/**
 * Turns stored items into events (eventsOfItems) and publishes them through `sink`: the whole
 * path from a durable record to a published event, the same for the stream, the local hook and
 * the replay. Never rejects; a failure is logged (ids and causes, never a body) and reported in
 * the item's outcome.
 */
export async function publishItems(items: readonly Item[], readBody: BodyReader, sink: EventSink, options: BuildOptions = {}): Promise<Outcome[]> {
  const built = await eventsOfItems(items, readBody, options);
  const outcomes: Outcome[] = [];
  const toPublish: number[] = [];
  built.forEach((result, i) => {
    if (result.status === 'rejected') {
      outcomes.push('failed');
      const cause = result.reason as Error | undefined;
      logger.error('stored record not turned into an event', { sortKey: items[i]![TABLE.sortKey], cause: `${cause?.name}: ${cause?.message}` });
    } else if (result.value) {
      outcomes.push('published');
      toPublish.push(i);
    } else outcomes.push('skipped');
  });
  if (toPublish.length === 0) return outcomes;
  const failed = await sink.publish(toPublish.map((i) => (built[i] as PromiseFulfilledResult<GatewayEvent>).value));
  for (const k of failed) outcomes[toPublish[k]!] = 'failed';
  return outcomes;
}
