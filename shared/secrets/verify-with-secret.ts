import { ServiceUnavailableError, SignatureMismatchError } from '../http/errors';
import type { SecretCache } from './cache';
import { parseChannelSecret, validVersions, type ChannelSecret, type SecretVersion } from './channel-secret';
import { SecretUnavailableError } from './source';

/**
 * Runs `verify` against the valid versions of the named channel secret. On a signature mismatch
 * with a cached secret, the secret is fetched again once and verification retried, so a rotated
 * key takes effect at once. A missing, unreadable or malformed secret is a 503: a callback is
 * never accepted unverified, and the provider retries once the operator has fixed it. Returns the
 * versions that verified the message, for channels that need more of the secret (a decryption key).
 */
export async function verifyWithSecret(
  secrets: SecretCache,
  name: string,
  now: Date,
  verify: (versions: SecretVersion[]) => void,
): Promise<SecretVersion[]> {
  const first = await read(() => secrets.get(name));
  try {
    const versions = versionsOf(name, first.value, now);
    verify(versions);
    return versions;
  } catch (error) {
    if (!(error instanceof SignatureMismatchError) || !first.fromCache) throw error;
    const fresh = await read(() => secrets.refresh(name));
    if (!fresh) throw error;
    const versions = versionsOf(name, fresh.value, now);
    verify(versions);
    return versions;
  }
}

async function read<T>(fetch: () => Promise<T>): Promise<T> {
  try {
    return await fetch();
  } catch (error) {
    if (error instanceof SecretUnavailableError) {
      throw new ServiceUnavailableError('Secret store unavailable; retry later', { cause: error });
    }
    throw error;
  }
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
