import { randomInt } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rejectionPk, TABLE } from './store/table';

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

/** Header names kept per record, and characters per name: a record stays under 1 KB (one write unit). */
export const MAX_HEADER_NAMES = 20;
export const MAX_HEADER_NAME_CHARS = 40;

/** The header names of a request as a record keeps them: lower case, sorted, bounded in number and length. */
export function headerNamesOf(headers: Record<string, unknown> | undefined): { headerNames: string[]; moreHeaderNames?: number } {
  const names = [...new Set(Object.keys(headers ?? {}).map((h) => h.toLowerCase()))].sort();
  const kept = names.slice(0, MAX_HEADER_NAMES).map((n) => (n.length > MAX_HEADER_NAME_CHARS ? `${n.slice(0, MAX_HEADER_NAME_CHARS - 1)}…` : n));
  return { headerNames: kept, ...(names.length > MAX_HEADER_NAMES ? { moreHeaderNames: names.length - MAX_HEADER_NAMES } : {}) };
}

export interface RejectionLogOptions {
  tableName: string;
  /** Records kept per scope at most: a flood overwrites, it cannot grow the log. */
  capPerScope: number;
  /** How long a record lives (DynamoDB TTL). */
  ttlHours: number;
  /**
   * Records written per scope per minute by one container (default 10); past it refused requests
   * are counted, not written, and the next record says how many: a flood of forgeries costs no
   * write and cannot push an account's genuine records out of its slots.
   */
  perScopePerMinute?: number;
  now?: () => number;
}

/**
 * The short-lived rejected-request log operators read at `GET /v1/{scopeId}/rejections`, e.g. to
 * see which signature header ThingSpace really sends. Each scope's records live in `capPerScope`
 * slots of one partition, a record taking a random slot (overwriting whatever was there), so the
 * log is bounded per scope however many requests are refused, and TTL clears it after `ttlHours`.
 */
export class RejectionLog {
  // Per scope: the current minute, records written in it, refused requests not written. Bounded.
  private readonly windows = new Map<string, { minute: number; written: number; skipped: number }>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: RejectionLogOptions,
  ) {}

  /** Writes the record unless the scope has had its records this minute; true when written. */
  async record(rejection: Rejection): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    const minute = Math.floor(now / 60_000);
    let window = this.windows.get(rejection.scopeId);
    if (!window) {
      if (this.windows.size >= 1_000) this.windows.delete(this.windows.keys().next().value!);
      window = { minute, written: 0, skipped: 0 };
      this.windows.set(rejection.scopeId, window);
    }
    if (window.minute !== minute) Object.assign(window, { minute, written: 0 });
    if (window.written >= (this.options.perScopePerMinute ?? 10)) {
      window.skipped++;
      return false;
    }
    window.written++;
    const notRecordedBefore = window.skipped;
    window.skipped = 0;
    const slot = String(randomInt(this.options.capPerScope)).padStart(6, '0');
    const expiresAt = Math.floor(Date.parse(rejection.receivedOn) / 1000) + this.options.ttlHours * 3600;
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...rejection,
          ...(notRecordedBefore > 0 ? { notRecordedBefore } : {}),
          [TABLE.partitionKey]: rejectionPk(rejection.scopeId),
          [TABLE.sortKey]: slot,
          type: 'rejection',
          [TABLE.ttlAttribute]: expiresAt,
        },
      }),
    );
    return true;
  }
}
