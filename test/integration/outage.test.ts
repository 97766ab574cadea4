import { startTestGateway, type TestGateway } from '../support/gateway';
import { CHANNELS, loadRequest, loadSecretsFile, sendAll, storedCounts } from '../support/load';

// A storage outage in the middle of a stream, on loopback. Tight SDK timeouts and one attempt, so the
// cut shows as 503 at once (this file only: under load elsewhere, they would turn a slow write into one).
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(loadSecretsFile(), { DYNAMODB_MAX_ATTEMPTS: '1', DYNAMODB_CONNECT_TIMEOUT_MS: '300', DYNAMODB_REQUEST_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await t.stop();
});

it('storage outage mid-stream: 503 while down, never a 2xx for an unsaved callback; retries after recovery stored once', async () => {
  const requests = Array.from({ length: 300 }, (_, i) => loadRequest(CHANNELS[i % CHANNELS.length]!, 10_000 + i, t.gateway.url));
  let cut = false;
  let restored = false;
  const statuses = await sendAll(t.gateway.url, requests, 10, (i) => {
    if (i === 100 && !cut) {
      cut = true;
      void t.cutStore();
      setTimeout(() => void t.restoreStore().then(() => (restored = true)), 700);
    }
  });
  expect(cut).toBe(true);
  expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);

  // Every 2xx was durable at the time it was given.
  const stored = await storedCounts(t, requests);
  statuses.forEach((s, i) => {
    if (s === 200) expect({ i, stored: stored[i] }).toEqual({ i, stored: 1 });
  });

  // The provider retries what failed; the engine is back: each is stored exactly once.
  if (!restored) await t.restoreStore();
  const failed = requests.filter((_, i) => statuses[i] !== 200);
  const retried = await sendAll(t.gateway.url, [...failed, ...failed], 10);
  expect(new Set(retried)).toEqual(new Set([200]));
  expect(new Set(await storedCounts(t, requests))).toEqual(new Set([1]));
}, 120_000);
