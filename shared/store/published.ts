import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { channelOfCode, type Channel } from '../channels';
import { logger } from '../log';
import type { TableClient } from './client';
import {
  eventOf,
  notificationOf,
  sharedBodyOf,
  storedBodyOf,
  type Deriver,
  type DeviceEventRecord,
  type OperationNotificationRecord,
  type StoredBody,
  type StoredItem,
} from './records';
import { ATTR, eventPk, PUBLISHED_PK_PREFIXES, TABLE } from './table';

/**
 * The publisher's side of the store: the items a write made durable (from the table's stream, the
 * local hook, or a replay's read) read back as the records they hold, so that shared/events/ builds
 * events from records and never sees a key or an attribute name.
 */

/**
 * Reads the body a further device's event shares: the first device's event (`EV#`), or the body
 * kept (`MB#`) after that event was deleted. Undefined when neither holds it.
 */
export type BodyReader = (scopeId: string, holderDevice: string, recordId: string) => Promise<StoredBody | undefined>;

/** The shared bodies of events, read from the table with GetItem (strongly consistent: the holder was written a moment ago). */
export function tableBodyReader(client: TableClient, tableName: string): BodyReader {
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

/** A published record: a device event or an operation notification, with the channel that sent it. */
export type PublishedRecord =
  { kind: 'event'; channel: Channel; record: DeviceEventRecord } | { kind: 'notification'; channel: Channel; record: OperationNotificationRecord };

/** The scope and device a published record's partition key names (`EV#{scope}#{device}`, `NO#...`; the device URI-encoded). */
function partitionOf(pk: string): { kind: 'event' | 'notification'; scopeId: string; deviceId: string } | undefined {
  const kind = pk.startsWith(PUBLISHED_PK_PREFIXES[0]) ? 'event' : pk.startsWith(PUBLISHED_PK_PREFIXES[1]) ? 'notification' : undefined;
  if (!kind) return undefined;
  const rest = pk.slice(PUBLISHED_PK_PREFIXES[0].length);
  const at = rest.lastIndexOf('#');
  return { kind, scopeId: rest.slice(0, at), deviceId: decodeURIComponent(rest.slice(at + 1)) };
}

/**
 * The records stored items hold, in the items' order: a record, or `undefined` for an item that is
 * not published (receipts, kept bodies, keys...), or a rejection when the item cannot become its
 * record (a shared body not stored, an unknown channel). Payloads are derived with `derive`.
 */
export async function publishedRecordsOf(
  items: readonly StoredItem[],
  readBody: BodyReader,
  derive: Deriver,
): Promise<PromiseSettledResult<PublishedRecord | undefined>[]> {
  // A callback naming several devices stores its body once, on its first device's event: usually
  // in the same batch, so look there before reading the table.
  const byKey = new Map(items.map((item) => [`${item[TABLE.partitionKey] as string}\u0000${item[TABLE.sortKey] as string}`, item]));
  const bodyOf: BodyReader = async (scopeId, holderDevice, sk) =>
    storedBodyOf(byKey.get(`${eventPk(scopeId, holderDevice)}\u0000${sk}`)) ?? (await readBody(scopeId, holderDevice, sk));
  return Promise.allSettled(items.map((item) => recordOfItem(item, bodyOf, derive)));
}

async function recordOfItem(item: StoredItem, readBody: BodyReader, derive: Deriver): Promise<PublishedRecord | undefined> {
  const where = partitionOf(String(item[TABLE.partitionKey]));
  if (!where) return undefined;
  const channel = channelOfCode(item[ATTR.channel]);
  if (!channel) throw new Error(`Unknown channel code ${JSON.stringify(item[ATTR.channel])}`);
  const { scopeId, deviceId } = where;
  if (where.kind === 'notification') return { kind: 'notification', channel, record: notificationOf(item, scopeId, deviceId) };
  const sk = String(item[TABLE.sortKey]);
  const holder = item[ATTR.bodyDevice];
  const stored = typeof holder === 'string' ? await readBody(scopeId, holder, sk) : storedBodyOf(item);
  if (!stored) throw new SharedBodyMissingError();
  return { kind: 'event', channel, record: eventOf(item, scopeId, deviceId, stored, derive) };
}

/** What a log line names an item by: its sort key (a record id, never a body byte). */
export function sortKeyOf(item: StoredItem): unknown {
  return item[TABLE.sortKey];
}

/**
 * A stream record's NewImage as the item the store wrote. Lambda hands the image over in DynamoDB
 * JSON with binary values in base64 (the SDK's unmarshall expects bytes there), and callback
 * records hold strings, numbers and binaries only: anything else is not a record of ours.
 */
export function itemOfImage(image: Record<string, AttributeValue>): StoredItem {
  const item: StoredItem = {};
  for (const [name, value] of Object.entries(image)) {
    if (value.S !== undefined) item[name] = value.S;
    else if (value.N !== undefined) item[name] = Number(value.N);
    else if (value.B !== undefined) item[name] = Buffer.from(value.B, 'base64');
    else throw new Error(`Attribute ${name} has a type no callback record uses`);
  }
  return item;
}

/**
 * The event or notification a stream record inserted; undefined for any other change or item. The
 * mapping's filter lets only those through already: this holds without it too.
 */
export function insertedItem(record: DynamoDBRecord): StoredItem | undefined {
  const pk = record.dynamodb?.Keys?.[TABLE.partitionKey]?.S;
  const image = record.dynamodb?.NewImage;
  const published = pk !== undefined && PUBLISHED_PK_PREFIXES.some((prefix) => pk.startsWith(prefix));
  return record.eventName === 'INSERT' && published && image ? itemOfImage(image) : undefined;
}

/** What became of one stored item in a stream consumer: done (published, archived), not its kind of record, or failed (logged). */
export type ItemOutcome = 'done' | 'skipped' | 'failed';

/**
 * The one stream-batch loop of every stream consumer (the publisher, the archiver): the records
 * that inserted an event or a notification become items, `handle` says what became of each, and
 * every record that is unreadable or failed is reported as a batch item failure. Lambda then
 * retries the shard from the lowest one reported (records after it are handled again: delivery is
 * at least once), bisecting and, past its retries, sending the batch's description to the
 * on-failure queue.
 */
export async function handleStreamBatch(
  records: readonly DynamoDBRecord[],
  handle: (items: StoredItem[]) => Promise<readonly ItemOutcome[]>,
  what: string,
): Promise<DynamoDBBatchResponse> {
  const failures = new Set<DynamoDBRecord>();
  const inserted: { record: DynamoDBRecord; item: StoredItem }[] = [];
  for (const record of records) {
    try {
      const item = insertedItem(record);
      if (item) inserted.push({ record, item });
    } catch (error) {
      logger.error('stream record not readable', { sequenceNumber: record.dynamodb?.SequenceNumber, cause: (error as Error).message });
      failures.add(record);
    }
  }
  const outcomes = await handle(inserted.map((r) => r.item));
  outcomes.forEach((outcome, i) => {
    if (outcome === 'failed') failures.add(inserted[i]!.record);
  });
  const done = outcomes.filter((o) => o === 'done').length;
  logger.info(`stream batch ${what}`, { records: records.length, [what]: done, failed: failures.size });
  return {
    batchItemFailures: records.filter((r) => failures.has(r)).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! })),
  };
}
