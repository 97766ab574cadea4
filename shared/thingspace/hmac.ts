import { createHmac, timingSafeEqual } from 'node:crypto';

const DIGEST_BYTES = 32;

/** HMAC-SHA256 of the body under the key (the key's UTF-8 bytes, as ThingSpace hands it out). */
export function signHmac(key: string, body: Buffer | string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/**
 * The 32 signature bytes carried in a header, hex or base64 (standard or URL alphabet), with an
 * optional `sha256=` prefix and surrounding quotes; undefined when the value is neither.
 */
export function decodeSignature(value: string): Buffer | undefined {
  let text = value.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).trim();
  if (/^sha256=/i.test(text)) text = text.slice(7);
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === DIGEST_BYTES ? bytes : undefined;
  }
  return undefined;
}

/**
 * True when `signature` is the HMAC-SHA256 of `body` under one of `keys`. The decoded length is
 * checked first (timingSafeEqual needs equal lengths, and the digest length is public); the
 * bytes are then compared in constant time so the comparison leaks nothing of the digest.
 */
export function verifyHmac(body: Buffer, signature: string, keys: readonly string[]): boolean {
  const given = decodeSignature(signature);
  if (!given || given.length !== DIGEST_BYTES) return false;
  let matched = false;
  for (const key of keys) {
    // Every key is tried, matched or not, so the time taken does not say which version matched.
    if (timingSafeEqual(signHmac(key, body), given)) matched = true;
  }
  return matched;
}

/** Constant-time equality of two strings (a registered token, a password). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare against itself on a length mismatch so the time does not depend on where they differ.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
