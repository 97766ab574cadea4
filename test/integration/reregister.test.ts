import { readFileSync } from 'node:fs';
import { ApiKeyStore } from '../../shared/apikeys/store';
import type { JobConfig } from '../../shared/reregister/config';
import { runReregistration } from '../../shared/reregister/job';
import { RegistrationStatusStore } from '../../shared/reregister/status';
import { FileSecretSource } from '../../shared/secrets/file-source';
import type { SecretStore } from '../../shared/secrets/source';
import { ThingSpaceClient } from '../../shared/thingspace/api-client';
import { randomApiCredentials, startThingSpaceDouble, type ThingSpaceDouble } from '../../local/thingspace-double';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

const A = '0212312345-00001';
const B = '0333333333-00003';
const API_A = randomApiCredentials();
const API_B = randomApiCredentials();

let t: TestGateway;
let double: ThingSpaceDouble;
let secretsFile: string;
let status: RegistrationStatusStore;

beforeAll(async () => {
  t = await startTestGateway({ [`thingspace/${A}/api`]: { current: API_A }, [`thingspace/${B}/api`]: { current: API_B } });
  secretsFile = t.gateway.secretsFile;
  status = new RegistrationStatusStore(t.db, t.tableName);
  double = await startThingSpaceDouble({ [A]: API_A, [B]: API_B });
});
afterAll(async () => {
  await double.close();
  await t.stop();
});

