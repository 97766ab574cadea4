import type { ArchiveRow } from './row';

/**
 * The SQL of the archive, in one place for both engines: Athena (the Glue table and view of
 * infra/archive.ts) and DuckDB (`npm run archive`, local/archive.ts) run the same text.
 */

/** The raw table: every object as written, duplicates included (delivery into the archive is at least once). */
export const RAW_TABLE = 'callbacks_raw';

/** The view readers query: the raw table with duplicates removed. */
export const VIEW = 'callbacks';

/** The row's columns in line order (all text): the Glue table's data columns, DuckDB's `columns`. `scope` is the partition's too. */
export const DATA_COLUMNS = [
  'device',
  'deviceKind',
  'channel',
  'provider',
  'resource',
  'id',
  'operationId',
  'sentOn',
  'receivedOn',
  'body',
  'bodyError',
  'content',
] as const satisfies readonly Exclude<keyof ArchiveRow, 'scope'>[];

/** The partition columns, from the object's path (`scope=…/day=…`): every query should name both. */
export const PARTITION_COLUMNS = ['scope', 'day'] as const;

/** Every column of the view, in order: the partition first. */
export const VIEW_COLUMNS = [...PARTITION_COLUMNS, ...DATA_COLUMNS] as const;

/**
 * The deduplicating query over the raw table: one row per (scope, day, device, id). A callback is
 * archived at least once (a retried stream batch writes its rows again, and a batch split in two
 * by bisection names its objects anew), and every copy of a row is the same row, so any one of them
 * will do: the window keeps the first. scope and day lead the partition so that a query naming them
 * still reads only those partitions.
 */
export const DEDUPE_SQL =
  `SELECT ${VIEW_COLUMNS.join(', ')} FROM (` +
  `SELECT *, row_number() OVER (PARTITION BY scope, day, device, id ORDER BY receivedOn) AS copy FROM ${RAW_TABLE}` +
  `) WHERE copy = 1`;

/** The signal strength attribute's value in a Diagnostics body (regexp_extract reads alike in both engines; their JSON functions do not). */
const SIGNAL = String.raw`"RADIO_SIGNAL_STRENGTH"\s*,\s*"value"\s*:\s*"(-?[0-9.]+)"`;

/** The documented queries (README "Archive", docs/archive.md), `{scope}`, `{device}`, `{from}`, `{to}` to fill in; plain SQL both engines run. */
export const QUERIES = {
  /** A device's Diagnostics signal strength per day: the value is read out of the stored body. */
  signalPerDay:
    `SELECT day, count(*) AS readings, round(avg(TRY_CAST(regexp_extract(body, '${SIGNAL}', 1) AS DOUBLE)), 1) AS avg_dbm ` +
    `FROM ${VIEW} WHERE scope = '{scope}' AND device = '{device}' AND day BETWEEN '{from}' AND '{to}' ` +
    `AND channel = 'diagnostics' AND body LIKE '%RADIO_SIGNAL_STRENGTH%' GROUP BY day ORDER BY day`,
  /** Callbacks per channel per day in a scope. */
  perChannelPerDay:
    `SELECT day, channel, count(*) AS callbacks FROM ${VIEW} WHERE scope = '{scope}' AND day BETWEEN '{from}' AND '{to}' ` +
    `GROUP BY day, channel ORDER BY day, channel`,
  /** The devices of a scope by their last callback: the ones gone quiet first. */
  quietDevices:
    `SELECT device, max(receivedOn) AS last_callback, count(*) AS callbacks FROM ${VIEW} WHERE scope = '{scope}' AND day BETWEEN '{from}' AND '{to}' ` +
    `GROUP BY device ORDER BY last_callback LIMIT 20`,
} as const;

/** A documented query with its placeholders filled (values are quoted as SQL strings). */
export function fillQuery(sql: string, values: Record<'scope' | 'device' | 'from' | 'to', string>): string {
  return sql.replace(/\{(scope|device|from|to)\}/g, (_, name: keyof typeof values) => values[name].replace(/'/g, "''"));
}
