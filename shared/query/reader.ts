import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ATTR, operationOfSk, OPERATION_SEPARATOR, TABLE } from '../store/table';
import { illegalArgument } from './kapua';

type Key = Record<string, unknown>;

/** What an operation id looks like (the webhooks accept no other). */
const OPERATION_ID = /^[\x21-\x7e]{1,256}$/;
type Item = Record<string, unknown>;

/** Where a list reads: one partition, optionally the sort keys under a prefix and within a range. */
export interface Scope {
  pk: string;
  /** Only sort keys that start with this (one operation's notifications). */
  prefix?: string;
  /** Sort keys from (inclusive) ... */
  from?: string;
  /** ... to (inclusive). */
  to?: string;
}

/** How a list is read: order, direction, optional resource, and where to start. */
export interface ListOptions {
  offset: number;
  limit: number;
  askTotalCount: boolean;
  /**
   * `key`: the sort key's own order (for records: their `sentOn`, the id starting with it);
   * any other value names a stored attribute to sort on, in memory (see `sortLimit`).
   */
  order: string;
  descending: boolean;
  resource?: string;
  /** An opaque cursor from a previous page (wins over offset). */
  cursor?: string;
  /** Only records sent at or after / at or before these times (epoch ms; the key range of their ids). */
  startDate?: number;
  endDate?: number;
}

export interface Page {
  items: Item[];
  limitExceeded: boolean;
  nextCursor?: string;
  totalCount?: number;
}

/** One operation of a device, as read from its notifications: the first and the latest. */
export interface OperationNotifications {
  operationId: string;
  first: Item;
  latest: Item;
}

/**
 * Reads callback records for the query API. The table has no index, so every read is a Query or
 * GetItem on one partition, in the order of its sort key:
 * - in key order (the `sentOn` order of events and notifications) a page reads the items it
 *   returns plus one, to know whether more exist; an offset is skipped with a COUNT query (the
 *   skipped items are read but not transferred); a cursor starts right after the last item
 *   returned. A `resource` filter is a FilterExpression: it reads the records it discards.
 * - in any other order (receive time, last checked, ...) the whole partition (or operation) is
 *   read and sorted in memory, up to `sortLimit` records: past that the order is refused with a
 *   400 naming `sortParam`. That keeps the write path free of any index, at a cost paid only by
 *   the rare queries that ask for another order.
 * - a device's operations are the distinct operation prefixes of its notification partition,
 *   found by skipping from one operation to the next (two one-item queries per operation).
 */
