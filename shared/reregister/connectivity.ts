import type { Registration } from '../thingspace/api-client';
import { endpointOf, type JobContext } from './context';
import { registrationDrift, tooOld } from './drift';
import { describe, registerReplacing } from './errors';
import type { AccountReport } from './report';
import { allMoved, completeRotation, holdsPair, planConnectivity, withMoved, type Pair, type StoredSecret } from './rotation';
import { random, readSecret, retry, writeSecret } from './vault';
import { thingspaceSecretName } from '../secret-names';

/** Registering and removing Connectivity listeners, through REST or the legacy UWS SOAP service. */
export interface ConnectivityRegistrar {
  /** The webhook route ThingSpace is given; both verify with the `connectivity` secret. */
  channel: 'connectivity' | 'soap';
  register(account: string, service: string, url: string, credentials: Pair): Promise<unknown>;
  deregister(account: string, service: string): Promise<void>;
}

const CONNECTIVITY = 'connectivity';

/**
 * Connectivity services: all registered with one username/password, kept in the `connectivity`
 * secret, to the registrar's route (`connectivity` for REST, `soap` for UWS), by the rotation rule
 * (planConnectivity): a missing service gets the pair the others use, a new pair stays pending
 * until every service carries it.
 */
export async function keepConnectivity(
  ctx: JobContext,
  registrar: ConnectivityRegistrar,
  report: AccountReport,
  services: string[],
  listed: Registration[],
): Promise<void> {
  const { account } = report;
  const name = thingspaceSecretName(account, CONNECTIVITY);
  const url = endpointOf(ctx.config, account, registrar.channel);
  let secret: StoredSecret | undefined;
  try {
    secret = await readSecret(ctx, name);
  } catch (error) {
    for (const service of services) await report.fail(service, describe(error), { endpoint: url });
    return;
  }
  const states = new Map(await Promise.all(services.map(async (service) => [service, await ctx.deps.status.get(account, service)] as const)));
  const drift = new Map(
    services.map((service) => [
      service,
      registrationDrift(
        listed.find((r) => r.serviceName === service),
        url,
        states.get(service),
      ),
    ]),
  );
  const plan = planConnectivity(secret, drift, tooOld(ctx, secret), () => ({ username: `gw-${random(9)}`, password: random(32) }), ctx.now());
  try {
    if (plan.write) await writeSecret(ctx, name, plan.write);
  } catch (error) {
    for (const service of services)
      await report.fail(service, `new credentials could not be stored (${describe(error)}); nothing was registered`, {
        endpoint: url,
        needsRegistration: true,
      });
    return;
  }
  const failed = await registerEach(registrar, account, url, [...plan.register.keys()], plan.pair);
  const unrecorded = await recordMoved(
    ctx,
    name,
    plan.secret,
    services,
    [...plan.register.keys()].filter((service) => !failed.has(service)),
  );
  for (const service of services) {
    const reason = plan.register.get(service);
    const error = failed.get(service) ?? (reason ? unrecorded : undefined);
    if (error) await report.fail(service, error, { endpoint: url, needsRegistration: true });
    else if (!reason) await report.unchanged(service, url, states.get(service));
    else await report.changed(service, url, plan.newPair && listed.some((r) => r.serviceName === service) ? 'rotated' : 'registered', reason);
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
async function recordMoved(ctx: JobContext, name: string, secret: StoredSecret | undefined, services: string[], moved: string[]): Promise<string | undefined> {
  if (!secret?.pending) return undefined;
  const next = withMoved(secret, moved);
  const done = allMoved(next, services);
  if (moved.length === 0 && !done) return undefined;
  try {
    await retry(ctx, () => writeSecret(ctx, name, done ? completeRotation(next, next.pending!, holdsPair(next.current), ctx.now(), ctx.config.graceMs) : next));
    return undefined;
  } catch (error) {
    return `registered with the pending credentials, but that could not be stored (${describe(error)}); the next run registers again`;
  }
}
