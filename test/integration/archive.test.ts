import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LocalArchiveSink } from '../../shared/archive/local';
import { objectsOf } from '../../shared/archive/objects';
import type { ArchiveRow } from '../../shared/archive/row';
import { fillQuery, QUERIES } from '../../shared/archive/sql';
import { buildCallback } from '../../local/callbacks';
import { DEMO_ACCOUNT } from '../../local/secrets-file';
import { ROOT, startNpmStart, stopNpmStart } from '../support/npm-start';

// Issue 21, locally: callbacks through the real `npm start` land in DATA_DIR/archive in the deployed
// layout, and `npm run archive -- query` (DuckDB) returns them with the SQL Athena runs: bodies as
// stored (credentials blanked), duplicates removed by the `callbacks` view; an export writes a file.

jest.setTimeout(120_000);

const dataDir = mkdtempSync(join(tmpdir(), 'archive-it-'));
const archiveDir = join(dataDir, 'archive');
const DEVICE = '990013907835573';
const CONNECTED = ['89148000000800139708', '354403064522046'];
let gateway: ChildProcess | undefined;
let url = '';

/** The environment of a fresh terminal on this data directory. */
function terminal(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ARCHIVE_FLUSH_SECONDS: '1', ...extra };
  for (const name of ['PORT', 'SECRETS_FILE', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'ARCHIVE']) if (!(name in extra)) delete env[name];
  return env;
}

/** `npm run archive -- <args>` as npm runs it (node + tsx), in a child process. */
function archive(...args: string[]) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'local/archive.ts', ...args], { cwd: ROOT, env: terminal(), encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The rows a query prints with --json. */
function query(sql: string): Record<string, string | null>[] {
  const out = archive('query', sql, '--json');
  if (out.code !== 0) throw new Error(`archive query failed (${out.code}): ${out.stderr}`);
  return out.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string | null>);
}

/** A signed callback to the running gateway, with the secrets `npm start` created. */
async function send(channel: 'diagnostics' | 'connectivity', body: string): Promise<number> {
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, { current: Record<string, string> }>;
  const { path, headers, payload } = buildCallback(channel, { url, account: DEMO_ACCOUNT, app: '123456', body }, (name) => secrets[name]!.current);
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: payload });
  await res.arrayBuffer();
  return res.status;
}

const diagnostics = (minute: number, signal: number) =>
  JSON.stringify({
    accountName: DEMO_ACCOUNT,
    device: { id: DEVICE, kind: 'imei' },
    attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: String(signal), createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });
const CONNECTIVITY = JSON.stringify({
  requestId: 'req-archive-1',
  status: 'Delivered',
  deviceIds: CONNECTED.map((id, i) => ({ id, kind: i ? 'imei' : 'iccid' })),
});

/** Every archive object under the archive directory, with its rows. */
function objects(): { path: string; rows: ArchiveRow[] }[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.jsonl.gz')) found.push(join(dir, entry.name));
    }
  };
  if (existsSync(archiveDir)) walk(archiveDir);
  return found.map((path) => ({
    path,
    rows: gunzipSync(readFileSync(path))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ArchiveRow),
  }));
}

