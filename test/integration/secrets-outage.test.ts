import { readFileSync, writeFileSync } from 'node:fs';
import { eventPk } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { CHANNELS, loadRequest, loadSecretsFile, sendAll } from '../support/load';

// No cache here (TTL 0): every request reads the secret, so an outage shows at once.
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(loadSecretsFile(), { SECRET_CACHE_TTL_SECONDS: '0' });
});
afterAll(async () => {
  await t.stop();
});

it('secrets outage: 503 for genuine and forged callbacks alike, never 401 and never a 2xx; back to normal after', async () => {
  const file = t.gateway.secretsFile;
  const good = readFileSync(file, 'utf8');
  const genuine = CHANNELS.map((c, i) => loadRequest(c, 50_000 + i, t.gateway.url));
  const forged = CHANNELS.map((c, i) => loadRequest(c, 60_000 + i, t.gateway.url, true));
  writeFileSync(file, '{ this is not json'); // the secret store is broken
  try {
    const statuses = await sendAll(t.gateway.url, [...genuine, ...forged], 4);
    expect(new Set(statuses)).toEqual(new Set([503]));
  } finally {
    writeFileSync(file, good);
  }
  for (const r of [...genuine, ...forged]) expect(await t.countUnder(eventPk(r.scope, r.device))).toBe(0);
  // Fresh requests (SENSORO nonces are time-bound) once the store is back.
  const again = CHANNELS.map((c, i) => loadRequest(c, 50_000 + i, t.gateway.url));
  expect(await sendAll(t.gateway.url, again, 4)).toEqual(again.map(() => 200));
  const refused = CHANNELS.map((c, i) => loadRequest(c, 60_000 + i, t.gateway.url, true));
  expect(await sendAll(t.gateway.url, refused, 4)).toEqual(refused.map(() => 401));
});
