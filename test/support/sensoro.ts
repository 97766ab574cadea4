import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Test-side SENSORO safe-mode encryption, written from PROVIDERS.md §2 independently of the code
 * under test: 16 random bytes ‖ 4-byte big-endian length ‖ JSON ‖ AppID, PKCS#7-padded to a
 * multiple of 32 bytes, AES-256-CBC with key = base64(AppKey + "=") and IV = its first 16 bytes.
 */
export function encryptSensoro(appKey: string, appId: string, json: string, random: Buffer = randomBytes(16)): string {
  const key = Buffer.from(appKey + '=', 'base64');
  const message = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const plain = Buffer.concat([random, length, message, Buffer.from(appId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** Test-side SENSORO signature: base64 HMAC-SHA256(AppSecret, nonce + METHOD + URL + body). */
export function sensoroSignature(appSecret: string, nonce: string, method: string, url: string, body: string): string {
  return createHmac('sha256', appSecret).update(nonce + method + url + body).digest('base64');
}
