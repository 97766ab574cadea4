// First: the handlers' logger reads its level when its module loads.
import '../support/debug-logs';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { encryptSensoro, sensoroSignature } from '../support/sensoro';
import { soapEnvelope } from '../support/soap';

const ACCOUNT = '0212312345-00001';
const CONNECTIVITY = { username: 'gw-user-7f3a', password: 'pw-9c1e-very-secret' };
const APP = { id: '123456', appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'app-secret-4d2b' };
const SECRETS = {
  [`thingspace/${ACCOUNT}/connectivity`]: { current: CONNECTIVITY },
  [`sensoro/${APP.id}`]: { current: { appKey: APP.appKey, appSecret: APP.appSecret } },
};

// Every line the gateway logs (stdout and stderr) while this file runs, to prove no credential is ever logged.
let output: ReturnType<typeof captureOutput>;
let t: TestGateway;
beforeAll(async () => {
  output = captureOutput();
  t = await startTestGateway(SECRETS, { POWERTOOLS_LOG_LEVEL: 'DEBUG', SENSORO_NONCE_WINDOW_SECONDS: '300' });
});
afterAll(async () => {
  output.restore();
  await t.stop();
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

// Stored records, decoded as the query API decodes them (the body uncompressed, the payload derived from it).
const eventsOf = (scope: string, device: string) => t.events(scope, device);
const notificationsOf = (scope: string, device: string, op: string) => t.notifications(scope, device, op);

describe('Connectivity REST through the local server', () => {
  const path = `/webhooks/thingspace/${ACCOUNT}/connectivity`;
  const callback = (requestId: string, creds = CONNECTIVITY, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ requestId, deviceIds: [{ id: `dev-${requestId}`, kind: 'imei' }], carrierService: { state: 'active' }, ...creds, ...extra });

  it('stores a callback with the right credentials once, without the credentials', async () => {
    const body = callback('req-ok');
    const first = await post(path, body, { 'content-type': 'application/json' });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ status: 'stored', events: 1, notifications: 1 });
    expect(JSON.parse((await post(path, body, { 'content-type': 'application/json' })).text)).toMatchObject({ status: 'duplicate' });
    const items = [...(await eventsOf(ACCOUNT, 'dev-req-ok')), ...(await notificationsOf(ACCOUNT, 'dev-req-ok', 'req-ok'))];
    expect(items).toHaveLength(2);
    expect(items.find((i) => i.type === 'notification')).toMatchObject({ status: 'COMPLETED', resource: 'carrierService' });
    const stored = JSON.stringify(items);
    expect(stored).not.toContain(CONNECTIVITY.password);
    expect(stored).not.toContain(CONNECTIVITY.username);
  });

  it('maps NIDD statuses', async () => {
    const body = callback('req-nidd', CONNECTIVITY, { status: 'DeliveryFailed', callbackCount: 2, maxCallbackThreshold: 4 });
    expect((await post(path, body, { 'content-type': 'application/json' })).status).toBe(200);
    expect((await notificationsOf(ACCOUNT, 'dev-req-nidd', 'req-nidd'))[0]).toMatchObject({ status: 'FAILED', progress: 100 });
  });

  it('a NIDD redelivery, which differs only in its callbackCount, is a duplicate', async () => {
    const first = await post(path, callback('req-redeliver', CONNECTIVITY, { status: 'Delivered', callbackCount: 1, maxCallbackThreshold: 4 }), {
      'content-type': 'application/json',
    });
    const again = await post(path, callback('req-redeliver', CONNECTIVITY, { status: 'Delivered', callbackCount: 2, maxCallbackThreshold: 4 }), {
      'content-type': 'application/json',
    });
    expect(JSON.parse(first.text)).toMatchObject({ status: 'stored' });
    expect(JSON.parse(again.text)).toMatchObject({ status: 'duplicate' });
    expect(await eventsOf(ACCOUNT, 'dev-req-redeliver')).toHaveLength(1);
  });

  it('refuses a wrong password with 401 and stores nothing', async () => {
    const res = await post(path, callback('req-bad', { ...CONNECTIVITY, password: 'guess' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toEqual({ errorCode: 'UNAUTHORIZED', errorMessage: 'Username or password does not match' });
    expect(await eventsOf(ACCOUNT, 'dev-req-bad')).toHaveLength(0);
  });
});

describe('legacy SOAP through the local server', () => {
  const path = `/webhooks/thingspace/${ACCOUNT}/soap`;
  const carrier = '<CarrierService><StateChange>Active</StateChange></CarrierService>';
  const envelope = (requestId: string, version: '1.1' | '1.2' = '1.1', password = CONNECTIVITY.password, inner = carrier) =>
    soapEnvelope(inner, version, CONNECTIVITY.username, password, requestId, `mdn-${requestId}`);

  it('acknowledges a SOAP 1.1 CallbackRequest with a SOAP 1.1 envelope and stores it without credentials', async () => {
    const res = await post(path, envelope('soap-11'), { 'content-type': 'text/xml; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/xml/);
    expect(res.text).toContain('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">');
    expect(res.text).toContain('<Status>stored</Status>');
    const events = await eventsOf(ACCOUNT, 'mdn-soap-11');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ deviceKind: 'mdn', resource: 'CarrierService' });
    expect(JSON.stringify(events)).not.toContain(CONNECTIVITY.password);
    expect(JSON.stringify(events)).not.toContain(CONNECTIVITY.username);
  });

  it('acknowledges SOAP 1.2 (delivered base64-encoded) with a SOAP 1.2 envelope', async () => {
    const res = await post(path, envelope('soap-12', '1.2'), { 'content-type': 'application/soap+xml; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/soap\+xml/);
    expect(res.text).toContain('http://www.w3.org/2003/05/soap-envelope');
    expect(await notificationsOf(ACCOUNT, 'mdn-soap-12', 'soap-12')).toHaveLength(1);
  });

  it('answers a wrong password with a non-2xx SOAP Fault and stores nothing', async () => {
    const res = await post(path, envelope('soap-badpw', '1.1', 'guess'), { 'content-type': 'text/xml' });
    expect(res.status).toBe(401);
    expect(res.text).toContain('<faultcode>soap:Client</faultcode>');
    expect(await eventsOf(ACCOUNT, 'mdn-soap-badpw')).toHaveLength(0);
  });

  it.each([
    [
      'an external entity',
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
        envelope('soap-xxe', '1.1', CONNECTIVITY.password, '<CarrierService>&x;</CarrierService>').replace('<?xml version="1.0" encoding="utf-8"?>', ''),
    ],
    [
      'entity expansion',
      '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>' +
        envelope('soap-xxe', '1.1', CONNECTIVITY.password, '<CarrierService>&b;</CarrierService>').replace('<?xml version="1.0" encoding="utf-8"?>', ''),
    ],
    ['deep nesting', envelope('soap-xxe', '1.1', CONNECTIVITY.password, '<x>'.repeat(500) + '</x>'.repeat(500))],
    ['huge text', envelope('soap-xxe', '1.1', CONNECTIVITY.password, `<CarrierService>${'x'.repeat(300 * 1024)}</CarrierService>`)],
  ])('refuses %s with a 4xx SOAP Fault and stores nothing', async (_label, xml) => {
    const res = await post(path, xml, { 'content-type': 'text/xml' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).toContain('soap:Fault');
    expect(await eventsOf(ACCOUNT, 'mdn-soap-xxe')).toHaveLength(0);
  });
});

describe('SENSORO through the local server', () => {
  const path = `/webhooks/sensoro/${APP.id}`;
  const url = () => `${t.gateway.url}${path}`;
  const push = (body: string, nonce = String(Date.now()), headers: Record<string, string> = {}) =>
    post(path, body, {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', url(), body),
      ...headers,
    });
  const sensorPush = (sn: string, msgId: number, extra: Record<string, unknown> = { data: { battery: 90, temperature: 21.5 } }) =>
    JSON.stringify({ appId: APP.id, sn, type: 'text', deviceType: 'node', createdTime: Date.now(), msgId, ...extra });

  it('stores a signed sensor push and answers {"messages":"success"}; the same msgId again is stored once', async () => {
    const body = sensorPush('SN-PLAIN', 1001);
    const res = await push(body);
    expect(res).toMatchObject({ status: 200, text: '{"messages":"success"}' });
    expect((await push(body)).status).toBe(200);
    const events = await eventsOf(APP.id, 'SN-PLAIN');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ provider: 'sensoro', deviceKind: 'sn', payload: { data: { battery: 90, temperature: 21.5 } } });
  });

  it('decrypts a safe-mode push and stores the readings', async () => {
    const encryptData = encryptSensoro(APP.appKey, APP.id, '{"battery":77,"humidity":40.5}');
    const res = await push(sensorPush('SN-SAFE', 1002, { encryptData }));
    expect(res.status).toBe(200);
    expect((await eventsOf(APP.id, 'SN-SAFE'))[0]).toMatchObject({ payload: { data: { battery: 77, humidity: 40.5 } } });
  });

  it('refuses safe-mode content encrypted for another AppID with a 400', async () => {
    const encryptData = encryptSensoro(APP.appKey, '999999', '{"battery":1}');
    expect((await push(sensorPush('SN-OTHERAPP', 1003, { encryptData }))).status).toBe(400);
    expect(await eventsOf(APP.id, 'SN-OTHERAPP')).toHaveLength(0);
  });

  it('stores a task result as a notification of the task', async () => {
    const body = JSON.stringify({
      appId: APP.id,
      taskId: 'task-55',
      type: 'event',
      createdTime: Date.now(),
      msgId: 1004,
      resultCode: 0,
      resultData: { sn: 'SN-TASK' },
    });
    expect((await push(body)).status).toBe(200);
    expect((await notificationsOf(APP.id, 'SN-TASK', 'task-55'))[0]).toMatchObject({ status: 'COMPLETED', progress: 100 });
  });

  it('refuses a signature over the compact re-serialisation unless SENSORO_COMPACT_SIGNATURE is on (sensoro-compact.test.ts)', async () => {
    const pretty = JSON.stringify(JSON.parse(sensorPush('SN-PRETTY', 1005)), null, 2);
    const nonce = String(Date.now());
    const compact = JSON.stringify(JSON.parse(pretty));
    const res = await post(path, pretty, {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', url(), compact),
    });
    expect(res.status).toBe(401);
    expect(await eventsOf(APP.id, 'SN-PRETTY')).toHaveLength(0);
  });

  it.each([
    ['a stale nonce (replay outside the window)', () => String(Date.now() - 6 * 60_000), {}],
    ['a nonce from the future', () => String(Date.now() + 6 * 60_000), {}],
    ['another X-ACCESS-ID', () => String(Date.now()), { 'x-access-id': '654321' }],
    ['a wrong signature', () => String(Date.now()), { 'x-access-signature': sensoroSignature('wrong', '1', 'POST', 'x', 'y') }],
  ])('refuses %s with 401 and stores nothing', async (label, nonce, headers) => {
    const sn = `SN-401-${label.replace(/\W/g, '')}`;
    const res = await push(sensorPush(sn, 2000 + sn.length), nonce(), headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(await eventsOf(APP.id, sn)).toHaveLength(0);
  });
});

describe('logs', () => {
  it('never carry a credential, a key, a signature or a digest', () => {
    const text = output.text();
    expect(text).toContain('callback accepted'); // the capture works
    expect(text).toContain('callback rejected');
    for (const secret of [CONNECTIVITY.password, CONNECTIVITY.username, APP.appSecret, APP.appKey]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/[A-Za-z0-9+/]{43}=/); // no base64 SHA-256 (a SENSORO signature or digest)
    expect(text).not.toMatch(/\b[0-9a-f]{64}\b/); // no hex SHA-256
  });
});
