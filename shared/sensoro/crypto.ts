import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BadRequestError } from '../errors';

/** SENSORO (WeChat message crypto) pads to a multiple of 32 bytes, not AES's 16. */
export const SENSORO_BLOCK = 32;

// Decoded keys by AppKey: one application's pushes do not decode the same key again and again.
const keys = new Map<string, Buffer>();

/** The AES-256 key of an AppKey: base64-decode(AppKey + "="), 43 characters → 32 bytes. */
export function sensoroKey(appKey: string): Buffer {
  let key = keys.get(appKey);
  if (!key) {
    key = Buffer.from(appKey + '=', 'base64');
    if (appKey.length !== 43 || key.length !== 32) throw new SensoroKeyError();
    if (keys.size >= 1_000) keys.clear();
    keys.set(appKey, key);
  }
  return key;
}

/** The AppKey in the secret is not 43 base64 characters: an operator error. */
export class SensoroKeyError extends Error {
  constructor() {
    super('AppKey must be 43 base64 characters');
    this.name = 'SensoroKeyError';
  }
}

/**
 * Decrypts a safe-mode `encryptData`: AES-256-CBC, IV = the first 16 key bytes, PKCS#7 padding
 * to 32-byte blocks (stripped here: Node's own unpadding only knows 16), then
 * 16 random bytes ‖ 4-byte big-endian length N ‖ N bytes of JSON ‖ AppID. Returns the JSON text
 * and the trailing AppID; anything malformed is a 400 (a wrong key shows up the same way).
 */
export function decryptSensoro(encryptData: string, appKey: string): { json: string; appId: string } {
  const key = sensoroKey(appKey);
  const cipherText = Buffer.from(encryptData, 'base64');
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) throw new BadRequestError('encryptData is not AES ciphertext');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch {
    throw new BadRequestError('encryptData could not be decrypted');
  }
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > SENSORO_BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new BadRequestError('encryptData could not be decrypted');
  }
  const content = plain.subarray(0, plain.length - pad);
  if (content.length < 20) throw new BadRequestError('encryptData could not be decrypted');
  const length = content.readUInt32BE(16);
  if (20 + length > content.length) throw new BadRequestError('encryptData could not be decrypted');
  return {
    json: content.subarray(20, 20 + length).toString('utf8'),
    appId: content.subarray(20 + length).toString('utf8'),
  };
}

/**
 * Safe-mode encryption, the inverse of decryptSensoro: what SENSORO does to a push, and what a
 * safe-mode reply needs. `random` is the 16-byte prefix (fixed only in known-answer tests).
 */
export function encryptSensoro(appKey: string, appId: string, json: string, random: Buffer = randomBytes(16)): string {
  const key = sensoroKey(appKey);
  const message = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const plain = Buffer.concat([random, length, message, Buffer.from(appId, 'utf8')]);
  const pad = SENSORO_BLOCK - (plain.length % SENSORO_BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
