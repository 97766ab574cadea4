import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { signatureHeaders, tokenHeader } from './config';
import type { TableClient } from './store/client';
import { RejectionRecords } from './store/rejection-records';

/** What is kept of a rejected webhook: never a header value, a body byte, a secret or a signature. */
export interface Rejection {
  /** The account or AppID of the route, or `_unknown` when it is malformed or not known to have a secret. */
  scopeId: string;
  provider: string;
  channel: string;
  statusCode: number;
  errorCode: string;
  /** Our own error message (written never to quote input). */
  reason: string;
  sourceIp: string;
  /**
   * Whether the source address is one the provider publishes (ThingSpace's list); absent when it
   * publishes none. A record from elsewhere is a stranger's request, whatever its headers claim.
   */
  fromPublishedSource?: boolean;
  /** Header names only, lower case, sorted; at most MAX_HEADER_NAMES, each cut to MAX_HEADER_NAME_CHARS. */
  headerNames: string[];
  /** How many more header names the request had than were kept. */
  moreHeaderNames?: number;
  bodyBytes: number;
  receivedOn: string;
  /** Refused requests of this scope not recorded since the previous record (the per-minute limit). */
  notRecordedBefore?: number;
}

/**
 * Header names kept per record, characters per name and bytes of all names together, and bytes of
 * the reason: a record stays under 1 KB (one write unit) whatever the request carried.
 */
export const MAX_HEADER_NAMES = 20;
export const MAX_HEADER_NAME_CHARS = 40;
export const MAX_HEADER_NAME_BYTES = 300;
export const MAX_REASON_BYTES = 160;

/** Header names every channel knows: HTTP's own and what API Gateway adds. */
export const COMMON_HEADER_NAMES = [
  'accept',
  'accept-encoding',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'expect',
  'host',
  'transfer-encoding',
  'user-agent',
  'x-amzn-trace-id',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-proto',
] as const;

/**
 * The header names a channel knows, the only ones its rejected-request records name (the others
 * are counted): the common ones, the accepted ThingSpace signature headers
 * (THINGSPACE_SIGNATURE_HEADERS) on the HMAC channels, the token header (THINGSPACE_TOKEN_HEADER)
 * on Diagnostics, SOAPAction on the SOAP route, SENSORO's X-ACCESS-* headers.
 */
export function knownHeaderNames(provider: string, channel: string, env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const names: string[] = [...COMMON_HEADER_NAMES];
  if (provider === 'sensoro') names.push('x-access-id', 'x-access-nonce', 'x-access-signature');
  if (provider === 'thingspace' && ['diagnostics', 'location', 'device-location'].includes(channel)) {
    names.push(...signatureHeaders(env));
  }
  if (provider === 'thingspace' && channel === 'diagnostics') names.push(tokenHeader(env));
  if (provider === 'thingspace' && channel === 'soap') names.push('soapaction');
  return new Set(names);
}

/**
 * The header names of a request as a record keeps them: lower case, sorted, bounded in number and
 * length. With `known`, only the names in it are kept and the others only counted (a caller must
 * not choose what an operator's log says); without it, every name (within the bounds).
 */
export function headerNamesOf(headers: Record<string, unknown> | undefined, known?: ReadonlySet<string>): { headerNames: string[]; moreHeaderNames?: number } {
  const names = [...new Set(Object.keys(headers ?? {}).map((h) => h.toLowerCase()))].sort();
  const listed = known ? names.filter((n) => known.has(n)) : names;
  const kept: string[] = [];
  let bytes = 0;
  for (const name of listed.slice(0, MAX_HEADER_NAMES)) {
    const cut = name.length > MAX_HEADER_NAME_CHARS ? `${name.slice(0, MAX_HEADER_NAME_CHARS - 1)}…` : name;
    bytes += Buffer.byteLength(cut);
    if (bytes > MAX_HEADER_NAME_BYTES) break;
    kept.push(cut);
  }
  const more = names.length - kept.length;
  return { headerNames: kept, ...(more > 0 ? { moreHeaderNames: more } : {}) };
}

export interface RejectionLogOptions {
  tableName: string;
  /** Records kept per scope at most: a flood overwrites, it cannot grow the log. */
  capPerScope: number;
  /** How long a record lives (DynamoDB TTL). */
  ttlHours: number;
  /**
   * Records written per scope per minute by one container (default 10); past it refused requests
   * are counted, not written, and the next record says how many. Repeated refusals (see
   * RejectionLog) may take at most half of them, so a flood leaves room for the others.
   */
  perScopePerMinute?: number;
  now?: () => number;
}

/** How long a container remembers a kind of refusal: one seen again within it is a repeat. */
const REPEAT_WINDOW_MS = 3_600_000;
/** Kinds of refusal a container remembers at most (scope, source, error code). */
const MAX_KINDS = 10_000;

