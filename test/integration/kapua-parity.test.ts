import { XMLParser } from 'fast-xml-parser';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { sensoroSignature } from '../support/sensoro';
import { hexSignature } from '../support/sign';

// What a Kapua client (whose model classes deserialise strictly) meets on each point of the second
// parity review, in JSON and in XML, through the real local server.
const ACCOUNT = '0212312345-00001';
const OTHER = '0299999999-00009';
const KEYS = { diagnostics: 'diag-key', token: 'tok', deviceLocation: 'dl-key' };
const APP = { id: '123456', appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'app-secret' };
const DEVICE = '990013907835573';
const xml = new XMLParser({ parseTagValue: false });

let t: TestGateway;
let reader: string;
let deleter: string;
beforeAll(async () => {
  t = await startTestGateway({
    [`thingspace/${ACCOUNT}/diagnostics`]: { current: { key: KEYS.diagnostics, token: KEYS.token } },
    [`thingspace/${ACCOUNT}/device-location`]: { current: { key: KEYS.deviceLocation } },
    [`sensoro/${APP.id}`]: { current: { appKey: APP.appKey, appSecret: APP.appSecret } },
  });
  const keys = new ApiKeyStore(t.db, t.tableName);
  reader = (await keys.create({ scopes: [ACCOUNT, APP.id] })).key;
  deleter = (await keys.create({ scopes: [ACCOUNT], canDelete: true })).key;
  // Three observations of one operation (10:00, 10:05, 10:10 sentOn), and a location result.
  for (const minute of [0, 5, 10]) {
    const body = JSON.stringify({
      transactionID: 'tx-k',
      device: { id: DEVICE, kind: 'imei' },
      attributes: [{ name: 'LINK_QUALITY', value: `Q${minute}`, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
    });
    await webhook('diagnostics', body, { 'x-signature': hexSignature(KEYS.diagnostics, body), 'x-callback-token': KEYS.token });
  }
  const location = JSON.stringify({ txid: 'loc-k', id: DEVICE, kind: 'imei', location: { x: '33.45', y: '-84.59', radius: '1000', time: '20261121103000' } });
  await webhook('device-location', location, { 'x-signature': hexSignature(KEYS.deviceLocation, location) });
  const push = JSON.stringify({
    appId: APP.id,
    sn: 'SN-GEO',
    type: 'text',
    createdTime: Date.parse('2026-11-21T11:00:00Z'),
    msgId: 5,
    data: { lonlat: [113.9, 22.5], battery: 80 },
  });
  const nonce = String(Date.now());
  const path = `/webhooks/sensoro/${APP.id}`;
  const res = await fetch(`${t.gateway.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `${t.gateway.url}${path}`, push),
    },
    body: push,
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await t.stop();
});

async function webhook(channel: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(res.status).toBe(200);
}

async function api(path: string, options: { key?: string; accept?: string; method?: string; body?: unknown } = {}) {
  const res = await fetch(`${t.gateway.url}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${options.key ?? reader}`,
      ...(options.accept ? { accept: options.accept } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    text,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON body, asserted on field by field
    json: type.startsWith('application/json') && text ? (JSON.parse(text) as Record<string, any>) : undefined,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed XML body, asserted on field by field
    xml: type.startsWith('application/xml') ? (xml.parse(text) as Record<string, any>) : undefined,
  };
}

const events = `/v1/${ACCOUNT}/devices/${DEVICE}/events`;

describe('1. event action is a KapuaMethod, the finer word kept', () => {
  it('maps every callback kind onto the enum', async () => {
    const { json } = await api(events);
    const byCallback = Object.fromEntries(json!.items.map((e: { callbackAction: string; action: string }) => [e.callbackAction, e.action]));
    expect(byCallback).toEqual({ observation: 'SENT', 'location-result': 'READ' });
    const sensoro = await api(`/v1/${APP.id}/devices/SN-GEO/events`);
    expect(sensoro.json!.items[0]).toMatchObject({ action: 'SENT', callbackAction: 'text' });
  });
});

describe('2. 403 bodies carry Kapua permission objects', () => {
  it('in JSON and XML', async () => {
    const forbidden = await api(`/v1/${OTHER}/devices/${DEVICE}/events`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json).toMatchObject({
      type: 'subjectUnauthorizedExceptionInfo',
      permission: { domain: 'device_event', action: 'read', targetScopeId: OTHER, forwardable: false },
    });
    const refusedDelete = await api(`${events}/AAAAAAAAAAAAAAAA`, { method: 'DELETE' });
    expect(refusedDelete.json).toMatchObject({ permission: { domain: 'device_event', action: 'delete', targetScopeId: ACCOUNT } });
    const inXml = await api(`/v1/${OTHER}/devices/${DEVICE}/operations/tx-k/notifications`, { accept: 'application/xml' });
    expect(inXml.xml!.subjectUnauthorizedExceptionInfo.permission).toEqual({
      domain: 'device_management',
      action: 'read',
      targetScopeId: OTHER,
      forwardable: 'false',
    });
  });
});

describe('3. events default to newest first', () => {
  it('by sentOn, descending, unless sortDir says otherwise', async () => {
    const sentOn = (await api(events)).json!.items.map((e: { sentOn: string }) => e.sentOn);
    expect(sentOn).toEqual([...sentOn].sort().reverse());
    const ascending = (await api(`${events}?sortDir=ASCENDING`)).json!.items.map((e: { sentOn: string }) => e.sentOn);
    expect(ascending).toEqual([...sentOn].reverse());
  });
});

describe('4. startDate / endDate filter events on the key range', () => {
  it('GET and _query', async () => {
    const page = await api(`${events}?startDate=2026-11-21T10:04:00.000Z&endDate=2026-11-21T10:10:00.000Z`);
    expect(page.json!.items.map((e: { sentOn: string }) => e.sentOn)).toEqual(['2026-11-21T10:10:00.000Z', '2026-11-21T10:05:00.000Z']);
    const queried = await api(`${events}/_query`, { method: 'POST', body: { startDate: '2026-11-21T10:06:00.000Z', sortDir: 'ascending' } });
    expect(queried.json!.items.map((e: { sentOn: string }) => e.sentOn)).toEqual(['2026-11-21T10:10:00.000Z', '2026-11-21T10:30:00.000Z']);
    expect((await api(`${events}?endDate=2020-01-01T00:00:00.000Z`)).json).toMatchObject({ size: 0, items: [] });
    expect((await api(`${events}?startDate=tomorrow`)).json).toMatchObject({ argumentName: 'startDate' });
  });
});

describe('5. events of a device that has none: 404 device, on all five verbs', () => {
  it.each([
    ['GET', `/v1/${ACCOUNT}/devices/nobody/events`, undefined],
    ['GET', `/v1/${ACCOUNT}/devices/nobody/events/AAAAAAAAAAAAAAAA`, undefined],
    ['DELETE', `/v1/${ACCOUNT}/devices/nobody/events/AAAAAAAAAAAAAAAA`, undefined],
    ['POST', `/v1/${ACCOUNT}/devices/nobody/events/_query`, {}],
    ['POST', `/v1/${ACCOUNT}/devices/nobody/events/_count`, {}],
  ])('%s %s', async (method, path, body) => {
    const res = await api(path, { method, body, key: deleter });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ type: 'entityNotFoundExceptionInfo', entityType: 'device', entityId: 'nobody' });
  });
  it('a device that has events but not this one: 404 deviceEvent', async () => {
    expect((await api(`${events}/AAAAAAAAAAAAAAAA`)).json).toMatchObject({ entityType: 'deviceEvent' });
  });
});

describe('6. parameters parsed as JAX-RS parses them', () => {
  it('sortDir in any case; askTotalCount never a 400; limit=0 a page of nothing with limitExceeded', async () => {
    expect((await api(`${events}?sortDir=descending`)).status).toBe(200);
    expect((await api(`${events}?sortDir=Ascending`)).status).toBe(200);
    expect((await api(`${events}?askTotalCount=TRUE`)).json).toMatchObject({ totalCount: 4 });
    const maybe = await api(`${events}?askTotalCount=maybe`);
    expect(maybe.status).toBe(200);
    expect(maybe.json).not.toHaveProperty('totalCount');
    expect((await api(`${events}?limit=0`)).json).toEqual({ type: 'deviceEventListResult', limitExceeded: true, size: 0, items: [] });
    expect((await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations/tx-k/notifications?limit=0`)).json).toMatchObject({
      limitExceeded: true,
      size: 0,
      items: [],
    });
  });
});

