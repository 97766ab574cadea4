import { startTestGateway, type TestGateway } from '../support/gateway';
import { sensoroSignature } from '../support/sensoro';

// SENSORO_COMPACT_SIGNATURE=true: a signature over the compact re-serialisation (what SENSORO's own
// sample signs) is accepted, and then what is stored and deduplicated on is that compact string.
const APP = { id: '123456', appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'app-secret' };
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ [`sensoro/${APP.id}`]: { current: { appKey: APP.appKey, appSecret: APP.appSecret } } }, { SENSORO_COMPACT_SIGNATURE: 'true' });
});
afterAll(async () => {
  await t.stop();
});

const path = `/webhooks/sensoro/${APP.id}`;
async function push(body: string, signedOver: string) {
  const nonce = String(Date.now());
  const res = await fetch(`${t.gateway.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `${t.gateway.url}${path}`, signedOver),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}
const compactOf = (text: string) => JSON.stringify(JSON.parse(text));

describe('SENSORO compact-signature fallback (opt-in)', () => {
  it('accepts a pretty body signed over its compact form, and stores the compact form, which verified', async () => {
    const compact = JSON.stringify({ appId: APP.id, sn: 'SN-C1', type: 'text', createdTime: Date.now(), data: { battery: 90 } });
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    expect((await push(pretty, compact)).status).toBe(200);
    const [event] = await t.events(APP.id, 'SN-C1');
    expect(event?.rawBody).toBe(compact);
  });

  it('a resend with whitespace added (no msgId) is the same message: stored once', async () => {
    const compact = JSON.stringify({ appId: APP.id, sn: 'SN-C2', type: 'text', createdTime: Date.now(), data: { battery: 80 } });
    expect((await push(compact, compact)).status).toBe(200);
    expect((await push(compact.replace(':', ' : '), compact)).status).toBe(200);
    expect(await t.events(APP.id, 'SN-C2')).toHaveLength(1);
  });

  it('a tampered copy that arrives first stores exactly what the genuine one would: the genuine one is a duplicate of it', async () => {
    const genuine = JSON.stringify({ appId: APP.id, sn: 'SN-C3', msgId: 9001, type: 'text', createdTime: Date.now(), data: { battery: 70 } });
    expect((await push(`  ${genuine.replace(',', ' ,')}`, compactOf(genuine))).status).toBe(200);
    expect((await push(genuine, genuine)).status).toBe(200);
    const events = await t.events(APP.id, 'SN-C3');
    expect(events).toHaveLength(1);
    expect(events[0]?.rawBody).toBe(genuine);
  });

  it('refuses a body with a key twice (400), which could say two things to two readers, and stores nothing', async () => {
    const genuine = JSON.stringify({ appId: APP.id, sn: 'SN-C4', type: 'text', createdTime: Date.now(), data: { battery: 60 } });
    const shadowed = genuine.replace('"sn":"SN-C4"', '"sn":"EVIL","sn":"SN-C4"');
    expect(compactOf(shadowed)).toBe(genuine);
    expect((await push(shadowed, genuine)).status).toBe(400);
    expect(await t.events(APP.id, 'SN-C4')).toHaveLength(0);
    expect(await t.events(APP.id, 'EVIL')).toHaveLength(0);
  });
});
