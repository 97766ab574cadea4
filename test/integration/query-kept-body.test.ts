import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { toRecords } from '../../shared/mapping';
import { createQueryApi } from '../../shared/query/api';
import { factsOf } from '../../shared/query/derive';
import { CallbackRecords } from '../../shared/store/callback-records';
import { CallbackStore } from '../../shared/store/callback-store';
import { bodyPk, eventPk, TABLE } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';

// Issue 18, item 9: the body of a callback naming several devices is stored once, on its first
// device's event; deleting that event keeps the body (MB#) for the others. The kept body goes with
// the last event that references it, so that deleting every event of such a callback leaves
// nothing behind, with a retention or without one (retention 0: no TTL would ever remove it).

const SCOPE = '0212312345-00001';

let t: TestGateway;
let reader: string;
let deleter: string;

/** Stores a Connectivity callback naming `devices` (the first holds the body), as the webhook would; its id. */
async function callback(requestId: string, devices: string[], retentionDays: number): Promise<string> {
  const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays });
  const body = Buffer.from(JSON.stringify({ requestId, deviceIds: devices.map((id) => ({ id, kind: 'imei' })), carrierService: { state: 'active' } }));
  const mapped = toRecords(
    { provider: 'thingspace', channel: 'connectivity', scopeId: SCOPE, body, receivedOn: new Date() },
    factsOf('connectivity', body, SCOPE),
  );
  await store.save(mapped);
  return mapped.events[0]!.id;
}

const item = async (pk: string, sk: string) =>
  (await t.db.send(new GetCommand({ TableName: t.tableName, Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk }, ConsistentRead: true }))).Item;
const keptBody = (holder: string, id: string) => item(bodyPk(SCOPE, holder), id);

async function api(method: 'GET' | 'DELETE', device: string, id: string) {
  const res = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${device}/events/${id}`, {
    method,
    headers: { authorization: `Bearer ${method === 'DELETE' ? deleter : reader}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}
const deleted = async (device: string, id: string) => expect((await api('DELETE', device, id)).status).toBe(204);
const showsPayload = async (device: string, id: string) =>
  expect(await api('GET', device, id)).toMatchObject({
    status: 200,
    body: { deviceId: device, payload: { carrierService: { state: 'active' } }, rawBody: expect.stringContaining('"carrierService"') },
  });

beforeAll(async () => {
  t = await startTestGateway({});
  const keys = new ApiKeyStore(t.db, t.tableName);
  reader = (await keys.create({ scopes: [SCOPE] })).key;
  deleter = (await keys.create({ scopes: [SCOPE], canDelete: true })).key;
});
afterAll(async () => {
  await t.stop();
});

