import { ServiceUnavailableError, SignatureMismatchError } from '../http/errors';
import type { SecretCache } from './cache';
import { parseChannelSecret, validVersions, type SecretVersion } from './channel-secret';
import { SecretUnavailableError } from './source';

/**
 * Runs `verify` against the valid versions of the named channel secret. On a signature mismatch
 * with a cached secret, the secret is fetched again once and verification retried, so a rotated
 * key takes effect at once. A missing, unreadable or malformed secret is a 503: a callback is
 * never accepted unverified, and the provider retries once the operator has fixed it.
 */
export async function verifyWithSecret(
  secrets: SecretCache,
  name: string,
  now: Date,
  verify: (versions: SecretVersion[]) => void,
): Promise<void> {
  const first = await read(() => secrets.get(name));
  try {
    verify(versionsOf(name, first.value, now));
  } catch (error) {
    if (!(error instanceof SignatureMismatchError) || !first.fromCache) throw error;
    const fresh = await read(() => secrets.refresh(name));
    if (!fresh) throw error;
    verify(versionsOf(name, fresh.value, now));
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

function versionsOf(name: string, value: string | undefined, now: Date): SecretVersion[] {
  if (value === undefined) throw new ServiceUnavailableError('No secret is configured for this account');
  try {
    return validVersions(parseChannelSecret(name, value), now);
  } catch (error) {
    throw new ServiceUnavailableError('The secret for this account is misconfigured', { cause: error });
  }
}
