import { PayloadTooLargeError, ServiceUnavailableError } from './errors';
import { logger } from './log';
import { emit, METRIC, MetricUnit } from './metrics';
import { toRecords, type CallbackFacts } from './mapping';
import type { ReceivedCallback } from './model';
import { CallbackStore, MAX_ITEM_BYTES, RecordTooLargeError, StoreUnavailableError } from './store/callback-store';

/** What the provider is told about an accepted callback. */
export interface Acceptance {
  status: 'stored' | 'duplicate';
  messageId: string;
  events: number;
  notifications: number;
}

/**
 * The common tail of every webhook once the message is verified and parsed: map it to records,
 * store them exactly once, log the outcome. Store failures become the gateway errors providers
 * understand (503: retry; 413: never fits).
 */
export async function acceptCallback(store: CallbackStore, received: ReceivedCallback, facts: CallbackFacts, started: number): Promise<Acceptance> {
  let mapped = toRecords(received, facts);
  let stored: number;
  try {
    if (mapped.timeless) {
      // No provider time (or one far ahead): the records' ids take the first delivery's receive
      // time, so that a redelivery maps to the same keys (one receipt write, see CallbackStore).
      const first = await store.firstReceivedOn(received, mapped.events[0]!.deviceId, mapped.hash);
      if (first.getTime() !== received.receivedOn.getTime()) mapped = toRecords({ ...received, receivedOn: first }, facts, mapped.hash);
    } else if (facts.sentOn !== undefined && facts.sentOn.getTime() > received.receivedOn.getTime()) {
      // A provider time ahead of now, by less than MAX_FUTURE_SKEW_MS: an earlier delivery, when the
      // gap was larger, may have been keyed by a receipt. Its redelivery must find the same keys (one
      // read, only for clocks ahead of ours; honest provider times lie in the past).
      const first = await store.receiptOf(received, mapped.events[0]!.deviceId, mapped.hash);
      if (first) mapped = toRecords({ ...received, receivedOn: first }, facts, mapped.hash);
    }
    ({ stored } = await store.save(mapped, received.receivedOn));
  } catch (error) {
    if (error instanceof RecordTooLargeError) throw new PayloadTooLargeError(MAX_ITEM_BYTES);
    if (error instanceof StoreUnavailableError) {
      throw new ServiceUnavailableError('Callback store unavailable; retry later', { cause: error.cause });
    }
    throw error;
  }
  const acceptance: Acceptance = {
    status: stored === 0 ? 'duplicate' : 'stored',
    messageId: mapped.messageId,
    events: mapped.events.length,
    notifications: mapped.notifications.length,
  };
  const durationMs = Date.now() - started;
  logger.info('callback accepted', { outcome: acceptance.status, ...acceptance, durationMs });
  emit(acceptance.status === 'stored' ? METRIC.accepted : METRIC.duplicate, { channel: received.channel });
  emit(METRIC.latency, { channel: received.channel }, durationMs, MetricUnit.Milliseconds);
  return acceptance;
}
