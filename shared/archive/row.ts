import type { PublishedRecord } from '../store/published';

/**
 * One archived callback: a line of JSON in the archive (s3://bucket/callbacks/..., or DATA_DIR/archive
 * locally). The columns of the Glue table `callbacks_raw` (infra/archive.ts) and of DuckDB's view
 * (local/archive.ts) are these names; `scope` and `day` are also the partition of the object. Times
 * are ISO 8601 strings (UTC, milliseconds): they sort as text, and both engines read them alike.
 */
export interface ArchiveRow {
  scope: string;
  device: string;
  deviceKind?: string;
  channel?: string;
  provider?: string;
  resource?: string;
  /** The event id (16 characters sorting as sentOn): with scope and device, what identifies a row across duplicates. */
  id: string;
  operationId?: string;
  sentOn?: string;
  receivedOn: string;
  /** The body exactly as stored: UTF-8 text with credentials blanked (the webhooks blank them before storing). */
  body?: string;
  /** `undecodable` when the stored body could not be decoded: the row is archived without it, never dropped. */
  bodyError?: string;
  /** SENSORO safe mode: the decrypted content the table keeps beside the encrypted body, so the readings outlive the day's AppSecret. */
  content?: string;
}

/** The archive row of a published record; undefined for a notification (its event holds the same callback). */
export function archiveRowOf(published: PublishedRecord): ArchiveRow | undefined {
  if (published.kind !== 'event') return undefined;
  const e = published.record;
  // receivedOn is always stored; an event without it would be no record of ours.
  if (e.receivedOn === undefined) throw new Error('event without receivedOn');
  const row: ArchiveRow = {
    scope: e.scopeId,
    device: e.deviceId,
    deviceKind: e.deviceKind,
    channel: e.channel,
    provider: e.provider,
    resource: e.resource,
    id: e.id,
    operationId: e.operationId,
    sentOn: e.sentOn,
    receivedOn: e.receivedOn,
    body: e.rawBody,
    bodyError: e.bodyError,
    content: e.content,
  };
  // Absent fields are left out of the line (both engines read a missing key as NULL): fewer bytes per row.
  for (const key of Object.keys(row) as (keyof ArchiveRow)[]) if (row[key] === undefined) delete row[key];
  return row;
}

/** The UTC day (YYYY-MM-DD) a row is partitioned by: its receive time, the gateway's own clock (a provider's may be far off). */
export const dayOf = (row: ArchiveRow): string => row.receivedOn.slice(0, 10);
