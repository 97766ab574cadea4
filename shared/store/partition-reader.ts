import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { envInt } from '../config';
import { STATUS_CODES } from './callback-store';
import { InvalidCursorError, OffsetTooDeepError, TooManyToCountError, TooManyToSortError } from './errors';
import { ATTR, operationOfSk, OPERATION_SEPARATOR, TABLE } from './table';

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
  /**
   * On the operations of a page (not of a count or a sort), when the latest notification is not
   * terminal: the latest terminal one (COMPLETED or FAILED) in key order, if any. An operation is
   * terminal once any of its notifications is: a RUNNING that sorts after it (the same millisecond,
   * a later stamp, a redelivery) never undoes it.
   */
  terminal?: Item;
}

/**
 * Records a filtered list reads per Query call after its first (which reads just what the page
 * needs): a filter that discards most records reaches its matches in few calls.
 */
const FILTER_PAGE = 100;

/** Status codes of terminal notifications (./callback-store.ts). */
const TERMINAL_CODES: readonly string[] = [STATUS_CODES.COMPLETED, STATUS_CODES.FAILED];

/**
 * Pages of the search for an operation's latest terminal notification, descending from its latest:
 * small first (a terminal notification is usually right behind a late RUNNING), then larger, then
 * DynamoDB's own 1 MB page.
 */
const TERMINAL_SEARCH_PAGES = [10, 100];

/**
 * Reads the items of one partition for CallbackRecords (./callback-records.ts). The table has no index, so every read is a Query or
 * GetItem on one partition, in the order of its sort key:
 * - in key order (the `sentOn` order of events and notifications) a page reads the items it
 *   returns plus one, to know whether more exist; an offset is skipped with a COUNT query (the
 *   skipped items are read but not transferred); a cursor starts right after the last item
 *   returned. A `resource` filter is a FilterExpression: it reads the records it discards, in
 *   pages of FILTER_PAGE records after the first, at most `filterCalls` Query calls per request
 *   (the offset's skip included); a request that reaches the bound answers what it found with
 *   `limitExceeded` and a cursor from where it stopped (carrying what is left of the offset).
 * - in any other order (receive time, last checked, ...) the whole partition (or operation) is
 *   read and sorted in memory, up to `sortLimit` records: past that the order is refused
 *   (TooManyToSortError, which the query API answers with a 400 naming `sortParam`). That keeps
 *   the write path free of any index, at a cost paid only by the rare queries that ask for
 *   another order.
 * - a device's operations are the distinct operation prefixes of its notification partition,
 *   found by skipping from one operation to the next (two one-item queries per operation); for
 *   an operation of the page whose latest notification is not terminal, one more descending query
 *   filtered on the status finds its latest terminal one (it reads the notifications in between).
 */
