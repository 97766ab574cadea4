import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { request } from 'node:http';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { RejectionLog, type Rejection } from '../../shared/rejections';
import { rejectionPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

// The rejected-request log under a flood of forgeries, through the real server on a real engine.
// Requests leave from different loopback addresses (127.0.0.x), so the gateway sees different
// sources. The per-minute limit is lifted here to see what the slots alone keep.
const ACCOUNT = '0212312345-00001';
const KEY = 'location-key-rejections';
const CAP = 8;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(
    { [`thingspace/${ACCOUNT}/location`]: { current: { key: KEY } } },
    { REJECTION_LOG_CAP: String(CAP), REJECTION_LOG_PER_MINUTE: '10000' },
  );
});
afterAll(async () => {
  await t.stop();
});

/** POSTs to the account's Location webhook from a given loopback address. */
function postFrom(localAddress: string, body: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/location`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function recordsOf(scopeId: string): Promise<Record<string, unknown>[]> {
  const out = await t.db.send(
    new QueryCommand({ TableName: t.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': rejectionPk(scopeId) } }),
  );
  return out.Items ?? [];
}

const forgery = (n: number) => {
  const body = JSON.stringify({ txid: `forged-${n}` });
  return { body, headers: { 'content-type': 'application/json', 'x-signature': hexSignature('a guess', body), 'x-flood-marker': String(n) } };
};

describe('the rejected-request log', () => {
  it('a flood of forgeries from one source cannot push out the records of other sources or of other reasons, and no source is locked out', async () => {
    // The flood's first refusal is the first of its kind (it may take any slot of equal standing, as a
    // new source's first may: README); every later one is a repeat.
    const opening = forgery(-2);
    expect(await postFrom('127.0.0.1', opening.body, opening.headers)).toBe(401);
    // A genuine-looking refusal from another source, and one of another reason from the flood's own source.
    const other = forgery(-1);
    expect(await postFrom('127.0.0.2', other.body, other.headers)).toBe(401);
    expect(await postFrom('127.0.0.1', 'plain text', { 'content-type': 'text/plain' })).toBe(415);
    // Three firsts of their kind: equal standing, so one may have taken another's slot (1 in 8); those
    // that stand now must all outlive the flood.
    const kindOf = (r: Record<string, unknown>) => `${String(r.sk)} ${String(r.sourceIp)} ${String(r.errorCode)}`;
    const firsts = (await recordsOf(ACCOUNT)).map(kindOf);
    expect(firsts.length).toBeGreaterThanOrEqual(2);

    for (let i = 0; i < 300; i += 30) {
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, j) => forgery(i + j)).map((f) => postFrom('127.0.0.1', f.body, f.headers)));
      expect(new Set(statuses)).toEqual(new Set([401]));
    }

    const records = await recordsOf(ACCOUNT);
    expect(records.length).toBeLessThanOrEqual(CAP);
    expect(records.map(kindOf)).toEqual(expect.arrayContaining(firsts));
    // The flood fills what is left: every other slot.
    expect(records.filter((r) => r.sourceIp === '127.0.0.1' && r.errorCode === 'UNAUTHORIZED').length).toBeGreaterThanOrEqual(CAP - 3);

    // A full log still takes a new source's record.
    const third = forgery(-3);
    expect(await postFrom('127.0.0.3', third.body, third.headers)).toBe(401);
    expect((await recordsOf(ACCOUNT)).filter((r) => r.sourceIp === '127.0.0.3')).toHaveLength(1);
    expect((await recordsOf(ACCOUNT)).length).toBeLessThanOrEqual(CAP);
  }, 60_000);

  it('records the header names the channel knows, and only counts the ones a caller made up', async () => {
    const made = forgery(-4);
    expect(await postFrom('127.0.0.4', made.body, { ...made.headers, 'x-made-up-name': '1' })).toBe(401);
    const { key } = await new ApiKeyStore(t.db, t.tableName).create({ scopes: [ACCOUNT] });
    const res = await fetch(`${t.gateway.url}/v1/${ACCOUNT}/rejections?limit=100`, { headers: { authorization: `Bearer ${key}` } });
    const items = ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
    const record = items.find((i) => i.sourceIp === '127.0.0.4')!;
    expect(record.headerNames).toEqual(expect.arrayContaining(['content-type', 'content-length', 'x-signature', 'x-forwarded-for']));
    expect(record.headerNames).not.toContain('x-made-up-name');
    expect(record.headerNames).not.toContain('x-flood-marker');
    expect(record.moreHeaderNames).toBe(2);
    for (const item of items) expect((item.headerNames as string[]).some((n) => n.startsWith('x-flood') || n.startsWith('x-made'))).toBe(false);
  });

  it("a record from a provider's published source outlives any number of records from elsewhere", async () => {
    const log = new RejectionLog(t.db, { tableName: t.tableName, capPerScope: CAP, ttlHours: 1, perScopePerMinute: 10_000 });
    const rejection = (sourceIp: string, published: boolean): Rejection => ({
      scopeId: 'published-scope',
      provider: 'thingspace',
      channel: 'location',
      statusCode: 401,
      errorCode: 'UNAUTHORIZED',
      reason: 'Missing signature header',
      sourceIp,
      fromPublishedSource: published,
      headerNames: ['content-type'],
      bodyBytes: 10,
      receivedOn: new Date().toISOString(),
    });
    await log.record(rejection('3.87.163.45', true));
    // A flood from one source, then one refusal from each of 60 others.
    for (let i = 0; i < 200; i++) await log.record(rejection('203.0.113.9', false));
    for (let i = 0; i < 60; i++) await log.record(rejection(`198.51.100.${i}`, false));
    const records = await recordsOf('published-scope');
    expect(records.length).toBeLessThanOrEqual(CAP);
    expect(records.filter((r) => r.sourceIp === '3.87.163.45')).toHaveLength(1);
  }, 60_000);
});
