import fc from 'fast-check';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { createDynamoClient } from '../../shared/aws/clients';
import { toRecords } from '../../shared/mapping';
import { CallbackStore } from '../../shared/store/callback-store';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

/** What every refused key gets: API Gateway's words. */
const UNAUTHORIZED = '{"message":"Unauthorized"}';

const A = '0212312345-00001';
const B = '0999999999-00009';
const KEY_A = 'diag-a';
const TOKEN = 'tok';
const DEVICE = '990013907835573';
const OP = 'tx-paging';
const N = 37; // notifications seeded under one operation for the paging properties

let t: TestGateway;
let keys: ApiKeyStore;
let readA: string; // reads A
let deleteA: string; // reads and deletes A
let readB: string; // reads B
let readAB: string; // reads A and B

beforeAll(async () => {
  t = await startTestGateway(
    { [`thingspace/${A}/diagnostics`]: { current: { key: KEY_A, token: TOKEN } } },
    { API_KEY_CACHE_TTL_SECONDS: '0', QUERY_MAX_LIMIT: '100' },
  );
  keys = new ApiKeyStore(t.db, t.tableName);
  readA = (await keys.create({ scopes: [A], label: 'read A' })).key;
  deleteA = (await keys.create({ scopes: [A], canDelete: true })).key;
  readB = (await keys.create({ scopes: [B] })).key;
  readAB = (await keys.create({ scopes: [A, B] })).key;

  // Seed: N notifications of one operation (two resources, sentOn out of order), straight into the store.
  const store = new CallbackStore(createDynamoClient({ ...process.env, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT }), {
    tableName: t.tableName,
    retentionDays: 0,
  });
  for (let i = 0; i < N; i++) {
    const sentOn = new Date(Date.UTC(2026, 10, 21, 10, 0, (i * 7) % N));
    const mapped = toRecords(
      { provider: 'thingspace', channel: 'diagnostics', scopeId: A, body: Buffer.from(`{"seq":${i}}`), receivedOn: new Date(Date.UTC(2026, 10, 21, 11, 0, i)) },
      {
        devices: [{ id: DEVICE, kind: 'imei' }],
        resource: i % 3 === 0 ? 'location' : 'diagnostics',
        action: 'observation',
        sentOn,
        payload: () => ({ seq: i }),
        operation: { id: OP, status: 'RUNNING', progress: 0 },
      },
    );
    await store.save(mapped);
  }
});
afterAll(async () => {
  await t.stop();
});

