// First: the handlers' logger reads its level when its module loads.
import '../support/debug-logs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import Ajv2020 from 'ajv/dist/2020';
import { ApiKeyStore } from '../../shared/apikeys/store';
import type { Channel } from '../../shared/channels';
import { toRecords } from '../../shared/mapping';
import { factsOf } from '../../shared/query/derive';
import { OPENAPI } from '../../shared/query/openapi';
import { CallbackStore } from '../../shared/store/callback-store';
import { ATTR, TABLE } from '../../shared/store/table';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';

// Issue 18: a record whose stored body cannot be decoded is shown with a marker, never a 500 for
// the whole page (item 6); an event's sentOn is the provider time kept beside the id (item 5b);
// the events `_count` honours startDate / endDate as `_query` does (item 7).

const SCOPE = '0212312345-00001';
const BAD = 'dev-undecodable';
const SHARED = ['dev-shared-1', 'dev-shared-2'];
const DATED = 'dev-dated';
/** Bytes in the corrupted bodies: no log line and no answer may carry them. */
const MARKER = 'BODY-BYTES-MUST-NOT-LEAK';

let t: TestGateway;
let key: string;
let output: ReturnType<typeof captureOutput>;

const DOC_ID = 'https://gateway.test/openapi.json';
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']);
ajv.addSchema({ ...JSON.parse(JSON.stringify(OPENAPI)), $id: DOC_ID });
const problems = (name: string, value: unknown) => {
  const validate = ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`)!;
  return validate(value) ? [] : validate.errors;
};

/** The items the store writes for a callback (written by the test itself, so it can corrupt them). */
function itemsOf(channel: Channel, body: string, receivedOn: Date): Record<string, unknown>[] {
  const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 0 });
  const received = { provider: 'thingspace', channel, scopeId: SCOPE, body: Buffer.from(body), receivedOn } as const;
  return store.itemsOf(toRecords(received, factsOf(channel, received.body, SCOPE)));
}
const put = (item: Record<string, unknown>) => t.db.send(new PutCommand({ TableName: t.tableName, Item: item }));
/** A stored body no decoder knows: an unknown format byte (whatever the format's other details). */
const corrupted = () => Buffer.concat([Buffer.of(0x7f), Buffer.from(MARKER)]);

const diagnostics = (device: string, minute: number) =>
  JSON.stringify({
    device: { id: device, kind: 'imei' },
    attributes: [{ name: 'LINK_QUALITY', value: `Q${minute}`, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });
const at = (minute: number) => new Date(Date.UTC(2026, 10, 21, 10, minute, 1));

const ids: Record<string, string> = {};

beforeAll(async () => {
  output = captureOutput();
  t = await startTestGateway({});
  key = (await new ApiKeyStore(t.db, t.tableName).create({ scopes: [SCOPE] })).key;
  // BAD: three events, the middle one's body corrupted.
  for (const minute of [0, 5, 10]) {
    const [event] = itemsOf('diagnostics', diagnostics(BAD, minute), at(minute));
    if (minute === 5) event![ATTR.body] = corrupted();
    ids[`${BAD}/${minute}`] = String(event![TABLE.sortKey]);
    await put(event!);
  }
  // A Connectivity callback naming two devices whose shared body is corrupted.
  const shared = itemsOf(
    'connectivity',
    JSON.stringify({ requestId: 'req-bad', deviceIds: SHARED.map((id) => ({ id, kind: 'imei' })), carrierService: { state: 'active' } }),
    at(20),
  );
  shared[0]![ATTR.body] = corrupted();
  for (const item of shared) await put(item);
  ids.shared = String(shared[0]![TABLE.sortKey]);
  // DATED: events at 10:00, 10:05, 10:10, and one whose provider time (2031) is kept beside its id.
  for (const minute of [0, 5, 10]) await put(itemsOf('diagnostics', diagnostics(DATED, minute), at(minute))[0]!);
  const [future] = itemsOf('diagnostics', diagnostics(DATED, 15), at(15));
  future![ATTR.sentOn] = Date.UTC(2031, 0, 1);
  ids.future = String(future![TABLE.sortKey]);
  await put(future!);
});
afterAll(async () => {
  output.restore();
  await t.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON body, asserted on field by field
  return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

describe('a stored body that cannot be decoded (item 6)', () => {
  it('shows the event with bodyError "undecodable" and no body fields; the rest of the page is whole', async () => {
    const page = await call('GET', `/${BAD}/events?sortDir=ASCENDING`);
    expect(page.status).toBe(200);
    expect(page.body!.items.map((e: { id: string }) => e.id)).toEqual([ids[`${BAD}/0`], ids[`${BAD}/5`], ids[`${BAD}/10`]]);
    const [good1, bad, good2] = page.body!.items as Record<string, unknown>[];
    expect(good1).toMatchObject({ callbackAction: 'observation', payload: { attributes: [{ name: 'LINK_QUALITY', value: 'Q0' }] } });
    expect(good2).toMatchObject({ payload: { attributes: [{ value: 'Q10' }] } });
    for (const good of [good1, good2]) expect(good).not.toHaveProperty('bodyError');
    expect(bad).toMatchObject({
      id: ids[`${BAD}/5`],
      deviceId: BAD,
      resource: 'diagnostics',
      channel: 'diagnostics',
      sentOn: '2026-11-21T10:05:00.000Z',
      bodyError: 'undecodable',
    });
    expect(bad).not.toHaveProperty('payload');
    expect(bad).not.toHaveProperty('rawBody');
    expect(problems('DeviceEventListResult', page.body)).toEqual([]);

    const one = await call('GET', `/${BAD}/events/${ids[`${BAD}/5`]}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ bodyError: 'undecodable' });
    expect(one.body).not.toHaveProperty('rawBody');
    expect(problems('DeviceEventWithRawBody', one.body)).toEqual([]);
    // The marker is declared: a good event that claims it, or a marked one with a payload, does not validate.
    expect(problems('DeviceEvent', { ...good1, bodyError: 'undecodable' })).not.toEqual([]);

    // XML too.
    const xml = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${BAD}/events.xml`, { headers: { authorization: `Bearer ${key}` } });
    expect(xml.status).toBe(200);
    expect(await xml.text()).toContain('<bodyError>undecodable</bodyError>');
  });

  it("marks every device's event of a multi-device callback whose shared body is corrupted", async () => {
    for (const device of SHARED) {
      const page = await call('GET', `/${device}/events`);
      expect(page.status).toBe(200);
      expect(page.body!.items).toEqual([expect.objectContaining({ id: ids.shared, deviceId: device, bodyError: 'undecodable' })]);
    }
  });

  it('logs the record by its ids, never its bytes', async () => {
    await call('GET', `/${BAD}/events`);
    const lines = output
      .text()
      .split('\n')
      .filter((l) => l.includes('stored body not decodable'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', scopeId: SCOPE, deviceId: BAD, recordId: ids[`${BAD}/5`], channel: 'diagnostics' }));
    expect(output.text()).not.toContain(MARKER);
    expect(output.text()).not.toContain(Buffer.from(MARKER).toString('base64'));
  });
});

describe("an event's sentOn (item 5b)", () => {
  it("is the provider time kept beside the id when there is one, else the id's own", async () => {
    const one = await call('GET', `/${DATED}/events/${ids.future}`);
    expect(one.body).toMatchObject({ sentOn: '2031-01-01T00:00:00.000Z' });
    const page = await call('GET', `/${DATED}/events?sortDir=ASCENDING`);
    expect(page.body!.items.map((e: { sentOn: string }) => e.sentOn)).toEqual([
      '2026-11-21T10:00:00.000Z',
      '2026-11-21T10:05:00.000Z',
      '2026-11-21T10:10:00.000Z',
      '2031-01-01T00:00:00.000Z',
    ]);
  });
});

describe('events _count with startDate / endDate (item 7)', () => {
  it('counts what _query lists, within the range (and of the resource)', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ startDate: '2026-11-21T10:04:00.000Z', endDate: '2026-11-21T10:06:00.000Z' }, 1],
      [{ startDate: '2026-11-21T10:04:00.000Z', endDate: '2026-11-21T10:10:00.000Z' }, 2],
      [{ startDate: '2026-11-21T10:04:00.000Z' }, 3],
      [{ endDate: '2026-11-21T10:05:00.000Z' }, 2],
      [{ startDate: '2026-11-21T10:06:00.000Z', endDate: '2026-11-21T10:04:00.000Z' }, 0],
      [{ startDate: '2026-11-21T10:00:00.000Z', endDate: '2026-11-21T10:10:00.000Z', resource: 'location' }, 0],
      [{}, 4],
    ];
    for (const [range, expected] of cases) {
      const count = await call('POST', `/${DATED}/events/_count`, range);
      const listed = await call('POST', `/${DATED}/events/_query`, { ...range, askTotalCount: true });
      expect({ range, status: count.status, count: count.body!.count, size: listed.body!.size }).toEqual({
        range,
        status: 200,
        count: expected,
        size: expected,
      });
      if (expected > 0) expect(listed.body!.totalCount).toBe(expected);
    }
  });
});
