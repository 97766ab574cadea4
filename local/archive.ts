import './env';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { VIEW } from '../shared/archive/sql';
import { literal, NoArchiveError, openArchive, queryArchive } from './archive-db';
import { ARCHIVE_DIR } from './gateway';

const USAGE = `usage: npm run archive -- <command>
  query "<SQL>" [--json | --csv]
                 runs the SQL with DuckDB over the local archive: the same tables as Athena's,
                 callbacks (duplicates removed) and callbacks_raw (every copy written); prints a
                 table, or JSON lines (--json), or CSV (--csv)
  export --scope <scopeId> --from <YYYY-MM-DD> --to <YYYY-MM-DD> --out <file> [--format csv|parquet|jsonl]
                 a scope's callbacks of those days (receive dates, UTC, both included), duplicates
                 removed, in receive order, to one file (format: from the file's extension, else csv);
                 progress on stderr
  --dir <folder>   the archive (default DATA_DIR/${ARCHIVE_DIR}, DATA_DIR defaulting to .local)
Exit codes: 0 done, 1 failed, 2 a usage error or no archive yet.`;

/** A usage error: its message, then the usage, and exit code 2. */
class UsageError extends Error {}

const FORMATS = ['csv', 'parquet', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];

/** The longest export: ten years of days (each day is one query, and its own progress line). */
const MAX_DAYS = 3_660;

/** `npm run archive`: SQL over the local archive with DuckDB, and exports of a scope's days. */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      dir: { type: 'string' },
      scope: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const [command, ...rest] = positionals;
  const dir = resolve(values.dir ?? join(process.env.DATA_DIR || '.local', ARCHIVE_DIR));
  if (command === 'query') {
    if (rest.length !== 1 || !rest[0]!.trim()) throw new UsageError('query takes one argument: the SQL, in quotes.');
    if (values.json && values.csv) throw new UsageError('Pick one of --json and --csv.');
    return runQuery(await openArchive(dir), rest[0]!, values.json ? 'json' : values.csv ? 'csv' : 'table');
  }
  if (command === 'export') {
    if (rest.length > 0) throw new UsageError(`export takes options only, not "${rest.join(' ')}".`);
    const days = dayRange(values.from, values.to);
    if (!values.scope?.trim()) throw new UsageError('export needs --scope <scopeId>.');
    if (!values.out) throw new UsageError('export needs --out <file>.');
    const format = formatOf(values.format, values.out);
    return exportScope(await openArchive(dir), { scope: values.scope.trim(), days, out: resolve(values.out), format });
  }
  throw new UsageError(command ? `Unknown command "${command}". Commands: query, export.` : 'Name a command: query or export.');
}

async function runQuery(connection: DuckDBConnection, sql: string, output: 'table' | 'json' | 'csv'): Promise<void> {
  const { columns, rows } = await queryArchive(connection, sql);
  if (output === 'json') for (const row of rows) console.log(JSON.stringify(row));
  else if (output === 'csv') for (const line of [columns, ...rows.map((r) => columns.map((c) => r[c]))]) console.log(line.map(csvField).join(','));
  else console.log(table(columns, rows));
}

/** The days from `from` to `to`, both valid YYYY-MM-DD dates, in order. */
function dayRange(from: string | undefined, to: string | undefined): string[] {
  const parse = (name: string, value: string | undefined): number => {
    if (!value) throw new UsageError(`export needs --${name} <YYYY-MM-DD>.`);
    const ms = Date.parse(`${value}T00:00:00.000Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw new UsageError(`--${name} "${value}" is not a date YYYY-MM-DD.`);
    }
    return ms;
  };
  const [start, end] = [parse('from', from), parse('to', to)];
  if (end < start) throw new UsageError(`--to ${to} is before --from ${from}.`);
  const count = (end - start) / 86_400_000 + 1;
  if (count > MAX_DAYS) throw new UsageError(`An export covers at most ${MAX_DAYS} days; this one ${count}.`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

function formatOf(given: string | undefined, out: string): Format {
  if (given !== undefined) {
    if (!(FORMATS as readonly string[]).includes(given)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not "${given}".`);
    return given as Format;
  }
  return FORMATS.find((f) => out.toLowerCase().endsWith(`.${f}`)) ?? 'csv';
}

/**
 * One day at a time into a temporary table (a progress line per day on stderr: reading the day's
 * objects is the slow part), then the whole in receive order to the file. A file that exists is
 * replaced only once the export succeeded.
 */
async function exportScope(connection: DuckDBConnection, o: { scope: string; days: string[]; out: string; format: Format }): Promise<void> {
  const started = Date.now();
  await connection.run(`CREATE TEMP TABLE export_rows AS SELECT * FROM ${VIEW} WHERE false`);
  let total = 0;
  for (const [i, day] of o.days.entries()) {
    const where = `scope = ${literal(o.scope)} AND day = ${literal(day)}`;
    await connection.run(`INSERT INTO export_rows SELECT * FROM ${VIEW} WHERE ${where}`);
    const { rows } = await queryArchive(connection, `SELECT count(*) AS n FROM export_rows`);
    const added = Number(rows[0]!.n) - total;
    total += added;
    console.error(`  ${day}  ${String(added).padStart(7)} rows   (${i + 1}/${o.days.length} days, ${total} rows)`);
  }
  const options = { csv: 'FORMAT csv, HEADER true', parquet: 'FORMAT parquet, COMPRESSION zstd', jsonl: 'FORMAT json' }[o.format];
  const partial = `${o.out}.partial`;
  try {
    await connection.run(`COPY (SELECT * FROM export_rows ORDER BY receivedOn, device, id) TO ${literal(partial)} (${options})`);
    await rename(partial, o.out);
  } finally {
    await rm(partial, { force: true });
  }
  console.error(
    `${total} rows of ${o.scope}, ${o.days[0]} to ${o.days.at(-1)}, written to ${o.out} (${o.format}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A plain text table, each cell cut at 60 characters (a body is long: --json shows it whole). */
function table(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), `(${rows.length} rows)`].join('\n');
}

main().catch(async (error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof NoArchiveError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`archive: ${(error as Error).message}`);
  process.exit(1);
});
