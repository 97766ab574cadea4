import { sourceAllowList as parseSourceAllowList } from '../shared/http/source';
import type { FunctionDefinition } from '../shared/routes';

/**
 * The channel of a webhook function, as `sourceAllowList` names it: the function id without
 * `thingspace-` (diagnostics, location, device-location, connectivity, soap) or `sensoro`.
 * Undefined for functions that receive no provider callbacks.
 */
export function webhookChannel(definition: FunctionDefinition): string | undefined {
  return definition.provider ? definition.id.replace(/^thingspace-/, '') : undefined;
}

/** Lambda allows 4 KB of environment in all; the rest of a webhook's variables take well under 1 KB. */
export const MAX_ALLOWED_SOURCE_IPS_CHARS = 2_048;

/**
 * The ALLOWED_SOURCE_IPS value of one channel's list, checked with the parser the function itself
 * runs at cold start: a list it would refuse (and so crash on every request) is refused at synth.
 */
export function allowedSourceIps(channel: string, entries: readonly string[]): string {
  const where = `sourceAllowList.${channel}`;
  if (!Array.isArray(entries)) throw new Error(`Context ${where} must be an array of addresses or CIDR ranges`);
  if (entries.length === 0) throw new Error(`Context ${where} is empty: leave the channel out to accept every source`);
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry.includes(',') || entry.trim() === '') {
      throw new Error(`Context ${where}: ${JSON.stringify(entry)} is not one address or CIDR range`);
    }
  }
  const value = entries.map((entry: string) => entry.trim()).join(',');
  try {
    parseSourceAllowList(value);
  } catch (error) {
    throw new Error(`Context ${where}: ${(error as Error).message}`);
  }
  if (value.length > MAX_ALLOWED_SOURCE_IPS_CHARS) {
    throw new Error(`Context ${where} is longer than ${MAX_ALLOWED_SOURCE_IPS_CHARS} characters (Lambda's 4 KB environment limit)`);
  }
  return value;
}
