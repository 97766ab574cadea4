import { randomUUID } from 'node:crypto';
import type { TableClient } from '../store/client';
import { logger } from '../log';
import { tableBodyReader, type BodyReader } from '../store/published';
import { envelopeOf, withinEntryLimit, type EventSink, type GatewayEvent } from './contract';

/** The account a local envelope names: no AWS account exists locally. */
const LOCAL_ACCOUNT = '000000000000';

export interface HttpTargetOptions {
  /** POSTs per event in all, the first one included (default 4: the first and 3 retries), as the log line's `attempts` counts them. */
  attempts?: number;
  /** Wait before the first retry, doubled before each further one. */
  backoffMs?: number;
  /** Longest wait for one answer. */
  timeoutMs?: number;
}

/** EVENTS_TARGET_URL checked once: an http(s) URL, or an error that stops the start. */
export function targetUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('EVENTS_TARGET_URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('EVENTS_TARGET_URL must be an http or https URL');
  return url;
}

/**
 * Local mode's stand-in for EventBridge and a rule's target: each event is POSTed, as JSON in the
 * envelope EventBridge delivers to an API destination, to one URL, one after another. Any 2xx
 * delivers it; anything else (an error status, a refused or closed connection, no answer in
 * time) is retried with backoff, then logged (the URL's origin only: a path or query may hold a
 * token) and reported as not published.
 */
export class HttpTargetSink implements EventSink {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly url: URL,
    private readonly region = process.env.AWS_REGION ?? 'local',
    options: HttpTargetOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async publish(events: readonly GatewayEvent[]): Promise<number[]> {
    const failed: number[] = [];
    for (const [i, event] of events.entries()) if (!(await this.deliver(withinEntryLimit(event)))) failed.push(i);
    return failed;
  }

  /** One event, retried: the same envelope (same id) on every attempt, as EventBridge retries a delivery. */
  private async deliver(event: GatewayEvent): Promise<boolean> {
    const body = JSON.stringify(envelopeOf(event, randomUUID(), new Date(), LOCAL_ACCOUNT, this.region));
    let cause = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) return true;
        cause = `HTTP ${res.status}`;
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        cause = e.cause?.code ?? e.name;
      }
      if (attempt < this.attempts) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
    }
    logger.error('event not delivered to EVENTS_TARGET_URL', {
      target: this.url.origin,
      detailType: event.detailType,
      recordId: event.detail.recordId,
      attempts: this.attempts,
      cause,
    });
    return false;
  }
}

/**
 * Publications started by the local hooks and not settled yet, across the process (each webhook
 * module builds its own runtime, so its own hook): `npm start` waits for them before it stops.
 */
const inFlight = new Set<Promise<void>>();

/**
 * The store listener of local mode (onStoredItems, shared/store/callback-store.ts): the items just made durable are published to
 * EVENTS_TARGET_URL through the same path the stream publisher takes (publishItems). It returns at
 * once: the webhook answers without waiting, and a failing target never changes the answer. The
 * promise is kept (see settleLocalPublications), never left floating. The builder (every channel's
 * parser) is loaded on the first publication, as the query API loads it: a webhook's cold start
 * does not pay for it.
 */
export function localPublisher(
  url: string,
  client: TableClient,
  tableName: string,
  options: HttpTargetOptions = {},
): (items: Record<string, unknown>[]) => void {
  const sink = new HttpTargetSink(targetUrl(url), undefined, options);
  let readBody: BodyReader | undefined;
  const publish = async (items: Record<string, unknown>[]) => {
    const { publishItems } = await import('./build');
    readBody ??= tableBodyReader(client, tableName);
    await publishItems(items, readBody, sink);
  };
  return (items) => {
    // publishItems logs its own failures: this catches the builder failing to load, never an unhandled rejection.
    const publication = publish(items).catch((error: unknown) => logger.error('local publication failed', { cause: (error as Error)?.name }));
    inFlight.add(publication);
    void publication.finally(() => inFlight.delete(publication));
  };
}

/** Resolves once every local publication started so far has settled (delivered, or retried and logged). */
export async function settleLocalPublications(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}
