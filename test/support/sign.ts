import { createHmac } from 'node:crypto';

/** Test-side signer, independent of the code under test: HMAC-SHA256 hex of the body. */
export function hexSignature(key: string, body: string | Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** The same signature in base64. */
export function base64Signature(key: string, body: string | Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64');
}
