import { ApiKeyAuthorizer } from '../../shared/apikeys/authorizer';
import { generateApiKey, hashApiKey, type ApiKeyGrant, type ApiKeyStore } from '../../shared/apikeys/store';
import { KapuaError, kapuaErrorResponse, toDevice, toDeviceEvent, toNotification, toOperation, unauthenticated } from '../../shared/query/kapua';
import { DeviceSightings } from '../../shared/store/devices';
import { listOptions } from '../../shared/query/params';

const SORTS = { sentOn: 'time', createdOn: 'created' } as const;

describe('listOptions', () => {
  it('applies Kapua defaults', () => {
    expect(listOptions({}, SORTS, 'sentOn', 500)).toEqual({ offset: 0, limit: 50, askTotalCount: false, order: 'time', descending: false });
  });
  it('reads query-string text and body JSON alike', () => {
    const fromQuery = listOptions(
      { offset: '5', limit: '10', askTotalCount: 'true', sortParam: 'createdOn', sortDir: 'DESCENDING', resource: 'diagnostics' },
      SORTS,
      'sentOn',
      500,
    );
    const fromBody = listOptions(
      { offset: 5, limit: 10, askTotalCount: true, sortParam: 'createdOn', sortDir: 'DESCENDING', resource: 'diagnostics' },
      SORTS,
      'sentOn',
      500,
    );
    expect(fromQuery).toEqual(fromBody);
    expect(fromQuery).toEqual({ offset: 5, limit: 10, askTotalCount: true, order: 'created', descending: true, resource: 'diagnostics' });
  });
  it.each([
    [{ limit: '501' }, 'limit'],
    [{ limit: '1.5' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ offset: -1 }, 'offset'],
    [{ limit: -1 }, 'limit'],
    [{ sortDir: 'upwards' }, 'sortOrder'],
    [{ sortParam: 'receivedOn' }, 'sortParam'],
    [{ resource: 7 }, 'resource'],
  ])('%j is refused naming %s', (source, argumentName) => {
    try {
      listOptions(source as Record<string, unknown>, SORTS, 'sentOn', 500);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(KapuaError);
      expect((error as KapuaError).body).toMatchObject({ argumentName, httpErrorCode: 400 });
    }
  });
});

describe('listOptions of a collection whose sortParams default to different directions (devices)', () => {
  const DEVICE_SORTS = { lastEventOn: 'lastSeen', clientId: 'key' } as const;
  it('defaults to DESCENDING for the sortParams listed, ASCENDING for the others, and sortDir wins', () => {
    const options = (source: Record<string, unknown>) => listOptions(source, DEVICE_SORTS, 'lastEventOn', 500, { descending: ['lastEventOn'] });
    expect(options({})).toMatchObject({ order: 'lastSeen', descending: true });
    expect(options({ sortParam: 'clientId' })).toMatchObject({ order: 'key', descending: false });
    expect(options({ sortDir: 'ascending' })).toMatchObject({ order: 'lastSeen', descending: false });
    expect(options({ sortParam: 'clientId', sortDir: 'DESCENDING' })).toMatchObject({ order: 'key', descending: true });
  });
});

describe('DeviceSightings (the devices a webhook container wrote)', () => {
  const s = (deviceId: string, scopeId = 'S') => ({ scopeId, deviceId, deviceKind: 'imei' });
  it('owes a write for a device not written, or written an interval ago or more, once per device of a callback', () => {
    const sightings = new DeviceSightings({ refreshSeconds: 60 });
    expect(sightings.due([s('a'), s('a'), s('b'), s('a', 'T')], 0)).toEqual([s('a'), s('b'), s('a', 'T')]);
    sightings.written(s('a'), 1_000);
    expect(sightings.due([s('a'), s('b')], 60_999)).toEqual([s('b')]);
    expect(sightings.due([s('a')], 61_000)).toEqual([s('a')]);
    // A clock gone backwards owes the write rather than trusting a time to come.
    expect(sightings.due([s('a')], 999)).toEqual([s('a')]);
  });
  it('owes every write with an interval of 0, and remembers nothing it was not told was written', () => {
    const sightings = new DeviceSightings({ refreshSeconds: 0 });
    sightings.written(s('a'), 5);
    expect(sightings.due([s('a')], 5)).toEqual([s('a')]);
    expect(new DeviceSightings({ refreshSeconds: 60 }).size).toBe(0);
  });
  it('reads DEVICE_SEEN_REFRESH_SECONDS when not told (an hour by default)', () => {
    const before = process.env.DEVICE_SEEN_REFRESH_SECONDS;
    try {
      delete process.env.DEVICE_SEEN_REFRESH_SECONDS;
      const hourly = new DeviceSightings();
      hourly.written(s('a'), 0);
      expect(hourly.due([s('a')], 3_599_999)).toEqual([]);
      expect(hourly.due([s('a')], 3_600_000)).toEqual([s('a')]);
      process.env.DEVICE_SEEN_REFRESH_SECONDS = '10';
      const quick = new DeviceSightings();
      quick.written(s('a'), 0);
      expect(quick.due([s('a')], 10_000)).toEqual([s('a')]);
    } finally {
      if (before === undefined) delete process.env.DEVICE_SEEN_REFRESH_SECONDS;
      else process.env.DEVICE_SEEN_REFRESH_SECONDS = before;
    }
  });
});

