import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { installCapacityMeter, meter } from '../../bench/capacity';
import { ApiKeyStore } from '../../shared/apikeys/store';
import type { CallbackFacts } from '../../shared/mapping';
import { toRecords } from '../../shared/mapping';
import { CallbackStore, onStoredItems } from '../../shared/store/callback-store';
import { ATTR, devicePk, deviceSk, TABLE } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

// The devices resource through the real local server and engine: what a webhook writes for a device
// (its item on first sight, then at most once per refresh interval per container), what it costs
// (ReturnConsumedCapacity on every request of this process), and what GET /v1/{scope}/devices answers.

installCapacityMeter();

const SCOPE = '0212312345-00001';
const OTHER = '0212399999-00002';
const KEY = 'diag-key-devices';
const TOKEN = 'token-devices';
const LOC_KEY = 'devloc-key-devices';
const SECRETS = {
  [`thingspace/${SCOPE}/diagnostics`]: { current: { key: KEY, token: TOKEN } },
  [`thingspace/${SCOPE}/device-location`]: { current: { key: LOC_KEY } },
};
const [A, B, C] = ['dev-a-990013907835001', 'dev-b-89148000000800139708', 'dev-c-0117C9'];

let t: TestGateway;
const keys = { reader: '', other: '' };

/** A Diagnostics observation of `device` (kind imei unless given) at 10:mm:ss of `second`. */
const diagnostics = (device: string, second: number, kind = 'imei') =>
  JSON.stringify({
    device: { id: device, kind },
    attributes: [{ name: 'LINK_QUALITY', value: `GOOD-${second}`, createdOn: new Date(Date.parse('2026-11-21T10:00:00.000Z') + second * 1000).toISOString() }],
  });

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const sendDiagnostics = (body: string) =>
  post(`/webhooks/thingspace/${SCOPE}/diagnostics`, body, { 'x-signature': hexSignature(KEY, body), 'x-callback-token': TOKEN });
const sendLocation = (body: string) => post(`/webhooks/thingspace/${SCOPE}/device-location`, body, { 'x-signature': hexSignature(LOC_KEY, body) });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON body, asserted on field by field
async function api(path: string, options: { method?: string; key?: string; body?: unknown } = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${t.gateway.url}/v1/${path}`, {
    method: options.method ?? 'GET',
    headers: { authorization: `Bearer ${options.key ?? keys.reader}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

const deviceItem = (device: string, scope = SCOPE) =>
  t.db.send(
    new GetCommand({ TableName: t.tableName, Key: { [TABLE.partitionKey]: devicePk(scope), [TABLE.sortKey]: deviceSk(device) }, ConsistentRead: true }),
  );

/** Distinct receive milliseconds between sends (the order under test is by receive time). */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 3));

beforeAll(async () => {
  t = await startTestGateway(SECRETS, { RETENTION_DAYS: '30' });
  const store = new ApiKeyStore(t.db, t.tableName);
  keys.reader = (await store.create({ scopes: [SCOPE], label: 'devices reader' })).key;
  keys.other = (await store.create({ scopes: [OTHER], label: 'devices other' })).key;
  // C, B, A heard in that order; C once more (within the hour: its item is not refreshed), then a location of B.
  for (const [device, second, kind] of [
    [C, 1, 'sn'],
    [B, 2, 'iccid'],
    [A, 3, 'imei'],
    [C, 4, 'sn'],
  ] as const) {
    expect((await sendDiagnostics(diagnostics(device, second, kind))).status).toBe(200);
    await nextMillisecond();
  }
  const location = JSON.stringify({
    txid: 'loc-devices-1',
    id: B,
    kind: 'iccid',
    location: { x: '33.45', y: '-84.59', radius: '1000', time: '20261121100500' },
  });
  expect((await sendLocation(location)).status).toBe(200);
});
afterAll(async () => {
  await t.stop();
});

