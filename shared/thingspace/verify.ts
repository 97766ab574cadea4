import { SignatureMismatchError, UnauthorizedError } from '../errors';
import { header } from '../http/request';
import type { SecretVersion } from '../secrets/channel-secret';
import { BadSecretShape } from '../secrets/verify-with-secret';
import { safeEqual, verifyHmac } from './hmac';

export interface HmacCheck {
  /** Accepted signature header names, lower case, in order of preference. */
  signatureHeaders: readonly string[];
  /** When set, the header that must carry the registered token (Diagnostics). */
  tokenHeader?: string;
}

/**
 * Verifies a ThingSpace HMAC-signed callback against the valid secret versions: the signature
 * (first accepted header present) must match one version's `key`, and when any version holds a
 * `token`, the token header must equal one of them. Throws UnauthorizedError (nothing to retry)
 * or SignatureMismatchError (a refreshed secret might verify it).
 */
export function verifyHmacCallback(headers: Record<string, string | undefined>, body: Buffer, versions: readonly SecretVersion[], check: HmacCheck): void {
  const keys = versions.map((v) => v.key).filter((k): k is string => typeof k === 'string' && k.length > 0);
  if (keys.length === 0) throw new BadSecretShape('key');

  let signature: string | undefined;
  for (const name of check.signatureHeaders) {
    signature = header(headers, name);
    if (signature !== undefined) break;
  }
  if (signature === undefined || signature.trim() === '') {
    throw new UnauthorizedError('Missing signature header');
  }
  if (!verifyHmac(body, signature, keys)) throw new SignatureMismatchError('Signature does not match');

  if (check.tokenHeader) {
    const tokens = versions.map((v) => v.token).filter((t): t is string => typeof t === 'string' && t.length > 0);
    if (tokens.length > 0) {
      const given = header(headers, check.tokenHeader);
      if (given === undefined) throw new UnauthorizedError('Missing callback token header');
      let ok = false;
      for (const token of tokens) if (safeEqual(given, token)) ok = true;
      if (!ok) throw new SignatureMismatchError('Callback token does not match');
    }
  }
}
