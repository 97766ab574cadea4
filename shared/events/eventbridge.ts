import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { logger } from '../log';
import { entryBytes, EVENT_SOURCE, MAX_ENTRIES_PER_REQUEST, MAX_ENTRY_BYTES, withinEntryLimit, type EventSink, type GatewayEvent } from './contract';

export interface EventBridgeSinkOptions {
  /** PutEvents calls per batch in all: a partial failure's failed entries are sent again up to this. */
  attempts?: number;
  /** Wait before the first resend, doubled before each further one. */
  backoffMs?: number;
}

/**
 * Publishes to one event bus with PutEvents: at most 10 entries and 256 KB per call, in order. A
 * partial failure (an entry with an ErrorCode: throttled, an internal failure) resends exactly the
 * failed entries, with backoff; a call that fails as a whole has already been retried by the SDK.
 */
export class EventBridgeSink implements EventSink {
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    options: EventBridgeSinkOptions = {},
  ) {
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 100;
  }

  async publish(events: readonly GatewayEvent[]): Promise<number[]> {
    const fitted = events.map(withinEntryLimit);
    const entries = fitted.map((event) => this.entryOf(event));
    const failed: number[] = [];
    for (const batch of batchesOf(fitted.map(entryBytes))) failed.push(...(await this.putBatch(batch, entries)));
    return failed;
  }

  private entryOf(event: GatewayEvent): PutEventsRequestEntry {
    return { EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: event.detailType, Detail: JSON.stringify(event.detail) };
  }

  /** One batch (indexes into `entries`), resending its failed entries; the indexes still failing at the end. */
  private async putBatch(batch: number[], entries: PutEventsRequestEntry[]): Promise<number[]> {
    let pending = batch;
    let codes: string[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: pending.map((i) => entries[i]!) }));
        // Entries of the answer are in the order of the request; a failed one has an ErrorCode.
        const failedNow = pending.filter((_, k) => out.Entries?.[k] === undefined || out.Entries[k]!.ErrorCode !== undefined);
        codes = pending.flatMap((_, k) => out.Entries?.[k]?.ErrorCode ?? []);
        pending = failedNow;
      } catch (error) {
        // The SDK retried the call already: the whole batch stays failed.
        codes = [(error as Error)?.name ?? 'Error'];
        break;
      }
      if (pending.length === 0 || attempt >= this.attempts) break;
      await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
    }
    if (pending.length > 0) logger.error('events not published', { bus: this.busName, failed: pending.length, errorCodes: [...new Set(codes)] });
    return pending;
  }
}

/** Consecutive batches (indexes) of at most 10 entries and 256 KB each, from the entries' sizes; an entry too large alone is a batch of its own (and fails). */
function batchesOf(sizes: number[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_REQUEST || bytes + size > MAX_ENTRY_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}
