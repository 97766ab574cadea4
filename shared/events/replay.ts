import type { TableClient } from '../store/client';
import { tableBodyReader } from '../store/published';
import { LAST_MS, ReplaySource } from '../store/replay-source';
import { publishItems, type Outcome } from './build';
import type { EventSink } from './contract';

/** What to publish again: a scope's records, of one device or of all, sent within a time range. */
export interface ReplayRequest {
  scopeId: string;
  /** Omitted: every device of the scope, found by a Scan of the whole table (ReplaySource.devicesOf). */
  deviceId?: string;
  /** Records sent at or after this (epoch ms); omitted: from the first. */
  fromMs?: number;
  /** Records sent at or before this (epoch ms); omitted: to the last. */
  toMs?: number;
}

/** Counts so far, reported after each page of a device. */
export interface ReplayProgress {
  deviceId: string;
  /** Devices done before this one, and how many there are. */
  devicesDone: number;
  devices: number;
  published: number;
  failed: number;
}

/**
 * Publishes a scope's stored events and notifications again, marked `replayed: true`, through the
 * same path the stream and the local hook take (publishItems): for a consumer that missed them, or
 * after the stream publisher's dead-letter queue received a batch. The store reads the records
 * (shared/store/replay-source.ts), a page at a time, each page published before the next is read.
 */
export async function replayStored(
  client: TableClient,
  tableName: string,
  sink: EventSink,
  request: ReplayRequest,
  onProgress: (progress: ReplayProgress) => void = () => undefined,
): Promise<{ devices: number; published: number; failed: number }> {
  const fromMs = request.fromMs ?? 0;
  const toMs = request.toMs ?? LAST_MS;
  const source = new ReplaySource(client, tableName);
  const devices = request.deviceId !== undefined ? [request.deviceId] : await source.devicesOf(request.scopeId);
  const readBody = tableBodyReader(client, tableName);
  const totals = { published: 0, failed: 0 };
  const count = (outcomes: Outcome[]) => {
    for (const o of outcomes) if (o !== 'skipped') totals[o]++;
  };
  for (const [done, deviceId] of devices.entries()) {
    const report = () => onProgress({ deviceId, devicesDone: done, devices: devices.length, ...totals });
    for await (const page of source.eventPages(request.scopeId, deviceId, fromMs, toMs)) {
      count(await publishItems(page, readBody, sink, { replayed: true }));
      report();
    }
    for await (const within of source.notificationPages(request.scopeId, deviceId, fromMs, toMs)) {
      if (within.length > 0) count(await publishItems(within, readBody, sink, { replayed: true }));
      report();
    }
  }
  return { devices: devices.length, ...totals };
}
