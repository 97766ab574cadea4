import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../shared/store/table';

/** One DynamoDB request as the engine answered it: what it consumed, per table and per index. */
export interface CapacityEntry {
  command: string;
  /** The partition key the request named (Key, Item or `:pk`), to tell requests apart. */
  pk?: string;
  readUnits: number;
  writeUnits: number;
  /** Units per index (none in the lean layout; kept so a new index shows at once). */
  indexes: Record<string, number>;
  /** DynamoDB's size of the item a PutItem wrote (names + values + 100 bytes of overhead). */
  itemBytes?: number;
  /** The attribute names of the item a PutItem wrote. */
  attributes?: string[];
  /** Its TTL (epoch seconds), when it has one. */
  expiresAt?: number;
  failed?: string;
}

/** Everything recorded since `mark()`. */
export const meter = {
  entries: [] as CapacityEntry[],
  mark(): number {
    return this.entries.length;
  },
  since(mark: number): CapacityEntry[] {
    return this.entries.slice(mark);
  },
};

const CAPACITY_COMMANDS = new Set(['PutItemCommand', 'GetItemCommand', 'QueryCommand', 'DeleteItemCommand', 'UpdateItemCommand', 'ScanCommand']);
const installed = new WeakSet<object>();

/**
 * Asks every DynamoDB request this process makes for `ReturnConsumedCapacity: 'INDEXES'` and
 * records the answer: an SDK middleware, added to the middleware stack of each client (the
 * gateway's handlers build theirs when their modules load) the first time it sends. The bench only:
 * production code never asks for capacity.
 */
export function installCapacityMeter(): void {
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: unknown[]) => unknown };
  const send = base.send;
  base.send = function meteredSend(this: { middlewareStack: { add: (...a: unknown[]) => void } }, ...args: unknown[]) {
    if (!installed.has(this.middlewareStack)) {
      installed.add(this.middlewareStack);
      this.middlewareStack.add(capacityMiddleware, { step: 'serialize', priority: 'high', name: 'benchCapacityMeter' });
    }
    return send.apply(this, args);
  };
}

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

function capacityMiddleware(next: Next, context: { commandName?: string }) {
  return async (args: { input: Record<string, unknown> }) => {
    const command = context.commandName ?? '';
    if (!CAPACITY_COMMANDS.has(command)) return next(args);
    args.input.ReturnConsumedCapacity = 'INDEXES';
    const entry: CapacityEntry = { command, pk: partitionOf(args.input), readUnits: 0, writeUnits: 0, indexes: {} };
    if (command === 'PutItemCommand') {
      entry.itemBytes = itemSize(args.input.Item as Record<string, unknown>);
      entry.attributes = Object.keys(args.input.Item as object);
      const ttl = (args.input.Item as Record<string, unknown>)[TABLE.ttlAttribute];
      if (typeof ttl === 'number') entry.expiresAt = ttl;
    }
    try {
      const result = await next(args);
      addCapacity(entry, result.output.ConsumedCapacity);
      meter.entries.push(entry);
      return result;
    } catch (error) {
      entry.failed = (error as { name?: string }).name ?? 'Error';
      // A failed conditional write is billed as a write of the item: DynamoDB Local says so in the error when it can.
      addCapacity(entry, (error as { ConsumedCapacity?: unknown }).ConsumedCapacity);
      meter.entries.push(entry);
      throw error;
    }
  };
}

function addCapacity(entry: CapacityEntry, consumed: unknown): void {
  const c = consumed as
    | {
        ReadCapacityUnits?: number;
        WriteCapacityUnits?: number;
        CapacityUnits?: number;
        GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
        LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
      }
    | undefined;
  if (!c) return;
  const reads = entry.command === 'GetItemCommand' || entry.command === 'QueryCommand' || entry.command === 'ScanCommand';
  const units = c.CapacityUnits ?? (reads ? c.ReadCapacityUnits : c.WriteCapacityUnits) ?? 0;
  if (reads) entry.readUnits += units;
  else entry.writeUnits += units;
  for (const [name, index] of [...Object.entries(c.GlobalSecondaryIndexes ?? {}), ...Object.entries(c.LocalSecondaryIndexes ?? {})]) {
    entry.indexes[name] = (entry.indexes[name] ?? 0) + (index.CapacityUnits ?? 0);
  }
}

function partitionOf(input: Record<string, unknown>): string | undefined {
  const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  const pk = key?.pk ?? values?.[':pk'];
  return typeof pk === 'string' ? pk : isAttributeValue(pk) && 'S' in pk ? pk.S : undefined;
}

/**
 * DynamoDB's item size: attribute names and values in bytes, plus the 100 bytes it bills per item
 * for storage. Takes the item as the SDK sends it, plain (DocumentClient) or as AttributeValues.
 */
export function itemSize(item: Record<string, unknown>): number {
  return 100 + Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

const ATTRIBUTE_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);
function isAttributeValue(value: unknown): value is AttributeValue {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ATTRIBUTE_TYPES.has(keys[0]!);
}

function valueSize(value: unknown): number {
  if (isAttributeValue(value)) {
    const [type, inner] = Object.entries(value as unknown as Record<string, unknown>)[0]!;
    if (type === 'N') return numberSize(String(inner));
    if (type === 'L') return valueSize(inner);
    if (type === 'M') return valueSize(inner);
    return valueSize(inner);
  }
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return numberSize(String(value));
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((s: number, v) => s + 1 + valueSize(v), 0);
  if (value instanceof Set) return [...value].reduce((s: number, v) => s + valueSize(v), 0);
  if (typeof value === 'object') return 3 + Object.entries(value).reduce((s, [k, v]) => s + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  return 0;
}

/** A number is stored as up to 38 significant digits, two per byte, plus one byte. */
function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace(/\./, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}
