/**
 * Record ids: 16 characters that sort as their time. An id is 12 bytes, the record's `sentOn` in
 * epoch milliseconds (6 bytes, big-endian: good to the year 10889) and the first 6 bytes of the
 * message hash, written in base64url's 64 characters taken in ASCII order
 * (`-0-9A-Z_a-z`), so that comparing two ids as strings compares their times. The id is the sort
 * key itself: the table's own order is the `sentOn` order, a time range is a key range, and a
 * GET by id is a GetItem, with no index.
 */
const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Byte-to-byte translation tables between the two alphabets (ASCII codes), for a loop without strings. */
const table = (from: string, to: string) => {
  const t = new Uint8Array(128);
  for (let i = 0; i < 64; i++) t[from.charCodeAt(i)] = to.charCodeAt(i);
  return t;
};
const TO_SORTED = table(STANDARD, SORTED);
const FROM_SORTED = table(SORTED, STANDARD);

/** What an id looks like: anything else names no record. */
export const RECORD_ID = /^[-0-9A-Z_a-z]{16}$/;

const MAX_MS = 2 ** 48 - 1;

/** The id of a record sent at `sentOnMs` whose message hash starts with `hash` (at least 6 bytes). */
export function recordId(sentOnMs: number, hash: Uint8Array): string {
  if (!Number.isInteger(sentOnMs) || sentOnMs < 0 || sentOnMs > MAX_MS) throw new RangeError('time out of range');
  const bytes = Buffer.alloc(12);
  bytes.writeUIntBE(sentOnMs, 0, 6);
  bytes.set(hash.subarray(0, 6), 6);
  return translate(bytes.toString('base64url'), TO_SORTED);
}

/** The time (epoch ms) an id starts with; undefined when it is not an id. */
export function timeOfId(id: string): number | undefined {
  if (!RECORD_ID.test(id)) return undefined;
  return Buffer.from(translate(id, FROM_SORTED), 'base64url').readUIntBE(0, 6);
}

/** The smallest and largest ids of a time (epoch ms): the bounds of a key range. */
export function idBounds(ms: number): { first: string; last: string } {
  const clamped = Math.min(Math.max(Math.floor(ms), 0), MAX_MS);
  return { first: recordId(clamped, Buffer.alloc(6, 0x00)), last: recordId(clamped, Buffer.alloc(6, 0xff)) };
}

function translate(s: string, map: Uint8Array): string {
  const bytes = Buffer.from(s, 'latin1');
  for (let i = 0; i < bytes.length; i++) bytes[i] = map[bytes[i]!]!;
  return bytes.toString('latin1');
}
