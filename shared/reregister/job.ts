import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { SecretVersion } from '../secrets/channel-secret';
import type { SecretStore } from '../secrets/source';
import { ThingSpaceApiError, ThingSpaceClient, type CallbackApi, type Registration } from '../thingspace/api-client';
import type { UwsClient } from '../thingspace/uws-client';
import { DEFAULT_UWS_BASE_URL, UwsFault, uwsEndpointsAt, type UwsEndpoints } from '../thingspace/uws-contract';
import { channelOfService } from '../routes';
import { thingspaceApiSecretName, thingspaceSecretName } from '../secrets/names';
import { allMoved, beginRotation, completeRotation, holdsKey, holdsPair, parseStoredSecret, planConnectivity, withMoved, type Pair, type StoredSecret } from './rotation';
import type { RegistrationStatus, RegistrationStatusStore } from './status';

/**
 * Which services of which account to keep registered (REGISTRATIONS), and through which API the
 * account's Connectivity services are registered: REST (the default) or the legacy UWS SOAP service.
 */
export const registrationsSchema = z
  .array(
    z.object({
      account: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      services: z.array(z.string().min(1).max(64)).min(1),
      api: z.enum(['rest', 'soap']).optional(),
    }),
  )
  .max(100)
  // One entry per account: its services share one connectivity secret, and a rotation finishes only
  // when every service of the entry carries the new pair. Two entries of one account would each
  // finish it for their own services and drop the pair the other's still use.
  .refine((list) => new Set(list.map((r) => r.account)).size === list.length, { message: 'each account at most once' });
export type RegistrationsConfig = z.infer<typeof registrationsSchema>;

export interface JobConfig {
  registrations: RegistrationsConfig;
  /** Where ThingSpace's APIs are (a test double in tests). */
  thingspaceBaseUrl: string;
  /** The base the webhook routes hang under: `{base}/webhooks/thingspace/{account}/{channel}`. */
  publicBaseUrl: string;
  /** How long a replaced credential keeps verifying (callbacks in flight). */
  graceMs: number;
  /** Credentials older than this are rotated even when nothing drifted. */
  maxAgeMs: number;
  /** The header ThingSpace is asked to add to Diagnostics callbacks (the receiver checks it). */
  tokenHeader: string;
  /** After this many failed logins in a row the account is left alone until an operator acts. */
  loginFailureLimit: number;
  /** A failed login is not tried again for this long (the next scheduled run, not a retry). */
  loginBackoffMs: number;
  /** Where the UWS SOAP services are, for accounts with `api: "soap"` (the unpublished defaults when absent). */
  uws?: UwsEndpoints;
}

export interface JobDependencies {
  /** Read and written uncached: the job must see what it just wrote. */
  secrets: SecretStore;
  status: RegistrationStatusStore;
  client: () => ThingSpaceClient;
  /** The UWS SOAP client of an `api: "soap"` account (by default one at `config.uws`). */
  uws?: () => UwsClient | Promise<UwsClient>;
  now?: () => Date;
  /** Attempts to store a Shared-Key before giving up on the run (the next run registers again). */
  writeAttempts?: number;
}

/** What a run did for one (account, service). */
export interface Change {
  account: string;
  service: string;
  action: 'registered' | 'rotated' | 'unchanged' | 'error' | 'skipped';
  detail?: string;
}

const LOGIN = '_login';
const CONNECTIVITY = 'connectivity';

/** The channel (webhook route and secret) and the API of a ThingSpace service. */
function channelOf(service: string): { api: CallbackApi; channel: string } {
  const channel = channelOfService(service);
  return { api: channel === 'device-location' ? 'location' : channel, channel };
}

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * One pass of the re-registration job: for every configured account, one OAuth token, one
 * session login per API it uses (never a second one after a failure), the listeners of each API,
 * and a registration for every service that is missing, points elsewhere, lost its secret, or
 * whose credential is older than the maximum age. Credentials rotate without locking out a live
 * registration (rotation.ts): a value chosen by us (Diagnostics token, Connectivity
 * username/password) is written as `pending` before any registration carries it, reused by later
 * runs until every service carries it, and only then made `current`, the old one kept as
 * `previous` for the grace period. A missing Connectivity service is registered with the pair the
 * others use. The Shared-Key ThingSpace returns is written right after the registration, retried,
 * and if it still cannot be stored the status says so and the next run registers again. A run that
 * finds everything in place writes no secret. Each (account, service) gets a status record; one
 * failure never stops the others.
 * An account with `api: "soap"` registers its Connectivity services through the UWS SOAP service
 * instead, to the `soap` route, by the same rules.
 */