describe('toDevice', () => {
  it("shows a device in Kapua's shape: the id thrice, the kind's own field, the newest event's time, type and id", () => {
    const device = toDevice({
      scopeId: 'S',
      deviceId: '89148000000800139708',
      deviceKind: 'ICCID',
      firstSeenOn: '2026-11-21T10:00:00.000Z',
      lastEvent: { id: 'AbC', receivedOn: '2026-11-21T11:00:00.000Z', resource: 'CarrierService' },
    });
    expect(device).toEqual({
      type: 'device',
      id: '89148000000800139708',
      scopeId: 'S',
      clientId: '89148000000800139708',
      displayName: '89148000000800139708',
      status: 'ENABLED',
      createdOn: '2026-11-21T10:00:00.000Z',
      lastEventOn: '2026-11-21T11:00:00.000Z',
      lastEventType: 'CarrierService',
      lastEventId: 'AbC',
      iccid: '89148000000800139708',
      deviceKind: 'ICCID',
    });
    // No Kapua field for an MDN or a SENSORO serial; no last event once its events are gone.
    expect(toDevice({ scopeId: 'S', deviceId: '8586928930', deviceKind: 'mdn', firstSeenOn: '2026-11-21T10:00:00.000Z' })).toEqual({
      type: 'device',
      id: '8586928930',
      scopeId: 'S',
      clientId: '8586928930',
      displayName: '8586928930',
      status: 'ENABLED',
      createdOn: '2026-11-21T10:00:00.000Z',
      deviceKind: 'mdn',
    });
  });
});

describe('ApiKeyAuthorizer', () => {
  const grant: ApiKeyGrant = { id: 'abc', label: '', scopes: ['A', 'B'], canDelete: true, createdOn: '' };
  const key = generateApiKey();
  function fakeStore() {
    const store = { finds: 0, known: new Map([[hashApiKey(key), grant]]), findByHash: async (hash: string) => (store.finds++, store.known.get(hash)) };
    return store;
  }

  it('answers authenticated with the grant for a known key, and not for anything else', async () => {
    const store = fakeStore();
    const auth = new ApiKeyAuthorizer(store as unknown as ApiKeyStore, 30_000);
    expect(await auth.authorize(`Bearer ${key}`)).toEqual({ authenticated: true, keyId: 'abc', scopes: 'A,B', canDelete: true });
    expect(await auth.authorize(`bearer ${key}`)).toMatchObject({ authenticated: true });
    for (const header of [undefined, '', 'Bearer', `Basic ${key}`, `Bearer ${key}x`, `Bearer ${key} extra`]) {
      expect(await auth.authorize(header)).toEqual({ authenticated: false });
    }
  });

  it('remembers answers for the TTL, then asks the store again (a revocation takes effect)', async () => {
    let now = 0;
    const store = fakeStore();
    const auth = new ApiKeyAuthorizer(store as unknown as ApiKeyStore, 30_000, () => now);
    await auth.authorize(`Bearer ${key}`);
    await auth.authorize(`Bearer ${key}`);
    expect(store.finds).toBe(1);
    store.known.clear();
    now = 29_999;
    expect(await auth.authorize(`Bearer ${key}`)).toMatchObject({ authenticated: true });
    now = 30_000;
    expect(await auth.authorize(`Bearer ${key}`)).toEqual({ authenticated: false });
    expect(store.finds).toBe(2);
  });

  it('keys are 32 random bytes with a prefix, and only their hash is looked up', () => {
    const a = generateApiKey();
    expect(a).toMatch(/^igw_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(a);
    expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(a)).not.toContain(a.slice(4, 20));
  });
});

