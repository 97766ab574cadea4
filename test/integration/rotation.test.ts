import { readFileSync } from 'node:fs';
import type { JobConfig } from '../../shared/reregister/config';
import type { Change } from '../../shared/reregister/context';
import { runReregistration } from '../../shared/reregister/job';
import { RegistrationStatusStore } from '../../shared/reregister/status';
import { FileSecretSource } from '../../shared/secrets/file-source';
import type { SecretStore } from '../../shared/secrets/source';
import { ThingSpaceClient } from '../../shared/thingspace/api-client';
import { uwsEndpointsAt } from '../../shared/thingspace/uws-contract';
import { randomApiCredentials, startThingSpaceDouble, type ThingSpaceDouble } from '../../local/thingspace-double';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';
import { soapEnvelope } from '../support/soap';

// The rotation rule (issue 18, item 10): a pair a live registration may still use stays valid until
// every service has moved off it; a run that cannot finish a rotation leaves the new pair pending and
// the next run reuses it; one missing service is registered with the pair the others use.
const SOAP = '0666666666-00006';
const REST = '0777777777-00007';
const DIAG = '0888888888-00008';
const API = { [SOAP]: randomApiCredentials(), [REST]: randomApiCredentials(), [DIAG]: randomApiCredentials() };
const SERVICES = ['CarrierService', 'DeviceUsage'];
const GRACE_MS = 1_000;

let t: TestGateway;
let double: ThingSpaceDouble;
let status: RegistrationStatusStore;

beforeAll(async () => {
  t = await startTestGateway(Object.fromEntries(Object.entries(API).map(([account, api]) => [`thingspace/${account}/api`, { current: api }])));
  status = new RegistrationStatusStore(t.db, t.tableName);
  double = await startThingSpaceDouble(API);
});
afterAll(async () => {
  await double.close();
  await t.stop();
});

type Pair = { username?: string; password?: string };
type Stored = { current: Record<string, string>; previous?: Record<string, string>; previousValidUntil?: string; pending?: Record<string, string> };
const secretsText = () => readFileSync(t.gateway.secretsFile, 'utf8');
const stored = (account: string, channel: string) => (JSON.parse(secretsText()) as Record<string, Stored>)[`thingspace/${account}/${channel}`]!;
const actions = (changes: Change[]) => Object.fromEntries(changes.map((c) => [c.service, c.action]));
const pairOf = (r: Pair | undefined) => ({ username: r?.username, password: r?.password });
const sleepPast = (iso: string | number) =>
  new Promise((r) => setTimeout(r, Math.max(0, (typeof iso === 'string' ? Date.parse(iso) : iso) - Date.now()) + 100));

/** Every password the job stored, and every change it reported, to prove none of the one is in the other or in a status record. */
const passwords = new Set<string>();
const reported: Change[] = [];

async function run(
  registrations: JobConfig['registrations'],
  over: Partial<JobConfig> = {},
  secrets: SecretStore = new FileSecretSource(t.gateway.secretsFile),
): Promise<Change[]> {
  const config: JobConfig = {
    registrations,
    thingspaceBaseUrl: double.url,
    publicBaseUrl: t.gateway.url,
    graceMs: GRACE_MS,
    maxAgeMs: 30 * 86_400_000,
    tokenHeader: 'x-callback-token',
    loginFailureLimit: 3,
    loginBackoffMs: 0,
    uws: uwsEndpointsAt(`${double.url}/api/v2`),
    ...over,
  };
  const changes = await runReregistration(config, { secrets, status, client: () => new ThingSpaceClient(double.url, 5_000), writeAttempts: 2 });
  reported.push(...changes);
  for (const secret of Object.values(JSON.parse(secretsText()) as Record<string, Stored>)) {
    for (const version of [secret.current, secret.pending, secret.previous]) if (version?.password) passwords.add(version.password);
  }
  return changes;
}