export async function runReregistration(config: JobConfig, deps: JobDependencies): Promise<Change[]> {
  const now = deps.now ?? (() => new Date());
  // The SOAP client (and its XML builder and parser) loads only for accounts that use SOAP.
  const uwsClient = deps.uws ?? (async () => new (await import('../thingspace/uws-client')).UwsClient(config.uws ?? uwsEndpointsAt(DEFAULT_UWS_BASE_URL)));
  const changes: Change[] = [];
  for (const { account, services, api } of config.registrations) {
    try {
      changes.push(...(await runAccount(account, [...new Set(services)], api ?? 'rest')));
    } catch (error) {
      // A failure outside any one service (a status write, say): report it and go on with the next account.
      changes.push(...services.map((service) => ({ account, service, action: 'error' as const, detail: describe(error) })));
    }
  }
  return changes;

  async function runAccount(account: string, services: string[], api: 'rest' | 'soap'): Promise<Change[]> {
    const out: Change[] = [];
    const fail: Fail = async (service, detail, extra = {}) => {
      out.push({ account, service, action: 'error', detail });
      const previous = await deps.status.get(account, service);
      await deps.status.put({ ...previous, account, service, state: 'error', lastCheckedOn: now().toISOString(), lastError: detail, ...extra });
    };
    const failAll = async (detail: string) => {
      for (const service of services) await fail(service, detail);
    };
    // Only Connectivity services exist in UWS: with `api: "soap"` the HMAC channels still use REST.
    const soapServices = api === 'soap' ? services.filter((service) => channelOf(service).api === 'connectivity') : [];
    const restServices = services.filter((service) => !soapServices.includes(service));

    // UWS has no OAuth: an account registered through SOAP alone needs only the username and password.
    const { appKey, appSecret, username, password } = (await readSecret(thingspaceApiSecretName(account)))?.current ?? {};
    const needsOAuth = restServices.length > 0;
    if (!username || !password || (needsOAuth && (!appKey || !appSecret))) {
      await failAll(`secret ${thingspaceApiSecretName(account)} is missing or lacks ${needsOAuth ? 'appKey, appSecret, ' : ''}username or password`);
      return out;
    }

    // Five failed logins in a row lock the account: back off after a failure, stop after a few.
    const login = await deps.status.get(account, LOGIN);
    const failures = login?.consecutiveFailures ?? 0;
    if (failures >= config.loginFailureLimit) {
      await failAll(`login suspended after ${failures} failed logins in a row: fix ${thingspaceApiSecretName(account)}, then reset the ${LOGIN} status`);
      return out;
    }
    if (login?.lastFailureOn && now().getTime() - Date.parse(login.lastFailureOn) < config.loginBackoffMs) {
      out.push(...services.map((service) => ({ account, service, action: 'skipped' as const, detail: 'backing off after a failed login' })));
      return out;
    }

    const client = needsOAuth ? deps.client() : undefined;
    const uws = soapServices.length > 0 ? await uwsClient() : undefined;
    if (client) {
      try {
        await client.authenticate({ appKey: appKey!, appSecret: appSecret! });
      } catch (error) {
        await failAll(describe(error));
        return out;
      }
    }
    try {
      // One login per API, and none after a failed one: a run adds at most one failed login.
      await client?.login({ username, password });
      await uws?.logIn({ username, password });
    } catch (error) {
      await client?.logout().catch(() => undefined);
      await loginFailed(account, failures + 1, error);
      await failAll(`${describe(error)} (not retried before the next run)`);
      return out;
    }
    if (failures > 0 || !login) await deps.status.put({ account, service: LOGIN, state: 'registered', lastCheckedOn: now().toISOString(), consecutiveFailures: 0 });

    try {
      if (client) await viaRest(client, account, restServices, out, fail);
      if (uws) await viaSoap(uws, account, soapServices, out, fail);
    } finally {
      await client?.logout().catch(() => undefined);
      await uws?.logOut().catch(() => undefined);
    }
    // The one login after an expired session failed: it counts like any failed login.
    if (uws?.reloginFailure) await loginFailed(account, 1, uws.reloginFailure);
    return out;
  }

  /** Records a failed login on the account's `_login` status: the next runs back off, then stop. */
  async function loginFailed(account: string, consecutiveFailures: number, error: unknown): Promise<void> {
    const at = now().toISOString();
    await deps.status.put({ account, service: LOGIN, state: 'error', lastCheckedOn: at, lastError: describe(error), consecutiveFailures, lastFailureOn: at });
  }

  /** The services of an account registered through the REST APIs, one listing per API. */
  async function viaRest(client: ThingSpaceClient, account: string, services: string[], out: Change[], fail: Fail): Promise<void> {
    const byApi = new Map<CallbackApi, string[]>();
    for (const service of services) byApi.set(channelOf(service).api, [...(byApi.get(channelOf(service).api) ?? []), service]);
    for (const [apiName, apiServices] of byApi) {
      let listed: Registration[];
      try {
        listed = await client.list(apiName, account);
      } catch (error) {
        for (const service of apiServices) await fail(service, describe(error));
        continue;
      }
      if (apiName === 'connectivity') await connectivity(restRegistrar(client), account, apiServices, listed, out, fail);
      else for (const service of apiServices) await keyed(client, account, service, listed, out, fail);
    }
  }

  /** The Connectivity services of an `api: "soap"` account, through UWS to the `soap` route. */
  async function viaSoap(uws: UwsClient, account: string, services: string[], out: Change[], fail: Fail): Promise<void> {
    let listed: Registration[];
    try {
      listed = await uws.getCallbackRegistrations(account);
    } catch (error) {
      for (const service of services) await fail(service, describe(error));
      return;
    }
    await connectivity(soapRegistrar(uws), account, services, listed, out, fail);
  }

  /** Diagnostics, Location, DeviceLocation: HMAC channels whose key ThingSpace issues. */
  async function keyed(
    client: ThingSpaceClient,
    account: string,
    service: string,
    listed: Registration[],
    out: Change[],
    fail: Fail,
  ): Promise<void> {
    const { api, channel } = channelOf(service);
    const name = thingspaceSecretName(account, channel);
    const url = endpointOf(account, channel);
    const diagnostics = service === 'Diagnostics';
    let secret: StoredSecret | undefined;
    try {
      secret = await readSecret(name);
    } catch (error) {
      return fail(service, describe(error), { endpoint: url });
    }
    const status = await deps.status.get(account, service);
    const registered = listed.find((r) => r.serviceName === service);
    const reason =
      registrationDrift(registered, url, status) ??
      credentialDrift(secret, (current) =>
        !current.key ? 'no key stored' : diagnostics && (!current.token || registered?.httpHeaders?.[config.tokenHeader] !== current.token) ? 'token differs' : undefined,
      ) ??
      (secret?.pending ? 'a rotation did not finish' : undefined);
    if (!reason) return unchanged(account, service, url, status, out);

    try {
      const { token, base } = diagnostics ? await pendingToken(name, secret) : { token: undefined, base: secret };
      const extra = token ? { httpHeaders: { [config.tokenHeader]: token } } : {};
      const { sharedKey } = await registerReplacing(
        () => client.register(api, account, service, url, extra),
        () => client.deregister(api, account, service),
      );
      if (!sharedKey) return fail(service, `register ${service}: no Shared-Key header in the response`, { endpoint: url, needsRegistration: true });
      try {
        await retry(() => writeSecret(name, completeRotation(base, { ...(token ? { token } : {}), key: sharedKey }, holdsKey(base?.current), now(), config.graceMs)));
      } catch (error) {
        return fail(service, `Shared-Key could not be stored (${describe(error)}); the next run registers again`, { endpoint: url, needsRegistration: true });
      }
      await changed(account, service, url, registered ? 'rotated' : 'registered', reason, out);
    } catch (error) {
      await fail(service, describe(error), { endpoint: url, needsRegistration: true });
    }
  }

  /**
   * The Diagnostics token to register. It must verify before ThingSpace sends it: a new one is
   * stored as pending first (the current token still valid beside it); the pending one of a run
   * that could not finish is reused.
   */
  async function pendingToken(name: string, secret: StoredSecret | undefined): Promise<{ token: string; base: StoredSecret | undefined }> {
    if (secret?.pending?.token) return { token: secret.pending.token, base: secret };
    const token = random(24);
    const base = beginRotation(secret, { token }, holdsKey(secret?.current), now());
    await writeSecret(name, base);
    return { token, base };
  }

  /**
   * Connectivity services: all registered with one username/password, kept in the `connectivity`
   * secret, to the registrar's route (`connectivity` for REST, `soap` for UWS), by the rotation rule
   * (planConnectivity): a missing service gets the pair the others use, a new pair stays pending
   * until every service carries it.
   */
  async function connectivity(registrar: ConnectivityRegistrar, account: string, services: string[], listed: Registration[], out: Change[], fail: Fail): Promise<void> {
    const name = thingspaceSecretName(account, CONNECTIVITY);
    const url = endpointOf(account, registrar.channel);
    let secret: StoredSecret | undefined;
    try {
      secret = await readSecret(name);
    } catch (error) {
      for (const service of services) await fail(service, describe(error), { endpoint: url });
      return;
    }
    const states = new Map(await Promise.all(services.map(async (service) => [service, await deps.status.get(account, service)] as const)));
    const drift = new Map(services.map((service) => [service, registrationDrift(listed.find((r) => r.serviceName === service), url, states.get(service))]));
    const plan = planConnectivity(secret, drift, tooOld(secret), () => ({ username: `gw-${random(9)}`, password: random(32) }), now());
    try {
      if (plan.write) await writeSecret(name, plan.write);
    } catch (error) {
      for (const service of services) await fail(service, `new credentials could not be stored (${describe(error)}); nothing was registered`, { endpoint: url, needsRegistration: true });
      return;
    }
    const failed = await registerEach(registrar, account, url, [...plan.register.keys()], plan.pair);
    const unrecorded = await recordMoved(name, plan.secret, services, [...plan.register.keys()].filter((service) => !failed.has(service)));
    for (const service of services) {
      const reason = plan.register.get(service);
      const error = failed.get(service) ?? (reason ? unrecorded : undefined);
      if (error) await fail(service, error, { endpoint: url, needsRegistration: true });
      else if (!reason) await unchanged(account, service, url, states.get(service), out);
      else await changed(account, service, url, plan.newPair && listed.some((r) => r.serviceName === service) ? 'rotated' : 'registered', reason, out);
    }
  }

  /** Registers each service with the pair; returns why each one that failed did. */
  async function registerEach(registrar: ConnectivityRegistrar, account: string, url: string, services: string[], pair: Pair): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    for (const service of services) {
      try {
        await registerReplacing(
          () => registrar.register(account, service, url, pair),
          () => registrar.deregister(account, service),
        );
      } catch (error) {
        failed.set(service, describe(error));
      }
    }
    return failed;
  }

  /**
   * Stores which services now carry the pending pair; once all of them do, makes it current (the
   * old pair valid for the grace period). Returns why that could not be stored, or undefined.
   */
  async function recordMoved(name: string, secret: StoredSecret | undefined, services: string[], moved: string[]): Promise<string | undefined> {
    if (!secret?.pending) return undefined;
    const next = withMoved(secret, moved);
    const done = allMoved(next, services);
    if (moved.length === 0 && !done) return undefined;
    try {
      await retry(() => writeSecret(name, done ? completeRotation(next, next.pending!, holdsPair(next.current), now(), config.graceMs) : next));
      return undefined;
    } catch (error) {
      return `registered with the pending credentials, but that could not be stored (${describe(error)}); the next run registers again`;
    }
  }

  /** Why a registration must be made again whatever the secret holds, or undefined when it is in place. */
  function registrationDrift(registered: Registration | undefined, url: string, status: RegistrationStatus | undefined): string | undefined {
    if (!registered) return 'it was missing';
    if (registered.url !== url) return 'registered to another URL';
    if (status?.needsRegistration) return 'the previous run could not finish';
    return undefined;
  }

  /** Why the stored credential must be replaced, or undefined when it can stay. */
  function credentialDrift(secret: StoredSecret | undefined, missingSecret: (current: SecretVersion) => string | undefined): string | undefined {
    if (!secret) return 'no secret stored';
    return missingSecret(secret.current) ?? (tooOld(secret) ? 'credential older than the maximum age' : undefined);
  }

  /** Whether the current credential is older than the maximum age (or of unknown age). */
  function tooOld(secret: StoredSecret | undefined): boolean {
    return !secret?.rotatedOn || now().getTime() - Date.parse(secret.rotatedOn) >= config.maxAgeMs;
  }

  /** Registers; on an "already registered" refusal, deletes and registers again (the documents do not say which happens). */
  async function registerReplacing<T>(register: () => Promise<T>, deregister: () => Promise<void>): Promise<T> {
    try {
      return await register();
    } catch (error) {
      if (!alreadyRegistered(error)) throw error;
      await deregister();
      return register();
    }
  }

  async function writeSecret(name: string, value: StoredSecret): Promise<void> {
    await deps.secrets.put(name, JSON.stringify(value));
  }

  async function readSecret(name: string): Promise<StoredSecret | undefined> {
    const value = await deps.secrets.get(name);
    return value === undefined ? undefined : parseStoredSecret(name, value); // a malformed secret is replaced by a registration
  }

  async function retry<T>(write: () => Promise<T>): Promise<T> {
    const attempts = deps.writeAttempts ?? 3;
    for (let i = 1; ; i++) {
      try {
        return await write();
      } catch (error) {
        if (i >= attempts) throw error;
        await new Promise((r) => setTimeout(r, 100 * 2 ** i));
      }
    }
  }

  async function unchanged(account: string, service: string, url: string, status: RegistrationStatus | undefined, out: Change[]): Promise<void> {
    out.push({ account, service, action: 'unchanged' });
    await deps.status.put({ ...status, account, service, endpoint: url, state: 'registered', lastCheckedOn: now().toISOString(), lastError: undefined, needsRegistration: undefined });
  }

  async function changed(account: string, service: string, url: string, action: 'registered' | 'rotated', detail: string, out: Change[]): Promise<void> {
    out.push({ account, service, action, detail });
    const at = now().toISOString();
    await deps.status.put({ account, service, endpoint: url, state: 'registered', lastCheckedOn: at, lastChangedOn: at });
  }

  function endpointOf(account: string, channel: string): string {
    return `${config.publicBaseUrl.replace(/\/+$/, '')}/webhooks/thingspace/${encodeURIComponent(account)}/${channel}`;
  }
}