describe('Kapua shapes', () => {
  it('omit null fields and unknown attributes of stored items', () => {
    expect(
      toNotification({
        id: 'n',
        scopeId: 's',
        createdOn: 'c',
        createdBy: 'thingspace',
        operationId: 'o',
        progress: 0,
        resource: 'r',
        sentOn: 't',
        status: 'RUNNING',
        message: undefined,
        pk: 'NO#x',
        rawBody: '{}',
      }),
    ).toEqual({
      type: 'managementOperationNotification',
      id: 'n',
      scopeId: 's',
      createdOn: 'c',
      createdBy: 'thingspace',
      operationId: 'o',
      progress: 0,
      resource: 'r',
      sentOn: 't',
      status: 'RUNNING',
    });
  });
  it('show the raw body of an event only when asked', () => {
    const item = { id: 'e', provider: 'sensoro', channel: 'sensoro', action: 'text', rawBody: '{"a":1}' };
    expect(toDeviceEvent(item)).not.toHaveProperty('rawBody');
    expect(toDeviceEvent(item, true)).toMatchObject({ rawBody: '{"a":1}', eventMessage: 'sensoro sensoro text' });
  });
  it('answer 401 {"message":"Unauthorized"} in JSON whatever was asked, and hide unknown errors behind exceptionInfo', () => {
    for (const media of ['json', 'xml'] as const) {
      expect(kapuaErrorResponse(unauthenticated(), media)).toEqual({
        statusCode: 401,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Unauthorized"}',
      });
    }
    const hidden = kapuaErrorResponse(new Error('secret internals'));
    expect(hidden.statusCode).toBe(500);
    expect(hidden.body).not.toContain('secret internals');
    expect(JSON.parse(hidden.body!)).toMatchObject({ type: 'exceptionInfo', httpErrorCode: 500 });
  });
});

describe('toOperation', () => {
  const n = (id: string, status: string, progress: number, sentOn: string) => ({
    id,
    operationId: 'op',
    scopeId: 's',
    deviceId: 'd',
    status,
    progress,
    sentOn,
    createdOn: sentOn,
    resource: 'r',
    provider: 'thingspace',
    channel: 'diagnostics',
    createdBy: 'thingspace',
  });
  const first = n('a', 'RUNNING', 0, '2026-11-21T10:00:00.000Z');
  it('takes status, progress and endedOn from the terminal notification when the latest is not terminal, the rest from the latest; without one, the latest decides', () => {
    const latest = n('c', 'RUNNING', 10, '2026-11-21T10:02:00.000Z');
    const terminal = n('b', 'FAILED', 100, '2026-11-21T10:01:00.000Z');
    expect(toOperation({ first, latest, terminal })).toMatchObject({
      status: 'FAILED',
      progress: 100,
      endedOn: '2026-11-21T10:01:00.000Z',
      lastNotificationId: 'c',
      lastSentOn: '2026-11-21T10:02:00.000Z',
      modifiedOn: '2026-11-21T10:02:00.000Z',
      startedOn: '2026-11-21T10:00:00.000Z',
    });
    // A STALE latest does not undo an earlier COMPLETED either.
    expect(
      toOperation({ first, latest: n('c', 'STALE', 0, '2026-11-21T10:02:00.000Z'), terminal: n('b', 'COMPLETED', 100, '2026-11-21T10:01:00.000Z') }),
    ).toMatchObject({ status: 'COMPLETED', endedOn: '2026-11-21T10:01:00.000Z' });
    expect(toOperation({ first, latest: n('c', 'RUNNING', 40, '2026-11-21T10:02:00.000Z') })).not.toHaveProperty('endedOn');
    expect(toOperation({ first, latest: n('c', 'STALE', 40, '2026-11-21T10:02:00.000Z') })).toMatchObject({
      status: 'STALE',
      endedOn: '2026-11-21T10:02:00.000Z',
    });
  });
});
