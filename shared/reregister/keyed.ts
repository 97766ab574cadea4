import type { Registration, ThingSpaceClient } from '../thingspace/api-client';
import { channelOf, endpointOf, type JobContext } from './context';
import { credentialDrift, registrationDrift } from './drift';
import { describe, registerReplacing } from './errors';
import type { AccountReport } from './report';
import { beginRotation, completeRotation, holdsKey, type StoredSecret } from './rotation';
import type { RegistrationStatus } from './status';
import { random, readSecret, retry, writeSecret } from './vault';
import { thingspaceSecretName } from '../secret-names';

/** Diagnostics, Location, DeviceLocation: HMAC channels whose key ThingSpace issues (the Shared-Key). */
export async function keepKeyed(ctx: JobContext, client: ThingSpaceClient, report: AccountReport, service: string, listed: Registration[]): Promise<void> {
  const { account } = report;
  const { channel } = channelOf(service);
  const name = thingspaceSecretName(account, channel);
  const url = endpointOf(ctx.config, account, channel);
  let secret: StoredSecret | undefined;
  try {
    secret = await readSecret(ctx, name);
  } catch (error) {
    return report.fail(service, describe(error), { endpoint: url });
  }
  const status = await ctx.deps.status.get(account, service);
  const registered = listed.find((r) => r.serviceName === service);
  const reason = keyedDrift(ctx, service, registered, url, status, secret);
  if (!reason) return report.unchanged(service, url, status);
  try {
    await registerKeyed(ctx, client, report, { service, name, url, secret }, registered ? 'rotated' : 'registered', reason);
  } catch (error) {
    await report.fail(service, describe(error), { endpoint: url, needsRegistration: true });
  }
}

/** Why a keyed service must be registered again, or undefined when it is in place. */
function keyedDrift(
  ctx: JobContext,
  service: string,
  registered: Registration | undefined,
  url: string,
  status: RegistrationStatus | undefined,
  secret: StoredSecret | undefined,
): string | undefined {
  const diagnostics = service === 'Diagnostics';
  return (
    registrationDrift(registered, url, status) ??
    credentialDrift(ctx, secret, (current) =>
      !current.key
        ? 'no key stored'
        : diagnostics && (!current.token || registered?.httpHeaders?.[ctx.config.tokenHeader] !== current.token)
          ? 'token differs'
          : undefined,
    ) ??
    (secret?.pending ? 'a rotation did not finish' : undefined)
  );
}

interface KeyedTarget {
  service: string;
  /** The secret's name. */
  name: string;
  url: string;
  secret: StoredSecret | undefined;
}

/** Registers (a Diagnostics token first stored as pending), then stores the Shared-Key ThingSpace returns. */
async function registerKeyed(
  ctx: JobContext,
  client: ThingSpaceClient,
  report: AccountReport,
  { service, name, url, secret }: KeyedTarget,
  action: 'registered' | 'rotated',
  reason: string,
): Promise<void> {
  const { account } = report;
  const { api } = channelOf(service);
  const { token, base } = service === 'Diagnostics' ? await pendingToken(ctx, name, secret) : { token: undefined, base: secret };
  const extra = token ? { httpHeaders: { [ctx.config.tokenHeader]: token } } : {};
  const { sharedKey } = await registerReplacing(
    () => client.register(api, account, service, url, extra),
    () => client.deregister(api, account, service),
  );
  if (!sharedKey) return report.fail(service, `register ${service}: no Shared-Key header in the response`, { endpoint: url, needsRegistration: true });
  try {
    await retry(ctx, () =>
      writeSecret(ctx, name, completeRotation(base, { ...(token ? { token } : {}), key: sharedKey }, holdsKey(base?.current), ctx.now(), ctx.config.graceMs)),
    );
  } catch (error) {
    return report.fail(service, `Shared-Key could not be stored (${describe(error)}); the next run registers again`, {
      endpoint: url,
      needsRegistration: true,
    });
  }
  await report.changed(service, url, action, reason);
}

/**
 * The Diagnostics token to register. It must verify before ThingSpace sends it: a new one is
 * stored as pending first (the current token still valid beside it); the pending one of a run
 * that could not finish is reused.
 */
async function pendingToken(ctx: JobContext, name: string, secret: StoredSecret | undefined): Promise<{ token: string; base: StoredSecret | undefined }> {
  if (secret?.pending?.token) return { token: secret.pending.token, base: secret };
  const token = random(24);
  const base = beginRotation(secret, { token }, holdsKey(secret?.current), ctx.now());
  await writeSecret(ctx, name, base);
  return { token, base };
}
