// First: the handlers' logger reads its level when its module loads.
import '../support/debug-logs';
import { createHmac } from 'node:crypto';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { encryptSensoro, sensoroSignature } from '../support/sensoro';
import { base64Signature, hexSignature } from '../support/sign';
import { soapEnvelope } from '../support/soap';

const ACCOUNT = '0212312345-00001';
const APP = '123456';
const S = {
  diagnostics: { key: 'diag-KEY-7a1f3c', token: 'diag-TOKEN-93be11' },
  location: { key: 'loc-KEY-55aa90' },
  deviceLocation: { key: 'devloc-KEY-0c7d21' },
  connectivity: { username: 'conn-USER-41d2', password: 'conn-PASS-e87b3f' },
  sensoro: { appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'sensoro-SECRET-6f0e' },
};
const SECRET_VALUES = [
  S.diagnostics.key,
  S.diagnostics.token,
  S.location.key,
  S.deviceLocation.key,
  S.connectivity.username,
  S.connectivity.password,
  S.sensoro.appKey,
  S.sensoro.appSecret,
];

let output: ReturnType<typeof captureOutput>;
let t: TestGateway;
/** Everything the gateway answered, and every signature or digest that exists for what was sent. */
const responses: string[] = [];
const forbidden = new Set<string>(SECRET_VALUES);

beforeAll(async () => {
  output = captureOutput();
  t = await startTestGateway(
    {
      [`thingspace/${ACCOUNT}/diagnostics`]: { current: S.diagnostics },
      [`thingspace/${ACCOUNT}/location`]: { current: S.location },
      [`thingspace/${ACCOUNT}/device-location`]: { current: S.deviceLocation },
      [`thingspace/${ACCOUNT}/connectivity`]: { current: S.connectivity },
      [`sensoro/${APP}`]: { current: S.sensoro },
    },
    { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_DISABLED: 'false' },
  );
});
afterAll(async () => {
  output.restore();
  await t.stop();
});

async function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
  for (const [name, value] of Object.entries(headers)) if (name !== 'content-type' && value.length >= 16) forbidden.add(value);
  // Every digest of this body under every key: what a careless log line would show.
  for (const key of [S.diagnostics.key, S.location.key, S.deviceLocation.key]) {
    forbidden.add(hexSignature(key, body));
    forbidden.add(base64Signature(key, body));
  }
  const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers, body });
  responses.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
  return res.status;
}

const json = { 'content-type': 'application/json' };
const TS = `/webhooks/thingspace/${ACCOUNT}`;

describe('no secret, password, signature or digest in any log line or response', () => {
  it('HMAC channels, accepted and rejected', async () => {
    const diag = JSON.stringify({ transactionID: 'tx-ns', device: { id: 'dev-ns', kind: 'imei' } });
    expect(
      await post(`${TS}/diagnostics`, diag, { ...json, 'x-signature': hexSignature(S.diagnostics.key, diag), 'x-callback-token': S.diagnostics.token }),
    ).toBe(200);
    expect(
      await post(`${TS}/diagnostics`, diag, { ...json, 'x-signature': hexSignature('guess-key-123456', diag), 'x-callback-token': S.diagnostics.token }),
    ).toBe(401);
    expect(
      await post(`${TS}/diagnostics`, diag, { ...json, 'x-signature': hexSignature(S.diagnostics.key, diag), 'x-callback-token': 'guess-token-0000000' }),
    ).toBe(401);
    for (const [channel, key] of [
      ['location', S.location.key],
      ['device-location', S.deviceLocation.key],
    ] as const) {
      const body = JSON.stringify({ txid: `ns-${channel}`, id: 'dev-ns', kind: 'imei' });
      expect(await post(`${TS}/${channel}`, body, { ...json, signature: base64Signature(key, body) })).toBe(200);
      expect(await post(`${TS}/${channel}`, body, { ...json, signature: base64Signature(`${key}x`, body) })).toBe(401);
      expect(await post(`${TS}/${channel}`, '{"broken":', { ...json, signature: base64Signature(key, '{"broken":') })).toBe(400);
    }
  });

  it('Connectivity REST and SOAP, accepted and rejected', async () => {
    const rest = (password: string) =>
      JSON.stringify({ requestId: 'req-ns', deviceIds: [{ id: 'dev-ns', kind: 'imei' }], carrierService: {}, username: S.connectivity.username, password });
    expect(await post(`${TS}/connectivity`, rest(S.connectivity.password), json)).toBe(200);
    expect(await post(`${TS}/connectivity`, rest(`${S.connectivity.password}-wrong`), json)).toBe(401);
    const soap = (password: string) => soapEnvelope('<Usage><Bytes>10</Bytes></Usage>', '1.1', S.connectivity.username, password, 'req-ns-soap', 'dev-ns');
    expect(await post(`${TS}/soap`, soap(S.connectivity.password), { 'content-type': 'text/xml' })).toBe(200);
    expect(await post(`${TS}/soap`, soap(`${S.connectivity.password}-wrong`), { 'content-type': 'text/xml' })).toBe(401);
    expect(
      await post(`${TS}/soap`, soapEnvelope('<Usage>', '1.2', S.connectivity.username, S.connectivity.password), { 'content-type': 'application/soap+xml' }),
    ).toBe(400);
  });

  it('SENSORO plain and safe mode, accepted and rejected', async () => {
    const url = `${t.gateway.url}/webhooks/sensoro/${APP}`;
    const send = (body: string, secret: string, nonce = String(Date.now())) => {
      forbidden.add(
        createHmac('sha256', S.sensoro.appSecret)
          .update(nonce + 'POST' + url + body)
          .digest('base64'),
      );
      return post(`/webhooks/sensoro/${APP}`, body, {
        ...json,
        'x-access-id': APP,
        'x-access-nonce': nonce,
        'x-access-signature': sensoroSignature(secret, nonce, 'POST', url, body),
      });
    };
    const plain = JSON.stringify({ appId: APP, sn: 'SN-NS', type: 'text', msgId: 31, data: { battery: 1 } });
    expect(await send(plain, S.sensoro.appSecret)).toBe(200);
    expect(await send(plain, 'wrong-secret-123456')).toBe(401);
    expect(await send(plain, S.sensoro.appSecret, String(Date.now() - 3_600_000))).toBe(401);
    const encryptData = encryptSensoro(S.sensoro.appKey, APP, '{"battery":2}');
    expect(await send(JSON.stringify({ appId: APP, sn: 'SN-NS', type: 'text', msgId: 32, encryptData }), S.sensoro.appSecret)).toBe(200);
    const foreign = encryptSensoro(S.sensoro.appKey, '999999', '{"battery":3}');
    expect(await send(JSON.stringify({ appId: APP, sn: 'SN-NS', type: 'text', msgId: 33, encryptData: foreign }), S.sensoro.appSecret)).toBe(400);
  });

  it('holds for every line logged and every answer given', () => {
    const logs = output.text();
    expect(logs).toContain('callback accepted');
    expect(logs).toContain('callback rejected');
    const seen = (text: string) => [...forbidden].filter((value) => text.includes(value));
    expect(seen(logs)).toEqual([]);
    expect(seen(responses.join('\n'))).toEqual([]);
  });
});