/** What a status write of a failed service takes. */
type Fail = (service: string, detail: string, extra?: Partial<RegistrationStatus>) => Promise<void>;

/** Registering and removing Connectivity listeners, through REST or the legacy UWS SOAP service. */
interface ConnectivityRegistrar {
  /** The webhook route ThingSpace is given; both verify with the `connectivity` secret. */
  channel: 'connectivity' | 'soap';
  register(account: string, service: string, url: string, credentials: Pair): Promise<unknown>;
  deregister(account: string, service: string): Promise<void>;
}

function restRegistrar(client: ThingSpaceClient): ConnectivityRegistrar {
  return {
    channel: 'connectivity',
    register: (account, service, url, credentials) => client.register('connectivity', account, service, url, credentials),
    deregister: (account, service) => client.deregister('connectivity', account, service),
  };
}

function soapRegistrar(uws: UwsClient): ConnectivityRegistrar {
  return {
    channel: 'soap',
    register: (account, service, url, credentials) => uws.registerCallback(account, service, url, credentials),
    deregister: (account, service) => uws.unregisterCallback(account, service),
  };
}

/** A refusal because the service is registered already: REST answers 400 with such a code, UWS a fault (HTTP 500 from WCF). */
function alreadyRegistered(error: unknown): boolean {
  if (!(error instanceof ThingSpaceApiError) || !/ALREADY|EXIST|DUPLICATE|REGISTERED/i.test(error.errorCode ?? '')) return false;
  return error instanceof UwsFault || error.status === 400;
}

/** An error as the status shows it: ThingSpace's code and the step, never a credential. */
function describe(error: unknown): string {
  if (error instanceof ThingSpaceApiError) return error.message;
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? '').slice(0, 200)}`;
}
