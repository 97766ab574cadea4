import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ensureTable } from '../../local/table';
import { acceptCallback } from '../../shared/accept';
import { createDynamoClient } from '../../shared/aws/clients';
import { ServiceUnavailableError } from '../../shared/errors';
import { toRecords, type CallbackFacts } from '../../shared/mapping';
import type { ReceivedCallback } from '../../shared/model';
import { CallbackStore, StoreUnavailableError } from '../../shared/store/callback-store';
import { timeOfId } from '../../shared/record-ids';
import { ATTR, eventPk, notificationPk, operationPrefix, receiptPk, TABLE } from '../../shared/store/table';
import { startEngine } from '../support/engine';
import { storedEvents, storedNotifications } from '../support/records';

// Real engine: dynalite in-process on loopback, or DynamoDB Local when DYNAMODB_ENDPOINT is set.
let engine: Awaited<ReturnType<typeof startEngine>>;
let client: DynamoDBDocumentClient;
const tableName = `store-test-${randomUUID()}`;
const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

beforeAll(async () => {
  Object.assign(process.env, env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
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
const store = (db = client) => new CallbackStore(db, { tableName, retentionDays: 30 });

function received(body: string, receivedOn = new Date('2026-11-21T12:00:00Z')): ReceivedCallback {
  return { provider: 'thingspace', channel: 'diagnostics', scopeId: SCOPE, body: Buffer.from(body), receivedOn };
}

function facts(device = 'dev#1', op: string | undefined = 'op/1', sentOn: string | null = '2026-11-21T10:00:00.000Z', devices = [device]): CallbackFacts {
  return {
    devices: devices.map((id) => ({ id, kind: 'imei' })),
    resource: 'diagnostics',
    action: 'observation',
    sentOn: sentOn === null ? undefined : new Date(sentOn),
    payload: () => ({ n: 1 }),
    operation: op === undefined ? undefined : { id: op, status: 'RUNNING', progress: 0, message: 'observed X' },
  };
}

async function countUnder(pk: string, prefix?: string): Promise<number> {
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ...(prefix === undefined ? {} : { ':p': prefix }) },
      Select: 'COUNT',
    }),
  );
  return out.Count ?? 0;
}

/** A client whose n-th call fails as a dropped connection would (fault injection). */
function failingOnCall(n: number): DynamoDBDocumentClient {
  const faulty = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: engine.endpoint });
  let calls = 0;
  faulty.middlewareStack.add(
    (next) => async (args) => {
      if (++calls === n) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return next(args);
    },
    { step: 'initialize', name: `failCall${n}` },
  );
  return faulty;
}

