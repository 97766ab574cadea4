import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Ajv2020 from 'ajv/dist/2020';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { toRecords } from '../../shared/mapping';
import { factsOf } from '../../shared/query/derive';
import { OPENAPI } from '../../shared/query/openapi';
import { PartitionReader, type ListOptions } from '../../shared/store/partition-reader';
import { CallbackStore } from '../../shared/store/callback-store';
import { ATTR, eventPk, TABLE } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';

// Issue 18, item 8: a `resource` filter reads in pages sized for the filter, at most a bounded
// number of Query calls per request; a request that reaches the bound answers what it found with
// limitExceeded and a cursor from where it stopped. A cursor after an over-read page resumes right
// after the last item returned, so no match read beyond it is skipped.

const SCOPE = '0212312345-00001';
/** One `location` event, sent first, then 200 `diagnostics` events: newest first, the match is last. */
const SPARSE = 'dev-sparse';
/** 150 `diagnostics` events, 3 `location` ones, 50 `diagnostics` ones (in sentOn order). */
const DENSE = 'dev-dense';
/** The gateway's bound, for the HTTP checks (the default is 10). */
const GATEWAY_BOUND = 2;

let t: TestGateway;
let key: string;
const matches: Record<string, string[]> = {};

function event(device: string, second: number, resource: string): Record<string, unknown> {
  const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 0 });
  const body = JSON.stringify({
    device: { id: device, kind: 'imei' },
    attributes: [{ name: 'N', value: String(second), createdOn: new Date(Date.UTC(2026, 10, 21, 10, 0, second)).toISOString() }],
  });
  const received = {
    provider: 'thingspace',
    channel: 'diagnostics',
    scopeId: SCOPE,
    body: Buffer.from(body),
    receivedOn: new Date(Date.UTC(2026, 10, 21, 11)),
  } as const;
  const [item] = store.itemsOf(toRecords(received, factsOf('diagnostics', received.body, SCOPE)));
  item![ATTR.resource] = resource;
  return item!;
}

