import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { resourceKey, TABLE } from '../store/table';
import { illegalArgument } from './kapua';

type Key = Record<string, unknown>;

/** How a list is read: order, direction, optional resource, and where to start. */
export interface ListOptions {
  offset: number;
  limit: number;
  askTotalCount: boolean;
  /** `time`: sentOn (byTime); `created`: createdOn / receivedOn (byCreated); `key`: the sort key itself. */
  order: 'time' | 'created' | 'key';
  descending: boolean;
  resource?: string;
  /** An opaque cursor from a previous page (wins over offset). */
  cursor?: string;
}

export interface Page {
  items: Record<string, unknown>[];
  limitExceeded: boolean;
  nextCursor?: string;
  totalCount?: number;
}

/**
 * Reads callback records for the query API. Every read is a Query or GetItem on one partition
 * (or one resource of it, through the byResource* indexes): a page reads the items it returns
 * plus one to know whether more exist; an offset is skipped with a COUNT query (the skipped items
 * are read but not transferred); a cursor starts right after the last item returned, reading no
 * page twice. Counts use `Select: COUNT`.
 */
export class CallbackReader {
  /** Items read from DynamoDB since construction (for benchmarks: items read per item returned). */
  itemsRead = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(pk: string, options: ListOptions, projection?: string[]): Promise<Page> {
    const query = this.queryFor(pk, options);
    let start: Key | undefined;
    if (options.cursor !== undefined) start = decodeCursor(options.cursor, query);
    else if (options.offset > 0) {
      const skipped = await this.skip(query, options.offset);
      if (skipped === 'end') return { items: [], limitExceeded: false, ...(await this.total(query, options)) };
      start = skipped;
    }

    const items: Record<string, unknown>[] = [];
    do {
      const out = await this.send({
        ...query,
        Limit: options.limit + 1 - items.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
        ...(projection ? projectionOf(projection, query) : {}),
      });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (items.length <= options.limit && start);

    const limitExceeded = items.length > options.limit;
    const page = items.slice(0, options.limit);
    return {
      items: page,
      limitExceeded,
      ...(limitExceeded ? { nextCursor: encodeCursor(keyOf(page[page.length - 1]!, query), query) } : {}),
      ...(await this.total(query, options)),
    };
  }

  /** The number of records under the partition (or one resource of it). */
  async count(pk: string, resource?: string): Promise<number> {
    return this.countQuery(this.queryFor(pk, { order: resource === undefined ? 'key' : 'time', descending: false, resource }));
  }

  async get(pk: string, id: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: id } }));
    if (out.Item) this.itemsRead++;
    return out.Item;
  }

  /** Deletes one record; false when it was not there. */
  async delete(pk: string, id: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: id },
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

  private queryFor(pk: string, o: Pick<ListOptions, 'order' | 'descending' | 'resource'>): QueryCommandInput {
    if (o.order === 'key') {
      if (o.resource !== undefined) throw illegalArgument('resource', o.resource, 'This collection has no resources.');
      return {
        TableName: this.tableName,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': TABLE.partitionKey },
        ExpressionAttributeValues: { ':k': pk },
        ScanIndexForward: !o.descending,
      };
    }
    const byResource = o.resource !== undefined;
    const indexName = byResource ? (o.order === 'time' ? 'byResourceTime' : 'byResourceCreated') : o.order === 'time' ? 'byTime' : 'byCreated';
    const keyAttribute = byResource ? TABLE.globalIndexes.byResourceTime.partitionKey : TABLE.partitionKey;
    return {
      TableName: this.tableName,
      IndexName: indexName,
      KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': keyAttribute },
      ExpressionAttributeValues: { ':k': byResource ? resourceKey(pk, o.resource!) : pk },
      ScanIndexForward: !o.descending,
    };
  }

  private async send(input: QueryCommandInput) {
    const out = await this.client.send(new QueryCommand(input));
    this.itemsRead += input.Select === 'COUNT' ? (out.ScannedCount ?? 0) : (out.Items ?? []).length;
    return out;
  }

  /** The key after the first `offset` items, or 'end' when there are not that many. */
  private async skip(query: QueryCommandInput, offset: number): Promise<Key | 'end'> {
    let skipped = 0;
    let start: Key | undefined;
    while (skipped < offset) {
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

/** The attributes of an index's key for an item: the table key plus the index's own keys. */
function keyOf(item: Record<string, unknown>, query: QueryCommandInput): Key {
  const attributes = new Set<string>([TABLE.partitionKey, TABLE.sortKey]);
  const name = query.IndexName as keyof typeof TABLE.indexes | keyof typeof TABLE.globalIndexes | undefined;
  if (name === undefined) {
    // the table's own key
  } else if (name in TABLE.indexes) attributes.add(TABLE.indexes[name as keyof typeof TABLE.indexes]);
  else {
    const g = TABLE.globalIndexes[name as keyof typeof TABLE.globalIndexes];
    attributes.add(g.partitionKey).add(g.sortKey);
  }
  return Object.fromEntries([...attributes].map((a) => [a, item[a]]));
}

/** A list projection that still returns the attributes a cursor needs. */
function projectionOf(attributes: string[], query: QueryCommandInput) {
  const all = new Set([...attributes, ...Object.keys(keyOf({}, query))]);
  const names = Object.fromEntries([...all].map((a, i) => [`#p${i}`, a]));
  return {
    ProjectionExpression: Object.keys(names).join(', '),
    ExpressionAttributeNames: { ...query.ExpressionAttributeNames, ...names },
  };
}

// A cursor names the query it belongs to, so it cannot be replayed against another partition,
// index or direction (which could otherwise read across scopes).
function fingerprint(query: QueryCommandInput): string {
  return createHash('sha256')
    .update(JSON.stringify([query.IndexName, query.ExpressionAttributeValues, query.ScanIndexForward]))
    .digest('base64url')
    .slice(0, 16);
}

function encodeCursor(key: Key, query: QueryCommandInput): string {
  return Buffer.from(JSON.stringify({ k: key, f: fingerprint(query) })).toString('base64url');
}

function decodeCursor(cursor: string, query: QueryCommandInput): Key {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown; f?: unknown };
    const key = parsed.k as Key;
    const expected = keyOf({}, query);
    const partition = (query.ExpressionAttributeNames as Record<string, string>)['#k']!;
    if (
      parsed.f === fingerprint(query) &&
      key?.[partition] === (query.ExpressionAttributeValues as Record<string, unknown>)[':k'] &&
      typeof key === 'object' &&
      key !== null &&
      Object.keys(key).length === Object.keys(expected).length &&
      Object.entries(key).every(([k, v]) => k in expected && typeof v === 'string' && v.length <= 2048)
    ) {
      return key;
    }
  } catch {
    // fall through
  }
  throw illegalArgument('cursor', cursor, 'The cursor does not belong to this query.');
}