export class CallbackReader {
  /** Items read from DynamoDB since construction (for benchmarks: items read per item returned). */
  itemsRead = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sortLimit = 2_000,
  ) {}

  async list(scope: Scope, options: ListOptions): Promise<Page> {
    if (options.order !== 'key') return this.listSorted(scope, options);
    const query = this.queryFor(scope, options);
    let start: Key | undefined;
    if (options.cursor !== undefined) start = decodeCursor(options.cursor, query);
    else if (options.offset > 0) {
      const skipped = await this.skip(query, options.offset);
      if (skipped === 'end') return { items: [], limitExceeded: false, ...(await this.total(query, options)) };
      start = skipped;
    }

    const items: Item[] = [];
    do {
      const out = await this.send({ ...query, Limit: options.limit + 1 - items.length, ...(start ? { ExclusiveStartKey: start } : {}) });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (items.length <= options.limit && start);

    const limitExceeded = items.length > options.limit;
    const page = items.slice(0, options.limit);
    return {
      items: page,
      limitExceeded,
      ...(limitExceeded ? { nextCursor: encodeCursor(keyOf(page[page.length - 1]!), query) } : {}),
      ...(await this.total(query, options)),
    };
  }

  /** The number of records in the scope (of one resource, when given). */
  async count(scope: Scope, resource?: string): Promise<number> {
    return this.countQuery(this.queryFor(scope, { descending: false, resource }));
  }

  /** Whether the partition holds any record (one one-item query). */
  async any(pk: string): Promise<boolean> {
    const out = await this.send({ TableName: this.tableName, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': TABLE.partitionKey }, ExpressionAttributeValues: { ':pk': pk }, Limit: 1 });
    return (out.Items ?? []).length > 0;
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk } }));
    if (out.Item) this.itemsRead++;
    return out.Item;
  }

  /** Writes one item (the query API's only write: a body kept when the event holding it is deleted). */
  async put(item: Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** Deletes one record; false when it was not there. */
  async delete(pk: string, sk: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * A page of a device's operations from its notification partition (sort keys
   * `{operation}#{id}`), in operation-id order: each step is a one-item query past the previous
   * operation (its first notification, or its latest when descending), and one more for the other
   * end. Other orders (`startedOn`, `lastSentOn`) read every operation and sort in memory.
   */
  async operations(pk: string, options: ListOptions, sortValue?: (op: OperationNotifications) => string | number | undefined): Promise<{ items: OperationNotifications[]; limitExceeded: boolean; nextCursor?: string; totalCount?: number }> {
    const fingerprintOf = `${pk}\u0000operations\u0000${options.order}\u0000${options.descending}`;
    if (options.order !== 'key') {
      const all: OperationNotifications[] = [];
      for (let after: string | undefined; ; ) {
        const next = await this.nextOperation(pk, after, false);
        if (!next) break;
        all.push(next);
        if (all.length > this.sortLimit) throw tooManyToSort(options.order, this.sortLimit);
        after = next.operationId;
      }
      const sorted = sortInMemory(all, (op) => sortValue?.(op), (op) => op.operationId, options.descending);
      return pageInMemory(sorted, (op) => [sortValue?.(op), op.operationId], options, fingerprintOf);
    }

    let after: string | undefined;
    if (options.cursor !== undefined) {
      after = decodeSimpleCursor(options.cursor, fingerprintOf)[1];
      if (!OPERATION_ID.test(after)) throw illegalArgument('cursor', options.cursor, 'The cursor does not belong to this query.');
    } else {
      // Each skipped operation is a query of its own: deep offsets are refused, the cursor pages any depth.
      if (options.offset > this.sortLimit) throw illegalArgument('offset', options.offset, `Operations are skipped one query each, up to ${this.sortLimit}: page with the cursor instead.`);
      for (let skip = options.offset; skip > 0; skip--) {
        const next = await this.nextOperationId(pk, after, options.descending);
        if (next === undefined) return { items: [], limitExceeded: false, ...(options.askTotalCount ? { totalCount: await this.countOperations(pk) } : {}) };
        after = next;
      }
    }
    const items: OperationNotifications[] = [];
    while (items.length <= options.limit) {
      const next = await this.nextOperation(pk, after, options.descending);
      if (!next) break;
      items.push(next);
      after = next.operationId;
    }
    const limitExceeded = items.length > options.limit;
    const page = items.slice(0, options.limit);
    return {
      items: page,
      limitExceeded,
      ...(limitExceeded ? { nextCursor: encodeSimpleCursor([undefined, page[page.length - 1]!.operationId], fingerprintOf) } : {}),
      ...(options.askTotalCount ? { totalCount: await this.countOperations(pk) } : {}),
    };
  }

  /** How many operations a device's notification partition holds (one one-item query per operation, up to `sortLimit`). */
  async countOperations(pk: string): Promise<number> {
    let count = 0;
    for (let after = await this.nextOperationId(pk, undefined, false); after !== undefined; after = await this.nextOperationId(pk, after, false)) {
      if (++count > this.sortLimit) throw illegalArgument('askTotalCount', 'true', `Operations are counted one query each, up to ${this.sortLimit}; this device has more.`);
    }
    return count;
  }

  /** The id of the operation after `after` (before it, descending): one one-item query. */
  private async nextOperationId(pk: string, after: string | undefined, descending: boolean): Promise<string | undefined> {
    const found = await this.edge(pk, after, descending);
    return found === undefined ? undefined : operationOfKey(found);
  }

  /** The first notification past the operation `after`, in the given direction. */
  private async edge(pk: string, after: string | undefined, descending: boolean): Promise<Item | undefined> {
    const boundary = after === undefined ? undefined : `${encodeURIComponent(after)}${OPERATION_SEPARATOR}`;
    const out = await this.send({
      TableName: this.tableName,
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, ...(boundary !== undefined ? { '#sk': TABLE.sortKey } : {}) },
      Limit: 1,
      ScanIndexForward: !descending,
      KeyConditionExpression: boundary === undefined ? '#pk = :pk' : descending ? '#pk = :pk AND #sk < :b' : '#pk = :pk AND #sk > :b',
      // Ascending, skip past every id of the previous operation: ids never contain '~'.
      ExpressionAttributeValues: { ':pk': pk, ...(boundary !== undefined ? { ':b': descending ? boundary : `${boundary}~` } : {}) },
    });
    return out.Items?.[0];
  }

  /** The operation after `after` in id order (before it, descending), with its first and latest notification. */
  private async nextOperation(pk: string, after: string | undefined, descending: boolean): Promise<OperationNotifications | undefined> {
    const found = await this.edge(pk, after, descending);
    if (!found) return undefined;
    const operationId = operationOfKey(found);
    const other = await this.send({
      TableName: this.tableName,
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
      Limit: 1,
      ScanIndexForward: descending,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': `${encodeURIComponent(operationId)}${OPERATION_SEPARATOR}` },
    });
    const end = other.Items?.[0] ?? found;
    return descending ? { operationId, first: end, latest: found } : { operationId, first: found, latest: end };
  }

  /** Every record of the scope, sorted on a stored attribute in memory; refused past `sortLimit`. */
  private async listSorted(scope: Scope, options: ListOptions): Promise<Page> {
    const query = this.queryFor(scope, options);
    const all: Item[] = [];
    let start: Key | undefined;
    do {
      const out = await this.send({ ...query, ...(start ? { ExclusiveStartKey: start } : {}) });
      all.push(...(out.Items ?? []));
      if (all.length > this.sortLimit) throw tooManyToSort(options.order, this.sortLimit);
      start = out.LastEvaluatedKey;
    } while (start);
    const sortKey = (item: Item) => String(item[TABLE.sortKey]);
    const sorted = sortInMemory(all, (item) => item[options.order] as string | number | undefined, sortKey, options.descending);
    return pageInMemory(sorted, (item) => [item[options.order] as string | number | undefined, sortKey(item)], options, fingerprint(query) + options.order);
  }

  private queryFor(scope: Scope, o: Pick<ListOptions, 'descending' | 'resource'>): QueryCommandInput {
    const names: Record<string, string> = { '#pk': TABLE.partitionKey };
    const values: Record<string, unknown> = { ':pk': scope.pk };
    let condition = '#pk = :pk';
    const prefix = scope.prefix ?? '';
    if (scope.from !== undefined || scope.to !== undefined) {
      names['#sk'] = TABLE.sortKey;
      values[':lo'] = prefix + (scope.from ?? '');
      values[':hi'] = prefix + (scope.to ?? '~');
      condition += ' AND #sk BETWEEN :lo AND :hi';
    } else if (scope.prefix !== undefined) {
      names['#sk'] = TABLE.sortKey;
      values[':prefix'] = scope.prefix;
      condition += ' AND begins_with(#sk, :prefix)';
    }
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: !o.descending,
    };
    if (o.resource !== undefined) {
      names['#res'] = ATTR.resource;
      values[':res'] = o.resource;
      input.FilterExpression = '#res = :res';
    }
    return input;
  }

  private async send(input: QueryCommandInput) {
    const out = await this.client.send(new QueryCommand(input));
    this.itemsRead += out.ScannedCount ?? (out.Items ?? []).length;
    return out;
  }

  /** The key after the first `offset` matching items, or 'end' when there are not that many. */
  private async skip(query: QueryCommandInput, offset: number): Promise<Key | 'end'> {
    let skipped = 0;
    let start: Key | undefined;
    while (skipped < offset) {
      // Without a filter, Limit counts exactly the items to skip; with one, it may stop short and go on.
      const out = await this.send({ ...query, Select: 'COUNT', Limit: offset - skipped, ...(start ? { ExclusiveStartKey: start } : {}) });
      skipped += out.Count ?? 0;
      start = out.LastEvaluatedKey;
      if (!start) return 'end';
    }
    return start!;
  }

  private async countQuery(query: QueryCommandInput): Promise<number> {
    let count = 0;
    let start: Key | undefined;
    do {
      const out = await this.send({ ...query, Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}) });
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  private async total(query: QueryCommandInput, options: ListOptions): Promise<{ totalCount?: number }> {
    return options.askTotalCount ? { totalCount: await this.countQuery(query) } : {};
  }
}

