import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../errors';

/** 403: the request came from an address outside the channel's allow-list. */
export class ForbiddenSourceError extends GatewayError {
  constructor() {
    super(403, 'FORBIDDEN', 'Source address not allowed for this channel');
  }
}

/**
 * The optional allow-list of provider source addresses (ALLOWED_SOURCE_IPS: comma-separated
 * addresses or CIDR ranges, IPv4 or IPv6; PROVIDERS.md §1.3 lists ThingSpace's). Node's own
 * BlockList does the matching. Undefined when unset: every source is allowed.
 */
export function sourceAllowList(value: string | undefined): BlockList | undefined {
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new Error(`ALLOWED_SOURCE_IPS: "${entry}" is not an address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address!, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`ALLOWED_SOURCE_IPS: bad prefix in "${entry}"`);
      list.addSubnet(address!, bits, type);
    }
  }
  return list;
}

/** Throws ForbiddenSourceError unless `sourceIp` (API Gateway's view of the caller) is on the list. */
export function checkSource(list: BlockList | undefined, sourceIp: string | undefined): void {
  if (!list) return;
  const family = isIP(sourceIp ?? '');
  if (family === 0 || !list.check(sourceIp!, family === 4 ? 'ipv4' : 'ipv6')) throw new ForbiddenSourceError();
}

/**
 * The addresses ThingSpace publishes as the sources of its callbacks (PROVIDERS.md §1.3): the
 * general callback servers and Device Location's. SENSORO publishes none.
 */
export const THINGSPACE_PUBLISHED_SOURCES = [
  '3.87.163.45',
  '3.91.119.203',
  '54.197.62.209',
  '35.165.205.14',
  '54.200.43.232',
  '34.216.81.234',
  '137.117.33.109',
  '168.62.173.153',
  '68.128.212.217',
];

const published = sourceAllowList(THINGSPACE_PUBLISHED_SOURCES.join(','))!;

/** Whether an address is one the provider publishes as its own; undefined when the provider publishes none. */
export function fromPublishedSource(provider: string, sourceIp: string): boolean | undefined {
  if (provider !== 'thingspace') return undefined;
  const family = isIP(sourceIp);
  return family !== 0 && published.check(sourceIp, family === 4 ? 'ipv4' : 'ipv6');
}