async function get(path: string, key?: string) {
  const res = await fetch(`${t.gateway.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON body, asserted on field by field
  return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}
async function send(method: string, path: string, key?: string, body?: unknown) {
  const res = await fetch(`${t.gateway.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON body, asserted on field by field
  return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const notifications = (op = OP, device = DEVICE, scope = A) => `/v1/${scope}/devices/${device}/operations/${op}/notifications`;

describe('webhooks in, queries out', () => {
  it('a Diagnostics callback becomes a notification under its device and operation, and an event of the device', async () => {
    const body = JSON.stringify({
      transactionID: 'tx-live',
      device: { id: 'dev-live', kind: 'imei' },
      attributes: [{ name: 'LINK_QUALITY', value: 'GOOD', createdOn: '2026-11-21T10:00:00.000Z' }],
    });
    const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${A}/diagnostics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY_A, body), 'x-callback-token': TOKEN },
      body,
    });
    expect(res.status).toBe(200);

    const list = await get(notifications('tx-live', 'dev-live'), readA);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      type: 'managementOperationNotificationListResult',
      limitExceeded: false,
      size: 1,
      items: [
        {
          type: 'managementOperationNotification',
          id: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
          scopeId: A,
          createdOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          createdBy: 'thingspace',
          operationId: 'tx-live',
          progress: 0,
          resource: 'diagnostics',
          sentOn: '2026-11-21T10:00:00.000Z',
          status: 'RUNNING',
          message: 'observed LINK_QUALITY',
        },
      ],
    });
    const id = list.body!.items[0].id as string;
    expect((await get(`${notifications('tx-live', 'dev-live')}/${id}`, readA)).body).toEqual(list.body!.items[0]);
    expect((await send('POST', `${notifications('tx-live', 'dev-live')}/_count`, readA, {})).body).toEqual({ count: 1 });

    const events = await get(`/v1/_/devices/dev-live/events`, readA);
    expect(events.body).toMatchObject({
      type: 'deviceEventListResult',
      size: 1,
      items: [
        {
          type: 'deviceEvent',
          deviceId: 'dev-live',
          resource: 'diagnostics',
          action: 'SENT',
          callbackAction: 'observation',
          operationId: 'tx-live',
          responseCode: 'ACCEPTED',
          provider: 'thingspace',
          channel: 'diagnostics',
        },
      ],
    });
    expect(events.body!.items[0]).not.toHaveProperty('rawBody');
    const event = await get(`/v1/_/devices/dev-live/events/${events.body!.items[0].id}`, readA);
    expect(event.body).toMatchObject({ rawBody: body, payload: { attributes: [{ name: 'LINK_QUALITY', value: 'GOOD' }] } });

    const operations = await get(`/v1/${A}/devices/dev-live/operations`, readA);
    expect(operations.body).toMatchObject({
      type: 'deviceManagementOperationListResult',
      size: 1,
      items: [{ type: 'deviceManagementOperation', id: 'tx-live', status: 'RUNNING', lastNotificationId: id }],
    });
  });

  it('deleting the event that holds a body other devices share leaves their events whole', async () => {
    const body = JSON.stringify({
      transactionID: 'tx-shared',
      deviceIds: ['shared-1', 'shared-2'].map((id) => ({ id, kind: 'imei' })),
      attributes: [{ name: 'LINK_QUALITY', value: 'OK', createdOn: '2026-11-21T10:30:00.000Z' }],
    });
    const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${A}/diagnostics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY_A, body), 'x-callback-token': TOKEN },
      body,
    });
    expect(await res.json()).toMatchObject({ status: 'stored', events: 2, notifications: 2 });
    const [first] = (await get(`/v1/${A}/devices/shared-1/events`, readA)).body!.items;
    expect((await send('DELETE', `/v1/${A}/devices/shared-1/events/${first.id}`, deleteA)).status).toBe(204);
    expect((await get(`/v1/${A}/devices/shared-1/events/${first.id}`, readA)).status).toBe(404);
    const other = await get(`/v1/${A}/devices/shared-2/events/${first.id}`, readA);
    expect(other.body).toMatchObject({
      deviceId: 'shared-2',
      rawBody: body,
      operationId: 'tx-shared',
      payload: { attributes: [{ name: 'LINK_QUALITY', value: 'OK' }] },
    });
    expect((await get(`/v1/${A}/devices/shared-2/events`, readA)).body!.items[0]).toMatchObject({
      id: first.id,
      payload: { attributes: [{ name: 'LINK_QUALITY' }] },
    });
  });

  it('finds a notification only under its own device and operation', async () => {
    const list = await get(notifications(), readA);
    const id = list.body!.items[0].id as string;
    expect((await get(`${notifications()}/${id}`, readA)).status).toBe(200);
    expect((await get(`${notifications('other-op')}/${id}`, readA)).status).toBe(404);
    expect((await get(`${notifications(OP, 'other-device')}/${id}`, readA)).status).toBe(404);
  });
});

