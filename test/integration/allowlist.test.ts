import { eventPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

const ACCOUNT = '0212312345-00001';
let t: TestGateway;
beforeAll(async () => {
  // Only TEST-NET-3 may call: the loopback test client may not.
  t = await startTestGateway({ [`thingspace/${ACCOUNT}/location`]: { current: { key: 'k' } } }, { ALLOWED_SOURCE_IPS: '203.0.113.0/24' });
});
afterAll(async () => {
  await t.stop();
});

it('refuses a correctly signed callback from outside the allow-list with 403, storing nothing', async () => {
  const body = JSON.stringify({ txid: 'allow-1', id: 'dev-allow', kind: 'imei' });
  const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/location`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': hexSignature('k', body) },
    body,
  });
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({ errorCode: 'FORBIDDEN', errorMessage: 'Source address not allowed for this channel' });
  expect(await t.countUnder(eventPk(ACCOUNT, 'dev-allow'))).toBe(0);
});
