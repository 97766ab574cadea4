import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { base64Signature, hexSignature } from '../support/sign';

const ACCOUNT = '0212312345-00001';
const KEYS = { diagnostics: 'diag-key-1', location: 'loc-key-1', 'device-location': 'devloc-key-1' };
const TOKEN = 'registered-token-1';
const SECRETS = {
  [`thingspace/${ACCOUNT}/diagnostics`]: { current: { key: KEYS.diagnostics, token: TOKEN } },
  [`thingspace/${ACCOUNT}/location`]: { current: { key: KEYS.location } },
  [`thingspace/${ACCOUNT}/device-location`]: { current: { key: KEYS['device-location'] } },
};
const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(SECRETS);
});
afterAll(async () => {
  await t.stop();
});

type Channel = keyof typeof KEYS;

async function post(channel: Channel, body: string | Buffer, headers: Record<string, string> = {}, account = ACCOUNT) {
  const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${account}/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const signed = (channel: Channel, body: string, key: string = KEYS[channel]) => ({
  'x-signature': hexSignature(key, body),
  ...(channel === 'diagnostics' ? { 'x-callback-token': TOKEN } : {}),
});

/** A diagnostics body unique to this test, for device `device`. */
const diagnostics = (device: string, extra = '') =>
  JSON.stringify({ transactionID: `obs-${device}`, device: { id: device, kind: 'imei' }, attributes: [{ name: 'LINK_QUALITY', value: `GOOD${extra}` }] });

describe('ThingSpace HMAC webhooks through the local server', () => {
  it('stores a signed Diagnostics callback once and acknowledges the redelivery', async () => {
    const body = fixture('diagnostics-observation.json');
    const first = await post('diagnostics', body, signed('diagnostics', body));
    expect(first).toMatchObject({ status: 200, body: { status: 'stored', events: 1, notifications: 1 } });
    const second = await post('diagnostics', body, signed('diagnostics', body));
    expect(second).toMatchObject({ status: 200, body: { status: 'duplicate', messageId: first.body!.messageId } });
    expect(await t.countUnder(eventPk(ACCOUNT, '990013907835573'))).toBe(1);
    expect(await countNotifications(ACCOUNT, '990013907835573', '2c9a8f3e-obs-0001')).toBe(1);
  });

  it('stores Location and DeviceLocation callbacks under their own routes', async () => {
    const result = fixture('device-location-result.json');
    expect((await post('device-location', result, signed('device-location', result))).status).toBe(200);
    const report = fixture('location-report-ready.json');
    expect((await post('location', report, signed('location', report))).status).toBe(200);
    expect(await countNotifications(ACCOUNT, '990013907835573', '5d7a1f0c-loc-0042')).toBe(1);
    expect(await countNotifications(ACCOUNT, ACCOUNT, 'a7b3-report-0007')).toBe(1);
  });

  it('refuses a key of another channel: each route verifies with its own secret', async () => {
    const body = fixture('device-location-error.json');
    const res = await post('device-location', body, signed('device-location', body, KEYS.location));
    expect(res.status).toBe(401);
    expect(await t.countUnder(eventPk(ACCOUNT, '7892345679'))).toBe(0);
  });

  it('accepts a base64 signature and a base64-encoded body (verified on the decoded bytes)', async () => {
    const body = diagnostics('dev-b64');
    // A non-text media type makes API Gateway (and the local adapter) deliver the body base64-encoded.
    const res = await post('diagnostics', body, {
      'content-type': 'application/vnd.thingspace+json',
      signature: base64Signature(KEYS.diagnostics, body),
      'x-callback-token': TOKEN,
    });
    expect(res.status).toBe(200);
    const [event] = await t.events(ACCOUNT, 'dev-b64');
    expect(event?.rawBody).toBe(body);
  });

  it.each([
    ['a wrong signature', (b: string) => ({ 'x-signature': hexSignature('wrong', b), 'x-callback-token': TOKEN }), 'Signature does not match'],
    ['no signature', () => ({ 'x-callback-token': TOKEN }), 'Missing signature header'],
    ['no token', (b: string) => ({ 'x-signature': hexSignature(KEYS.diagnostics, b) }), 'Missing callback token header'],
    ['a wrong token', (b: string) => ({ 'x-signature': hexSignature(KEYS.diagnostics, b), 'x-callback-token': 'guess' }), 'Callback token does not match'],
  ])('answers 401 for %s, in the ThingSpace error form, and stores nothing', async (label, headers, message) => {
    const device = `dev-401-${label.replace(/\W/g, '')}`;
    const body = diagnostics(device);
    const res = await post('diagnostics', body, headers(body));
    expect(res).toEqual({ status: 401, body: { errorCode: 'UNAUTHORIZED', errorMessage: message } });
    expect(await t.countUnder(eventPk(ACCOUNT, device))).toBe(0);
  });

  it('answers an account with no secret exactly as a bad signature (401), never accepting it unverified', async () => {
    const body = diagnostics('dev-nosecret');
    const res = await post('diagnostics', body, signed('diagnostics', body), '0000000000-00000');
    expect(res).toEqual({ status: 401, body: { errorCode: 'UNAUTHORIZED', errorMessage: 'Signature does not match' } });
    expect(await t.countUnder(eventPk('0000000000-00000', 'dev-nosecret'))).toBe(0);
  });

  it('answers 400 for a signed body that is not a callback, and stores nothing', async () => {
    for (const body of ['{"device":', '[1,2]', '{"attributes":"x","device":{"id":"dev-400","kind":"imei"}}']) {
      const res = await post('diagnostics', body, signed('diagnostics', body));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errorCode: 'BAD_REQUEST' });
    }
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-400'))).toBe(0);
  });

  it('answers 413 above the body cap and 415 for a non-JSON media type, before verifying', async () => {
    const big = JSON.stringify({ device: { id: 'dev-big', kind: 'imei' }, pad: 'x'.repeat(300 * 1024) });
    expect((await post('diagnostics', big, signed('diagnostics', big))).status).toBe(413);
    const body = diagnostics('dev-415');
    expect((await post('diagnostics', body, { ...signed('diagnostics', body), 'content-type': 'text/plain' })).status).toBe(415);
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-big'))).toBe(0);
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-415'))).toBe(0);
  });

  it('honours a rotation at once: new key accepted, previous accepted until previousValidUntil, then refused', async () => {
    const name = `thingspace/${ACCOUNT}/location`;
    const report = (n: number) => JSON.stringify({ txid: `rot-${n}`, status: 'Completed' });
    expect((await post('location', report(0), signed('location', report(0)))).status).toBe(200); // caches loc-key-1
    // The grace period is short here so the test can outlive it; the cached secret expires it on its own.
    const validUntil = Date.now() + 2_000;
    t.writeSecrets({
      ...SECRETS,
      [name]: { current: { key: 'loc-key-2' }, previous: { key: KEYS.location }, previousValidUntil: new Date(validUntil).toISOString() },
    });
    expect((await post('location', report(1), signed('location', report(1), 'loc-key-2'))).status).toBe(200);
    expect((await post('location', report(2), signed('location', report(2), KEYS.location))).status).toBe(200);
    await new Promise((r) => setTimeout(r, validUntil - Date.now() + 50));
    expect((await post('location', report(3), signed('location', report(3), KEYS.location))).status).toBe(401);
    expect((await post('location', report(4), signed('location', report(4), 'loc-key-2'))).status).toBe(200);
    expect(await countNotifications(ACCOUNT, ACCOUNT, 'rot-3')).toBe(0);
    t.writeSecrets(SECRETS);
  });

  it('answers 503 while the table is unreachable, then stores the provider retry exactly once', async () => {
    const body = diagnostics('dev-outage');
    await t.cutStore();
    try {
      const down = await post('diagnostics', body, signed('diagnostics', body));
      expect(down).toEqual({ status: 503, body: { errorCode: 'SERVICE_UNAVAILABLE', errorMessage: 'Callback store unavailable; retry later' } });
    } finally {
      await t.restoreStore();
    }
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-outage'))).toBe(0);
    const retry = await post('diagnostics', body, signed('diagnostics', body));
    expect(retry).toMatchObject({ status: 200, body: { status: 'stored' } });
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-outage'))).toBe(1);
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    expect((await fetch(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/unknown`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/diagnostics`)).status).toBe(405);
  });
});

async function countNotifications(scope: string, device: string, operation: string): Promise<number> {
  return (await t.notifications(scope, device, operation)).length;
}