describe('GET /v1/{scopeId}/devices', () => {
  it("lists the scope's devices most recently heard first (the items' last-seen time), each with its exact newest event", async () => {
    const list = await api(`${SCOPE}/devices?askTotalCount=true`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ type: 'deviceListResult', limitExceeded: false, size: 3, totalCount: 3 });
    // C's second observation came to the container that had just written C's item: not refreshed, C stays last.
    // B's location result came to another function (another container), which had not seen B: it wrote B's item.
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([B, A, C]);
    const [b, a, c] = list.body.items as Record<string, unknown>[];
    expect(a).toEqual({
      type: 'device',
      id: A,
      scopeId: SCOPE,
      clientId: A,
      displayName: A,
      status: 'ENABLED',
      createdOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      lastEventOn: expect.any(String),
      lastEventType: 'diagnostics',
      lastEventId: expect.any(String),
      imei: A,
      deviceKind: 'imei',
    });
    // B's newest event is its location result; C's is its second observation: exact, although neither item was refreshed.
    expect(b).toMatchObject({ iccid: B, deviceKind: 'iccid', lastEventType: 'device-location' });
    expect(c).toMatchObject({ deviceKind: 'sn', lastEventType: 'diagnostics' });
    expect(c).not.toHaveProperty('imei');
    const [newestOfC] = await t.events(SCOPE, C).then((events) => events.slice(-1));
    expect(c!.lastEventId).toBe(newestOfC!.id);
    expect(Date.parse(String(c!.lastEventOn))).toBeGreaterThan(Date.parse(String(a!.lastEventOn)));
    expect(Date.parse(String(b!.lastEventOn))).toBeGreaterThan(Date.parse(String(c!.lastEventOn)));
    expect(Date.parse(String(c!.createdOn))).toBeLessThan(Date.parse(String(c!.lastEventOn)));
    // Its newest event is there to open.
    expect((await api(`${SCOPE}/devices/${encodeURIComponent(C)}/events/${String(c!.lastEventId)}`)).body).toMatchObject({ resource: 'diagnostics' });

    // The order is the stored last-seen time, newest first; ASCENDING reverses it.
    const stored = await t.db.send(
      new QueryCommand({ TableName: t.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': devicePk(SCOPE) } }),
    );
    const byLastSeen = (stored.Items ?? []).sort((x, y) => Number(y[ATTR.lastSeen]) - Number(x[ATTR.lastSeen])).map((i) => decodeURIComponent(String(i.sk)));
    expect(byLastSeen).toEqual([B, A, C]);
    expect((await api(`${SCOPE}/devices?sortDir=ASCENDING`)).body.items.map((d: { id: string }) => d.id)).toEqual([C, A, B]);
    expect((await api(`${SCOPE}/devices?sortParam=createdOn&sortDir=DESCENDING`)).body.items.map((d: { id: string }) => d.id)).toEqual([A, B, C]);
    // clientId is the key's order, ASCENDING by default.
    expect((await api(`${SCOPE}/devices?sortParam=clientId`)).body.items.map((d: { id: string }) => d.id)).toEqual([A, B, C].sort());
  });

  it('pages by offset and by cursor, in both orders; a cursor serves only its own order', async () => {
    for (const sortParam of ['lastEventOn', 'clientId']) {
      const all = (await api(`${SCOPE}/devices?sortParam=${sortParam}`)).body.items.map((d: { id: string }) => d.id);
      const first = await api(`${SCOPE}/devices?sortParam=${sortParam}&limit=2`);
      expect(first.body).toMatchObject({ size: 2, limitExceeded: true, nextCursor: expect.any(String) });
      const next = await api(`${SCOPE}/devices?sortParam=${sortParam}&limit=2&cursor=${first.body.nextCursor}`);
      expect(next.body).toMatchObject({ size: 1, limitExceeded: false });
      expect(next.body).not.toHaveProperty('nextCursor');
      expect([...first.body.items, ...next.body.items].map((d: { id: string }) => d.id)).toEqual(all);
      const byOffset = await api(`${SCOPE}/devices/_query`, { method: 'POST', body: { sortParam, offset: 1, limit: 1, askTotalCount: true } });
      expect(byOffset.body).toMatchObject({ size: 1, totalCount: 3, limitExceeded: true, items: [{ id: all[1] }] });
    }
    const cursor = (await api(`${SCOPE}/devices?limit=1`)).body.nextCursor as string;
    expect((await api(`${SCOPE}/devices?sortParam=clientId&cursor=${cursor}`)).body).toMatchObject({ argumentName: 'cursor' });
    expect((await api(`${SCOPE}/devices?limit=0`)).body).toEqual({ type: 'deviceListResult', limitExceeded: true, size: 0, items: [] });
  });

  it('counts, gets one, answers 404 device for an unknown one, XML, and 400 for a resource filter or an unknown sortParam', async () => {
    expect((await api(`${SCOPE}/devices/_count`, { method: 'POST', body: { limit: 1 } })).body).toEqual({ count: 3 });
    expect((await api(`${OTHER}/devices/_count`, { method: 'POST', key: keys.other })).body).toEqual({ count: 0 });
    const list = (await api(`${SCOPE}/devices`)).body.items as Record<string, unknown>[];
    expect((await api(`${SCOPE}/devices/${B}`)).body).toEqual(list.find((d) => d.id === B));
    expect((await api(`_/devices/${A}`)).body).toMatchObject({ id: A });
    const missing = await api(`${SCOPE}/devices/never-heard-of`);
    expect(missing).toMatchObject({ status: 404, body: { type: 'entityNotFoundExceptionInfo', entityType: 'device', entityId: 'never-heard-of' } });
    const xml = await api(`${SCOPE}/devices.xml?limit=1`);
    expect(xml.text).toMatch(
      /^<\?xml[^>]*><deviceListResult><limitExceeded>true<\/limitExceeded><size>1<\/size><items><item><id>dev-b-89148000000800139708<\/id>/,
    );
    expect((await api(`${SCOPE}/devices/${C}.xml`)).text).toContain(`<device><id>${C}</id><scopeId>${SCOPE}</scopeId><clientId>${C}</clientId>`);
    expect((await api(`${SCOPE}/devices/_count.xml`, { method: 'POST' })).text).toContain('<countResult><count>3</count></countResult>');
    expect((await api(`${SCOPE}/devices?resource=diagnostics`)).body).toMatchObject({ argumentName: 'resource' });
    expect((await api(`${SCOPE}/devices/_count`, { method: 'POST', body: { resource: 'diagnostics' } })).body).toMatchObject({ argumentName: 'resource' });
    expect((await api(`${SCOPE}/devices?sortParam=sentOn`)).body).toMatchObject({ argumentName: 'sortParam' });
  });

  it("answers 403 with Kapua's device permission for another scope's devices", async () => {
    for (const path of [`${SCOPE}/devices`, `${SCOPE}/devices/${A}`]) {
      const res = await api(path, { key: keys.other });
      expect(res).toMatchObject({
        status: 403,
        body: { type: 'subjectUnauthorizedExceptionInfo', permission: { domain: 'device', action: 'read', targetScopeId: SCOPE } },
      });
    }
    const counted = await api(`${SCOPE}/devices/_count`, { method: 'POST', key: keys.other });
    expect(counted.status).toBe(403);
  });
});

describe('what a device costs the write path', () => {
  /** Write units of one callback, on every request it made: all, and those of device items. */
  async function units(send: () => Promise<{ status: number }>) {
    const mark = meter.mark();
    expect((await send()).status).toBe(200);
    const entries = meter.since(mark).filter((e) => e.command !== 'QueryCommand' && e.pk !== 'APIKEY');
    const device = entries.filter((e) => e.pk?.startsWith('DV#'));
    return { total: entries.reduce((s, e) => s + e.writeUnits, 0), device: device.reduce((s, e) => s + e.writeUnits, 0), deviceWrites: device.length };
  }

  it('a first callback of a device writes its item (1 WRU); a second within the hour writes none', async () => {
    const first = await units(() => sendDiagnostics(diagnostics('dev-cost-1', 10)));
    const second = await units(() => sendDiagnostics(diagnostics('dev-cost-1', 11)));
    expect(first).toMatchObject({ device: 1, deviceWrites: 1 });
    expect(second).toMatchObject({ device: 0, deviceWrites: 0 });
    expect(first.total - second.total).toBe(1);
    // A redelivery the container remembers writes no device item either.
    expect(await units(() => sendDiagnostics(diagnostics('dev-cost-1', 11)))).toMatchObject({ deviceWrites: 0 });
    const item = (await deviceItem('dev-cost-1')).Item!;
    // pk, sk, first and last seen, kind, TTL: nothing else.
    expect(Object.keys(item).sort()).toEqual([TABLE.partitionKey, TABLE.sortKey, ATTR.firstSeen, ATTR.kind, ATTR.lastSeen, TABLE.ttlAttribute].sort());
    expect(item[TABLE.ttlAttribute]).toBe(Math.floor(Number(item[ATTR.lastSeen]) / 1000) + 30 * 86_400);
  });

  it('a failed device write fails the callback (503, nothing acknowledged); the provider retry writes it', async () => {
    const failing = failNextUpdate();
    try {
      const body = diagnostics('dev-fail-1', 20);
      const refused = await sendDiagnostics(body);
      expect(refused.status).toBe(503);
      expect(failing.failed).toBe(1);
      expect((await deviceItem('dev-fail-1')).Item).toBeUndefined();
      const retried = await sendDiagnostics(body);
      expect(retried.status).toBe(200);
      expect((await deviceItem('dev-fail-1')).Item).toMatchObject({ [ATTR.kind]: 'imei' });
      expect((await api(`${SCOPE}/devices/dev-fail-1`)).body).toMatchObject({ id: 'dev-fail-1', lastEventType: 'diagnostics' });
    } finally {
      failing.stop();
    }
  });
});

describe('the device item, on the store (a container of its own each)', () => {
  const facts = (device: string): CallbackFacts => ({
    devices: [{ id: device, kind: 'imei' }],
    resource: 'diagnostics',
    action: 'observation',
    payload: () => ({}),
  });
  const at = (device: string, receivedOn: number, body = `{"n":${receivedOn}}`) =>
    toRecords({ provider: 'thingspace', channel: 'diagnostics', scopeId: OTHER, body: Buffer.from(body), receivedOn: new Date(receivedOn) }, facts(device));
  const t0 = Date.parse('2026-11-21T10:00:00.000Z');
  const seen = async (device: string) => {
    const item = (await deviceItem(device, OTHER)).Item!;
    return { first: item[ATTR.firstSeen], last: item[ATTR.lastSeen] };
  };

  it('is refreshed once the interval has passed, keeps its first sight, and is never published', async () => {
    const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 30, devices: { refreshSeconds: 3_600 } });
    const published: Record<string, unknown>[] = [];
    const stop = onStoredItems((items) => published.push(...items));
    try {
      await store.save(at('dev-refresh', t0));
      await store.save(at('dev-refresh', t0 + 30 * 60_000));
      expect(await seen('dev-refresh')).toEqual({ first: t0, last: t0 });
      await store.save(at('dev-refresh', t0 + 61 * 60_000));
      expect(await seen('dev-refresh')).toEqual({ first: t0, last: t0 + 61 * 60_000 });
    } finally {
      stop();
    }
    expect(published).toHaveLength(3);
    expect(published.map((i) => String(i[TABLE.partitionKey])).filter((pk) => !pk.startsWith('EV#'))).toEqual([]);

    // Interval 0: every callback refreshes it.
    const eager = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 30, devices: { refreshSeconds: 0 } });
    await eager.save(at('dev-refresh', t0 + 62 * 60_000));
    expect(await seen('dev-refresh')).toEqual({ first: t0, last: t0 + 62 * 60_000 });
  });

  it('a redelivery to a container that does not remember the device writes the item again', async () => {
    const mapped = at('dev-redelivered', t0);
    expect(await new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 30 }).save(mapped)).toEqual({ stored: 1, duplicates: 0 });
    await t.db.send(
      new DeleteCommand({ TableName: t.tableName, Key: { [TABLE.partitionKey]: devicePk(OTHER), [TABLE.sortKey]: deviceSk('dev-redelivered') } }),
    );
    // The same message delivered again 5 s later, to a new container.
    expect(await new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 30 }).save(mapped, new Date(t0 + 5_000))).toEqual({
      stored: 0,
      duplicates: 1,
    });
    expect(await seen('dev-redelivered')).toEqual({ first: t0 + 5_000, last: t0 + 5_000 });
  });

  it('remembers a bounded number of devices, the oldest written forgotten first', async () => {
    const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 0, devices: { refreshSeconds: 3_600, maxDevices: 2 } });
    const writes = async (device: string, when: number) => {
      const mark = meter.mark();
      await store.save(at(device, when, `{"d":"${device}","n":${when}}`));
      return meter.since(mark).filter((e) => e.pk?.startsWith('DV#')).length;
    };
    expect(await writes('bounded-1', t0)).toBe(1);
    expect(await writes('bounded-2', t0 + 1)).toBe(1);
    expect(await writes('bounded-1', t0 + 2)).toBe(0);
    expect(await writes('bounded-3', t0 + 3)).toBe(1); // forgets bounded-1, the oldest written
    expect(await writes('bounded-2', t0 + 4)).toBe(0);
    expect(await writes('bounded-1', t0 + 5)).toBe(1);
    // Retention 0: kept forever, no TTL.
    expect((await deviceItem('bounded-1', OTHER)).Item).not.toHaveProperty(TABLE.ttlAttribute);
  });
});

/**
 * Fails the next UpdateItem any DynamoDB client of this process sends, before it leaves (no retry
 * can save it), as a throttled or unreachable table would: the webhook's device write.
 */
function failNextUpdate(): { failed: number; stop(): void } {
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: unknown[]) => unknown };
  const send = base.send;
  const state = {
    failed: 0,
    stop: () => {
      base.send = send;
    },
  };
  base.send = function failingSend(this: unknown, ...args: unknown[]) {
    const command = args[0] as { constructor: { name: string } };
    if (state.failed === 0 && ['UpdateCommand', 'UpdateItemCommand'].includes(command.constructor.name)) {
      state.failed++;
      return Promise.reject(Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ThrottlingException', $metadata: {} }));
    }
    return send.apply(this, args);
  };
  return state;
}
