import { randomBytes } from 'node:crypto';
import { ServiceUnavailableError, SignatureMismatchError, TooManyRequestsError, UnauthorizedError } from '../errors';
import { SecretBudgetExhausted, type SecretCache } from './cache';
import { parseChannelSecret, validVersions, type ChannelSecret, type SecretVersion } from './channel-secret';
import { SecretUnavailableError } from './source';

/**
 * The answer to a request refused while this instance's budget of reads of secret names not in
 * memory is spent. It names no account and every account gets it under the same condition, so it
 * does not tell known accounts from unknown ones (the log says which it was).
 */
export const THROTTLED_MESSAGE = 'Too many requests; retry later';

/**
 * Runs `verify` against the valid versions of the named channel secret. On a signature mismatch
 * with a cached secret, the secret is fetched again once and verification retried, so a rotated
 * key takes effect at once. A missing, unreadable or malformed secret is a 503: a callback is
 * never accepted unverified, and the provider retries once the operator has fixed it. Returns the
 * versions that verified the message, for channels that need more of the secret (a decryption key).
 *
 * While the container's budget of reads of names not in memory is spent (looked at once, before
 * anything is read), every request that does not verify gets the same 429, whether its account
 * exists, has its secret in memory, or neither: a name not in memory is then refused without a
 * read (it cannot be verified), and a refusal that could be told apart from it would say which
 * accounts exist. A request whose secret is in memory and which verifies is never refused for it.
 */
export async function verifyWithSecret(secrets: SecretCache, name: string, now: Date, verify: (versions: SecretVersion[]) => void): Promise<SecretVersion[]> {
  const spent = secrets.budgetSpent();
  try {
    return await verifyAgainst(secrets, name, now, verify);
  } catch (error) {
    if (spent !== undefined && error instanceof UnauthorizedError) {
      throw throttled(spent, `${error.logReason ?? error.message}; 429: read budget spent`);
    }
    throw error;
  }
}

async function verifyAgainst(secrets: SecretCache, name: string, now: Date, verify: (versions: SecretVersion[]) => void): Promise<SecretVersion[]> {
  const first = await read(name, () => secrets.get(name));
  if (first.value === undefined) {
    // No secret of that name: an account we do not serve. Answered exactly as a message that does
    // not verify (the channel's own check fails on keys nobody holds), so the answer does not say
    // which accounts exist; only the log says why.
    try {
      verify(decoyVersions());
    } catch (error) {
      if (error instanceof UnauthorizedError) error.logReason = `no secret ${name}: not an account of this gateway`;
      throw error;
    }
    throw new ServiceUnavailableError('No secret is configured for this account');
  }
  try {
    const versions = versionsOf(name, first.value, now);
    verify(versions);
    return versions;
  } catch (error) {
    if (!(error instanceof SignatureMismatchError) || !first.fromCache) throw error;
    const fresh = await read(name, () => secrets.refresh(name));
    if (!fresh) throw error;
    const versions = versionsOf(name, fresh.value, now);
    verify(versions);
    return versions;
  }
}

function throttled(retryAfterSeconds: number, logReason: string): TooManyRequestsError {
  const error = new TooManyRequestsError(THROTTLED_MESSAGE, retryAfterSeconds);
  error.logReason = logReason;
  return error;
}

async function read<T>(name: string, fetch: () => Promise<T>): Promise<T> {
  try {
    return await fetch();
  } catch (error) {
    if (error instanceof SecretUnavailableError) {
      throw new ServiceUnavailableError('Secret store unavailable; retry later', { cause: error });
    }
    if (error instanceof SecretBudgetExhausted) {
      throw throttled(error.retryAfterSeconds, `secret ${name} not in memory, read budget spent: not read`);
    }
    throw error;
  }
}

/** A secret version of random values nobody holds: whatever is checked against it fails. */
function decoyVersions(): SecretVersion[] {
  const random = () => randomBytes(24).toString('base64url');
  return [
    { key: random(), token: random(), username: random(), password: random(), appSecret: random(), appKey: randomBytes(32).toString('base64').slice(0, 43) },
  ];
}

// Parsed secrets by their exact value: a cached secret is parsed once, not on every request.
// Bounded: cleared whole when it grows past what any deployment holds.
const parsed = new Map<string, ChannelSecret>();

function versionsOf(name: string, value: string | undefined, now: Date): SecretVersion[] {
  if (value === undefined) throw new ServiceUnavailableError('No secret is configured for this account');
  let secret = parsed.get(value);
  if (!secret) {
    try {
      secret = parseChannelSecret(name, value);
    } catch (error) {
      throw new ServiceUnavailableError('The secret for this account is misconfigured', { cause: error });
    }
    if (parsed.size >= 1_000) parsed.clear();
    parsed.set(value, secret);
  }
  return validVersions(secret, now);
}

/** The secret lacks a field the channel needs: an operator error, answered 503 so the provider retries after the fix. */
export class BadSecretShape extends ServiceUnavailableError {
  constructor(readonly field: string) {
    super('The secret for this account is misconfigured');
  }
}
