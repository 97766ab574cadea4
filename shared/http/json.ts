import { BadRequestError } from '../errors';

/** Deepest nesting accepted in a JSON body; provider payloads nest a few levels at most. */
export const MAX_JSON_DEPTH = 32;

// DynamoDB numbers hold magnitudes in [1e-130, 1e126); anything outside is refused at the door
// rather than failing the write later (which would look like an outage and invite retries).
const MAX_MAGNITUDE = 9.9e125;
const MIN_MAGNITUDE = 1e-129;

/**
 * Parses a JSON object body, refusing (400) what is not JSON, not an object, nested deeper than
 * MAX_JSON_DEPTH or holding a number DynamoDB cannot store. The walk is iterative so hostile
 * nesting cannot overflow the stack.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequestError('Body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('Body must be a JSON object');
  }
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'number') {
      const magnitude = Math.abs(node);
      if (!Number.isFinite(node) || magnitude >= MAX_MAGNITUDE || (magnitude !== 0 && magnitude < MIN_MAGNITUDE)) {
        throw new BadRequestError('Body holds a number out of range');
      }
    } else if (typeof node === 'object' && node !== null) {
      if (depth > MAX_JSON_DEPTH) throw new BadRequestError(`Body nests deeper than ${MAX_JSON_DEPTH} levels`);
      for (const child of Object.values(node)) stack.push([child, depth + 1]);
    }
  }
  return value as Record<string, unknown>;
}

/**
 * True when some JSON object in `text` names a key twice (compared after unescaping, so
 * `"s\u006e"` and `"sn"` are one key). A small scanner over the tokens: strings, and the braces,
 * brackets, colons and commas that say whether a string is a key. Invalid JSON answers false (the
 * parser refuses it anyway).
 */
export function hasDuplicateKeys(text: string): boolean {
  // Each open container: the keys seen (objects) or null (arrays); `expectKey` after `{` or `,` in an object.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return false;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return false;
        }
        if (top.has(key)) return true;
        top.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return false;
}
