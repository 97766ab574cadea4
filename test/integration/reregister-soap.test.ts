// First: the handlers' logger reads its level when its module loads.
import '../support/debug-logs';
import { readFileSync } from 'node:fs';
import type { JobConfig } from '../../shared/reregister/config';
import type { Change } from '../../shared/reregister/context';
import { runReregistration } from '../../shared/reregister/job';
import { RegistrationStatusStore } from '../../shared/reregister/status';
import { FileSecretSource } from '../../shared/secrets/file-source';
import type { SecretStore } from '../../shared/secrets/source';
import { ThingSpaceClient } from '../../shared/thingspace/api-client';
import { buildUwsRequest, UwsClient, uwsEndpointsAt, type UwsEndpoints } from '../../shared/thingspace/uws-client';
import { randomApiCredentials, startThingSpaceDouble, type ThingSpaceDouble } from '../../local/thingspace-double';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { soapEnvelope } from '../support/soap';

// S registers its Connectivity services through UWS alone; M mixes (Location by REST, CarrierService
// by SOAP); B is a REST account run beside S to show that S's failures stay S's.
const S = '0444444444-00004';
const M = '0555555555-00005';
const B = '0333333333-00003';
const API_S = randomApiCredentials();
const API_M = randomApiCredentials();
const API_B = randomApiCredentials();
const SOAP_SERVICES = ['CarrierService', 'DeviceUsage'];

let t: TestGateway;
let double: ThingSpaceDouble;
let secretsFile: string;
let status: RegistrationStatusStore;
let uws: UwsEndpoints;
let output: ReturnType<typeof captureOutput>;
/** Every Connectivity password the job chose, to prove none is ever logged. */
const issued = new Set<string>();

beforeAll(async () => {
  output = captureOutput();
  t = await startTestGateway({
    [`thingspace/${S}/api`]: { current: API_S },
    [`thingspace/${M}/api`]: { current: API_M },
    [`thingspace/${B}/api`]: { current: API_B },
  });
  secretsFile = t.gateway.secretsFile;
  status = new RegistrationStatusStore(t.db, t.tableName);
  double = await startThingSpaceDouble({ [S]: API_S, [M]: API_M, [B]: API_B });
  uws = uwsEndpointsAt(`${double.url}/api/v2`);
});
afterAll(async () => {
  output.restore();
  await double.close();
  await t.stop();
});

const config = (over: Partial<JobConfig> = {}): JobConfig => ({
  registrations: [{ account: S, services: SOAP_SERVICES, api: 'soap' }],
  thingspaceBaseUrl: double.url,
  publicBaseUrl: t.gateway.url,
  graceMs: 60 * 60_000,
  maxAgeMs: 30 * 86_400_000,
  tokenHeader: 'x-callback-token',
  loginFailureLimit: 3,
  loginBackoffMs: 0,
  uws,
  ...over,
});
// No `uws` dependency: the job builds its UWS client from `config.uws`, as the Lambda does.
async function run(over: Partial<JobConfig> = {}, secrets: SecretStore = new FileSecretSource(secretsFile)): Promise<Change[]> {
  const changes = await runReregistration(config(over), { secrets, status, client: () => new ThingSpaceClient(double.url, 5_000), writeAttempts: 2 });
  for (const [name, value] of Object.entries(readSecrets())) {
    if (name.endsWith('/connectivity')) for (const version of [value.current, value.pending]) if (version?.password) issued.add(version.password);
  }
  return changes;
}
type Stored = {
  current: Record<string, string>;
  pending?: Record<string, string>;
  previous?: Record<string, string>;
  previousValidUntil?: string;
  rotatedOn?: string;
};
const readSecrets = () => JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, Stored>;
const connectivitySecret = (account = S) => readSecrets()[`thingspace/${account}/connectivity`]!;
const registration = (api: string, account: string, service: string) => double.registrations.get(`${api}|${account}|${service}`);
const actions = (changes: Change[]) => Object.fromEntries(changes.map((c) => [`${c.account}/${c.service}`, c.action]));
const operations = (from = 0) => double.calls.slice(from).flatMap((c) => (c.operation ? [c.operation] : []));
const count = (operation: string) => operations().filter((o) => o === operation).length;
const soapUrl = (account = S) => `${t.gateway.url}/webhooks/thingspace/${account}/soap`;
/** A CallbackRequest posted straight to the gateway, with whatever credentials the test holds. */
const postSoap = (credentials: Record<string, string>, requestId: string) =>
  fetch(soapUrl(), {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: soapEnvelope(
      '<CarrierService><Status>Success</Status></CarrierService>',
      '1.1',
      credentials.username,
      credentials.password,
      requestId,
      `mdn-${requestId}`,
    ),
  });
