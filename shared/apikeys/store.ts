import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { API_KEY_PK, TABLE } from '../store/table';

/** What a key may do. */
export interface ApiKeyGrant {
  /** The short, public id of the key (the first 12 hex characters of its hash). */
  id: string;
  label: string;
  /** The scopes (ThingSpace accounts, SENSORO AppIDs) the key may read. */
  scopes: string[];
  /** Whether it may DELETE notifications and events. */
  canDelete: boolean;
  createdOn: string;
}

/** Every key starts with this: anything else is not one of ours. */
export const KEY_PREFIX = 'igw_';

/** A new key: 32 random bytes, base64url, with a recognisable prefix (so a leaked one is easy to grep for). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of the key: what is stored and looked up. Keys are 256-bit random, so a fast hash suffices. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * API keys in the table, one item per key in the `APIKEY` partition, sort key = the key's hash;
 * the key itself is never stored. Lookup is a GetItem; listing a Query of that one partition.
 */
export class ApiKeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates a key; returns it (shown once) with its grant. */
  async create(input: { scopes: string[]; label?: string; canDelete?: boolean }, now = new Date()): Promise<{ key: string; grant: ApiKeyGrant }> {
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0 || !scopes.every((s) => SCOPE.test(s))) throw new Error('Each scope must be an account or AppID (letters, digits, . _ -)');
    const key = generateApiKey();
    const hash = hashApiKey(key);
    const grant: ApiKeyGrant = {
      id: hash.slice(0, 12),
      label: (input.label ?? '').slice(0, 200),
      scopes,
      canDelete: input.canDelete ?? false,
      createdOn: now.toISOString(),
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [TABLE.partitionKey]: API_KEY_PK, [TABLE.sortKey]: hash, type: 'apikey', ...grant },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      }),
    );
    return { key, grant };
  }

  /** The grant of a presented key, or undefined when it is unknown or revoked. */
  async find(key: string): Promise<ApiKeyGrant | undefined> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
    return this.findByHash(hashApiKey(key));
  }

  /** The grant of the key with this hash (for callers that hashed it already). */
  async findByHash(hash: string): Promise<ApiKeyGrant | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: API_KEY_PK, [TABLE.sortKey]: hash } }));
    return out.Item ? toGrant(out.Item) : undefined;
  }

  /** Every key's grant (never the key). */
  async list(): Promise<ApiKeyGrant[]> {
    const grants: ApiKeyGrant[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': API_KEY_PK },
          ExclusiveStartKey: start,
        }),
      );
      grants.push(...(out.Items ?? []).map(toGrant));
      start = out.LastEvaluatedKey;
    } while (start);
    return grants.sort((a, b) => a.createdOn.localeCompare(b.createdOn));
  }

  /** Revokes the key with this id; false when there is none. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f]{12}$/.test(id)) return false;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :id)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': API_KEY_PK, ':id': id },
      }),
    );
    for (const item of out.Items ?? []) {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: API_KEY_PK, [TABLE.sortKey]: item[TABLE.sortKey] as string } }),
      );
    }
    return (out.Items ?? []).length > 0;
  }
}

function toGrant(item: Record<string, unknown>): ApiKeyGrant {
  return {
    id: String(item.id),
    label: typeof item.label === 'string' ? item.label : '',
    scopes: Array.isArray(item.scopes) ? item.scopes.map(String) : [],
    canDelete: item.canDelete === true,
    createdOn: typeof item.createdOn === 'string' ? item.createdOn : '',
  };
}