describe('the kept body of a multi-device callback', () => {
  it('retention 0: the holder deleted first, the body is kept while the other event lives, and goes with it', async () => {
    const id = await callback('req-kept-1', ['k1-a', 'k1-b'], 0);
    await deleted('k1-a', id);
    expect(await keptBody('k1-a', id)).toBeDefined();
    await showsPayload('k1-b', id);
    await deleted('k1-b', id);
    expect(await keptBody('k1-a', id)).toBeUndefined();
    expect(await t.countUnder(bodyPk(SCOPE, 'k1-a'))).toBe(0);
  });

  it('retention 0: the other event deleted first, the holder keeps no body at all', async () => {
    const id = await callback('req-kept-2', ['k2-a', 'k2-b'], 0);
    await deleted('k2-b', id);
    expect(await keptBody('k2-a', id)).toBeUndefined();
    await showsPayload('k2-a', id);
    await deleted('k2-a', id);
    expect(await t.countUnder(bodyPk(SCOPE, 'k2-a'))).toBe(0);
  });

  it("retention > 0: the kept body has the records' expiry, stays while any event references it, and goes with the last", async () => {
    const id = await callback('req-kept-3', ['k3-a', 'k3-b', 'k3-c'], 30);
    const expiry = (await item(eventPk(SCOPE, 'k3-b'), id))![TABLE.ttlAttribute];
    expect(expiry).toEqual(expect.any(Number));
    await deleted('k3-a', id);
    expect((await keptBody('k3-a', id))![TABLE.ttlAttribute]).toBe(expiry);
    await deleted('k3-c', id);
    expect(await keptBody('k3-a', id)).toBeDefined();
    await showsPayload('k3-b', id);
    await deleted('k3-b', id);
    expect(await t.countUnder(bodyPk(SCOPE, 'k3-a'))).toBe(0);
  });

  it('a further device deleted while the holder lives touches no kept body; deleting a missing event is still a 404', async () => {
    const id = await callback('req-kept-4', ['k4-a', 'k4-b', 'k4-c'], 30);
    await deleted('k4-b', id);
    expect(await keptBody('k4-a', id)).toBeUndefined();
    await showsPayload('k4-c', id);
    expect((await api('DELETE', 'k4-b', id)).status).toBe(404);
    await deleted('k4-a', id);
    expect(await keptBody('k4-a', id)).toBeDefined();
    await showsPayload('k4-c', id);
    await deleted('k4-c', id);
    expect(await t.countUnder(bodyPk(SCOPE, 'k4-a'))).toBe(0);
  });

  it('what each delete reads and writes (strongly consistent reads of the other events, stopping at the first found)', async () => {
    // The query function in-process, on a client that records each call: command, partition, consistency.
    const log: string[] = [];
    const client = {
      send: (command: { constructor: { name: string }; input: { Key?: Record<string, string>; Item?: Record<string, string>; ConsistentRead?: boolean } }) => {
        const key = command.input.Key ?? command.input.Item!;
        log.push(
          `${command.constructor.name.replace('Command', '')} ${key[TABLE.partitionKey]!.slice(0, 2)} ${key[TABLE.partitionKey]!.split('#').pop()}${command.input.ConsistentRead ? ' consistent' : ''}`,
        );
        return t.db.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const query = createQueryApi(new CallbackRecords(client, t.tableName), 500, factsOf);
    const del = async (device: string, id: string) => {
      log.length = 0;
      const res = await query({
        routeKey: 'DELETE /v1/{scopeId}/devices/{deviceId}/events/{eventId}',
        rawPath: `/v1/${SCOPE}/devices/${device}/events/${id}`,
        pathParameters: { scopeId: SCOPE, deviceId: device, eventId: id },
        headers: {},
        requestContext: { authorizer: { lambda: { authenticated: true, scopes: SCOPE, canDelete: true } } },
      } as never);
      expect(res.statusCode).toBe(204);
      return [...log];
    };

    const id = await callback('req-kept-5', ['k5-a', 'k5-b', 'k5-c'], 0);
    // The holder, others left: its item, one other event (found), the kept body written, the delete, one other event again.
    expect(await del('k5-a', id)).toEqual(['Get EV k5-a', 'Get EV k5-b consistent', 'Put MB k5-a', 'Delete EV k5-a', 'Get EV k5-b consistent']);
    // A further device, another left: its item, the delete, the holder (gone), the kept body (to name the devices), the other (found).
    expect(await del('k5-b', id)).toEqual(['Get EV k5-b', 'Delete EV k5-b', 'Get EV k5-a consistent', 'Get MB k5-a consistent', 'Get EV k5-c consistent']);
    // The last: the same, and the kept body deleted.
    expect(await del('k5-c', id)).toEqual([
      'Get EV k5-c',
      'Delete EV k5-c',
      'Get EV k5-a consistent',
      'Get MB k5-a consistent',
      'Get EV k5-b consistent',
      'Delete MB k5-a',
    ]);

    const other = await callback('req-kept-6', ['k6-a', 'k6-b'], 0);
    // A further device while the holder lives: one read of the holder, nothing else.
    expect(await del('k6-b', other)).toEqual(['Get EV k6-b', 'Delete EV k6-b', 'Get EV k6-a consistent']);
    // The holder with no other event left: no kept body written at all.
    expect(await del('k6-a', other)).toEqual(['Get EV k6-a', 'Get EV k6-b consistent', 'Delete EV k6-a']);
  });
});
