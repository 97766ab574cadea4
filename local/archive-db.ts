import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVE_PREFIX, ARCHIVE_SUFFIX } from '../shared/archive/objects';
import { DATA_COLUMNS, DEDUPE_SQL, RAW_TABLE, VIEW } from '../shared/archive/sql';

/** A local archive has nothing to query yet (no folder, or no object in it). */
export class NoArchiveError extends Error {
  constructor(dir: string) {
    super(`No archive at ${dir} yet: \`npm start\` writes one there a few seconds after it stores a callback (ARCHIVE_FLUSH_SECONDS).`);
    this.name = 'NoArchiveError';
  }
}

/** A string as an SQL literal. */
export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * DuckDB (embedded, in memory) over a local archive, with the two names Athena has: `callbacks_raw`
 * (every object, hive partitions scope/day from the paths, every column text as in the Glue table)
 * and `callbacks` (DEDUPE_SQL, the very text of the Athena view). Dev-only: the Lambdas never load it.
 */
export async function openArchive(dir: string): Promise<DuckDBConnection> {
  const root = join(dir, ARCHIVE_PREFIX);
  if (!existsSync(root)) throw new NoArchiveError(dir);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const columns = `{${DATA_COLUMNS.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ')}}`;
  try {
    await connection.run(
      `CREATE VIEW ${RAW_TABLE} AS SELECT scope, day, ${DATA_COLUMNS.join(', ')} FROM read_json(${literal(join(root, `**/*${ARCHIVE_SUFFIX}`))}, ` +
        `format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, ` +
        `hive_types = {'scope': 'VARCHAR', 'day': 'VARCHAR'}, columns = ${columns})`,
    );
    await connection.run(`CREATE VIEW ${VIEW} AS ${DEDUPE_SQL}`);
  } catch (error) {
    connection.closeSync();
    if (/No files found/i.test((error as Error).message)) throw new NoArchiveError(dir);
    throw error;
  }
  return connection;
}

/** The rows of a query as JSON-safe objects (numbers, strings, null). */
export async function queryArchive(connection: DuckDBConnection, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const reader = await connection.runAndReadAll(sql);
  return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
}
