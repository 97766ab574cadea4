import { QueryCommand, ScanCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TableClient } from './client';
import { idBounds, timeOfId } from '../record-ids';
import type { StoredItem } from './records';
import { eventPk, notificationPk, OPERATION_SEPARATOR, PUBLISHED_PK_PREFIXES, TABLE } from './table';

/** Items per Query page: a stream batch's worth, published before the next page is read. */
const PAGE = 100;

/** The largest time an id can hold (./ids.ts clamps to it). */
export const LAST_MS = 2 ** 48 - 1;

/**
 * What `npm run replay` reads: a scope's stored events and notifications, page by page, as the
 * items the publisher turns into events (shared/events/build.ts). Per device, its events are one
 * Query of the id range of the time range (ids start with sentOn); its notifications are keyed by
 * operation first, so their partition is read whole and filtered on the id's time.
 */
export class ReplaySource {
  constructor(
    private readonly client: TableClient,
    private readonly tableName: string,
  ) {}

  /** Pages of a device's events sent within [fromMs, toMs] (non-empty pages only). */
  async *eventPages(scopeId: string, deviceId: string, fromMs: number, toMs: number): AsyncGenerator<StoredItem[]> {
    yield* this.pages({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
      ExpressionAttributeValues: { ':pk': eventPk(scopeId, deviceId), ':first': idBounds(fromMs).first, ':last': idBounds(toMs).last },
    });
  }

  /** Pages of a device's notifications, each filtered to those sent within [fromMs, toMs] (a page may be left empty). */
  async *notificationPages(scopeId: string, deviceId: string, fromMs: number, toMs: number): AsyncGenerator<StoredItem[]> {
    const pages = this.pages({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      ExpressionAttributeValues: { ':pk': notificationPk(scopeId, deviceId) },
    });
    for await (const page of pages) {
      yield page.filter((item) => {
        const sk = String(item[TABLE.sortKey]);
        const sentOn = timeOfId(sk.slice(sk.lastIndexOf(OPERATION_SEPARATOR) + 1));
        return sentOn !== undefined && sentOn >= fromMs && sentOn <= toMs;
      });
    }
  }

  /**
   * The devices of a scope that have events or notifications. The table has no index by scope (the
   * write path pays for none), so this is a Scan of the whole table filtered on the partition-key
   * prefixes: it reads, and bills, every item. For this admin tool only, never a request path.
   */
  async devicesOf(scopeId: string): Promise<string[]> {
    const prefixes = PUBLISHED_PK_PREFIXES.map((p) => `${p}${scopeId}#`);
    const devices = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
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

  /** The pages of a Query, PAGE items at a time. */
  private async *pages(input: QueryCommandInput): AsyncGenerator<StoredItem[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({ ...input, Limit: PAGE, ...(start ? { ExclusiveStartKey: start } : {}) }));
      if (out.Items?.length) yield out.Items;
      start = out.LastEvaluatedKey;
    } while (start);
  }
}
