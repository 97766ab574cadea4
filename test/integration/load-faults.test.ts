import { eventPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { CHANNELS, loadRequest, loadSecretsFile, sendAll, shuffle, type LoadRequest } from '../support/load';

// Load and fault tests, sized for a 2-core machine, all on loopback.
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(loadSecretsFile(), { DYNAMODB_MAX_ATTEMPTS: '1', DYNAMODB_CONNECT_TIMEOUT_MS: '300', DYNAMODB_REQUEST_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await t.stop();
});

async function storedCount(r: LoadRequest): Promise<number> {
  return t.countUnder(eventPk(r.scope, r.device));
}

/** Counts in parallel, a few at a time. */
async function counts(requests: LoadRequest[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < requests.length; i += 50) out.push(...(await Promise.all(requests.slice(i, i + 50).map(storedCount))));
  return out;
}

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
  expect(new Set(await counts(genuine))).toEqual(new Set([1]));
  expect(new Set(await counts(forged))).toEqual(new Set([0]));
}, 180_000);

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
  const stored = await counts(requests);
  statuses.forEach((s, i) => {
    if (s === 200) expect({ i, stored: stored[i] }).toEqual({ i, stored: 1 });
  });

  // The provider retries what failed; the engine is back: each is stored exactly once.
  if (!restored) await t.restoreStore();
  const failed = requests.filter((_, i) => statuses[i] !== 200);
  const retried = await sendAll(t.gateway.url, [...failed, ...failed], 10);
  expect(new Set(retried)).toEqual(new Set([200]));
  expect(new Set(await counts(requests))).toEqual(new Set([1]));
}, 120_000);
