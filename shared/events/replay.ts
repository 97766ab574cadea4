import { QueryCommand, ScanCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { idBounds, timeOfId } from '../store/ids';
import { eventPk, notificationPk, OPERATION_SEPARATOR, TABLE } from '../store/table';
import { publishItems, tableBodyReader, type Outcome } from './build';
import { PUBLISHED_PK_PREFIXES, type EventSink } from './contract';

type Item = Record<string, unknown>;

/** What to publish again: a scope's records, of one device or of all, sent within a time range. */
export interface ReplayRequest {
  scopeId: string;
  /** Omitted: every device of the scope, found by a Scan of the whole table (see devicesOf). */
  deviceId?: string;
  /** Records sent at or after this (epoch ms); omitted: from the first. */
  fromMs?: number;
  /** Records sent at or before this (epoch ms); omitted: to the last. */
  toMs?: number;
}

/** Counts so far, reported after each page of a device. */
export interface ReplayProgress {
  deviceId: string;
  /** Devices done before this one, and how many there are. */
  devicesDone: number;
  devices: number;
  published: number;
  failed: number;
}

/** The largest time an id can hold (shared/store/ids.ts clamps to it). */
const LAST_MS = 2 ** 48 - 1;

/** Items per Query page: a stream batch's worth, published before the next page is read. */
const PAGE = 100;

/**
 * Publishes a scope's stored events and notifications again, marked `replayed: true`, through the
 * same path the stream and the local hook take (publishItems): for a consumer that missed them, or
 * after the stream publisher's dead-letter queue received a batch. Per device, its events are one
 * Query of the id range of the time range (ids start with sentOn); its notifications are keyed by
 * operation first, so their partition is read whole and filtered on the id's time.
 */
export async function replayStored(
  client: DynamoDBDocumentClient,
  tableName: string,
  sink: EventSink,
  request: ReplayRequest,
  onProgress: (progress: ReplayProgress) => void = () => undefined,
): Promise<{ devices: number; published: number; failed: number }> {
  const fromMs = request.fromMs ?? 0;
  const toMs = request.toMs ?? LAST_MS;
  const devices = request.deviceId !== undefined ? [request.deviceId] : await devicesOf(client, tableName, request.scopeId);
  const readBody = tableBodyReader(client, tableName);
  const totals = { published: 0, failed: 0 };
  const count = (outcomes: Outcome[]) => {
    for (const o of outcomes) if (o !== 'skipped') totals[o]++;
  };
  for (const [done, deviceId] of devices.entries()) {
    const report = () => onProgress({ deviceId, devicesDone: done, devices: devices.length, ...totals });
    const events: QueryCommandInput = {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
      ExpressionAttributeValues: { ':pk': eventPk(request.scopeId, deviceId), ':first': idBounds(fromMs).first, ':last': idBounds(toMs).last },
    };
    for await (const page of pages(client, events)) {
      count(await publishItems(page, readBody, sink, { replayed: true }));
      report();
    }
    const notifications: QueryCommandInput = {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      ExpressionAttributeValues: { ':pk': notificationPk(request.scopeId, deviceId) },
    };
    for await (const page of pages(client, notifications)) {
      const within = page.filter((item) => {
        const sk = String(item[TABLE.sortKey]);
        const sentOn = timeOfId(sk.slice(sk.lastIndexOf(OPERATION_SEPARATOR) + 1));
        return sentOn !== undefined && sentOn >= fromMs && sentOn <= toMs;
      });
      if (within.length > 0) count(await publishItems(within, readBody, sink, { replayed: true }));
      report();
    }
  }
  return { devices: devices.length, ...totals };
}

/** The pages of a Query, PAGE items at a time. */
async function* pages(client: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Item[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new QueryCommand({ ...input, Limit: PAGE, ...(start ? { ExclusiveStartKey: start } : {}) }));
    if (out.Items?.length) yield out.Items;
    start = out.LastEvaluatedKey;
  } while (start);
}

/**
 * The devices of a scope that have events or notifications. The table has no index by scope (the
 * write path pays for none), so this is a Scan of the whole table filtered on the partition-key
 * prefixes: it reads, and bills, every item. For this admin tool only, never a request path.
 */
export async function devicesOf(client: DynamoDBDocumentClient, tableName: string, scopeId: string): Promise<string[]> {
  const prefixes = PUBLISHED_PK_PREFIXES.map((p) => `${p}${scopeId}#`);
  const devices = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: prefixes.map((_, i) => `begins_with(#pk, :p${i})`).join(' OR '),
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ExpressionAttributeValues: Object.fromEntries(prefixes.map((p, i) => [`:p${i}`, p])),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const pk = String(item[TABLE.partitionKey]);
      devices.add(decodeURIComponent(pk.slice(pk.lastIndexOf('#') + 1)));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return [...devices].sort();
}
