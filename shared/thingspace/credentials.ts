import { SignatureMismatchError, UnauthorizedError } from '../errors';
import type { SecretVersion } from '../secrets/channel-secret';
import { safeEqual } from './hmac';
import { BadSecretShape } from '../secrets/verify-with-secret';

/** The username and password a Connectivity callback echoes in its body. */
export interface EchoedCredentials {
  username?: string;
  password?: string;
}

/**
 * Connectivity callbacks (REST and SOAP) carry no signature: they echo the username and password
 * chosen at registration. Both must equal those of one valid version, compared in constant time
 * (every version is compared, so timing does not say which matched). A wrong pair is a
 * SignatureMismatchError, which gets one secret refresh, so rotated credentials work at once.
 */
export function verifyCredentials(given: EchoedCredentials, versions: readonly SecretVersion[]): void {
  const usable = versions.filter((v) => typeof v.username === 'string' && typeof v.password === 'string');
  if (usable.length === 0) throw new BadSecretShape('username/password');
  if (!given.username || !given.password) throw new UnauthorizedError('Missing username or password');
  let matched = false;
  for (const v of usable) {
    const user = safeEqual(given.username, v.username!);
    const pass = safeEqual(given.password, v.password!);
    if (user && pass) matched = true;
  }
  if (!matched) throw new SignatureMismatchError('Username or password does not match');
}
