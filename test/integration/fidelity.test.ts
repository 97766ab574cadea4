import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeBody } from '../../shared/store/body';
import { ATTR, eventPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { encryptSensoro, sensoroSignature } from '../support/sensoro';
import { hexSignature } from '../support/sign';

// What is stored is exactly what was sent (credentials blanked in place), and a message is one
// record: a redelivery is never a second one, and two distinct messages are never one.

const ACCOUNT = '0212312345-00001';
const CONNECTIVITY = { username: 'gw-user-7f3a', password: 'pw-9c1e-very-secret' };
const APP = { id: '123456', appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'app-secret-4d2b' };
const DIAGNOSTICS = { key: 'diag-key-1', token: 'registered-token-1' };
const SECRETS = {
  [`thingspace/${ACCOUNT}/connectivity`]: { current: CONNECTIVITY },
  [`thingspace/${ACCOUNT}/diagnostics`]: { current: DIAGNOSTICS },
  [`sensoro/${APP.id}`]: { current: { appKey: APP.appKey, appSecret: APP.appSecret } },
};

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(SECRETS);
});
afterAll(async () => {
  await t.stop();
});

async function post(path: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

/** The stored bodies of a device's events, decoded from the table's bytes (not through the reader). */
async function storedBodies(scope: string, device: string, channel: 'connectivity' | 'sensoro' | 'diagnostics'): Promise<Buffer[]> {
  const out = await t.db.send(
    new QueryCommand({ TableName: t.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': eventPk(scope, device) } }),
  );
  return (out.Items ?? []).map((item) => decodeBody(channel, item[ATTR.body] as Uint8Array));
}

describe('Connectivity REST: the received bytes, credentials blanked in place', () => {
  const path = `/webhooks/thingspace/${ACCOUNT}/connectivity`;

  it('keeps every other byte: huge integers, trailing zeros, spacing, key order, escapes and non-ASCII text', async () => {
    const sent =
      '{ "requestId" : "req-bytes",\n  "usage": {"bytes":12345678901234567891, "ratio":1.50, "exp":1E+2, "note":"caf\\u00e9 \\/ ünïcødé ☃"},\n' +
      `  "user\\u006eame":"${CONNECTIVITY.username}", "password" : "${CONNECTIVITY.password}",\n` +
      '  "deviceIds":[{"id":"dev-bytes","kind":"imei"}] }';
    const res = await post(path, sent, {});
    expect(res.status).toBe(200);
    const expected = sent.replace(`"${CONNECTIVITY.username}"`, '""').replace(`"${CONNECTIVITY.password}"`, '""');
    const [stored] = await storedBodies(ACCOUNT, 'dev-bytes', 'connectivity');
    expect(stored?.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    const [event] = await t.events(ACCOUNT, 'dev-bytes');
    expect(event?.rawBody).toBe(expected);
  });

  it('blanks a credential sent twice (the parser keeps the last) and stores no trace of either', async () => {
    const sent = `{"password":"decoy-first","requestId":"req-twice","deviceIds":[{"id":"dev-twice","kind":"imei"}],"username":"${CONNECTIVITY.username}","password":"${CONNECTIVITY.password}"}`;
    expect((await post(path, sent, {})).status).toBe(200);
    const [stored] = await storedBodies(ACCOUNT, 'dev-twice', 'connectivity');
    expect(stored?.toString('utf8')).toBe('{"password":"","requestId":"req-twice","deviceIds":[{"id":"dev-twice","kind":"imei"}],"username":"","password":""}');
  });

  it('two messages that differ only in a digit past double precision are two records', async () => {
    const body = (bytes: string) =>
      `{"requestId":"req-digits","deviceIds":[{"id":"dev-digits","kind":"imei"}],"usage":{"bytes":${bytes}},"username":"${CONNECTIVITY.username}","password":"${CONNECTIVITY.password}"}`;
    expect(JSON.parse((await post(path, body('12345678901234567891'), {})).text)).toMatchObject({ status: 'stored' });
    expect(JSON.parse((await post(path, body('12345678901234567892'), {})).text)).toMatchObject({ status: 'stored' });
    const bodies = (await storedBodies(ACCOUNT, 'dev-digits', 'connectivity')).map((b) => b.toString('utf8')).sort();
    expect(bodies).toEqual([expect.stringContaining('12345678901234567891'), expect.stringContaining('12345678901234567892')]);
  });

  it('a NIDD redelivery (only its delivery counter differs) is still one record', async () => {
    const body = (count: number) =>
      `{"requestId":"req-nidd-again","status":"Queued","callbackCount":${count},"maxCallbackThreshold":4,"deviceIds":[{"id":"dev-nidd-again","kind":"imei"}],"username":"${CONNECTIVITY.username}","password":"${CONNECTIVITY.password}"}`;
    expect(JSON.parse((await post(path, body(1), {})).text)).toMatchObject({ status: 'stored' });
    expect(JSON.parse((await post(path, body(2), {})).text)).toMatchObject({ status: 'duplicate' });
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-nidd-again'))).toBe(1);
  });
});

describe('SENSORO: a message is its bytes, never its msgId alone', () => {
  const path = `/webhooks/sensoro/${APP.id}`;
  const push = (body: string, nonce = String(Date.now())) =>
    post(path, body, {
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `${t.gateway.url}${path}`, body),
    });

  it('two different readings of one sn under one msgId and no createdTime are two records', async () => {
    const reading = (temperature: number) => JSON.stringify({ appId: APP.id, sn: 'SN-SAME-ID', type: 'text', msgId: 4242, data: { temperature } });
    expect((await push(reading(21.5))).status).toBe(200);
    expect((await push(reading(22.5))).status).toBe(200);
    const bodies = (await storedBodies(APP.id, 'SN-SAME-ID', 'sensoro')).map((b) => b.toString('utf8')).sort();
    expect(bodies).toEqual([reading(21.5), reading(22.5)]);
  });

  it('two different readings under one msgId and one createdTime are two records', async () => {
    const reading = (battery: number) =>
      JSON.stringify({ appId: APP.id, sn: 'SN-SAME-TIME', type: 'text', msgId: 7, createdTime: 1_764_000_000_000, data: { battery } });
    expect((await push(reading(90))).status).toBe(200);
    expect((await push(reading(89))).status).toBe(200);
    expect(await t.countUnder(eventPk(APP.id, 'SN-SAME-TIME'))).toBe(2);
  });

  it('a re-push of the same message (same bytes, new nonce) stays one record, with or without createdTime', async () => {
    for (const body of [
      JSON.stringify({ appId: APP.id, sn: 'SN-REPUSH', type: 'text', msgId: 99, data: { battery: 50 } }),
      JSON.stringify({ appId: APP.id, sn: 'SN-REPUSH', type: 'text', msgId: 100, createdTime: Date.now(), data: { battery: 51 } }),
      JSON.stringify({ appId: APP.id, sn: 'SN-REPUSH', type: 'text', msgId: 101, encryptData: encryptSensoro(APP.appKey, APP.id, '{"battery":52}') }),
    ]) {
      expect((await push(body, String(Date.now()))).status).toBe(200);
      expect((await push(body, String(Date.now() + 1))).status).toBe(200);
    }
    expect(await t.countUnder(eventPk(APP.id, 'SN-REPUSH'))).toBe(3);
  });
});

describe('Diagnostics without createdOn: identity is the body', () => {
  const path = `/webhooks/thingspace/${ACCOUNT}/diagnostics`;
  const send = (body: string) => post(path, body, { 'x-signature': hexSignature(DIAGNOSTICS.key, body), 'x-callback-token': DIAGNOSTICS.token });

  it('two different observations are two records, the same one twice is one', async () => {
    const observation = (value: string) =>
      JSON.stringify({ device: { id: 'dev-no-time', kind: 'imei' }, attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value }] });
    expect(JSON.parse((await send(observation('-71'))).text)).toMatchObject({ status: 'stored' });
    expect(JSON.parse((await send(observation('-72'))).text)).toMatchObject({ status: 'stored' });
    expect(JSON.parse((await send(observation('-71'))).text)).toMatchObject({ status: 'duplicate' });
    expect(await t.countUnder(eventPk(ACCOUNT, 'dev-no-time'))).toBe(2);
  });
});
