import { BadRequestError } from './errors';

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
