import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ensureTable } from '../../local/table';
import { createDynamoClient } from '../../shared/aws/clients';
import { toRecords } from '../../shared/mapping';
import type { ReceivedCallback } from '../../shared/model';
import { CallbackStore, StoreUnavailableError } from '../../shared/store/callback-store';
import { eventPk, notificationPk, operationPk, TABLE } from '../../shared/store/table';
import { startEngine } from '../support/engine';

// Real engine: dynalite in-process on loopback, or DynamoDB Local when DYNAMODB_ENDPOINT is set.
let engine: Awaited<ReturnType<typeof startEngine>>;
let client: DynamoDBDocumentClient;
const tableName = `store-test-${randomUUID()}`;
const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

beforeAll(async () => {
  Object.assign(process.env, env);
  engine = await startEngine();
  client = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: engine.endpoint });
  const admin = new DynamoDBClient({ endpoint: engine.endpoint });
  await ensureTable(admin, tableName);
  admin.destroy();
});
afterAll(async () => {
  client.destroy();
  await engine.stop();
});

const SCOPE = '0212312345-00001';

function callback(body: string, device = 'dev#1', op = 'op/1', sentOn = '2026-11-21T10:00:00.000Z', receivedOn = new Date('2026-11-21T12:00:00Z')) {
  const received: ReceivedCallback = { provider: 'thingspace', channel: 'diagnostics', scopeId: SCOPE, body: Buffer.from(body), receivedOn };
  return toRecords(received, {
    devices: [{ id: device, kind: 'imei' }],
    resource: 'diagnostics',
    action: 'observation',
    sentOn: new Date(sentOn),
    payload: () => ({ n: 1 }),
    operation: { id: op, status: 'RUNNING', progress: 0 },
  });
}

async function countUnder(pk: string): Promise<number> {
  const out = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Select: 'COUNT' }));
  return out.Count ?? 0;
}

describe('CallbackStore on a real engine', () => {
  const store = () => new CallbackStore(client, { tableName, retentionDays: 30 });

  it('stores a callback once; a redelivery writes nothing and says so', async () => {
    const mapped = callback('{"a":1}', 'dev-once');
    await expect(store().save(mapped, new Date('2026-11-21T12:00:00Z'))).resolves.toEqual({ stored: 2, duplicates: 0 });
    await expect(store().save(mapped, new Date('2026-11-21T12:05:00Z'))).resolves.toEqual({ stored: 0, duplicates: 2 });
    expect(await countUnder(eventPk(SCOPE, 'dev-once'))).toBe(1);
    expect(await countUnder(notificationPk(SCOPE, 'dev-once', 'op/1'))).toBe(1);
    const item = await client.send(new GetCommand({ TableName: tableName, Key: { pk: eventPk(SCOPE, 'dev-once'), sk: mapped.events[0]!.id } }));
    // The first delivery's receive time stays; the TTL is 30 days after it.
    expect(item.Item).toMatchObject({ rawBody: '{"a":1}', receivedOn: '2026-11-21T12:00:00.000Z', expiresAt: Date.parse('2026-11-21T12:00:00Z') / 1000 + 30 * 86_400 });
  });

  it('completes an interrupted write on retry and still stores each record once', async () => {
    const mapped = callback('{"b":2}', 'dev-retry');
    // Fault injection: a client whose second write fails, as a dropped connection would.
    const faulty = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: engine.endpoint });
    let writes = 0;
    faulty.middlewareStack.add(
      (next) => async (args) => {
        if (++writes === 2) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return next(args);
      },
      { step: 'initialize', name: 'failSecondWrite' },
    );
    await expect(new CallbackStore(faulty, { tableName, retentionDays: 0 }).save(mapped, new Date())).rejects.toBeInstanceOf(StoreUnavailableError);
    faulty.destroy();
    const retry = await store().save(mapped, new Date());
    expect(retry.stored + retry.duplicates).toBe(2);
    expect(retry.stored).toBeGreaterThanOrEqual(1);
    expect(await countUnder(eventPk(SCOPE, 'dev-retry'))).toBe(1);
    expect(await countUnder(notificationPk(SCOPE, 'dev-retry', 'op/1'))).toBe(1);
    expect(await countUnder(operationPk(SCOPE, 'dev-retry'))).toBe(1);
  });

  it('keeps the operation summary at the latest notification whatever the arrival order', async () => {
    const newer = callback('{"c":"newer"}', 'dev-order', 'op-x', '2026-11-21T10:00:05.000Z');
    const older = callback('{"c":"older"}', 'dev-order', 'op-x', '2026-11-21T10:00:01.000Z');
    await store().save(newer, new Date());
    await store().save(older, new Date());
    await store().save(newer, new Date());
    const summary = await client.send(new GetCommand({ TableName: tableName, Key: { pk: operationPk(SCOPE, 'dev-order'), sk: 'op-x' } }));
    expect(summary.Item).toMatchObject({ lastSentOn: '2026-11-21T10:00:05.000Z', lastNotificationId: newer.notifications[0]!.id, status: 'RUNNING' });
  });

  it('serves notifications of an operation in sentOn order through the byTime index (a Query, not a Scan)', async () => {
    const times = ['2026-11-21T10:00:03.000Z', '2026-11-21T10:00:01.000Z', '2026-11-21T10:00:02.000Z'];
    for (const [i, t] of times.entries()) await store().save(callback(`{"seq":${i}}`, 'dev-sorted', 'op-s', t), new Date());
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byTime',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': notificationPk(SCOPE, 'dev-sorted', 'op-s') },
      }),
    );
    expect(out.Items?.map((i) => i.sentOn)).toEqual([...times].sort());
    expect(out.Items?.every((i) => i[TABLE.indexes.byTime].startsWith(i.sentOn))).toBe(true);
  });

  it('keeps ids with separators apart: device "a#b" op "c" and device "a" op "b#c" do not collide', () => {
    expect(notificationPk(SCOPE, 'a#b', 'c')).not.toBe(notificationPk(SCOPE, 'a', 'b#c'));
  });

  it('reports the table being unreachable as StoreUnavailableError', async () => {
    const dead = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_MAX_ATTEMPTS: '1' });
    await expect(new CallbackStore(dead, { tableName, retentionDays: 0 }).save(callback('{"d":4}'), new Date())).rejects.toBeInstanceOf(StoreUnavailableError);
    dead.destroy();
  });
});
