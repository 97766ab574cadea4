import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { dayOf, type ArchiveRow } from './row';

/** Where every archived callback lives under the bucket (or DATA_DIR/archive): the Glue table's location. */
export const ARCHIVE_PREFIX = 'callbacks/';

/** The file name every archive object ends with: both engines pick objects by it, and read them as gzip. */
export const ARCHIVE_SUFFIX = '.jsonl.gz';

/** One object of the archive: the rows of one scope and day from one batch, as gzipped JSON lines. */
export interface ArchiveObject {
  key: string;
  body: Buffer;
  /** The indexes (in the batch) of the rows it holds: they fail together when it cannot be written. */
  rows: number[];
}

/**
 * The object key of a partition: Hive style (`scope=…/day=…`), which both Athena's partition
 * projection and DuckDB's hive_partitioning read. A scope is URI-encoded so no value can add a path
 * segment (the providers' account ids and AppIDs need no encoding: they appear as they are).
 */
export const partitionPrefix = (scope: string, day: string): string => `${ARCHIVE_PREFIX}scope=${encodeURIComponent(scope)}/day=${day}/`;

/**
 * The batch's rows as one object per scope and day, so that a batch of 10,000 records makes a few
 * PUTs, not thousands. The name is the object's first id and a digest of its ids: a retried batch
 * with the same records writes the same key again (no duplicate), and two batches never collide.
 */
export function objectsOf(rows: readonly (ArchiveRow | undefined)[]): ArchiveObject[] {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    if (!row) return;
    const prefix = partitionPrefix(row.scope, dayOf(row));
    const group = groups.get(prefix);
    if (group) group.push(i);
    else groups.set(prefix, [i]);
  });
  return [...groups].map(([prefix, indexes]) => {
    const members = indexes.map((i) => rows[i]!);
    const ids = members.map((r) => `${r.device}\u0000${r.id}`).sort();
    const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
    const first = members.map((r) => r.id).sort()[0]!;
    const lines = members.map((r) => JSON.stringify(r)).join('\n') + '\n';
    return { key: `${prefix}${first}-${digest}${ARCHIVE_SUFFIX}`, body: gzipSync(lines), rows: indexes };
  });
}

/** Where archive objects are written: an S3 bucket (./s3.ts) or a local directory (./local.ts). */
export interface ArchiveSink {
  /** Writes one object whole; rejects when it is not durably written. */
  put(key: string, body: Buffer): Promise<void>;
}
