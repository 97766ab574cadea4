import { isUtf8 } from 'node:buffer';
import { parseTree } from 'jsonc-parser';
import { BadRequestError } from './errors';

/**
 * The exact bytes of a JSON object with the values of some top-level members blanked in place:
 * each such value (every occurrence, also of a key written with escapes such as `"pass\u0077ord"`)
 * becomes `""`, and no other byte changes: numbers keep their digits (`12345678901234567891`,
 * `1.50`), spacing, key order and escapes stay as sent. A JSON parser that keeps source offsets
 * (jsonc-parser) finds the values; a round trip through `JSON.parse`/`JSON.stringify` would
 * rewrite the whole body.
 *
 * The body must already have passed `parseJsonObject` (strict JSON, within the limits). It must be
 * UTF-8 (RFC 8259), or the offsets would not map back to bytes: anything else is a 400.
 */
export function blankTopLevelValues(body: Buffer, names: ReadonlySet<string>): Buffer {
  if (!isUtf8(body)) throw new BadRequestError('Body is not valid UTF-8');
  const text = body.toString('utf8');
  const root = parseTree(text);
  const spans: { start: number; end: number }[] = [];
  for (const member of root?.type === 'object' ? (root.children ?? []) : []) {
    const [key, value] = member.children ?? [];
    if (key && value && names.has(String(key.value))) spans.push({ start: value.offset, end: value.offset + value.length });
  }
  if (spans.length === 0) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (const { start, end } of spans) {
    parts.push(body.subarray(at, byteOffset(text, start)), EMPTY);
    at = byteOffset(text, end);
  }
  parts.push(body.subarray(at));
  return Buffer.concat(parts);
}

const EMPTY = Buffer.from('""');

/** The UTF-8 byte offset of a UTF-16 offset into `text`. */
const byteOffset = (text: string, offset: number) => Buffer.byteLength(text.slice(0, offset), 'utf8');
