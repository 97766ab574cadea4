import { startTestGateway, type TestGateway } from '../support/gateway';
import { CHANNELS, loadRequest, loadSecretsFile, sendAll, shuffle, storedCounts } from '../support/load';

// Mixed load, sized for a 2-core machine, on loopback. Generous SDK timeouts: a slow machine (CI
// running other suites alongside) must not turn into 503s here; the outage test covers those.
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(loadSecretsFile(), { DYNAMODB_REQUEST_TIMEOUT_MS: '15000', DYNAMODB_CONNECT_TIMEOUT_MS: '5000' });
});
afterAll(async () => {
  await t.stop();
});

it('mixed load over every channel, 20 % duplicates and 10 % forged: each genuine callback stored once, every forged one refused, no 5xx', async () => {
  const total = 2_000;
  const genuine = Array.from({ length: total * 0.7 }, (_, i) => loadRequest(CHANNELS[i % CHANNELS.length]!, i, t.gateway.url));
  const duplicates = genuine.filter((_, i) => i % 7 < 4).slice(0, total * 0.2); // re-sends of genuine ones
  const forged = Array.from({ length: total * 0.1 }, (_, i) => loadRequest(CHANNELS[i % CHANNELS.length]!, 100_000 + i, t.gateway.url, true));
  const requests = shuffle([...genuine, ...duplicates, ...forged]);
  expect(requests).toHaveLength(total);

  const statuses = await sendAll(t.gateway.url, requests, 20);

  const byKind = (forgedOnes: boolean) => statuses.filter((_, i) => requests[i]!.forged === forgedOnes);
  expect(statuses.filter((s) => s >= 500 || s < 0)).toEqual([]);
  expect(new Set(byKind(false))).toEqual(new Set([200]));
  expect(new Set(byKind(true))).toEqual(new Set([401]));
  expect(new Set(await storedCounts(t, genuine))).toEqual(new Set([1]));
  expect(new Set(await storedCounts(t, forged))).toEqual(new Set([0]));
}, 180_000);