describe('7. content negotiation: JSON and XML, errors included, 406 otherwise', () => {
  it('Accept: application/xml gives the JAXB shapes', async () => {
    const list = await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations/tx-k/notifications`, { accept: 'application/xml' });
    expect(list.type).toMatch(/^application\/xml/);
    const root = list.xml!.managementOperationNotificationListResult;
    expect(root).toMatchObject({ limitExceeded: 'false', size: '3' });
    expect(root.items.item).toHaveLength(3);
    expect(root.items.item[0]).toMatchObject({ operationId: 'tx-k', status: 'RUNNING', resource: 'diagnostics' });
    const event = await api(`${events}?limit=1`, { accept: 'application/xml' });
    const item = event.xml!.deviceEventListResult.items.item;
    expect(item).toMatchObject({ action: 'READ', callbackAction: 'location-result', position: { latitude: '33.45', longitude: '-84.59', precision: '1000' } });
    expect(JSON.parse(item.payload as string)).toMatchObject({ location: { latitude: '33.45' } });
    const count = await api(`${events}/_count`, { method: 'POST', body: {}, accept: 'application/xml' });
    expect(count.xml).toEqual({ '?xml': '', countResult: { count: '4' } });
  });

  it('a .json or .xml suffix on the path wins over Accept', async () => {
    const id = (await api(events)).json!.items[0].id as string;
    const asXml = await api(`${events}/${id}.xml`, { accept: 'application/json' });
    expect(asXml.xml!.deviceEvent).toMatchObject({ id, deviceId: DEVICE });
    const asJson = await api(`${events}/${id}.json`, { accept: 'application/xml' });
    expect(asJson.json).toMatchObject({ type: 'deviceEvent', id });
  });

  it('errors in the negotiated type; 406 with no body for a type it cannot produce', async () => {
    const missing = await api(`${events}/AAAAAAAAAAAAAAAA`, { accept: 'application/xml' });
    expect(missing.status).toBe(404);
    expect(missing.xml!.entityNotFoundExceptionInfo).toMatchObject({ httpErrorCode: '404', entityType: 'deviceEvent', kapuaErrorCode: 'ENTITY_NOT_FOUND' });
    const csv = await api(events, { accept: 'text/csv' });
    expect(csv).toMatchObject({ status: 406, text: '' });
    expect((await api(events, { accept: 'text/csv, application/xml;q=0.5' })).status).toBe(200);
  });
});

describe('8. location events carry a KapuaPosition', () => {
  it('DeviceLocation results and SENSORO lonlat', async () => {
    const located = (await api(events)).json!.items.find((e: { callbackAction: string }) => e.callbackAction === 'location-result');
    expect(located.position).toEqual({ latitude: 33.45, longitude: -84.59, precision: 1000, timestamp: '2026-11-21T10:30:00.000Z' });
    const sensor = (await api(`/v1/${APP.id}/devices/SN-GEO/events`)).json!.items[0];
    expect(sensor.position).toEqual({ latitude: 22.5, longitude: 113.9, timestamp: '2026-11-21T11:00:00.000Z' });
    const observation = (await api(events)).json!.items.find((e: { callbackAction: string }) => e.callbackAction === 'observation');
    expect(observation).not.toHaveProperty('position');
  });
});

describe('9. operations: one clock, Kapua audit fields, never pointing at a deleted notification', () => {
  it('startedOn and endedOn on the provider clock; createdOn/modifiedOn on ours; deleting the latest moves it back', async () => {
    const operations = `/v1/${ACCOUNT}/devices/${DEVICE}/operations`;
    const before = (await api(operations)).json!.items.find((o: { id: string }) => o.id === 'tx-k');
    expect(before).toMatchObject({ startedOn: '2026-11-21T10:00:00.000Z', lastSentOn: '2026-11-21T10:10:00.000Z', createdBy: 'thingspace' });
    expect(before.createdOn <= before.modifiedOn).toBe(true);
    const latest = before.lastNotificationId as string;
    expect((await api(`${operations}/tx-k/notifications/${latest}`, { method: 'DELETE', key: deleter })).status).toBe(204);
    const after = (await api(operations)).json!.items.find((o: { id: string }) => o.id === 'tx-k');
    expect(after).toMatchObject({ lastSentOn: '2026-11-21T10:05:00.000Z' });
    expect(after.lastNotificationId).not.toBe(latest);
  });
});

describe('7b. suffixes on fixed path segments', () => {
  it('…/events.xml, …/_count.json and …/operations.xml are routes of their own', async () => {
    expect((await api(`${events}.xml`, { accept: 'application/json' })).xml!.deviceEventListResult).toMatchObject({ size: '4' });
    expect((await api(`${events}/_count.json`, { method: 'POST', body: {}, accept: 'application/xml' })).json).toEqual({ count: 4 });
    expect((await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations.xml`)).xml!.deviceManagementOperationListResult.items.item).toBeDefined();
  });
});

