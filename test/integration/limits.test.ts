import { FileSecretSource } from '../../shared/secrets/file-source';
import { eventPk, rejectionPk } from '../../shared/store/table';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

const ACCOUNT = '0212312345-00001';
const KEY = 'loc-key-limits';
const CAP = 2048;
const REJECTION_CAP = 20;

// Every EMF metric line the gateway writes, to see the metrics it emits.
const emf: Array<Record<string, unknown>> = [];
const write = process.stdout.write.bind(process.stdout);
let t: TestGateway;
beforeAll(async () => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (text.includes('"_aws"')) {
      for (const line of text.split('\n').filter((l) => l.includes('"_aws"'))) emf.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    }
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  t = await startTestGateway(
    { [`thingspace/${ACCOUNT}/location`]: { current: { key: KEY } } },
    // The per-minute limit of the rejected-request log is lifted here to see the slots' cap alone (security.test.ts has the limit).
    { MAX_BODY_BYTES: String(CAP), REJECTION_LOG_CAP: String(REJECTION_CAP), REJECTION_LOG_PER_MINUTE: '10000', POWERTOOLS_METRICS_DISABLED: 'false' },
  );
});
afterAll(async () => {
  process.stdout.write = write;
  await t.stop();
});

const post = (body: string, headers: Record<string, string>, account = ACCOUNT) =>
  fetch(`${t.gateway.url}/webhooks/thingspace/${account}/location`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
/** A signed Location body of exactly `size` bytes (padded inside a string field). */
const bodyOf = (size: number, device: string) => {
  const bare = JSON.stringify({ txid: `t-${device}`, id: device, kind: 'imei', pad: '' });
  return bare.replace('"pad":""', `"pad":"${'x'.repeat(size - bare.length)}"`);
};

describe('limits', () => {
  it('takes a body of exactly the cap; answers 413 at cap + 1 byte before reading any secret, storing nothing', async () => {
    const reads = jest.spyOn(FileSecretSource.prototype, 'get');
    const atCap = bodyOf(CAP, 'dev-cap');
    expect(Buffer.byteLength(atCap)).toBe(CAP);
    expect((await post(atCap, { 'x-signature': hexSignature(KEY, atCap) })).status).toBe(200);
    reads.mockClear();
    const over = bodyOf(CAP + 1, 'dev-over');
    const res = await post(over, { 'x-signature': hexSignature(KEY, over) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errorCode: 'PAYLOAD_TOO_LARGE', errorMessage: `Body exceeds the limit of ${CAP} bytes` });
    expect(reads).not.toHaveBeenCalled();
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-over'))).toBe(0);
    reads.mockRestore();
  });

  it('records a rejected callback with its reason and header names, readable through the query API, never a header value', async () => {
    const body = JSON.stringify({ txid: 'rejected-1' });
    const signature = hexSignature('not-the-key', body);
    expect((await post(body, { 'x-signature': signature, 'x-custom-thing': 'value-must-not-leak' })).status).toBe(401);
    const { key } = await new ApiKeyStore(t.db, t.tableName).create({ scopes: [ACCOUNT] });
    const res = await fetch(`${t.gateway.url}/v1/${ACCOUNT}/rejections?sortDir=DESCENDING&limit=5`, { headers: { authorization: `Bearer ${key}` } });
    const page = (await res.json()) as { items: Array<Record<string, unknown>> };
    const record = page.items.find((i) => i.reason === 'Signature does not match')!;
    expect(record).toMatchObject({
      type: 'rejectedRequest',
      scopeId: ACCOUNT,
      channel: 'location',
      provider: 'thingspace',
      httpStatus: 401,
      errorCode: 'UNAUTHORIZED',
      sourceIp: '127.0.0.1',
      bodyBytes: Buffer.byteLength(body),
    });
    // Names the channel knows are listed; a name the caller made up is only counted.
    expect(record.headerNames).toEqual(expect.arrayContaining(['content-type', 'x-signature']));
    expect(record.headerNames).not.toContain('x-custom-thing');
    expect(record.moreHeaderNames).toBeGreaterThanOrEqual(1);
    const text = JSON.stringify(page);
    for (const leaked of [signature, 'value-must-not-leak', 'application/json', 'rejected-1']) expect(text).not.toContain(leaked);
  });

  it('keeps the log bounded under a flood, per known account and for unknown ones together', async () => {
    const flood = async (account: string, n: number) => {
      for (let i = 0; i < n; i += 25) {
        await Promise.all(Array.from({ length: 25 }, (_, j) => post(`{"n":${i + j}}`, { 'x-signature': 'ab'.repeat(32) }, account).then((r) => r.status)));
      }
    };
    await flood(ACCOUNT, 200);
    // Random account names cannot open new partitions: they share `_unknown`.
    for (let i = 0; i < 8; i++) await flood(`9${String(i).padStart(9, '0')}-00000`, 25);
    const known = await t.countUnder(rejectionPk(ACCOUNT));
    const unknown = await t.countUnder(rejectionPk('_unknown'));
    expect(known).toBeGreaterThan(REJECTION_CAP / 2);
    expect(known).toBeLessThanOrEqual(REJECTION_CAP);
    expect(unknown).toBeGreaterThan(0);
    expect(unknown).toBeLessThanOrEqual(REJECTION_CAP);
    expect(await t.countUnder(rejectionPk('9000000000-00000'))).toBe(0);
  }, 60_000);

  it('emits metrics: accepted, rejected by reason, latency', () => {
    const names = (line: Record<string, unknown>) =>
      ((line._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]!.Metrics ?? []).map((m) => m.Name);
    const accepted = emf.filter((l) => names(l).includes('CallbackAccepted'));
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted[0]).toMatchObject({ channel: 'location', CallbackAccepted: 1 });
    expect(emf.some((l) => names(l).includes('CallbackLatency'))).toBe(true);
    const reasons = new Set(emf.filter((l) => names(l).includes('CallbackRejected')).map((l) => l.reason));
    // Unknown accounts are answered as bad signatures (UNAUTHORIZED), no longer SERVICE_UNAVAILABLE.
    expect(reasons).toEqual(new Set(['PAYLOAD_TOO_LARGE', 'UNAUTHORIZED']));
  });
});