describe('Kapua parity', () => {
  it('defaults: offset 0, limit 50, sentOn ascending, no totalCount', async () => {
    const list = await get(notifications(), readA);
    expect(list.body).toMatchObject({ limitExceeded: false, size: N });
    expect(list.body).not.toHaveProperty('totalCount');
    const sentOn = list.body!.items.map((i: { sentOn: string }) => i.sentOn);
    expect(sentOn).toEqual([...sentOn].sort());
  });

  it('limitExceeded is false at exactly limit items and true at limit + 1; totalCount only when asked', async () => {
    expect((await get(`${notifications()}?limit=${N}`, readA)).body).toMatchObject({ limitExceeded: false, size: N });
    const short = await get(`${notifications()}?limit=${N - 1}&askTotalCount=true`, readA);
    expect(short.body).toMatchObject({ limitExceeded: true, size: N - 1, totalCount: N });
    expect(short.body!.nextCursor).toEqual(expect.any(String));
    expect((await get(`${notifications()}?limit=${N}`, readA)).body).not.toHaveProperty('nextCursor');
  });

  it('_query takes the same options in its body; _count counts, with the resource filter', async () => {
    const q = await send('POST', `${notifications()}/_query`, readA, { offset: 2, limit: 3, askTotalCount: true, sortDir: 'DESCENDING' });
    expect(q.body).toMatchObject({ type: 'managementOperationNotificationListResult', size: 3, limitExceeded: true, totalCount: N });
    expect((await send('POST', `${notifications()}/_count`, readA, { offset: 0, limit: 50 })).body).toEqual({ count: N });
    const locations = Math.ceil(N / 3);
    expect((await send('POST', `${notifications()}/_count`, readA, { resource: 'location' })).body).toEqual({ count: locations });
    const filtered = await get(`${notifications()}?resource=location`, readA);
    expect(filtered.body!.size).toBe(locations);
    expect(filtered.body!.items.every((i: { resource: string }) => i.resource === 'location')).toBe(true);
  });

  it('a missing id answers 404 entityNotFoundExceptionInfo', async () => {
    expect((await get(`${notifications()}/AAAAAAAAAAAAAAAA`, readA)).body).toEqual({
      type: 'entityNotFoundExceptionInfo',
      httpErrorCode: 404,
      message: 'The entity of type managementOperationNotification with id/name AAAAAAAAAAAAAAAA was not found.',
      kapuaErrorCode: 'ENTITY_NOT_FOUND',
      entityType: 'managementOperationNotification',
      entityId: 'AAAAAAAAAAAAAAAA',
    });
  });

  it('DELETE answers 204, then the id is 404; a key without the delete right gets 403', async () => {
    const body = JSON.stringify({ transactionID: 'tx-del', device: { id: 'dev-del', kind: 'imei' } });
    await fetch(`${t.gateway.url}/webhooks/thingspace/${A}/diagnostics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY_A, body), 'x-callback-token': TOKEN },
      body,
    });
    const id = (await get(notifications('tx-del', 'dev-del'), readA)).body!.items[0].id as string;
    const denied = await send('DELETE', `${notifications('tx-del', 'dev-del')}/${id}`, readA);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ type: 'subjectUnauthorizedExceptionInfo', httpErrorCode: 403 });
    const deleted = await send('DELETE', `${notifications('tx-del', 'dev-del')}/${id}`, deleteA);
    expect(deleted).toMatchObject({ status: 204, text: '' });
    expect((await get(`${notifications('tx-del', 'dev-del')}/${id}`, readA)).status).toBe(404);
    expect((await send('DELETE', `${notifications('tx-del', 'dev-del')}/${id}`, deleteA)).status).toBe(404);
  });

  it.each([
    ['sortDir=UP', 'sortOrder'],
    ['sortParam=weight', 'sortParam'],
    ['limit=101', 'limit'],
    ['limit=-1', 'limit'],
    ['offset=-1', 'offset'],
    ['sortDir=sideways', 'sortOrder'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
  ])('%s answers 400 illegalArgumentExceptionInfo naming %s', async (query, argumentName) => {
    const res = await get(`${notifications()}?${query}`, readA);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'illegalArgumentExceptionInfo', httpErrorCode: 400, kapuaErrorCode: 'ILLEGAL_ARGUMENT', argumentName });
  });

  it('a cursor of another query is refused', async () => {
    const cursor = (await get(`${notifications()}?limit=2`, readA)).body!.nextCursor as string;
    expect((await get(`${notifications()}?limit=2&sortDir=DESCENDING&cursor=${cursor}`, readA)).body).toMatchObject({ argumentName: 'cursor' });
    expect((await get(`${notifications('tx-live', 'dev-live')}?cursor=${cursor}`, readA)).body).toMatchObject({ argumentName: 'cursor' });
  });
});

describe('paging property', () => {
  it('concatenating every page, by offset or by cursor, gives the full list in order with no gap and no repeat', async () => {
    const full = async (query: string) => (await get(`${notifications()}?limit=100&${query}`, readA)).body!.items.map((i: { id: string }) => i.id) as string[];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('ASCENDING', 'DESCENDING'),
        fc.constantFrom('sentOn', 'createdOn'),
        fc.constantFrom(undefined, 'location', 'diagnostics'),
        async (limit, sortDir, sortParam, resource) => {
          const base = `sortDir=${sortDir}&sortParam=${sortParam}${resource ? `&resource=${resource}` : ''}`;
          const expected = await full(base);
          expect(expected.length).toBe(resource === 'location' ? Math.ceil(N / 3) : resource ? N - Math.ceil(N / 3) : N);

          const byOffset: string[] = [];
          for (let offset = 0; ; offset += limit) {
            const page = (await get(`${notifications()}?${base}&limit=${limit}&offset=${offset}`, readA)).body!;
            byOffset.push(...page.items.map((i: { id: string }) => i.id));
            expect(page.limitExceeded).toBe(offset + limit < expected.length);
            if (!page.limitExceeded) break;
          }
          const byCursor: string[] = [];
          let cursor: string | undefined;
          do {
            const page = (await get(`${notifications()}?${base}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, readA)).body!;
            byCursor.push(...page.items.map((i: { id: string }) => i.id));
            cursor = page.nextCursor;
            expect(Boolean(cursor)).toBe(page.limitExceeded);
          } while (cursor);
          expect(byOffset).toEqual(expected);
          expect(byCursor).toEqual(expected);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});

