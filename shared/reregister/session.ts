import type { ThingSpaceClient } from '../thingspace/api-client';
import type { UwsClient } from '../thingspace/uws-client';
import type { JobContext } from './context';
import { describe } from './errors';
import type { AccountReport } from './report';
import { uwsClientOf } from './soap';
import { readSecret } from './vault';
import { thingspaceApiSecretName } from '../secret-names';

/** The status record (service `_login`) of an account's session logins. */
export const LOGIN = '_login';

/** What an account logs in with (`thingspace/{account}/api`). */
export interface AccountCredentials {
  appKey?: string;
  appSecret?: string;
  username: string;
  password: string;
}

/** The open sessions of an account's run: OAuth + REST login, and the UWS login when it uses SOAP. */
export interface Sessions {
  client?: ThingSpaceClient;
  uws?: UwsClient;
}

/**
 * The account's API credentials, or undefined after failing every service when they are missing.
 * UWS has no OAuth: an account registered through SOAP alone needs only the username and password.
 */
export async function accountCredentials(
  ctx: JobContext,
  report: AccountReport,
  services: string[],
  needsOAuth: boolean,
): Promise<AccountCredentials | undefined> {
  const { appKey, appSecret, username, password } = (await readSecret(ctx, thingspaceApiSecretName(report.account)))?.current ?? {};
  if (!username || !password || (needsOAuth && (!appKey || !appSecret))) {
    await report.failAll(
      services,
      `secret ${thingspaceApiSecretName(report.account)} is missing or lacks ${needsOAuth ? 'appKey, appSecret, ' : ''}username or password`,
    );
    return undefined;
  }
  return { appKey, appSecret, username, password };
}

/**
 * Opens the sessions the account needs, or returns undefined after reporting why not. Five failed
 * logins in a row lock the account: back off after a failure, stop after a few. One login per API,
 * and none after a failed one: a run adds at most one failed login.
 */
export async function openSessions(
  ctx: JobContext,
  report: AccountReport,
  services: string[],
  credentials: AccountCredentials,
  needs: { rest: boolean; soap: boolean },
): Promise<Sessions | undefined> {
  const { account } = report;
  const login = await ctx.deps.status.get(account, LOGIN);
  const failures = login?.consecutiveFailures ?? 0;
  if (failures >= ctx.config.loginFailureLimit) {
    await report.failAll(
      services,
      `login suspended after ${failures} failed logins in a row: fix ${thingspaceApiSecretName(account)}, then reset the ${LOGIN} status`,
    );
    return undefined;
  }
  if (login?.lastFailureOn && ctx.now().getTime() - Date.parse(login.lastFailureOn) < ctx.config.loginBackoffMs) {
    report.skipAll(services, 'backing off after a failed login');
    return undefined;
  }
  const sessions: Sessions = { client: needs.rest ? ctx.deps.client() : undefined, uws: needs.soap ? await uwsClientOf(ctx)() : undefined };
  if (!(await logIn(ctx, report, services, sessions, credentials, failures))) return undefined;
  if (failures > 0 || !login)
    await ctx.deps.status.put({ account, service: LOGIN, state: 'registered', lastCheckedOn: ctx.now().toISOString(), consecutiveFailures: 0 });
  return sessions;
}

/** Authenticates and logs in once per API; false after reporting a failure. */
async function logIn(
  ctx: JobContext,
  report: AccountReport,
  services: string[],
  { client, uws }: Sessions,
  credentials: AccountCredentials,
  failures: number,
): Promise<boolean> {
  const { appKey, appSecret, username, password } = credentials;
  if (client) {
    try {
      await client.authenticate({ appKey: appKey!, appSecret: appSecret! });
    } catch (error) {
      await report.failAll(services, describe(error));
      return false;
    }
  }
  try {
    await client?.login({ username, password });
    await uws?.logIn({ username, password });
  } catch (error) {
    await client?.logout().catch(() => undefined);
    await loginFailed(ctx, report.account, failures + 1, error);
    await report.failAll(services, `${describe(error)} (not retried before the next run)`);
    return false;
  }
  return true;
}

/** Closes the sessions, whatever happened (a failed logout changes nothing). */
export async function closeSessions({ client, uws }: Sessions): Promise<void> {
  await client?.logout().catch(() => undefined);
  await uws?.logOut().catch(() => undefined);
}

/** Records a failed login on the account's `_login` status: the next runs back off, then stop. */
export async function loginFailed(ctx: JobContext, account: string, consecutiveFailures: number, error: unknown): Promise<void> {
  const at = ctx.now().toISOString();
  await ctx.deps.status.put({ account, service: LOGIN, state: 'error', lastCheckedOn: at, lastError: describe(error), consecutiveFailures, lastFailureOn: at });
}