const config = (over: Partial<JobConfig> = {}): JobConfig => ({
  registrations: [
    { account: A, services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService', 'NiddService'] },
    { account: B, services: ['Location'] },
  ],
  thingspaceBaseUrl: double.url,
  publicBaseUrl: t.gateway.url,
  graceMs: 60 * 60_000,
  maxAgeMs: 30 * 86_400_000,
  tokenHeader: 'x-callback-token',
  loginFailureLimit: 3,
  loginBackoffMs: 0,
  ...over,
});
const run = (over: Partial<JobConfig> = {}, secrets: SecretStore = new FileSecretSource(secretsFile), now?: () => Date) =>
  runReregistration(config(over), { secrets, status, client: () => new ThingSpaceClient(double.url, 5_000), writeAttempts: 2, ...(now ? { now } : {}) });
const secrets = () =>
  JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<
    string,
    { current: Record<string, string>; previous?: Record<string, string>; previousValidUntil?: string; rotatedOn?: string }
  >;
const registration = (api: string, account: string, service: string) => double.registrations.get(`${api}|${account}|${service}`);
const actions = (changes: Awaited<ReturnType<typeof run>>) => Object.fromEntries(changes.map((c) => [`${c.account}/${c.service}`, c.action]));
const logins = () => double.calls.filter((c) => c.path === '/api/m2m/v1/session/login').length;

describe('the re-registration job against the ThingSpace test double', () => {
  it('registers everything on the first run and stores the keys ThingSpace issued', async () => {
    const changes = await run();
    expect(actions(changes)).toEqual({
      [`${A}/Diagnostics`]: 'registered',
      [`${A}/Location`]: 'registered',
      [`${A}/DeviceLocation`]: 'registered',
      [`${A}/CarrierService`]: 'registered',
      [`${A}/NiddService`]: 'registered',
      [`${B}/Location`]: 'registered',
    });
    const stored = secrets();
    const diagnostics = registration('diagnostics', A, 'Diagnostics')!;
    expect(diagnostics.url).toBe(`${t.gateway.url}/webhooks/thingspace/${A}/diagnostics`);
    expect(stored[`thingspace/${A}/diagnostics`]!.current).toEqual({ key: diagnostics.sharedKey, token: diagnostics.httpHeaders['x-callback-token'] });
    expect(stored[`thingspace/${A}/location`]!.current).toEqual({ key: registration('location', A, 'Location')!.sharedKey });
    expect(stored[`thingspace/${A}/device-location`]!.current).toEqual({ key: registration('location', A, 'DeviceLocation')!.sharedKey });
    expect(stored[`thingspace/${B}/location`]!.current.key).toBe(registration('location', B, 'Location')!.sharedKey);
    const carrier = registration('connectivity', A, 'CarrierService')!;
    expect(carrier.url).toBe(`${t.gateway.url}/webhooks/thingspace/${A}/connectivity`);
    expect(stored[`thingspace/${A}/connectivity`]!.current).toEqual({ username: carrier.username, password: carrier.password });
    expect(registration('connectivity', A, 'NiddService')!.password).toBe(carrier.password);
    expect(await status.get(A, 'Diagnostics')).toMatchObject({ state: 'registered', endpoint: diagnostics.url, lastChangedOn: expect.any(String) });
    // Logged out at the end: every session opened was closed.
    expect(double.calls.filter((c) => c.path.endsWith('/session/logout')).length).toBe(logins());
  });

  it('accepts callbacks the double sends with what it issued, on every channel', async () => {
    expect((await double.deliver(A, 'Diagnostics', JSON.stringify({ transactionID: 'tx-rr', device: { id: 'dev-rr', kind: 'imei' } }))).status).toBe(200);
    expect(
      (await double.deliver(A, 'DeviceLocation', JSON.stringify({ txid: 'loc-rr', id: 'dev-rr', kind: 'imei', location: { x: '1', y: '2' } }))).status,
    ).toBe(200);
    expect(
      (await double.deliver(A, 'CarrierService', JSON.stringify({ requestId: 'req-rr', deviceIds: [{ id: 'dev-rr', kind: 'imei' }], carrierService: {} })))
        .status,
    ).toBe(200);
  });

  it('changes nothing on a second run', async () => {
    const before = readFileSync(secretsFile, 'utf8');
    const registrations = JSON.stringify([...double.registrations.entries()]);
    const changes = await run();
    expect(new Set(changes.map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(readFileSync(secretsFile, 'utf8')).toBe(before);
    expect(JSON.stringify([...double.registrations.entries()])).toBe(registrations);
  });

  it('restores a registration someone deleted, and only that one', async () => {
    double.registrations.delete(`location|${A}|DeviceLocation`);
    const changes = await run();
    expect(actions(changes)).toMatchObject({ [`${A}/DeviceLocation`]: 'registered', [`${A}/Location`]: 'unchanged', [`${A}/Diagnostics`]: 'unchanged' });
    expect(secrets()[`thingspace/${A}/device-location`]!.current.key).toBe(registration('location', A, 'DeviceLocation')!.sharedKey);
  });

  it('re-registers when the public URL changes, deleting first where ThingSpace refuses a second registration', async () => {
    double.duplicatePolicy = 'reject';
    try {
      const moved = 'https://gateway.example.com';
      const changes = await run({ publicBaseUrl: moved, registrations: [{ account: B, services: ['Location'] }] });
      expect(actions(changes)).toEqual({ [`${B}/Location`]: 'rotated' });
      expect(registration('location', B, 'Location')!.url).toBe(`${moved}/webhooks/thingspace/${B}/location`);
      expect(double.calls.some((c) => c.method === 'DELETE' && c.path === `/api/loc/v1/callbacks/${B}/name/Location`)).toBe(true);
    } finally {
      double.duplicatePolicy = 'update';
    }
  });

  it('keeps the old key verifying during the grace period and not after', async () => {
    const oldKey = registration('location', A, 'Location')!.sharedKey!;
    const body = (n: number) => JSON.stringify({ txid: `grace-${n}`, status: 'Completed' });
    const post = (key: string, b: string) =>
      fetch(`${t.gateway.url}/webhooks/thingspace/${A}/location`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': hexSignature(key, b) },
        body: b,
      });
    // Every credential is past its age: the run rotates them all, with a short grace period.
    const changes = await run({ maxAgeMs: 0, graceMs: 2_000 });
    expect(actions(changes)[`${A}/Location`]).toBe('rotated');
    const stored = secrets()[`thingspace/${A}/location`]!;
    expect(stored.previous).toEqual({ key: oldKey });
    const newKey = registration('location', A, 'Location')!.sharedKey!;
    expect(stored.current.key).toBe(newKey);
    expect((await post(oldKey, body(1))).status).toBe(200); // in flight, signed before the rotation
    expect((await post(newKey, body(2))).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(stored.previousValidUntil!) - Date.now() + 50));
    expect((await post(oldKey, body(3))).status).toBe(401);
    expect((await post(newKey, body(4))).status).toBe(200);
  });

  it('reports a Shared-Key it could not store, and the next run registers again', async () => {
    const file = new FileSecretSource(secretsFile);
    const broken: SecretStore = {
      get: (name) => file.get(name),
      put: async (name, value) => {
        if (name === `thingspace/${B}/location`) throw new Error('secret store down');
        return file.put(name, value);
      },
    };
    double.registrations.delete(`location|${B}|Location`);
    const failed = await run({ registrations: [{ account: B, services: ['Location'] }] }, broken);
    expect(failed).toEqual([
      expect.objectContaining({ account: B, service: 'Location', action: 'error', detail: expect.stringContaining('Shared-Key could not be stored') }),
    ]);
    expect(failed[0]!.detail).not.toContain(registration('location', B, 'Location')!.sharedKey!);
    expect(await status.get(B, 'Location')).toMatchObject({ state: 'error', needsRegistration: true });

    const recovered = await run({ registrations: [{ account: B, services: ['Location'] }] });
    expect(recovered).toEqual([expect.objectContaining({ action: 'rotated', detail: 'the previous run could not finish' })]);
    expect(secrets()[`thingspace/${B}/location`]!.current.key).toBe(registration('location', B, 'Location')!.sharedKey);
    expect(await status.get(B, 'Location')).toMatchObject({ state: 'registered' });
    expect((await status.get(B, 'Location'))!.needsRegistration).toBeUndefined();
  });

  it('lets one failing service fail alone', async () => {
    for (const service of ['CarrierService', 'NiddService']) double.registrations.delete(`connectivity|${A}|${service}`);
    double.registrations.delete(`location|${A}|Location`);
    double.fail({ method: 'POST', path: '/api/m2m/v1/callbacks/', service: 'CarrierService', status: 500, errorCode: 'INTERNAL_ERROR', times: 1 });
    const changes = await run({ registrations: [{ account: A, services: ['Location', 'CarrierService', 'NiddService'] }] });
    const byService = actions(changes);
    expect(byService[`${A}/Location`]).toBe('registered');
    // The injected failure hits CarrierService's registration; NiddService still goes through.
    expect(byService[`${A}/CarrierService`]).toBe('error');
    expect(byService[`${A}/NiddService`]).toBe('registered');
    expect(await status.get(A, 'CarrierService')).toMatchObject({
      state: 'error',
      lastError: expect.stringContaining('HTTP 500 INTERNAL_ERROR'),
      needsRegistration: true,
    });
    // The next run finishes the job.
    const next = await run({ registrations: [{ account: A, services: ['Location', 'CarrierService', 'NiddService'] }] });
    expect(next.every((c) => c.action !== 'error')).toBe(true);
  });

  it('never logs in twice after a failed login: backs off, then suspends the account', async () => {
    const wrong = { ...secrets() };
    const file = new FileSecretSource(secretsFile);
    await file.put(`thingspace/${B}/api`, JSON.stringify({ current: { ...API_B, password: 'wrong' } }));
    const only = { registrations: [{ account: B, services: ['Location'] }] };
    const before = logins();
    const first = await run({ ...only, loginBackoffMs: 60 * 60_000 });
    expect(first).toEqual([expect.objectContaining({ action: 'error', detail: expect.stringContaining('session login failed: HTTP 400 INVALID_LOGIN') })]);
    expect(logins()).toBe(before + 1);
    // Within the backoff (the same hour): no login at all.
    expect(await run({ ...only, loginBackoffMs: 60 * 60_000 })).toEqual([expect.objectContaining({ action: 'skipped' })]);
    expect(logins()).toBe(before + 1);
    // Later runs try once each, until the limit: then the account is left alone, short of ThingSpace's lock at five.
    await run(only);
    await run(only);
    expect(logins()).toBe(before + 3);
    const suspended = await run(only);
    expect(suspended).toEqual([expect.objectContaining({ action: 'error', detail: expect.stringContaining('login suspended after 3 failed logins') })]);
    expect(logins()).toBe(before + 3);
    expect(double.failedLogins.get(API_B.username)).toBe(3);
    expect(JSON.stringify(await status.get(B, '_login'))).not.toContain('wrong');
    await file.put(`thingspace/${B}/api`, JSON.stringify(wrong[`thingspace/${B}/api`]));
  });

  it('shows its status through the query API', async () => {
    const { key } = await new ApiKeyStore(t.db, t.tableName).create({ scopes: [A] });
    const res = await fetch(`${t.gateway.url}/v1/${A}/registrations`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { items: Array<{ service: string; status: string }> };
    expect(res.status).toBe(200);
    expect(body.items.map((i) => i.service)).toEqual(
      expect.arrayContaining(['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService', 'NiddService', '_login']),
    );
    expect(JSON.stringify(body)).not.toContain(API_A.password);
  });
});