describe('access', () => {
  const routesOfA = (id = 'AAAAAAAAAAAAAAAA') =>
    [
      ['GET', notifications()],
      ['GET', `${notifications()}/${id}`],
      ['DELETE', `${notifications()}/${id}`],
      ['POST', `${notifications()}/_query`],
      ['POST', `${notifications()}/_count`],
      ['GET', `/v1/${A}/devices/${DEVICE}/events`],
      ['GET', `/v1/${A}/devices/${DEVICE}/events/${id}`],
      ['DELETE', `/v1/${A}/devices/${DEVICE}/events/${id}`],
      ['POST', `/v1/${A}/devices/${DEVICE}/events/_query`],
      ['POST', `/v1/${A}/devices/${DEVICE}/events/_count`],
      ['GET', `/v1/${A}/devices/${DEVICE}/operations`],
    ] as const;

  it('no key, a malformed header or an unknown key: 401 {"message":"Unauthorized"}, on every route', async () => {
    for (const [method, path] of routesOfA()) {
      for (const key of [undefined, 'igw_unknown']) {
        const res = await send(method, path, key);
        expect({ method, path, status: res.status, text: res.text }).toEqual({ method, path, status: 401, text: UNAUTHORIZED });
      }
    }
    const malformed = await fetch(`${t.gateway.url}${notifications()}`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(await malformed.text()).toBe(UNAUTHORIZED);
  });

  it('a key of scope B reads nothing of scope A, by any route: 403 subjectUnauthorizedExceptionInfo', async () => {
    const id = (await get(notifications(), readA)).body!.items[0].id as string;
    for (const [method, path] of routesOfA(id)) {
      const res = await send(method, path, readB);
      expect({ method, path, status: res.status, type: res.body?.type }).toEqual({ method, path, status: 403, type: 'subjectUnauthorizedExceptionInfo' });
      expect(res.text).not.toContain(id.slice(0, 8) + '"'); // nothing of A's data
    }
    // `_` resolves to B for B's key: A's device is simply not there.
    expect((await get(`/v1/_/devices/${DEVICE}/operations/${OP}/notifications`, readB)).body).toMatchObject({ size: 0 });
    expect((await get(`/v1/_/devices/${DEVICE}/operations/${OP}/notifications`, readA)).body).toMatchObject({ size: N });
  });

  it('`_` with a key of several scopes is a 400 naming scopeId; naming the scope works', async () => {
    expect((await get(`/v1/_/devices/${DEVICE}/operations/${OP}/notifications`, readAB)).body).toMatchObject({ argumentName: 'scopeId' });
    expect((await get(notifications(), readAB)).body).toMatchObject({ size: N });
  });

  it('a revoked key is refused', async () => {
    const { key, grant } = await keys.create({ scopes: [A] });
    expect((await get(notifications(), key)).status).toBe(200);
    expect(await keys.revoke(grant.id)).toBe(true);
    const res = await get(notifications(), key);
    expect({ status: res.status, text: res.text }).toEqual({ status: 401, text: UNAUTHORIZED });
  });
});