/** What the double's `/_double/deliver` answers when asked to send a SOAP callback. */
async function deliver(service: string, requestId: string): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify({ requestId, device: { kind: 'mdn', id: `mdn-${requestId}` }, data: { [service]: { Status: 'Success' } } });
  const res = await fetch(`${double.url}/_double/deliver`, { method: 'POST', body: JSON.stringify({ account: S, service, payload }) });
  return (await res.json()) as { status: number; text: string };
}

describe('the re-registration job through the legacy UWS SOAP service', () => {
  it('registers the SOAP services at the soap route on the first run, in one session, without REST', async () => {
    const changes = await run();
    expect(actions(changes)).toEqual({ [`${S}/CarrierService`]: 'registered', [`${S}/DeviceUsage`]: 'registered' });
    const carrier = registration('uws', S, 'CarrierService')!;
    expect(carrier.url).toBe(soapUrl());
    expect(connectivitySecret().current).toEqual({ username: carrier.username, password: carrier.password });
    expect(registration('uws', S, 'DeviceUsage')).toMatchObject({ url: soapUrl(), username: carrier.username, password: carrier.password });
    expect(await status.get(S, 'DeviceUsage')).toMatchObject({ state: 'registered', endpoint: soapUrl(), lastChangedOn: expect.any(String) });
    expect(await status.get(S, '_login')).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
    expect(operations()).toEqual(['LogIn', 'GetCallbackRegistrations', 'RegisterCallback', 'RegisterCallback', 'LogOut']);
    // UWS has no OAuth and the REST APIs never saw the account.
    expect(double.calls.filter((c) => !c.operation)).toEqual([]);
  });

  it('gets 200 from the gateway for a SOAP callback the double sends with the registered credentials', async () => {
    expect(await deliver('CarrierService', 'soap-rr-1')).toMatchObject({ status: 200, text: expect.stringContaining('CallbackResponse') });
    expect(await t.events(S, 'mdn-soap-rr-1')).toHaveLength(1);
    expect((await postSoap({ ...connectivitySecret().current, password: 'guess' }, 'soap-rr-bad')).status).toBe(401);
  });

  it('changes nothing on a second run: one listing, no registration call, no secret written', async () => {
    const before = readFileSync(secretsFile, 'utf8');
    const registrations = JSON.stringify([...double.registrations.entries()]);
    const from = double.calls.length;
    const changes = await run();
    expect(new Set(changes.map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(operations(from)).toEqual(['LogIn', 'GetCallbackRegistrations', 'LogOut']);
    expect(readFileSync(secretsFile, 'utf8')).toBe(before);
    expect(JSON.stringify([...double.registrations.entries()])).toBe(registrations);
  });

  it('rotates credentials past their age, restoring a deleted registration with them, the old pair verifying through the grace period only', async () => {
    const old = connectivitySecret().current;
    double.registrations.delete(`uws|${S}|DeviceUsage`);
    const changes = await run({ graceMs: 2_000, maxAgeMs: 0 });
    // One credential pair serves every service: both are registered with the new pair, which then becomes current.
    expect(actions(changes)).toEqual({ [`${S}/CarrierService`]: 'rotated', [`${S}/DeviceUsage`]: 'registered' });
    const stored = connectivitySecret();
    expect(stored.previous).toEqual(old);
    expect(stored.current.password).not.toBe(old.password);
    for (const service of SOAP_SERVICES) expect(registration('uws', S, service)).toMatchObject({ url: soapUrl(), ...stored.current });

    expect((await postSoap(old, 'grace-1')).status).toBe(200); // in flight, sent before the rotation
    expect((await deliver('DeviceUsage', 'grace-2')).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(stored.previousValidUntil!) - Date.now() + 50));
    expect((await postSoap(old, 'grace-3')).status).toBe(401);
    expect((await deliver('CarrierService', 'grace-4')).status).toBe(200);
  });

  it('unregisters then registers again where UWS refuses a second registration', async () => {
    double.duplicatePolicy = 'reject';
    try {
      const from = double.calls.length;
      const changes = await run({ maxAgeMs: 0 });
      expect(actions(changes)).toEqual({ [`${S}/CarrierService`]: 'rotated', [`${S}/DeviceUsage`]: 'rotated' });
      expect(operations(from).filter((o) => o.endsWith('Callback'))).toEqual([
        'RegisterCallback',
        'UnregisterCallback',
        'RegisterCallback',
        'RegisterCallback',
        'UnregisterCallback',
        'RegisterCallback',
      ]);
      expect(registration('uws', S, 'CarrierService')!.password).toBe(connectivitySecret().current.password);
    } finally {
      double.duplicatePolicy = 'update';
    }
  });

  it('logs in again once when the session expired, and completes the run', async () => {
    double.expireSessions();
    const from = double.calls.length;
    const changes = await run();
    expect(new Set(changes.map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(operations(from)).toEqual(['LogIn', 'GetCallbackRegistrations', 'LogIn', 'GetCallbackRegistrations', 'LogOut']);
    expect(await status.get(S, '_login')).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
  });

  it('counts a failed login after an expired session as a failed login, and never tries a third', async () => {
    double.registrations.delete(`uws|${S}|CarrierService`);
    const file = new FileSecretSource(secretsFile);
    // The session expires, and the login that follows fails, right after the job listed the registrations.
    const expiring: SecretStore = {
      get: async (name) => {
        if (name === `thingspace/${S}/connectivity`) {
          double.expireSessions();
          double.fail({ method: 'POST', path: '/api/v2/SessionService.svc', operation: 'LogIn', status: 500, errorCode: 'Authentication.Failed' });
        }
        return file.get(name);
      },
      put: (name, value) => file.put(name, value),
    };
    const from = double.calls.length;
    const changes = await run({}, expiring);
    // Only the missing service is registered (with the pair DeviceUsage already carries): its call meets the expired session.
    expect(changes).toEqual([
      expect.objectContaining({ service: 'CarrierService', action: 'error', detail: 'LogIn failed: HTTP 500 Authentication.Failed' }),
      expect.objectContaining({ service: 'DeviceUsage', action: 'unchanged' }),
    ]);
    expect(operations(from).filter((o) => o === 'LogIn')).toHaveLength(2);
    expect(await status.get(S, '_login')).toMatchObject({ state: 'error', consecutiveFailures: 1, lastError: 'LogIn failed: HTTP 500 Authentication.Failed' });
    expect(await status.get(S, 'CarrierService')).toMatchObject({ state: 'error', needsRegistration: true });

    // The next run (no backoff configured here) finishes the job and clears the login record.
    const next = await run();
    expect(actions(next)).toEqual({ [`${S}/CarrierService`]: 'registered', [`${S}/DeviceUsage`]: 'unchanged' });
    expect(await status.get(S, '_login')).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
  });

  it('tries a failed login once, then backs off, and the other accounts go on', async () => {
    const file = new FileSecretSource(secretsFile);
    const good = readSecrets()[`thingspace/${S}/api`];
    await file.put(`thingspace/${S}/api`, JSON.stringify({ current: { username: API_S.username, password: 'wrong-password' } }));
    const registrations: JobConfig['registrations'] = [
      { account: S, services: SOAP_SERVICES, api: 'soap' },
      { account: B, services: ['Location'] },
    ];
    const logins = count('LogIn');
    const first = await run({ registrations, loginBackoffMs: 60 * 60_000 });
    expect(first).toEqual([
      expect.objectContaining({
        account: S,
        service: 'CarrierService',
        action: 'error',
        detail: 'LogIn failed: HTTP 500 Authentication.Failed (not retried before the next run)',
      }),
      expect.objectContaining({ account: S, service: 'DeviceUsage', action: 'error' }),
      expect.objectContaining({ account: B, service: 'Location', action: 'registered' }),
    ]);
    expect(count('LogIn')).toBe(logins + 1);
    expect(await status.get(S, '_login')).toMatchObject({ state: 'error', consecutiveFailures: 1, lastFailureOn: expect.any(String) });

    // Within the backoff: no login at all.
    const second = await run({ registrations, loginBackoffMs: 60 * 60_000 });
    expect(actions(second)).toEqual({ [`${S}/CarrierService`]: 'skipped', [`${S}/DeviceUsage`]: 'skipped', [`${B}/Location`]: 'unchanged' });
    expect(count('LogIn')).toBe(logins + 1);
    const records = JSON.stringify([await status.get(S, '_login'), await status.get(S, 'CarrierService'), first, second]);
    expect(records).not.toContain('wrong-password');

    await file.put(`thingspace/${S}/api`, JSON.stringify(good));
    expect(new Set((await run()).map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(await status.get(S, '_login')).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
  });

  it('lets one failing registration fail alone, with the fault code in its status', async () => {
    for (const service of SOAP_SERVICES) double.registrations.delete(`uws|${S}|${service}`);
    double.fail({ method: 'POST', path: '/api/v2/CallbackRegistrationService.svc', operation: 'RegisterCallback', status: 500, errorCode: 'Internal.Error' });
    const changes = await run();
    expect(actions(changes)).toEqual({ [`${S}/CarrierService`]: 'error', [`${S}/DeviceUsage`]: 'registered' });
    expect(await status.get(S, 'CarrierService')).toMatchObject({
      state: 'error',
      lastError: 'RegisterCallback failed: HTTP 500 Internal.Error',
      needsRegistration: true,
    });
    // The next run registers the one that failed with the pair the other carries: no rotation.
    const before = connectivitySecret();
    const next = await run();
    expect(actions(next)).toEqual({ [`${S}/CarrierService`]: 'registered', [`${S}/DeviceUsage`]: 'unchanged' });
    expect(connectivitySecret()).toEqual(before);
    expect(registration('uws', S, 'CarrierService')).toMatchObject(before.current);
  });

  it('registers a mixed account: HMAC channels by REST, Connectivity by SOAP, one login each', async () => {
    const from = double.calls.length;
    const changes = await run({ registrations: [{ account: M, services: ['Location', 'CarrierService'], api: 'soap' }] });
    expect(actions(changes)).toEqual({ [`${M}/Location`]: 'registered', [`${M}/CarrierService`]: 'registered' });
    expect(registration('location', M, 'Location')!.url).toBe(`${t.gateway.url}/webhooks/thingspace/${M}/location`);
    expect(registration('uws', M, 'CarrierService')!.url).toBe(soapUrl(M));
    expect(registration('connectivity', M, 'CarrierService')).toBeUndefined();
    const calls = double.calls.slice(from);
    expect(calls.filter((c) => c.path === '/api/m2m/v1/session/login')).toHaveLength(1);
    expect(operations(from).filter((o) => o === 'LogIn')).toHaveLength(1);
    expect(calls.some((c) => c.path.startsWith('/api/m2m/v1/callbacks'))).toBe(false);
  });

  it('is held to the SOAP contract by the double: SOAPAction, namespaces, session token', async () => {
    const post = (service: string, action: string, body: string) =>
      fetch(`${double.url}/api/v2/${service}.svc`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` },
        body,
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const list = buildUwsRequest('GetCallbackRegistrations', { AccountName: S });
    const action = 'http://nphase.com/unifiedwebservice/v2/ICallbackRegistrationService/GetCallbackRegistrations';
    expect(await post('CallbackRegistrationService', action, list)).toMatchObject({ status: 500, text: expect.stringContaining('a:SessionToken.Invalid') });
    expect(await post('CallbackRegistrationService', 'urn:other', list)).toMatchObject({ status: 500, text: expect.stringContaining('a:ActionNotSupported') });
    const wrongNamespace = buildUwsRequest('LogIn', { Username: API_S.username, Password: API_S.password }).replace(
      'Contract.SessionService',
      'Contract.Other',
    );
    expect(await post('SessionService', 'http://nphase.com/unifiedwebservice/v2/ISessionService/LogIn', wrongNamespace)).toMatchObject({
      status: 500,
      text: expect.stringContaining('a:Request.Invalid'),
    });

    // The same faults through the client, mapped to their codes.
    await expect(new UwsClient(uws).getCallbackRegistrations(S)).rejects.toMatchObject({ name: 'UwsFault', errorCode: 'SessionToken.Invalid' });
    await expect(new UwsClient({ ...uws, soapAction: 'urn:{operation}' }).logIn(API_S)).rejects.toMatchObject({ errorCode: 'ActionNotSupported' });
  });

  it('never put a password in a log line, a change or a status record', async () => {
    const records = JSON.stringify(
      await Promise.all([S, M, B].flatMap((account) => [...SOAP_SERVICES, 'Location', '_login'].map((service) => status.get(account, service)))),
    );
    const logged = output.text();
    // The gateway logged the callbacks it took (at DEBUG), so there was something to look through.
    expect(logged).toContain('"function_name":"thingspace-soap"');
    expect(issued.size).toBeGreaterThan(3);
    for (const secret of [API_S.password, API_M.password, ...issued]) {
      expect(records).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });
});