export class PartitionReader {
  /** Items read from DynamoDB since construction (for benchmarks: items read per item returned). */
  itemsRead = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sortLimit = 2_000,
    /** Query calls one filtered list request makes at most (QUERY_FILTER_MAX_CALLS, default 10). */
    private readonly filterCalls = envInt('QUERY_FILTER_MAX_CALLS', 10, { min: 1, max: 1_000 }),
  ) {}

  async list(scope: Scope, options: ListOptions): Promise<Page> {
    if (options.order !== 'key') return this.listSorted(scope, options);
    const query = this.queryFor(scope, options);
    // A filter reads the records it discards: its reads are bounded per request (none without one,
    // where a page reads what it returns plus one).
    const filtered = query.FilterExpression !== undefined;
    const budget = { left: filtered ? this.filterCalls : Infinity };
    let start: Key | undefined;
    let toSkip = options.offset;
    if (options.cursor !== undefined) ({ key: start, skip: toSkip } = decodeCursor(options.cursor, query));
    if (toSkip > 0) {
      const skipped = filtered ? await this.skipFiltered(query, toSkip, start, budget) : await this.skip(query, toSkip, start);
      if (skipped === 'end') return { items: [], limitExceeded: false, ...(await this.total(query, options)) };
      if (skipped.left > 0) {
        // The bound was reached while skipping: the cursor goes on from there, with what is left to skip.
        return { items: [], limitExceeded: true, nextCursor: encodeCursor(skipped.at, query, skipped.left), ...(await this.total(query, options)) };
      }
      start = skipped.at;
    }

    const items: Item[] = [];
    let more = true;
    for (let call = 0; budget.left > 0; call++) {
      const wanted = options.limit + 1 - items.length;
      // With a filter, the first call reads what the page needs (enough when most records match),
      // the next ones FILTER_PAGE records at least.
      const limit = filtered && call > 0 ? Math.max(wanted, FILTER_PAGE) : wanted;
      budget.left--;
      const out = await this.send({ ...query, Limit: limit, ...(start ? { ExclusiveStartKey: start } : {}) });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (!start) more = false;
      if (!more || items.length > options.limit) break;
    }

    if (items.length > options.limit) {
      // A page read past its last item (a filter's page over-reads): the cursor resumes right after
      // the last item returned, so no match read beyond it is skipped.
      const page = items.slice(0, options.limit);
      return { items: page, limitExceeded: true, nextCursor: encodeCursor(keyOf(page[page.length - 1]!), query), ...(await this.total(query, options)) };
    }
    if (more) {
      // The bound was reached before the page was full: every record up to `start` was read, and
      // those that match are all here. The cursor goes on from `start`.
      return { items, limitExceeded: true, nextCursor: encodeCursor(start!, query), ...(await this.total(query, options)) };
    }
    return { items, limitExceeded: false, ...(await this.total(query, options)) };
  }

  /** The number of records in the scope (of one resource, when given). */
  async count(scope: Scope, resource?: string): Promise<number> {
    return this.countQuery(this.queryFor(scope, { descending: false, resource }));
  }

  /** Whether the partition holds any record (one one-item query). */
  async any(pk: string): Promise<boolean> {
    return (await this.first(pk)) !== undefined;
  }

  /** The partition's first item in key order (its last, `descending`): one one-item query. */
  async first(pk: string, descending = false): Promise<Item | undefined> {
    const out = await this.send({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      ExpressionAttributeValues: { ':pk': pk },
      ScanIndexForward: !descending,
      Limit: 1,
    });
    return out.Items?.[0];
  }

  /** One item by key; `consistent` reads it strongly consistent (a delete just made is seen). */
  async get(pk: string, sk: string, consistent = false): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk }, ...(consistent ? { ConsistentRead: true } : {}) }),
    );
    if (out.Item) this.itemsRead++;
    return out.Item;
  }

  /** Writes one item (the query API's only write: a body kept when the event holding it is deleted, for as long as other events reference it). */
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
  async operations(
    pk: string,
    options: ListOptions,
    sortValue?: (op: OperationNotifications) => string | number | undefined,
  ): Promise<{ items: OperationNotifications[]; limitExceeded: boolean; nextCursor?: string; totalCount?: number }> {
    const fingerprintOf = `${pk}\u0000operations\u0000${options.order}\u0000${options.descending}`;
    if (options.order !== 'key') {
      const all: OperationNotifications[] = [];
      for (let after: string | undefined; ;) {
        const next = await this.nextOperation(pk, after, false);
        if (!next) break;
        all.push(next);
        if (all.length > this.sortLimit) throw tooManyToSort(options.order, this.sortLimit);
        after = next.operationId;
      }
      const sorted = sortInMemory(
        all,
        (op) => sortValue?.(op),
        (op) => op.operationId,
        options.descending,
      );
      const page = pageInMemory(sorted, (op) => [sortValue?.(op), op.operationId], options, fingerprintOf);
      await this.withTerminals(pk, page.items);
      return page;
    }

    let after: string | undefined;
    if (options.cursor !== undefined) {
      after = decodeSimpleCursor(options.cursor, fingerprintOf)[1];
      if (!OPERATION_ID.test(after)) throw new InvalidCursorError(options.cursor);
    } else {
      // Each skipped operation is a query of its own: deep offsets are refused, the cursor pages any depth.
      if (options.offset > this.sortLimit) throw new OffsetTooDeepError(options.offset, this.sortLimit);
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
    await this.withTerminals(pk, page);
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
      if (++count > this.sortLimit) throw new TooManyToCountError(this.sortLimit);
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

  /** Sets `terminal` on the operations whose latest notification is not terminal (the operations of one page). */
  private async withTerminals(pk: string, operations: OperationNotifications[]): Promise<void> {
    await Promise.all(
      operations.map(async (op) => {
        if (TERMINAL_CODES.includes(String(op.latest[ATTR.status]))) return;
        const terminal = await this.latestTerminal(pk, op);
        if (terminal) op.terminal = terminal;
      }),
    );
  }

  /**
   * The latest terminal notification of an operation, read backwards from just before its latest
   * one, filtered on the status: it reads the notifications between the latest and that one (all of
   * them when none is terminal), in pages of 10, then 100, then 1 MB, and stops at the first found.
   */
  private async latestTerminal(pk: string, op: OperationNotifications): Promise<Item | undefined> {
    let start: Key | undefined = keyOf(op.latest);
    for (let call = 0; start; call++) {
      const limit = TERMINAL_SEARCH_PAGES[call];
      const out = await this.send({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
        FilterExpression: '#t IN (:c, :f)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey, '#t': ATTR.status },
        ExpressionAttributeValues: {
          ':pk': pk,
          ':p': `${encodeURIComponent(op.operationId)}${OPERATION_SEPARATOR}`,
          ':c': TERMINAL_CODES[0],
          ':f': TERMINAL_CODES[1],
        },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
        ...(limit !== undefined ? { Limit: limit } : {}),
      });
      const found = out.Items?.[0];
      if (found) return found;
      start = out.LastEvaluatedKey;
    }
    return undefined;
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

  /** The key of the `offset`-th item (after `start`), or 'end' when there are not that many (no filter: Limit counts exactly). */
  private async skip(query: QueryCommandInput, offset: number, start: Key | undefined): Promise<{ at: Key; left: number } | 'end'> {
    let skipped = 0;
    while (skipped < offset) {
      const out = await this.send({ ...query, Select: 'COUNT', Limit: offset - skipped, ...(start ? { ExclusiveStartKey: start } : {}) });
      skipped += out.Count ?? 0;
      start = out.LastEvaluatedKey;
      if (!start) return 'end';
    }
    return { at: start!, left: 0 };
  }

  /**
   * With a filter, the key of the `offset`-th match (after `start`): keys only, in pages of
   * FILTER_PAGE records at least after the first (a count could not say where within an
   * over-read page the offset falls), within the request's bound; when the bound is reached
   * first, where it stopped and how many matches are still `left` to skip.
   */
  private async skipFiltered(
    query: QueryCommandInput,
    offset: number,
    start: Key | undefined,
    budget: { left: number },
  ): Promise<{ at: Key; left: number } | 'end'> {
    let skipped = 0;
    for (let call = 0; ; call++) {
      if (budget.left <= 0) return { at: start!, left: offset - skipped };
      budget.left--;
      const out = await this.send({
        ...query,
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { ...query.ExpressionAttributeNames, '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        // As a page: the first call reads just the offset (enough when most records match), the next ones more.
        Limit: call > 0 ? Math.max(offset - skipped, FILTER_PAGE) : offset - skipped,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      const keys = out.Items ?? [];
      if (skipped + keys.length >= offset) return { at: keyOf(keys[offset - skipped - 1]!), left: 0 };
      skipped += keys.length;
      start = out.LastEvaluatedKey;
      if (!start) return 'end';
    }
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
  return new TooManyToSortError(order, limit);
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

/** A cursor: the key to go on after and, when a bounded skip stopped on the way, the matches still to skip. */
function encodeCursor(key: Key, query: QueryCommandInput, skip = 0): string {
  return Buffer.from(JSON.stringify({ k: keyOf(key), f: fingerprint(query), ...(skip > 0 ? { s: skip } : {}) })).toString('base64url');
}

function decodeCursor(cursor: string, query: QueryCommandInput): { key: Key; skip: number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown; f?: unknown; s?: unknown };
    const key = parsed.k as Key;
    const skip = parsed.s ?? 0;
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
      (values[':lo'] === undefined ||
        ((key[TABLE.sortKey] as string) >= (values[':lo'] as string) && (key[TABLE.sortKey] as string) <= (values[':hi'] as string))) &&
      Number.isInteger(skip) &&
      (skip as number) >= 0 &&
      (skip as number) <= 1_000_000
    ) {
      return { key, skip: skip as number };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError(cursor);
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
      return [(p[0] as SortValue | null) ?? undefined, p[1]];
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError(cursor);
}
