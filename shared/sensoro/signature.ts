import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * SENSORO's push signature: base64 of HMAC-SHA256 keyed with the AppSecret (UTF-8) over
 * `nonce + METHOD + full URL + body`, no separators (PROVIDERS.md §2).
 */
export function signSensoro(appSecret: string, nonce: string, method: string, url: string, body: Buffer | string): Buffer {
  return createHmac('sha256', appSecret).update(nonce).update(method.toUpperCase()).update(url).update(body).digest();
}

/**
 * True when `signature` (base64) is SENSORO's signature of the request under one of the secrets.
 * The decoded length is checked first (it is public); the bytes are compared in constant time.
 */
export function verifySensoroSignature(
  signature: string,
  appSecrets: readonly string[],
  nonce: string,
  method: string,
  url: string,
  bodies: readonly (Buffer | string)[],
): boolean {
  const text = signature.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return false;
  const given = Buffer.from(text, 'base64');
  let matched = false;
  for (const secret of appSecrets) {
    for (const body of bodies) {
      if (timingSafeEqual(signSensoro(secret, nonce, method, url, body), given)) matched = true;
    }
  }
  return matched;
}
