import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startNpmStart, stopNpmStart } from '../support/npm-start';

// A new user's first commands, as separate programs in separate "terminals": `npm start` on a
// port of its own choosing, then the helper commands with no PORT set, a second `npm start` on the
// same data, and the helpers' usage errors. Each program runs as `npm run` runs it (node + tsx).
const dataDir = mkdtempSync(join(tmpdir(), 'first-hour-'));
let first: ChildProcess | undefined;
let firstOutput = '';

/** The environment of a fresh terminal: no PORT, no test settings, this data directory. */
function terminal(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ...extra };
  for (const name of ['PORT', 'SECRETS_FILE', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'POWERTOOLS_LOG_LEVEL']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function run(script: string, args: string[], extra: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: terminal(extra), encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

beforeAll(async () => {
  // PORT=0: the system picks the port, as when 3000 is taken and the user picks another.
  const started = await startNpmStart(terminal({ PORT: '0' }));
  first = started.child;
  firstOutput = started.output();
}, 90_000);

afterAll(async () => {
  await stopNpmStart(first);
  rmSync(dataDir, { recursive: true, force: true });
});

const urlOf = (text: string) => /listening on (http:\/\/\S+)/.exec(text)?.[1];

describe('the first hour', () => {
  it('npm start prints no warning and a banner that fits on one screen', () => {
    expect(firstOutput).not.toMatch(/warning/i);
    expect(firstOutput.trim().split('\n').length).toBeLessThanOrEqual(24);
    expect(urlOf(firstOutput)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('npm run send finds the running gateway without PORT', () => {
    const sent = run('local/send.ts', ['location']);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`POST ${urlOf(firstOutput)}/webhooks/thingspace/0212312345-00001/location -> 200`);
  }, 60_000);

  it('a second npm start on the same data refuses at once, and the first keeps answering', () => {
    const second = run('local/start.ts', [], { PORT: '0' });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`Another gateway already runs on this data directory (${dataDir}), at ${urlOf(firstOutput)}`);
    expect(second.stderr).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    expect(run('local/send.ts', ['device-location']).stdout).toContain('-> 200');
    const keys = run('local/apikey.ts', ['list']);
    expect(keys).toMatchObject({ code: 0, stdout: 'No keys.\n' });
  }, 90_000);

  it('the helpers explain their usage and a gateway that is not there', () => {
    expect(run('local/send.ts', ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: npm run send') });
    const bogus = run('local/send.ts', ['bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('Unknown channel "bogus"');
    const nowhere = run('local/send.ts', ['location', '--url', 'http://127.0.0.1:9']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('No gateway answered at http://127.0.0.1:9 (--url)');
    const noDouble = run('local/reregister.ts', [], { THINGSPACE_BASE_URL: 'http://127.0.0.1:9' });
    expect(noDouble.code).toBe(1);
    expect(noDouble.stderr).toContain('npm run thingspace-double');
  }, 90_000);
});