/** What differs between the SOAP and the REST path of Connectivity registrations. */
const paths = [
  {
    api: 'soap' as const,
    account: SOAP,
    kind: 'uws',
    route: 'soap',
    registerCall: { method: 'POST', path: '/api/v2/CallbackRegistrationService.svc', operation: 'RegisterCallback' },
    payload: (service: string, id: string) => ({ requestId: id, device: { kind: 'mdn', id: `mdn-${id}` }, data: { [service]: { Status: 'Success' } } }),
    post: (pair: Pair, id: string) => ({
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: soapEnvelope('<CarrierService><Status>Success</Status></CarrierService>', '1.1', pair.username, pair.password, id, `mdn-${id}`),
    }),
  },
  {
    api: 'rest' as const,
    account: REST,
    kind: 'connectivity',
    route: 'connectivity',
    registerCall: { method: 'POST', path: `/api/m2m/v1/callbacks/${REST}` },
    payload: (_service: string, id: string) => ({ requestId: id, deviceIds: [{ id: `dev-${id}`, kind: 'imei' }], carrierService: {} }),
    post: (pair: Pair, id: string) => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: id, deviceIds: [{ id: `dev-${id}`, kind: 'imei' }], username: pair.username, password: pair.password }),
    }),
  },
];

describe.each(paths)('Connectivity credential rotation through $api', ({ api, account, kind, route, registerCall, payload, post }) => {
  const registrations = [{ account, services: SERVICES, api }];
  const registration = (service: string) => double.registrations.get(`${kind}|${account}|${service}`);
  const registerCalls = () =>
    double.calls.filter(
      (c) => c.method === registerCall.method && c.path === registerCall.path && (!registerCall.operation || c.operation === registerCall.operation),
    ).length;
  /** Queued over HTTP, as someone reproducing this by hand against `npm run thingspace-double` would. */
  const failRegistering = async (service: string, times: number) => {
    const failure = { ...registerCall, status: 500, errorCode: api === 'soap' ? 'Internal.Error' : 'INTERNAL_ERROR', service, times };
    expect((await fetch(`${double.url}/_double/fail`, { method: 'POST', body: JSON.stringify(failure) })).status).toBe(200);
  };
  /** The double sends a callback the way ThingSpace would: with the pair this service is registered with. */
  const deliver = async (service: string, id: string) => (await double.deliver(account, service, JSON.stringify(payload(service, id)))).status;
  /** A callback posted to the gateway with a pair the test holds. */
  const postWith = async (pair: Pair, id: string) =>
    (await fetch(`${t.gateway.url}/webhooks/thingspace/${account}/${route}`, { method: 'POST', ...post(pair, id) })).status;

  it('registers both services with one pair', async () => {
    expect(actions(await run(registrations))).toEqual({ CarrierService: 'registered', DeviceUsage: 'registered' });
    const pair = stored(account, 'connectivity').current;
    for (const service of SERVICES) expect(pairOf(registration(service))).toEqual(pair);
  });

  it('registers only a missing service, with the pair the others use: no rotation, no secret written', async () => {
    const before = secretsText();
    const carrier = { ...registration('CarrierService') };
    double.registrations.delete(`${kind}|${account}|DeviceUsage`);
    const calls = registerCalls();
    expect(actions(await run(registrations))).toEqual({ CarrierService: 'unchanged', DeviceUsage: 'registered' });
    expect(registerCalls()).toBe(calls + 1);
    expect(secretsText()).toBe(before);
    expect(registration('CarrierService')).toEqual(carrier);
    expect(pairOf(registration('DeviceUsage'))).toEqual(stored(account, 'connectivity').current);
    expect(await deliver('DeviceUsage', `${api}-missing-1`)).toBe(200);
  });

  it('leaves the healthy service alone, run after run, while one service keeps failing', async () => {
    const before = secretsText();
    const carrier = { ...registration('CarrierService') };
    double.registrations.delete(`${kind}|${account}|DeviceUsage`);
    await failRegistering('DeviceUsage', 2);
    for (let i = 0; i < 2; i++) expect(actions(await run(registrations))).toEqual({ CarrierService: 'unchanged', DeviceUsage: 'error' });
    expect(secretsText()).toBe(before);
    expect(registration('CarrierService')).toEqual(carrier);
    expect(actions(await run(registrations))).toEqual({ CarrierService: 'unchanged', DeviceUsage: 'registered' });
    expect(pairOf(registration('DeviceUsage'))).toEqual(pairOf(carrier));
  });

  it('keeps the pair a live registration still uses valid while its service cannot move, reusing the pending pair', async () => {
    const old = stored(account, 'connectivity').current;
    // The credential is past its age: a rotation starts, and DeviceUsage cannot move in two runs in a row.
    await failRegistering('DeviceUsage', 2);
    const first = await run(registrations, { maxAgeMs: 0 });
    expect(actions(first)).toEqual({ CarrierService: 'rotated', DeviceUsage: 'error' });
    const moved = pairOf(registration('CarrierService'));
    expect(moved).not.toEqual(old);
    expect(pairOf(registration('DeviceUsage'))).toEqual(old);
    // The new pair verifies as soon as a registration uses it, the old one for as long as one does.
    const secret = stored(account, 'connectivity');
    expect(secret.current).toEqual(old);
    expect(secret.pending).toEqual(moved);
    expect(await deliver('CarrierService', `${api}-pending-1`)).toBe(200);

    const second = await run(registrations);
    expect(actions(second)).toEqual({ CarrierService: 'unchanged', DeviceUsage: 'error' });
    expect(pairOf(registration('CarrierService'))).toEqual(moved); // the pending pair reused, nothing re-registered
    await sleepPast(Date.now() + GRACE_MS);
    expect(await deliver('DeviceUsage', `${api}-pending-2`)).toBe(200); // UWS/REST still sends the old pair
    expect(await deliver('CarrierService', `${api}-pending-3`)).toBe(200);

    // The service moves: the rotation completes, the old pair kept for the grace period only.
    const third = await run(registrations);
    expect(actions(third)).toEqual({ CarrierService: 'unchanged', DeviceUsage: 'rotated' });
    expect(pairOf(registration('DeviceUsage'))).toEqual(moved);
    const done = stored(account, 'connectivity');
    expect(done.current).toEqual(moved);
    expect(done.previous).toEqual(old);
    expect(done.pending).toBeUndefined();
    // A wrong pair makes the gateway read the secret again (its cache would keep the pending-era copy, where the old pair is current, for up to SECRET_CACHE_TTL_SECONDS).
    expect(await postWith({ username: 'nobody', password: 'guess' }, `${api}-pending-refresh`)).toBe(401);
    expect(await postWith(old, `${api}-pending-4`)).toBe(200); // in flight, sent before the move
    await sleepPast(done.previousValidUntil!);
    expect(await postWith(old, `${api}-pending-5`)).toBe(401);
    for (const service of SERVICES) expect(await deliver(service, `${api}-pending-6-${service}`)).toBe(200);
    expect(new Set((await run(registrations)).map((c) => c.action))).toEqual(new Set(['unchanged']));
  });

  it('reports a move it could not record, and the next run finishes the rotation with the same pending pair', async () => {
    const old = stored(account, 'connectivity').current;
    const file = new FileSecretSource(t.gateway.secretsFile);
    let writes = 0;
    // The pending pair is stored; storing which services carry it is not.
    const failing: SecretStore = {
      get: (name) => file.get(name),
      put: async (name, value) => {
        if (name === `thingspace/${account}/connectivity` && ++writes > 1) throw new Error('secret store down');
        return file.put(name, value);
      },
    };
    const first = await run(registrations, { maxAgeMs: 0 }, failing);
    expect(first).toEqual(
      SERVICES.map((service) => expect.objectContaining({ service, action: 'error', detail: expect.stringContaining('could not be stored') })),
    );
    const pending = stored(account, 'connectivity').pending!;
    expect(stored(account, 'connectivity').current).toEqual(old);
    for (const service of SERVICES) expect(pairOf(registration(service))).toEqual(pending);
    expect(await postWith(old, `${api}-unrecorded-1`)).toBe(200);
    for (const service of SERVICES) expect(await deliver(service, `${api}-unrecorded-2-${service}`)).toBe(200);

    const next = await run(registrations);
    expect(actions(next)).toEqual({ CarrierService: 'rotated', DeviceUsage: 'rotated' });
    expect(stored(account, 'connectivity')).toMatchObject({ current: pending, previous: old });
    expect(stored(account, 'connectivity').pending).toBeUndefined();
    for (const service of SERVICES) expect(pairOf(registration(service))).toEqual(pending);
  });
});

