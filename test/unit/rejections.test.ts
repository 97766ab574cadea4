import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../../shared/errors';
import { webhookErrors } from '../../shared/http/middleware';
import { headerNamesOf, knownHeaderNames, RejectionLog, type Rejection } from '../../shared/rejections';

/** A document client that takes every write and keeps it. */
function fakeClient() {
  const writes: Array<{ input: { Item: Record<string, unknown>; ConditionExpression?: string } }> = [];
  return { writes, client: { send: async (command: (typeof writes)[number]) => void writes.push(command) } as unknown as DynamoDBDocumentClient };
}

/** An item's size as DynamoDB counts it: attribute names and values (a number 1 byte + 1 per two significant digits, a list 3 + 1 per element). */
function itemSize(item: Record<string, unknown>): number {
  const size = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number')
      return (
        1 +
        Math.ceil(
          String(Math.abs(value))
            .replace('.', '')
            .replace(/^0+|0+$/g, '').length / 2,
        )
      );
    if (typeof value === 'boolean') return 1;
    if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + size(v), 0);
    throw new Error(`unexpected attribute value ${typeof value}`);
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + size(value), 0);
}

const rejection = (sourceIp: string, extra: Partial<Rejection> = {}): Rejection => ({
  scopeId: 'a',
  provider: 'sensoro',
  channel: 'sensoro',
  statusCode: 401,
  errorCode: 'UNAUTHORIZED',
  reason: 'Signature does not match',
  sourceIp,
  headerNames: [],
  bodyBytes: 1,
  receivedOn: '2026-12-01T00:00:00.000Z',
  ...extra,
});

describe('RejectionLog', () => {
  it("a flood from one source cannot use up a minute's writes: another source's refusal in the same minute is still written", async () => {
    const { writes, client } = fakeClient();
    const log = new RejectionLog(client, { tableName: 't', capPerScope: 500, ttlHours: 1, perScopePerMinute: 10, now: () => 0 });
    for (let i = 0; i < 300; i++) await log.record(rejection('203.0.113.9'));
    expect(writes.length).toBeLessThanOrEqual(6); // its first, then at most half the minute's writes
    expect(await log.record(rejection('198.51.100.7'))).toBe(true);
    expect(writes.at(-1)!.input.Item.sourceIp).toBe('198.51.100.7');
    // Each record is one write, and a repeated one may replace only what it is allowed to.
    expect(writes.every((w) => typeof w.input.ConditionExpression === 'string')).toBe(true);
  });

  it('keeps a record of the largest request under 1 KB, one write unit: every name from a published address, a long reason', async () => {
    const { writes, client } = fakeClient();
    const log = new RejectionLog(client, { tableName: 't', capPerScope: 2_000, ttlHours: 720, now: () => 0 });
    const headers = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-${String(i).padStart(2, '0')}-${'é'.repeat(60)}`, '1']));
    const scopeId = 'a'.repeat(64);
    const reason = `no secret thingspace/${scopeId}/device-location: not an account of this gateway; ${'and more '.repeat(20)}`;
    await log.record(
      rejection('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', {
        scopeId,
        reason,
        statusCode: 429,
        errorCode: 'TOO_MANY_REQUESTS',
        fromPublishedSource: true,
        bodyBytes: 262_144,
        ...headerNamesOf(headers),
      }),
    );
    expect(itemSize(writes[0]!.input.Item)).toBeLessThanOrEqual(1_024);
  });

  it('counts every address of an IPv6 /64 as one source', async () => {
    const { writes, client } = fakeClient();
    const log = new RejectionLog(client, { tableName: 't', capPerScope: 500, ttlHours: 1, perScopePerMinute: 10, now: () => 0 });
    for (let i = 0; i < 300; i++) await log.record(rejection(`2001:db8:1:2::${i.toString(16)}`));
    expect(writes.length).toBeLessThanOrEqual(6);
  });
});

describe('header names in the rejected-request log', () => {
  it('knows the header names of its channel: the configured signature and token headers, SENSORO X-ACCESS-*, SOAPAction', () => {
    const env = { THINGSPACE_SIGNATURE_HEADERS: 'x-vz-sig', THINGSPACE_TOKEN_HEADER: 'X-My-Token' };
    expect([...knownHeaderNames('thingspace', 'diagnostics', env)]).toEqual(
      expect.arrayContaining(['x-vz-sig', 'x-my-token', 'content-type', 'user-agent', 'x-forwarded-for']),
    );
    expect(knownHeaderNames('thingspace', 'location', env).has('x-signature')).toBe(false);
    expect(knownHeaderNames('thingspace', 'location', {}).has('x-signature')).toBe(true);
    expect([...knownHeaderNames('sensoro', 'sensoro', {})]).toEqual(expect.arrayContaining(['x-access-id', 'x-access-nonce', 'x-access-signature']));
    expect(knownHeaderNames('thingspace', 'soap', {}).has('soapaction')).toBe(true);
  });

  async function recorded(provider: 'thingspace' | 'sensoro', sourceIp: string, headers: Record<string, string>): Promise<Rejection> {
    const records: Rejection[] = [];
    const rejections = { record: async (r: Rejection) => void records.push(r) } as unknown as RejectionLog;
    const middleware = webhookErrors({ provider, channel: provider === 'sensoro' ? 'sensoro' : 'location', rejections, isKnownScope: () => true });
    const event = { headers, pathParameters: { account: 'a' }, requestContext: { http: { sourceIp } } } as unknown as APIGatewayProxyEventV2;
    await middleware.onError!({ event, error: new UnauthorizedError('Missing signature header'), context: {}, response: undefined, internal: {} } as never);
    return records[0]!;
  }

  it("records only the names a stranger's request shares with the channel, the others as a count; all from ThingSpace's published addresses", async () => {
    const headers = { 'content-type': 'application/json', 'x-signature': 'ab', 'x-made-up': '1', 'x-other-made-up': '2', 'x-access-nonce': '1' };
    const record = await recorded('thingspace', '203.0.113.9', headers);
    expect(record.headerNames).toEqual(['content-type', 'x-signature']);
    expect(record.moreHeaderNames).toBe(3);
    const sensoro = await recorded('sensoro', '203.0.113.9', headers);
    expect(sensoro.headerNames).toEqual(['content-type', 'x-access-nonce']);
    expect(sensoro.moreHeaderNames).toBe(3);
    // From one of ThingSpace's published addresses every name is kept: what its signature header really is.
    const published = await recorded('thingspace', '3.87.163.45', { 'content-type': 'application/json', 'x-tsp-hmac': 'ab' });
    expect(published.headerNames).toEqual(['content-type', 'x-tsp-hmac']);
    expect(published.moreHeaderNames).toBeUndefined();
  });
});