describe('CallbackStore on a real engine (lean layout)', () => {
  it('stores a callback once; a redelivery writes nothing and says so', async () => {
    const mapped = toRecords(received('{"a":1}'), facts('dev-once'));
    await expect(store().save(mapped)).resolves.toEqual({ stored: 2, duplicates: 0 });
    const later = toRecords(received('{"a":1}', new Date('2026-11-21T12:05:00Z')), facts('dev-once'));
    expect(later.messageId).toBe(mapped.messageId);
    await expect(store().save(later)).resolves.toEqual({ stored: 0, duplicates: 2 });
    expect(await countUnder(eventPk(SCOPE, 'dev-once'))).toBe(1);
    expect(await countUnder(notificationPk(SCOPE, 'dev-once'), operationPrefix('op/1'))).toBe(1);
    // The first delivery's receive time stays; the TTL is 30 days after it; the body is stored compressed, once.
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: eventPk(SCOPE, 'dev-once'), sk: mapped.messageId } }))).Item!;
    expect(item[ATTR.receivedOn]).toBe(Date.parse('2026-11-21T12:00:00Z'));
    expect(item[TABLE.ttlAttribute]).toBe(Date.parse('2026-11-21T12:00:00Z') / 1000 + 30 * 86_400);
    expect(item[ATTR.body]).toBeInstanceOf(Uint8Array);
    const [event] = await storedEvents(client, tableName, SCOPE, 'dev-once');
    expect(event).toMatchObject({
      rawBody: '{"a":1}',
      receivedOn: '2026-11-21T12:00:00.000Z',
      sentOn: '2026-11-21T10:00:00.000Z',
      deviceKind: 'imei',
      resource: 'diagnostics',
    });
  });

  it('completes an interrupted write on retry and still stores each record once', async () => {
    const mapped = toRecords(received('{"b":2}'), facts('dev-retry'));
    const faulty = failingOnCall(2);
    await expect(store(faulty).save(mapped)).rejects.toBeInstanceOf(StoreUnavailableError);
    faulty.destroy();
    const retry = await store().save(mapped);
    expect(retry.stored + retry.duplicates).toBe(2);
    expect(retry.stored).toBeGreaterThanOrEqual(1);
    expect(await countUnder(eventPk(SCOPE, 'dev-retry'))).toBe(1);
    expect(await countUnder(notificationPk(SCOPE, 'dev-retry'))).toBe(1);
  });

  it('a callback without a provider time keeps the first delivery time: a redelivery minutes later is a duplicate', async () => {
    const first = await acceptCallback(store(), received('{"timeless":1}', new Date('2026-11-21T12:00:00Z')), facts('dev-timeless', 'op-t', null), Date.now());
    const again = await acceptCallback(store(), received('{"timeless":1}', new Date('2026-11-21T12:07:00Z')), facts('dev-timeless', 'op-t', null), Date.now());
    expect(first.status).toBe('stored');
    expect(again).toEqual({ ...first, status: 'duplicate' });
    expect(timeOfId(first.messageId)).toBe(Date.parse('2026-11-21T12:00:00Z'));
    expect(await countUnder(eventPk(SCOPE, 'dev-timeless'))).toBe(1);
    expect(await countUnder(notificationPk(SCOPE, 'dev-timeless'))).toBe(1);
    expect(await countUnder(receiptPk(SCOPE, 'dev-timeless'))).toBe(1);
    const [event] = await storedEvents(client, tableName, SCOPE, 'dev-timeless');
    expect(event).toMatchObject({ sentOn: '2026-11-21T12:00:00.000Z', receivedOn: '2026-11-21T12:00:00.000Z' });
  });

  it('a time-less callback interrupted after its receipt is completed by the retry, under the same ids', async () => {
    const faulty = failingOnCall(2); // the receipt is written, the record writes fail
    await expect(
      acceptCallback(store(faulty), received('{"timeless":2}', new Date('2026-11-21T13:00:00Z')), facts('dev-timeless-2', 'op-t', null), Date.now()),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
    faulty.destroy();
    expect(await countUnder(receiptPk(SCOPE, 'dev-timeless-2'))).toBe(1);
    const retry = await acceptCallback(
      store(),
      received('{"timeless":2}', new Date('2026-11-21T13:10:00Z')),
      facts('dev-timeless-2', 'op-t', null),
      Date.now(),
    );
    expect(retry.status).toBe('stored');
    expect(timeOfId(retry.messageId)).toBe(Date.parse('2026-11-21T13:00:00Z'));
    expect(await countUnder(eventPk(SCOPE, 'dev-timeless-2'))).toBe(1);
  });

  it('stores the body of a callback naming several devices once; every device reads it back', async () => {
    const devices = ['multi-1', 'multi-2', 'multi-3'];
    const mapped = toRecords(received('{"multi":true}'), facts('multi-1', 'op-m', '2026-11-21T10:00:00.000Z', devices));
    await expect(store().save(mapped)).resolves.toEqual({ stored: 6, duplicates: 0 });
    const holder = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: eventPk(SCOPE, 'multi-1'), sk: mapped.messageId } }))).Item!;
    expect(holder[ATTR.body]).toBeInstanceOf(Uint8Array);
    expect(holder[ATTR.sharedBy]).toBe(3);
    for (const device of devices) {
      const event = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: eventPk(SCOPE, device), sk: mapped.messageId } }))).Item!;
      if (device !== 'multi-1') {
        expect(event[ATTR.body]).toBeUndefined();
        expect(event[ATTR.bodyDevice]).toBe('multi-1');
      }
      expect((await storedEvents(client, tableName, SCOPE, device))[0]).toMatchObject({ rawBody: '{"multi":true}', deviceId: device });
      expect(await storedNotifications(client, tableName, SCOPE, device, 'op-m')).toHaveLength(1);
    }
  });

  it('a callback naming several devices writes the event holding the body first: if it fails, nothing else is written', async () => {
    const devices = ['order-1', 'order-2', 'order-3'];
    const mapped = toRecords(received('{"order":true}'), facts('order-1', 'op-o', '2026-11-21T10:00:00.000Z', devices));
    const faulty = failingOnCall(1);
    await expect(store(faulty).save(mapped)).rejects.toBeInstanceOf(StoreUnavailableError);
    faulty.destroy();
    for (const device of devices) expect(await countUnder(eventPk(SCOPE, device))).toBe(0);
    await expect(store().save(mapped)).resolves.toEqual({ stored: 6, duplicates: 0 });
  });

  it("serves one operation's notifications in sentOn order from the table's own keys (a Query, no index)", async () => {
    const times = ['2026-11-21T10:00:03.000Z', '2026-11-21T10:00:01.000Z', '2026-11-21T10:00:02.000Z'];
    for (const [i, t] of times.entries()) await store().save(toRecords(received(`{"seq":${i}}`), facts('dev-sorted', 'op-s', t)));
    await store().save(toRecords(received('{"other":1}'), facts('dev-sorted', 'op-s2', '2026-11-21T09:00:00.000Z')));
    const listed = await storedNotifications(client, tableName, SCOPE, 'dev-sorted', 'op-s');
    expect(listed.map((n) => n.sentOn)).toEqual([...times].sort());
    expect(listed.every((n) => n.operationId === 'op-s' && n.status === 'RUNNING' && n.message === 'observed X')).toBe(true);
  });

  it('keeps ids with separators apart: device "a#b" op "c" and device "a" op "b#c" do not collide', async () => {
    expect(notificationPk(SCOPE, 'a#b')).not.toBe(notificationPk(SCOPE, 'a'));
    await store().save(toRecords(received('{"sep":1}'), facts('a#b', 'c')));
    await store().save(toRecords(received('{"sep":2}'), facts('a', 'b#c')));
    expect((await storedNotifications(client, tableName, SCOPE, 'a', 'b#c')).map((n) => n.operationId)).toEqual(['b#c']);
    expect(await storedNotifications(client, tableName, SCOPE, 'a', 'b')).toHaveLength(0);
  });

  it('reports the table being unreachable as StoreUnavailableError', async () => {
    const dead = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_MAX_ATTEMPTS: '1' });
    await expect(new CallbackStore(dead, { tableName, retentionDays: 0 }).save(toRecords(received('{"d":4}'), facts()))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(new CallbackStore(dead, { tableName, retentionDays: 0 }).firstReceivedOn(received('{"d":5}'), 'dev')).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    dead.destroy();
  });
});
