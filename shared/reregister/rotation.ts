import { parseChannelSecret, type ChannelSecret, type SecretVersion } from '../secrets/channel-secret';

/**
 * The rotation rule, as pure functions of the stored secret. A value we choose (the Connectivity
 * username/password, the Diagnostics token) that registrations may still be using is never
 * dropped: a new value is written as `pending` before any registration carries it, and `current`
 * stays valid beside it. A run that cannot move every service leaves `pending` (and which services
 * already use it) for the next run, which reuses it. Only once every service uses it does it become
 * `current`, the old one kept as `previous` for the grace period (callbacks in flight).
 */

/** A secret as the job keeps it: the channel secret, when `current` was set, and which services use `pending`. */
export type StoredSecret = ChannelSecret & { rotatedOn?: string; pendingServices?: string[] };

/** A stored secret, or undefined when malformed (a registration replaces it). */
export function parseStoredSecret(name: string, value: string): StoredSecret | undefined {
  try {
    const secret = parseChannelSecret(name, value);
    const { rotatedOn, pendingServices } = JSON.parse(value) as { rotatedOn?: unknown; pendingServices?: unknown };
    return {
      ...secret,
      ...(typeof rotatedOn === 'string' ? { rotatedOn } : {}),
      ...(secret.pending && isStringArray(pendingServices) ? { pendingServices } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The username and password of a Connectivity registration. */
export type Pair = { username: string; password: string };

/** A Connectivity version a registration can carry: a username and a password. */
export const holdsPair = (version: SecretVersion | undefined): version is Pair => !!version?.username && !!version.password;
/** An HMAC version a registration can be verified with: a key. */
export const holdsKey = (version: SecretVersion | undefined): boolean => !!version?.key;

/**
 * Starts moving registrations to `next`. While a registration may use `current` (`live`), `next`
 * becomes `pending` beside it; otherwise nothing can be using `current` and `next` replaces it.
 */
export function beginRotation(secret: StoredSecret | undefined, next: SecretVersion, live: boolean, now: Date): StoredSecret {
  if (secret && live) return { ...secret, pending: next, pendingServices: [] };
  return { ...previousOf(secret), current: next, rotatedOn: now.toISOString() };
}

/** Records that `services` are registered with `pending`. */
export function withMoved(secret: StoredSecret, services: readonly string[]): StoredSecret {
  return { ...secret, pendingServices: [...new Set([...(secret.pendingServices ?? []), ...services])] };
}

/** Whether every one of `services` is registered with `pending`. */
export function allMoved(secret: StoredSecret, services: readonly string[]): boolean {
  const moved = new Set(secret.pendingServices ?? []);
  return services.every((service) => moved.has(service));
}

/**
 * Makes `next` current once every registration carries it: the old current, when it held a
 * credential (`live`), stays valid as `previous` until the grace period ends; `pending` is done.
 */
export function completeRotation(secret: StoredSecret | undefined, next: SecretVersion, live: boolean, now: Date, graceMs: number): StoredSecret {
  const previous = secret && live ? { previous: secret.current, previousValidUntil: new Date(now.getTime() + graceMs).toISOString() } : previousOf(secret);
  return { current: next, ...previous, rotatedOn: now.toISOString() };
}

/** What Connectivity registration a run makes, decided from the secret alone. */
export interface ConnectivityPlan {
  /** The pair to register with. */
  pair: Pair;
  /** A new pair to store before registering anything with it. */
  write?: StoredSecret;
  /** The secret as it stands once `write` is stored. */
  secret?: StoredSecret;
  /** The services to register, each with why; the others are in place. */
  register: Map<string, string>;
  /** The pair is not the one the registrations used so far (a rotation, or a first pair). */
  newPair: boolean;
}

/**
 * One username/password serves every Connectivity service of an account. A rotation in progress
 * is finished with its pending pair (the services not yet on it are registered); a missing or
 * unreadable pair is replaced at once (nothing can be using it); a pair past its age starts a
 * rotation (every service moves to a pending pair); otherwise only the services whose registration
 * drifted (`drift`: missing, elsewhere, unfinished) are registered, with the pair the others use.
 */
export function planConnectivity(
  secret: StoredSecret | undefined,
  drift: ReadonlyMap<string, string | undefined>,
  expired: boolean,
  newPair: () => Pair,
  now: Date,
): ConnectivityPlan {
  const services = [...drift.keys()];
  if (secret && holdsPair(secret.pending)) {
    const moved = new Set(secret.pendingServices ?? []);
    const register = services.filter((s) => drift.get(s) || !moved.has(s)).map((s) => [s, drift.get(s) ?? 'moving to the pending credentials'] as const);
    return { pair: secret.pending, secret, register: new Map(register), newPair: true };
  }
  const why = !secret
    ? 'no secret stored'
    : !holdsPair(secret.current)
      ? 'no credentials stored'
      : expired
        ? 'credential older than the maximum age'
        : undefined;
  if (!why) {
    const register = services.flatMap((s) => (drift.get(s) ? [[s, drift.get(s)!] as const] : []));
    return { pair: secret!.current as Pair, secret, register: new Map(register), newPair: false };
  }
  const pair = newPair();
  const write = beginRotation(secret, pair, holdsPair(secret?.current), now);
  return { pair, write, secret: write, register: new Map(services.map((s) => [s, drift.get(s) ?? `credentials rotated (${why})`])), newPair: true };
}

/** The previous version of a secret, when it has one, to carry over unchanged. */
function previousOf(secret: StoredSecret | undefined): Pick<StoredSecret, 'previous' | 'previousValidUntil'> {
  return secret?.previous && secret.previousValidUntil ? { previous: secret.previous, previousValidUntil: secret.previousValidUntil } : {};
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