async function seed(device: string, resources: string[]) {
  const items = resources.map((resource, second) => event(device, second, resource));
  matches[device] = items.filter((i) => i[ATTR.resource] === 'location').map((i) => String(i[TABLE.sortKey]));
  for (let i = 0; i < items.length; i += 25) {
    await t.db.send(new BatchWriteCommand({ RequestItems: { [t.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

beforeAll(async () => {
  t = await startTestGateway({}, { QUERY_FILTER_MAX_CALLS: String(GATEWAY_BOUND) });
  key = (await new ApiKeyStore(t.db, t.tableName).create({ scopes: [SCOPE] })).key;
  await seed(SPARSE, ['location', ...Array<string>(200).fill('diagnostics')]);
  await seed(DENSE, [...Array<string>(150).fill('diagnostics'), 'location', 'location', 'location', ...Array<string>(50).fill('diagnostics')]);
});
afterAll(async () => {
  await t.stop();
});

/** The default bound (QUERY_FILTER_MAX_CALLS unset): the gateway here runs with GATEWAY_BOUND instead. */
const DEFAULT_BOUND = 10;

/** A reader on a client that counts its calls. */
function countingReader(bound = DEFAULT_BOUND) {
  const counter = { calls: 0 };
  const client = { send: (command: never) => (counter.calls++, t.db.send(command)) } as unknown as DynamoDBDocumentClient;
  return { reader: new PartitionReader(client, t.tableName, 2_000, bound), counter };
}

const options = (o: Partial<ListOptions>): ListOptions => ({
  offset: 0,
  limit: 1,
  askTotalCount: false,
  order: 'key',
  descending: false,
  resource: 'location',
  ...o,
});

/** Every page of a list by cursor: the ids found, and the calls and items read by each request. */
async function pageThrough(bound: number, device: string, o: Partial<ListOptions>) {
  const { reader, counter } = countingReader(bound);
  const found: string[] = [];
  const requests: { calls: number; size: number; limitExceeded: boolean }[] = [];
  let cursor: string | undefined;
  do {
    const before = counter.calls;
    const page = await reader.list({ pk: eventPk(SCOPE, device) }, options({ ...o, ...(cursor ? { cursor } : {}) }));
    found.push(...page.items.map((i) => String(i[TABLE.sortKey])));
    requests.push({ calls: counter.calls - before, size: page.items.length, limitExceeded: page.limitExceeded });
    expect(Boolean(page.nextCursor)).toBe(page.limitExceeded);
    cursor = page.nextCursor;
    if (requests.length > 50) throw new Error('no end');
  } while (cursor);
  return { found, requests, itemsRead: reader.itemsRead };
}

describe('a resource filter', () => {
  it('reads in pages sized for the filter, at most 10 Query calls per request; the cursor goes on from where it stopped and never skips a match', async () => {
    // Limit 1 over 200 other events, newest first: one request, three calls (2 items, then pages of 100).
    const sparse = await pageThrough(DEFAULT_BOUND, SPARSE, { descending: true });
    expect(sparse.found).toEqual(matches[SPARSE]);
    expect(sparse.requests).toEqual([{ calls: 3, size: 1, limitExceeded: false }]);
    expect(sparse.itemsRead).toBe(201);

    // At a bound of 2 calls: a page of nothing with a cursor, then the match.
    const bounded = await pageThrough(2, SPARSE, { descending: true });
    expect(bounded.found).toEqual(matches[SPARSE]);
    expect(bounded.requests).toEqual([
      { calls: 2, size: 0, limitExceeded: true },
      { calls: 2, size: 1, limitExceeded: false },
    ]);

    // Three matches inside one over-read page: each page resumes right after the item it returned.
    for (const descending of [false, true]) {
      for (const limit of [1, 2]) {
        const dense = await pageThrough(DEFAULT_BOUND, DENSE, { descending, limit });
        const expected = descending ? [...matches[DENSE]!].reverse() : matches[DENSE];
        expect({ descending, limit, found: dense.found }).toEqual({ descending, limit, found: expected });
        for (const r of dense.requests) expect(r.calls).toBeLessThanOrEqual(10);
      }
    }
  });

  it('skips an offset in pages too, within the same bound, and a cursor carries what is left to skip', async () => {
    const { reader, counter } = countingReader();
    const second = await reader.list({ pk: eventPk(SCOPE, DENSE) }, options({ offset: 1 }));
    expect(second.items.map((i) => i[TABLE.sortKey])).toEqual([matches[DENSE]![1]]);
    expect(second.limitExceeded).toBe(true);
    expect(counter.calls).toBeLessThanOrEqual(10);
    const third = await reader.list({ pk: eventPk(SCOPE, DENSE) }, options({ cursor: second.nextCursor! }));
    expect(third).toMatchObject({ items: [expect.objectContaining({ [TABLE.sortKey]: matches[DENSE]![2] })], limitExceeded: false });

    // At a bound of 2 calls the skip stops on the way: a page of nothing, and its cursor still skips the first match.
    const bounded = await pageThrough(2, DENSE, { offset: 1 });
    expect(bounded.found).toEqual(matches[DENSE]!.slice(1));
    for (const r of bounded.requests) expect(r.calls).toBeLessThanOrEqual(2);
    expect(bounded.requests[0]).toEqual({ calls: 2, size: 0, limitExceeded: true });
  });

  it('over HTTP: a request that reaches the bound answers a page of nothing with limitExceeded and a cursor, as the OpenAPI document declares', async () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
    ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
    ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']);
    ajv.addSchema({ ...JSON.parse(JSON.stringify(OPENAPI)), $id: 'doc' });
    const validate = ajv.getSchema('doc#/components/schemas/DeviceEventListResult')!;
    const get = async (query: string) => {
      const res = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${SPARSE}/events?${query}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { size: number; limitExceeded: boolean; nextCursor?: string; items: { id: string }[] };
      expect({ body, problems: validate(body) ? [] : validate.errors }).toEqual({ body, problems: [] });
      return body;
    };
    const first = await get('limit=1&resource=location');
    expect(first).toMatchObject({ size: 0, limitExceeded: true, nextCursor: expect.any(String) });
    const next = await get(`limit=1&resource=location&cursor=${first.nextCursor}`);
    expect(next).toMatchObject({ size: 1, limitExceeded: false, items: [{ id: matches[SPARSE]![0] }] });
  });
});