async function waitFor(rows: number): Promise<void> {
  const until = Date.now() + 30_000;
  while (objects().flatMap((o) => o.rows).length < rows) {
    if (Date.now() > until) throw new Error(`archive holds ${objects().flatMap((o) => o.rows).length} rows, not ${rows}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const started = await startNpmStart(terminal({ PORT: '0' }));
  gateway = started.child;
  url = /listening on (http:\/\/\S+)/.exec(started.output())![1]!;
  expect(started.output()).toMatch(/Archive: +\S*archive-it-\w+\/archive \(npm run archive -- query/);
}, 90_000);

afterAll(async () => {
  await stopNpmStart(gateway);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local archive', () => {
  it('before any callback: a clear message and exit code 2', () => {
    const out = archive('query', 'SELECT count(*) FROM callbacks');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('No archive at');
  });

  it('callbacks through npm start come back from npm run archive -- query, bodies as stored, credentials blanked', async () => {
    // Prepare / Act: three observations of one device (one delivered twice: stored once), and an
    // operation naming two devices (one stored body, two events).
    for (const [minute, signal] of [
      [1, -70],
      [2, -80],
      [3, -90],
    ] as const) {
      expect(await send('diagnostics', diagnostics(minute, signal))).toBe(200);
    }
    expect(await send('diagnostics', diagnostics(2, -80))).toBe(200);
    expect(await send('connectivity', CONNECTIVITY)).toBe(200);
    await waitFor(5);

    // Assess
    const rows = query(`SELECT device, channel, operationId, body, sentOn FROM callbacks WHERE scope = '${DEMO_ACCOUNT}' ORDER BY device, sentOn`);
    expect(rows).toHaveLength(5);
    const diag = rows.filter((r) => r.channel === 'diagnostics');
    expect(diag.map((r) => r.body)).toEqual([diagnostics(1, -70), diagnostics(2, -80), diagnostics(3, -90)]);
    const conn = rows.filter((r) => r.channel === 'connectivity');
    expect(conn.map((r) => r.device).sort()).toEqual([...CONNECTED].sort());
    for (const row of conn) {
      expect(row.operationId).toBe('req-archive-1');
      // The credentials buildCallback added are blanked in place, as the table stores the body.
      const stored = JSON.parse(row.body!) as Record<string, unknown>;
      expect(stored).toMatchObject({ username: '', password: '', requestId: 'req-archive-1' });
    }
  });

  it('a redelivered batch is in callbacks_raw twice and in callbacks once', async () => {
    // Prepare: the archiver's retry of part of a batch (a bisected batch names its objects anew).
    const [first] = objects();
    const [again] = objectsOf([first!.rows[0]!]);
    await new LocalArchiveSink(archiveDir).put(again!.key, again!.body);

    // Act
    const [raw] = query(`SELECT count(*) AS n FROM callbacks_raw WHERE scope = '${DEMO_ACCOUNT}'`);
    const [deduped] = query(`SELECT count(*) AS n FROM callbacks WHERE scope = '${DEMO_ACCOUNT}'`);

    // Assess
    expect([Number(raw!.n), Number(deduped!.n)]).toEqual([6, 5]);
  });

  it('the documented queries run as documented', () => {
    const today = new Date().toISOString().slice(0, 10);
    const values = { scope: DEMO_ACCOUNT, device: DEVICE, from: '2026-01-01', to: today };
    expect(query(fillQuery(QUERIES.signalPerDay, values))).toEqual([{ day: today, readings: '3', avg_dbm: -80 }]);
    expect(query(fillQuery(QUERIES.perChannelPerDay, values))).toEqual([
      { day: today, channel: 'connectivity', callbacks: '2' },
      { day: today, channel: 'diagnostics', callbacks: '3' },
    ]);
    expect(query(fillQuery(QUERIES.quietDevices, values)).map((r) => r.device)).toHaveLength(3);
  });

  it('npm run archive -- export writes a file to hand on, with progress on stderr; bad arguments exit 2', () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const out = join(dataDir, 'export.csv');
    const done = archive('export', '--scope', DEMO_ACCOUNT, '--from', yesterday, '--to', today, '--out', out);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain(`(2/2 days, 5 rows)`);
    expect(done.stderr).toContain(`5 rows of ${DEMO_ACCOUNT}`);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('scope,day,device,deviceKind,channel,provider,resource,id,operationId,sentOn,receivedOn,body,bodyError,content');
    // Five records; a body with a line break would span lines, and none has one.
    expect(lines).toHaveLength(6);

    const parquet = join(dataDir, 'export.parquet');
    expect(archive('export', '--scope', DEMO_ACCOUNT, '--from', today, '--to', today, '--out', parquet).code).toBe(0);
    expect(query(`SELECT count(*) AS n FROM read_parquet('${parquet}')`)).toEqual([{ n: '5' }]);

    for (const args of [
      ['export', '--scope', DEMO_ACCOUNT, '--from', '2026-02-30', '--to', today, '--out', out],
      ['export', '--scope', DEMO_ACCOUNT, '--from', today, '--to', yesterday, '--out', out],
      ['export', '--from', today, '--to', today, '--out', out],
      ['export', '--scope', DEMO_ACCOUNT, '--from', today, '--to', today, '--out', out, '--format', 'xlsx'],
      ['query'],
      ['query', 'SELECT 1', '--json', '--csv'],
      ['bogus'],
    ]) {
      const bad = archive(...args);
      expect({ args, code: bad.code, usage: bad.stderr.includes('usage: npm run archive') }).toEqual({ args, code: 2, usage: true });
    }
  });
});
