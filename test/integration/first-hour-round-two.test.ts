import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startNpmStart, stopNpmStart } from '../support/npm-start';
import { startEventTarget, type EventTarget } from '../support/event-target';

// Issue 22 ("the first hour, round two"): each refusal says why, each helper finds the running
// `npm start` by itself. One real `npm start` (its own port, its own data, an EVENTS_TARGET_URL
// that this test receives, a 2-second key cache), and the helpers as separate programs in fresh
// "terminals": only DATA_DIR set, as a user who opened a new terminal in the repository folder.
const DEMO = '0212312345-00001';
const dataDir = mkdtempSync(join(tmpdir(), 'first-hour-2-'));
/** A path and query on the target: the query stands for a token, which nothing may print. */
const TARGET_PATH = '/events';
const TARGET_QUERY = '?token=not-for-printing';
const KEY_CACHE_SECONDS = 2;
let gateway: ChildProcess | undefined;
let url = '';
let target: EventTarget<Envelope>;
let targetUrl = '';
/** What the target receives. */
type Envelope = { detail: { messageId: string; channel: string; replayed: boolean } };
const received = () => target.received;

/** A fresh terminal: DATA_DIR (unless `extra` says otherwise), nothing the test runner or npm start had. */
function terminal(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ...extra };
  for (const name of ['PORT', 'SECRETS_FILE', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'EVENTS_TARGET_URL', 'API_KEY_CACHE_TTL_SECONDS', 'POWERTOOLS_LOG_LEVEL']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** A program in a fresh terminal, run without blocking this process (the events target answers meanwhile). */
function program(file: string, args: string[], extra: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env: terminal(extra), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A local command as `npm run <script>` runs it (node + tsx). */
const run = (script: string, args: string[], extra: Record<string, string> = {}) => program(process.execPath, ['--import', 'tsx', script, ...args], extra);

/** `npm run --silent <script>` itself (package.json's script line included). */
const npmRun = (script: string, args: string[] = [], extra: Record<string, string> = {}) =>
  program('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], extra);

const answerOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; messageId: string };
const waitFor = async (check: () => boolean, ms = 10_000) => {
  for (const until = Date.now() + ms; !check() && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
  return check();
};

beforeAll(async () => {
  target = await startEventTarget<Envelope>(TARGET_PATH);
  targetUrl = target.url;
  const started = await startNpmStart(
    terminal({ PORT: '0', EVENTS_TARGET_URL: `${targetUrl}${TARGET_QUERY}`, API_KEY_CACHE_TTL_SECONDS: String(KEY_CACHE_SECONDS) }),
  );
  gateway = started.child;
  url = /listening on (http:\/\/\S+)/.exec(started.output())![1]!;
}, 90_000);

afterAll(async () => {
  await stopNpmStart(gateway);
  await target.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('1. a key the query API cannot accept', () => {
  const events = () => `${url}/v1/${DEMO}/devices/990013907835573/events`;
  const ask = async (headers: Record<string, string>) => {
    const res = await fetch(events(), { headers });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  const UNAUTHORIZED = { status: 401, type: expect.stringMatching(/^application\/json/), body: '{"message":"Unauthorized"}' };

  it('gets 401 {"message":"Unauthorized"} whatever is wrong with it; a key of another scope gets 403', async () => {
    expect((await run('local/send.ts', ['diagnostics'])).stdout).toContain('-> 200');
    const key = (await run('local/apikey.ts', ['create', '--scope', DEMO, '--label', 'round-two'])).stdout.trim().split('\n').at(-1)!;
    const other = (await run('local/apikey.ts', ['create', '--scope', '0999999999-00009', '--label', 'other'])).stdout.trim().split('\n').at(-1)!;
    expect((await ask({ authorization: `Bearer ${key}` })).status).toBe(200);

    expect({ case: 'no key', ...(await ask({})) }).toEqual({ case: 'no key', ...UNAUTHORIZED });
    expect({ case: 'Bearer left out', ...(await ask({ authorization: key })) }).toEqual({ case: 'Bearer left out', ...UNAUTHORIZED });
    expect({ case: 'x-api-key', ...(await ask({ 'x-api-key': key })) }).toEqual({ case: 'x-api-key', ...UNAUTHORIZED });
    expect({ case: 'malformed', ...(await ask({ authorization: 'Bearer' })) }).toEqual({ case: 'malformed', ...UNAUTHORIZED });
    const unknown = `igw_${'A'.repeat(43)}`;
    expect({ case: 'unknown', ...(await ask({ authorization: `Bearer ${unknown}` })) }).toEqual({ case: 'unknown', ...UNAUTHORIZED });

    const forbidden = await ask({ authorization: `Bearer ${other}` });
    expect(forbidden).toMatchObject({ status: 403, type: expect.stringMatching(/^application\/json/) });
    expect(JSON.parse(forbidden.body)).toMatchObject({ type: 'subjectUnauthorizedExceptionInfo', httpErrorCode: 403 });

    // Revoked: the authorizer's cache (apiKeyCacheTtlSeconds) may accept it a little longer, then the same 401.
    const id = (await run('local/apikey.ts', ['list'])).stdout
      .split('\n')
      .find((l) => l.includes('round-two'))!
      .trim()
      .split(/\s+/)[0]!;
    expect((await run('local/apikey.ts', ['revoke', id])).code).toBe(0);
    await new Promise((r) => setTimeout(r, (KEY_CACHE_SECONDS + 0.5) * 1000));
    expect({ case: 'revoked', ...(await ask({ authorization: `Bearer ${key}` })) }).toEqual({ case: 'revoked', ...UNAUTHORIZED });
  }, 90_000);

  it('README "Query" says what a client sees in each case', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const query = readme.slice(readme.indexOf('\n## Query'), readme.indexOf('\n### Kapua compatibility'));
    expect(query).toContain('{"message":"Unauthorized"}');
    for (const words of ['no key', '`Bearer`', '`x-api-key`', 'unknown', 'revoked', 'apiKeyCacheTtlSeconds', 'another scope']) expect(query).toContain(words);
    expect(query).not.toMatch(/401 with no body/);
  });
});

describe('2. npm run replay', () => {
  it('takes EVENTS_TARGET_URL from the running npm start and names the target in its summary (without its query)', async () => {
    const sent = answerOf((await run('local/send.ts', ['diagnostics'])).stdout);
    expect(await waitFor(() => received().some((e) => e.detail.messageId === sent.messageId))).toBe(true);
    const before = received().length;
    const replay = await run('local/replay.ts', ['--scope', DEMO]);
    expect({ code: replay.code, stderr: replay.stderr.split('\n').filter((l) => !l.startsWith('device ') && l !== '') }).toEqual({ code: 0, stderr: [] });
    const summary = new RegExp(
      `^Replayed (\\d+) record\\(s\\) of \\d+ device\\(s\\) of ${DEMO} to ${targetUrl.replaceAll('.', '\\.')} \\(EVENTS_TARGET_URL of the running npm start\\)\\.$`,
      'm',
    );
    expect(replay.stdout).toMatch(summary);
    expect(replay.stdout + replay.stderr).not.toContain('not-for-printing');
    const count = Number(summary.exec(replay.stdout)![1]);
    expect(count).toBeGreaterThan(0);
    expect(
      received()
        .slice(before)
        .filter((e) => e.detail.replayed),
    ).toHaveLength(count);
  }, 60_000);

  it('without any EVENTS_TARGET_URL says where to set one', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'first-hour-2-none-'));
    try {
      const replay = await run('local/replay.ts', ['--scope', DEMO], { DATA_DIR: elsewhere });
      expect(replay.code).toBe(2);
      expect(replay.stderr).toContain('EVENTS_TARGET_URL=<url> npm start');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('3. npm run send', () => {
  it.each(['location', 'device-location', 'connectivity'])(
    'stores and publishes a new %s sample on every send; --fixed sends the same body again',
    async (channel) => {
      const first = answerOf((await run('local/send.ts', [channel])).stdout);
      const second = answerOf((await run('local/send.ts', [channel])).stdout);
      expect([first.status, second.status]).toEqual(['stored', 'stored']);
      expect(await waitFor(() => [first, second].every((a) => received().some((e) => e.detail.messageId === a.messageId)))).toBe(true);
      await run('local/send.ts', [channel, '--fixed']);
      expect(answerOf((await run('local/send.ts', [channel, '--fixed'])).stdout).status).toBe('duplicate');
    },
    60_000,
  );

  it('lists --fixed in its help', async () => {
    expect((await run('local/send.ts', ['--help'])).stdout).toMatch(/--fixed\s+\S/);
  }, 30_000);
});

describe('4. npm run --silent url', () => {
  it('prints where the running npm start listens, nothing else', async () => {
    expect(await npmRun('url')).toEqual({ code: 0, stdout: `${url}\n`, stderr: '' });
  }, 30_000);

  it('says in one sentence that no npm start runs on a data directory, without a stack', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'first-hour-2-none-'));
    try {
      const out = await npmRun('url', [], { DATA_DIR: elsewhere });
      expect(out.code).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toContain(`No npm start runs on ${elsewhere}`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 30_000);

  it('is what the README blocks use, never ./.local/gateway.json', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).not.toContain("require('./.local/");
    expect(readme).toContain('$(npm run --silent url)');
  });
});

describe('6. data directories', () => {
  it('git ignores every .local*/ directory the README suggests', () => {
    for (const path of ['.local/secrets.json', '.local-2/secrets.json', '.local-3/engine.json']) {
      const out = spawnSync('git', ['check-ignore', '-q', path], { cwd: ROOT });
      expect({ path, ignored: out.status === 0 }).toEqual({ path, ignored: true });
    }
  });

  it('a start that fails on a busy port leaves no engine.json (nor gateway.json) behind', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    const elsewhere = mkdtempSync(join(tmpdir(), 'first-hour-2-busy-'));
    try {
      const started = await run('local/start.ts', [], { DATA_DIR: elsewhere, PORT: String(port) });
      expect(started.code).toBe(1);
      expect(started.stderr).toContain(`Port ${port} is already in use`);
      expect(existsSync(join(elsewhere, 'engine.json'))).toBe(false);
      expect(existsSync(join(elsewhere, 'gateway.json'))).toBe(false);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('7. wording', () => {
  it('apikey --help prints its usage on stdout; a usage error on stderr', async () => {
    expect(await run('local/apikey.ts', ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: npm run apikey'), stderr: '' });
    expect(await run('local/apikey.ts', ['bogus'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('usage: npm run apikey') });
  }, 30_000);

  it('apikey list prints a header naming the columns in the order its help names them', async () => {
    await run('local/apikey.ts', ['create', '--scope', DEMO, '--label', 'listed']);
    const help = (await run('local/apikey.ts', ['--help'])).stdout;
    const named = /list\s+every key, one a line: ([^(]+?) \(/.exec(help.replace(/\s+/g, ' '))?.[1]?.split(', ');
    const [header, ...rows] = (await run('local/apikey.ts', ['list'])).stdout.trim().split('\n');
    expect(
      header!
        .trim()
        .toLowerCase()
        .split(/\s{2,}/),
    ).toEqual(named);
    const listed = rows.find((r) => r.includes('listed'))!;
    expect(listed.trim().split(/\s{2,}/)).toEqual([expect.stringMatching(/^\w{12}$/), DEMO, 'read', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'listed']);
  }, 60_000);

  it('apikey revoke says the key may keep working up to apiKeyCacheTtlSeconds', async () => {
    await run('local/apikey.ts', ['create', '--scope', DEMO, '--label', 'to-revoke']);
    const id = (await run('local/apikey.ts', ['list'])).stdout
      .split('\n')
      .find((l) => l.includes('to-revoke'))!
      .trim()
      .split(/\s+/)[0]!;
    const revoked = await run('local/apikey.ts', ['revoke', id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${id}.`);
    expect(revoked.stdout).toMatch(/apiKeyCacheTtlSeconds/);
    expect(revoked.stdout).toMatch(/30 s/);
  }, 60_000);

  it('an unknown webhook path answers 404 naming the webhook routes, never echoing the path', async () => {
    const res = await fetch(`${url}/webhooks/thingspace/${DEMO}/%3Cscript%3Ediag`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toMatch(/script/i);
    const body = JSON.parse(text) as { message: string; routes: string[] };
    expect(body.message).toBe('Not Found');
    expect(body.routes).toEqual(
      expect.arrayContaining(['POST /webhooks/thingspace/{account}/diagnostics', 'POST /webhooks/thingspace/{account}/soap', 'POST /webhooks/sensoro/{appId}']),
    );
    expect(body.routes.every((r) => r.startsWith('POST /webhooks/'))).toBe(true);
    // Elsewhere, API Gateway's plain answer.
    expect(await (await fetch(`${url}/nowhere`)).json()).toEqual({ message: 'Not Found' });
  });
});