/**
 * The short-lived rejected-request log operators read at `GET /v1/{scopeId}/rejections`, e.g. to
 * see which signature header ThingSpace really sends. Each scope's records live in `capPerScope`
 * slots of one partition, a record taking a random slot, so the log is bounded per scope however
 * many requests are refused, and TTL clears it after `ttlHours`.
 *
 * A flood must not push other records out. Each record has a standing: +2 when it comes from an
 * address the provider publishes as its own (which a stranger cannot send from), +1 when it is the
 * first of its kind (scope, source, error code) this container has seen for an hour, 0 for a
 * repeat. A record replaces the one in its slot only when that slot is empty or expired, holds one
 * of its own kind, or one of no higher standing; otherwise it is dropped (a conditional write: one
 * write unit either way, nothing read). So a flood from one source (its every record but the first
 * a repeat) can only replace its own records and other repeats: the first record of any other
 * source or error survives it, and a new source's first record replaces anything but a record from
 * a published address, so the flood locks nobody out. An IPv6 source is its /64 (one host may hold
 * a whole /64). Many sources, each refused once an hour, still replace one another's records at
 * random, as before: only their number bounds that.
 */
export class RejectionLog {
  // Per scope: the current minute, records written in it (repeats among them), refused requests not written. Bounded.
  private readonly windows = new Map<string, { minute: number; written: number; repeats: number; skipped: number }>();
  // Per kind of refusal: when this container last saw one. Bounded, least recently seen dropped first.
  private readonly lastSeen = new Map<string, number>();
  private readonly records: RejectionRecords;

  constructor(
    client: TableClient,
    private readonly options: RejectionLogOptions,
  ) {
    this.records = new RejectionRecords(client, options.tableName);
  }

  /** Writes the record unless the scope has had its records this minute or its slot holds one it may not replace; true when written. */
  async record(rejection: Rejection): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    const minute = Math.floor(now / 60_000);
    const source = sourceOf(rejection.sourceIp);
    const first = this.firstOfItsKind(`${rejection.scopeId}\u0000${source}\u0000${rejection.errorCode}`, now);
    const standing = (rejection.fromPublishedSource === true ? 2 : 0) + (first ? 1 : 0);
    let window = this.windows.get(rejection.scopeId);
    if (!window) {
      if (this.windows.size >= 1_000) this.windows.delete(this.windows.keys().next().value!);
      window = { minute, written: 0, repeats: 0, skipped: 0 };
      this.windows.set(rejection.scopeId, window);
    }
    if (window.minute !== minute) Object.assign(window, { minute, written: 0, repeats: 0 });
    const perMinute = this.options.perScopePerMinute ?? 10;
    if (window.written >= perMinute || (!first && window.repeats >= Math.ceil(perMinute / 2))) {
      window.skipped++;
      return false;
    }
    window.written++;
    if (!first) window.repeats++;
    const notRecordedBefore = window.skipped;
    window.skipped = 0;
    const slot = String(randomInt(this.options.capPerScope)).padStart(6, '0');
    const expiresAt = Math.floor(Date.parse(rejection.receivedOn) / 1000) + this.options.ttlHours * 3600;
    const written = await this.records.put(
      { ...rejection, reason: cut(rejection.reason, MAX_REASON_BYTES), ...(notRecordedBefore > 0 ? { notRecordedBefore } : {}) },
      { slot, source, standing, expiresAt, nowSeconds: Math.floor(now / 1000) },
    );
    // The slot holds a record this one may not replace: this one is dropped, and counted.
    if (!written) window.skipped += notRecordedBefore + 1;
    return written;
  }

  /** True when this container has not seen a refusal of this kind for REPEAT_WINDOW_MS; notes this one. */
  private firstOfItsKind(kind: string, now: number): boolean {
    const last = this.lastSeen.get(kind);
    this.lastSeen.delete(kind);
    if (this.lastSeen.size >= MAX_KINDS) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    this.lastSeen.set(kind, now);
    return last === undefined || now - last >= REPEAT_WINDOW_MS;
  }
}

/** The text cut to at most `bytes` UTF-8 bytes (on a character boundary), marked with … when cut. */
function cut(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = '';
  let used = 3; // the mark
  for (const char of text) {
    used += Buffer.byteLength(char);
    if (used > bytes) break;
    out += char;
  }
  return `${out}…`;
}

/** The source a record is counted under: the address, or for IPv6 its /64. */
export function sourceOf(sourceIp: string): string {
  const family = isIP(sourceIp);
  if (family !== 6) return sourceIp;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(sourceIp);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = sourceIp.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = sourceIp.includes('::') && tail ? tail.split(':') : [];
  const groups = sourceIp.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
