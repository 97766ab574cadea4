// The package's ESM build: its `main` is a UMD wrapper whose `require` calls esbuild cannot follow
// (the Lambda bundle then fails at load with "Cannot find module './impl/format'").
import { parseTree } from 'jsonc-parser/lib/esm/main';

/**
 * The exact bytes of a JSON object with the values of some top-level members blanked in place:
 * each such value (every occurrence, also of a key written with escapes such as `"pass\u0077ord"`)
 * becomes `""`, and no other byte changes: numbers keep their digits (`12345678901234567891`,
 * `1.50`), spacing, key order, escapes and every other byte stay as sent. A JSON parser that keeps
 * source offsets (jsonc-parser) finds the values; a round trip through `JSON.parse`/`JSON.stringify`
 * would rewrite the whole body.
 *
 * The bytes are read as Latin-1, one character per byte, so the parser's offsets are byte offsets
 * whatever the body holds (UTF-8, or a stray byte that is not): JSON's own syntax and the names
 * looked for are ASCII, which Latin-1 reads as itself. The body must already have passed
 * `parseJsonObject` (strict JSON, within the limits).
 */
export function blankTopLevelValues(body: Buffer, names: ReadonlySet<string>): Buffer {
  const root = parseTree(body.toString('latin1'));
  const spans: { start: number; end: number }[] = [];
  for (const member of root?.type === 'object' ? (root.children ?? []) : []) {
    const [key, value] = member.children ?? [];
    if (key && value && names.has(String(key.value))) spans.push({ start: value.offset, end: value.offset + value.length });
  }
  if (spans.length === 0) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (const { start, end } of spans) {
    parts.push(body.subarray(at, start), EMPTY);
    at = end;
  }
  parts.push(body.subarray(at));
  return Buffer.concat(parts);
}

const EMPTY = Buffer.from('""');