function tooManyToSort(order: string, limit: number) {
  return illegalArgument('sortParam', order, `This order is sorted at query time, for up to ${limit} records; this collection has more: sort by the default order (sentOn), which pages any size.`);
}

type SortValue = string | number | undefined;

function compare(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function sortInMemory<T>(all: T[], value: (t: T) => SortValue, tie: (t: T) => string, descending: boolean): T[] {
  const sign = descending ? -1 : 1;
  return [...all].sort((a, b) => sign * (compare(value(a), value(b)) || compare(tie(a), tie(b))));
}

/** A page of an in-memory sorted list, by offset or by a cursor naming the last position. */
function pageInMemory<T>(sorted: T[], position: (t: T) => [SortValue, string], options: ListOptions, print: string) {
  let start = options.offset;
  if (options.cursor !== undefined) {
    const [value, tie] = decodeSimpleCursor(options.cursor, print) as [SortValue, string];
    const sign = options.descending ? -1 : 1;
    start = sorted.findIndex((t) => {
      const [v, k] = position(t);
      return sign * (compare(v, value) || compare(k, tie)) > 0;
    });
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + options.limit);
  const limitExceeded = start + options.limit < sorted.length;
  return {
    items,
    limitExceeded,
    ...(limitExceeded ? { nextCursor: encodeSimpleCursor(position(items[items.length - 1]!), print) } : {}),
    ...(options.askTotalCount ? { totalCount: sorted.length } : {}),
  };
}

const operationOfKey = (item: Item) => operationOfSk(String(item[TABLE.sortKey]));

/** The table key of an item. */
function keyOf(item: Item): Key {
  return { [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] };
}

// A cursor names the query it belongs to, so it cannot be replayed against another partition,
// prefix, filter or direction (which could otherwise read across scopes).
function fingerprint(query: QueryCommandInput): string {
  return createHash('sha256')
    .update(JSON.stringify([query.KeyConditionExpression, query.ExpressionAttributeValues, query.ScanIndexForward, query.FilterExpression ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

const shortPrint = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

function encodeCursor(key: Key, query: QueryCommandInput): string {
  return Buffer.from(JSON.stringify({ k: key, f: fingerprint(query) })).toString('base64url');
}

function decodeCursor(cursor: string, query: QueryCommandInput): Key {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown; f?: unknown };
    const key = parsed.k as Key;
    const values = query.ExpressionAttributeValues as Record<string, unknown>;
    if (
      parsed.f === fingerprint(query) &&
      typeof key === 'object' &&
      key !== null &&
      key[TABLE.partitionKey] === values[':pk'] &&
      Object.keys(key).length === 2 &&
      typeof key[TABLE.sortKey] === 'string' &&
      Buffer.byteLength(key[TABLE.sortKey] as string) <= 1024 &&
      (values[':prefix'] === undefined || (key[TABLE.sortKey] as string).startsWith(values[':prefix'] as string)) &&
      (values[':lo'] === undefined || ((key[TABLE.sortKey] as string) >= (values[':lo'] as string) && (key[TABLE.sortKey] as string) <= (values[':hi'] as string)))
    ) {
      return key;
    }
  } catch {
    // fall through
  }
  throw illegalArgument('cursor', cursor, 'The cursor does not belong to this query.');
}

function encodeSimpleCursor(position: [SortValue, string], print: string): string {
  return Buffer.from(JSON.stringify({ p: position, f: shortPrint(print) })).toString('base64url');
}

function decodeSimpleCursor(cursor: string, print: string): [SortValue, string] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown; f?: unknown };
    const p = parsed.p;
    if (
      parsed.f === shortPrint(print) &&
      Array.isArray(p) &&
      p.length === 2 &&
      (p[0] === null || p[0] === undefined || typeof p[0] === 'string' || typeof p[0] === 'number') &&
      typeof p[1] === 'string' &&
      p[1].length <= 2048
    ) {
      return [p[0] ?? undefined, p[1]];
    }
  } catch {
    // fall through
  }
  throw illegalArgument('cursor', cursor, 'The cursor does not belong to this query.');
}
