import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startNpmStart } from '../support/npm-start';

// The README's "Read it back" walk-through, run as pasted (in bash, against a real `npm start`),
// twice: every answer printed beside a command is the answer it gives.
const dataDir = mkdtempSync(join(tmpdir(), 'readme-'));
let gateway: ChildProcess | undefined;

/** The answers the README prints beside the walk-through's commands, in order. */
const ANSWERS = ["[ 'RUNNING', 'COMPLETED' ]", '2026-11-21T10:05:00.000Z', '{"count":2}', "[ 'FAIR', 'GOOD' ]", "[ 'tx-walk COMPLETED' ]", '204', '{"count":1}', '401'];

function walkThrough(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Read it back'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  // The same commands, with this test's data directory in place of `./.local/`.
  return block.replaceAll('./.local/', `${dataDir}/`);
}

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0' };
  for (const name of ['SECRETS_FILE', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'POWERTOOLS_LOG_LEVEL']) delete e[name];
  return e;
}

beforeAll(async () => {
  gateway = (await startNpmStart(env())).child;
}, 90_000);

afterAll(() => {
  gateway?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

it('prints, beside each command, the answer it gives', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const answer of ANSWERS) expect(readme).toContain(`# ${answer}`);
});

it.each([1, 2])('run %i as pasted gives those answers, in order', (run) => {
  const result = spawnSync('bash', ['-e', '-c', walkThrough()], { cwd: ROOT, env: { ...env(), PORT: '' }, encoding: 'utf8', timeout: 120_000 });
  expect({ run, code: result.status, stderr: result.stderr }).toEqual({ run, code: 0, stderr: '' });
  const lines = result.stdout.split('\n').map((l) => l.trim());
  let at = 0;
  for (const answer of ANSWERS) {
    const found = lines.indexOf(answer, at);
    expect({ answer, found: found >= 0 }).toEqual({ answer, found: true });
    at = found + 1;
  }
  expect(result.stdout).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/thingspace\/0212312345-00001\/diagnostics -> 200/);
}, 180_000);