describe('Diagnostics token rotation (REST)', () => {
  const registrations = [{ account: DIAG, services: ['Diagnostics'] }];
  const deliver = async (id: string) =>
    (await double.deliver(DIAG, 'Diagnostics', JSON.stringify({ transactionID: id, device: { id: `dev-${id}`, kind: 'imei' } }))).status;

  it('keeps the token and key a live registration uses valid while it cannot be registered again, reusing the pending token', async () => {
    expect(actions(await run(registrations))).toEqual({ Diagnostics: 'registered' });
    const old = { ...double.registrations.get(`diagnostics|${DIAG}|Diagnostics`)! };
    double.fail({ method: 'POST', path: '/api/diagnostics/v1/callbacks', status: 500, errorCode: 'INTERNAL_ERROR', service: 'Diagnostics', times: 2 });
    expect(actions(await run(registrations, { maxAgeMs: 0 }))).toEqual({ Diagnostics: 'error' });
    const pending = stored(DIAG, 'diagnostics').pending?.token;
    expect(actions(await run(registrations))).toEqual({ Diagnostics: 'error' });
    expect(stored(DIAG, 'diagnostics').pending?.token).toBe(pending);
    await sleepPast(Date.now() + GRACE_MS);
    expect(await deliver('diag-pending-1')).toBe(200); // ThingSpace still signs with the old key and sends the old token

    expect(actions(await run(registrations))).toEqual({ Diagnostics: 'rotated' });
    const now = double.registrations.get(`diagnostics|${DIAG}|Diagnostics`)!;
    expect(now.httpHeaders['x-callback-token']).toBe(pending);
    const secret = stored(DIAG, 'diagnostics');
    expect(secret.current).toEqual({ key: now.sharedKey, token: pending });
    expect(secret.previous).toEqual({ key: old.sharedKey, token: old.httpHeaders['x-callback-token'] });
    expect(secret.pending).toBeUndefined();
    expect(await deliver('diag-pending-2')).toBe(200);
    const oldCallback = JSON.stringify({ transactionID: 'diag-pending-3', device: { id: 'dev-diag-pending-3', kind: 'imei' } });
    const postOld = () =>
      fetch(`${t.gateway.url}/webhooks/thingspace/${DIAG}/diagnostics`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature': hexSignature(old.sharedKey!, oldCallback),
          'x-callback-token': old.httpHeaders['x-callback-token']!,
        },
        body: oldCallback,
      });
    expect((await postOld()).status).toBe(200);
    await sleepPast(secret.previousValidUntil!);
    expect((await postOld()).status).toBe(401);
  });
});

describe('what the runs above reported', () => {
  it('never put a password in a change or a status record', async () => {
    const records = JSON.stringify(await Promise.all([SOAP, REST].flatMap((account) => SERVICES.map((service) => status.get(account, service)))));
    expect(passwords.size).toBeGreaterThan(4);
    for (const password of passwords) {
      expect(records).not.toContain(password);
      expect(JSON.stringify(reported)).not.toContain(password);
    }
  });
});