describe('review: hostile query input is a 4xx, never a 500', () => {
  it('startDate after endDate is an empty page', async () => {
    expect((await api(`${events}?startDate=2026-11-22T00:00:00.000Z&endDate=2026-11-21T00:00:00.000Z`)).json).toEqual({
      type: 'deviceEventListResult',
      limitExceeded: false,
      size: 0,
      items: [],
    });
  });
  it('an id that cannot be a record id is a 404, however long', async () => {
    expect((await api(`${events}/${'x'.repeat(1_100)}`)).status).toBe(404);
    expect((await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations/tx-k/notifications/${'y'.repeat(1_100)}`)).status).toBe(404);
  });
  it('a forged cursor outside the date range, or of an impossible operation, is a 400', async () => {
    const page = (await api(`${events}?limit=1&startDate=2026-11-21T10:04:00.000Z&endDate=2026-11-21T10:10:00.000Z`)).json!;
    const decoded = JSON.parse(Buffer.from(page.nextCursor as string, 'base64url').toString('utf8')) as { k: Record<string, string>; f: string };
    decoded.k.sk = 'zzzzzzzzzzzzzzzz';
    const forged = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    const res = await api(`${events}?limit=1&startDate=2026-11-21T10:04:00.000Z&endDate=2026-11-21T10:10:00.000Z&cursor=${forged}`);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ argumentName: 'cursor' });
    const ops = (await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations?limit=1`)).json!;
    const opCursor = JSON.parse(Buffer.from(ops.nextCursor as string, 'base64url').toString('utf8')) as { p: [unknown, string]; f: string };
    opCursor.p[1] = '\ud800';
    const badOp = await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations?limit=1&cursor=${Buffer.from(JSON.stringify(opCursor)).toString('base64url')}`);
    expect(badOp).toMatchObject({ status: 400, json: { argumentName: 'cursor' } });
  });
  it('operations: a deep offset is refused (each skipped operation is a query); the cursor pages any depth', async () => {
    expect((await api(`/v1/${ACCOUNT}/devices/${DEVICE}/operations?offset=5000`)).json).toMatchObject({ argumentName: 'offset' });
  });
});
