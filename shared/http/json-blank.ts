// The package's ESM build: its `main` is a UMD wrapper whose `require` calls esbuild cannot follow
// (the Lambda bundle then fails at load with "Cannot find module './impl/format'").
import { createScanner } from 'jsonc-parser/lib/esm/main';

/** jsonc-parser's SyntaxKind (a `const enum`, which isolated modules cannot import). */
const T = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, comma: 5, null: 7, true: 8, false: 9, string: 10, number: 11, eof: 17 } as const;

/** Where one top-level member's value stands in a body: byte offsets, end exclusive. */
export interface ValueSpan {
  name: string;
  start: number;
  end: number;
}

/**
 * The byte spans of the values of the named top-level members of a JSON object (every occurrence,
 * also of a key written with escapes such as `"pass\u0077ord"`), found in one pass of jsonc-parser's
 * scanner: a tokenizer that keeps source offsets, which `JSON.parse` does not. The bytes are read as
 * Latin-1, one character per byte, so its offsets are byte offsets whatever the body holds (UTF-8,
 * or a stray byte that is not): JSON's own syntax and the names looked for are ASCII, which Latin-1
 * reads as itself. The body must already have passed `parseJsonObject` (strict JSON, within the limits).
 */
export function topLevelValueSpans(body: Buffer, names: ReadonlySet<string>): ValueSpan[] {
  const scanner = createScanner(body.toString('latin1'), true);
  const spans: ValueSpan[] = [];
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  let open: { name: string; start: number } | undefined;
  for (let kind: number = scanner.scan(); kind !== T.eof; kind = scanner.scan()) {
    const at = scanner.getTokenOffset();
    if (kind === T.openBrace || kind === T.openBracket) {
      if (depth === 1 && key !== undefined && names.has(key)) open = { name: key, start: at };
      if (depth === 1) key = undefined;
      depth++;
      expectKey = depth === 1 && kind === T.openBrace;
    } else if (kind === T.closeBrace || kind === T.closeBracket) {
      depth--;
      if (depth === 1 && open) {
        spans.push({ ...open, end: at + 1 });
        open = undefined;
      }
    } else if (depth !== 1) {
      continue;
    } else if (kind === T.comma) {
      expectKey = true;
    } else if (kind === T.string && expectKey) {
      key = scanner.getTokenValue();
      expectKey = false;
    } else if ((kind === T.string || kind === T.number || kind === T.true || kind === T.false || kind === T.null) && key !== undefined) {
      if (names.has(key)) spans.push({ name: key, start: at, end: at + scanner.getTokenLength() });
      key = undefined;
    }
  }
  return spans;
}

/** The body with each span's value replaced by `""`, every other byte as it was. */
export function blankSpans(body: Buffer, spans: readonly ValueSpan[]): Buffer {
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

/**
 * The exact bytes of a JSON object with the values of some top-level members blanked in place:
 * each such value becomes `""`, and no other byte changes: numbers keep their digits
 * (`12345678901234567891`, `1.50`), spacing, key order, escapes and every other byte stay as sent.
 * A round trip through `JSON.parse`/`JSON.stringify` would rewrite the whole body.
 */
export function blankTopLevelValues(body: Buffer, names: ReadonlySet<string>): Buffer {
  return blankSpans(body, topLevelValueSpans(body, names));
}

const EMPTY = Buffer.from('""');
