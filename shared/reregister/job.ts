import type { JobConfig } from './config';
import { channelOf, type Change, type JobContext, type JobDependencies } from './context';
import { describe } from './errors';
import { AccountReport } from './report';
import { viaRest } from './rest';
import { accountCredentials, closeSessions, loginFailed, openSessions } from './session';
import { viaSoap } from './soap';

/**
 * One pass of the re-registration job: for every configured account, one OAuth token, one
 * session login per API it uses (never a second one after a failure), the listeners of each API,
 * and a registration for every service that is missing, points elsewhere, lost its secret, or
 * whose credential is older than the maximum age. Credentials rotate without locking out a live
 * registration (rotation.ts): a value chosen by us (Diagnostics token, Connectivity
 * username/password) is written as `pending` before any registration carries it, reused by later
 * runs until every service carries it, and only then made `current`, the old one kept as
 * `previous` for the grace period. A missing Connectivity service is registered with the pair the
 * others use (connectivity.ts). The Shared-Key ThingSpace returns is written right after the
 * registration, retried, and if it still cannot be stored the status says so and the next run
 * registers again (keyed.ts). A run that finds everything in place writes no secret. Each
 * (account, service) gets a status record; one failure never stops the others.
 * An account with `api: "soap"` registers its Connectivity services through the UWS SOAP service
 * instead, to the `soap` route, by the same rules (soap.ts).
 */
export async function runReregistration(config: JobConfig, deps: JobDependencies): Promise<Change[]> {
  const ctx: JobContext = { config, deps, now: deps.now ?? (() => new Date()) };
  const changes: Change[] = [];
  for (const { account, services, api } of config.registrations) {
    try {
      changes.push(...(await runAccount(ctx, account, [...new Set(services)], api ?? 'rest')));
    } catch (error) {
      // A failure outside any one service (a status write, say): report it and go on with the next account.
      changes.push(...services.map((service) => ({ account, service, action: 'error' as const, detail: describe(error) })));
    }
  }
  return changes;
}

/** One account: its credentials, its sessions, then its REST services and its SOAP services. */
async function runAccount(ctx: JobContext, account: string, services: string[], api: 'rest' | 'soap'): Promise<Change[]> {
  const report = new AccountReport(ctx, account);
  // Only Connectivity services exist in UWS: with `api: "soap"` the HMAC channels still use REST.
  const soapServices = api === 'soap' ? services.filter((service) => channelOf(service).api === 'connectivity') : [];
  const restServices = services.filter((service) => !soapServices.includes(service));
  const credentials = await accountCredentials(ctx, report, services, restServices.length > 0);
  if (!credentials) return report.changes;
  const sessions = await openSessions(ctx, report, services, credentials, { rest: restServices.length > 0, soap: soapServices.length > 0 });
  if (!sessions) return report.changes;
  try {
    if (sessions.client) await viaRest(ctx, sessions.client, report, restServices);
    if (sessions.uws) await viaSoap(ctx, sessions.uws, report, soapServices);
  } finally {
    await closeSessions(sessions);
  }
  // The one login after an expired session failed: it counts like any failed login.
  if (sessions.uws?.reloginFailure) await loginFailed(ctx, account, 1, sessions.uws.reloginFailure);
  return report.changes;
}
