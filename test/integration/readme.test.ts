import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startNpmStart, stopNpmStart } from '../support/npm-start';
import { startEventTarget, type EventTarget } from '../support/event-target';

// The README's walk-through, every shell block as pasted: each block runs in a fresh terminal,
// `bash -e -o pipefail -c <block>` in a new process (no variable carried over from another
// block), in the repository folder, against a real `npm start` of this test's own. A terminal
// knows only DATA_DIR (that npm start's data) and THINGSPACE_BASE_URL (this test's ThingSpace
// double: it cannot count on port 3900 being free). The npm start runs with an EVENTS_TARGET_URL
// this test receives, so `npm run replay` finds it with nothing set in its terminal. Every block
// is checked against what it prints, and every comment-answer beside a command is the answer.
const dataDir = mkdtempSync(join(tmpdir(), 'readme-'));
const DEMO = '0212312345-00001';
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
let gateway: ChildProcess | undefined;
let gatewayUrl = '';
let double: ChildProcess | undefined;
let doubleUrl = '';
let target: EventTarget<Envelope>;
let targetUrl = '';
type Envelope = { detail: { replayed: boolean } };
const TARGET_PATH = '/events';
const received = () => target.received;

interface Block {
  section: string;
  code: string;
}

/**
 * The walk-through: the `sh` blocks from "Quick start" to the end of "Events out" (before
 * "# Reference"), and those of "Keep the registrations alive" with its UWS subsection. (`json`,
 * `ts` and unlabelled fences are examples, not commands.)
 */
function walkThroughBlocks(): Block[] {
  const parts = [
    README.slice(README.indexOf('\n## Quick start'), README.indexOf('\n# Reference')),
    README.slice(README.indexOf('\n## Keep the registrations alive'), README.indexOf('\n## Configure')),
  ];
  const blocks: Block[] = [];
  for (const part of parts) {
    let section = '';
    for (const m of part.matchAll(/^(#{2,3} .+)$|^```sh\n([\s\S]*?)^```$/gm)) {
      if (m[1]) section = m[1];
      else blocks.push({ section, code: m[2]! });
    }
  }
  return blocks;
}

/**
 * The blocks this test does not run, and why: each is named by a line it contains and must
 * match exactly one block, so that nothing is skipped silently and the list cannot go stale.
 */
const NOT_RUN: Array<{ has: string; why: string }> = [
  { has: 'npm install && npm start', why: 'starts npm start, which runs until Ctrl-C (this test runs its own), and the whole test suite' },
  { has: 'npx cdk deploy', why: 'deploys to AWS: needs AWS credentials' },
  { has: 'aws secretsmanager create-secret', why: 'creates secrets in AWS: needs AWS credentials' },
  { has: 'npm run replay -- --scope <scopeId>', why: 'the option synopsis: placeholders, and --deployed needs AWS (the runnable replay line is below it)' },
  { has: 'npm run thingspace-double ', why: 'starts npm start and the ThingSpace double, which run until Ctrl-C (this test runs both)' },
];

/** A block's result: exit code and what it printed. */
interface Printed {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The statuses the comments beside `npm run send` lines announce, in order (`# 200 …`). */
const announcedStatuses = (code: string) => [...code.matchAll(/^npm run (?:--silent )?send -- .*?#\s*(\d{3})\b/gm)].map((m) => Number(m[1]));
const printedStatuses = (stdout: string) => [...stdout.matchAll(/ -> (\d{3})$/gm)].map((m) => Number(m[1]));
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The answers the "Read it back" block prints beside its commands, in order. */
const READ_BACK = [
  "[ 'RUNNING', 'COMPLETED' ]",
  '2026-11-21T10:05:00.000Z',
  '{"count":2}',
  "[ 'FAIR', 'GOOD' ]",
  "[ 'tx-walk COMPLETED' ]",
  '204',
  '{"count":1}',
  '401',
];

function inOrder(stdout: string, answers: string[]): void {
  const lines = stdout.split('\n').map((l) => l.trim());
  let at = 0;
  for (const answer of answers) {
    const found = lines.indexOf(answer, at);
    expect({ answer, found: found >= 0 }).toEqual({ answer, found: true });
    at = found + 1;
  }
}

/** The blocks run, each named by a line it contains, with what it must print. */
const RUN: Array<{
  has: string;
  name: string;
  times?: number;
  /** The lines it may print on stderr (else none). */
  stderr?: RegExp;
  check: (out: Printed, code: string) => void | Promise<void>;
}> = [
  {
    has: 'npm run --silent url ',
    name: 'Quick start: where npm start listens',
    check: (out) => expect(out.stdout).toBe(`${gatewayUrl}\n`),
  },
  {
    has: 'npm run send -- diagnostics ',
    name: 'Send a callback: the send helper, every channel',
    check: (out, code) => {
      expect(announcedStatuses(code)).toHaveLength(11);
      expect(printedStatuses(out.stdout)).toEqual(announcedStatuses(code));
      // location, location --fixed, location --fixed: a new report, then the same body twice.
      const answers = out.stdout.split('\n').filter((l) => l.startsWith('{"status"'));
      expect(answers.slice(1, 4).map((a) => (JSON.parse(a) as { status: string }).status)).toEqual(['stored', 'stored', 'duplicate']);
    },
  },
  {
    has: 'x-callback-token: $TOKEN',
    name: 'Send a callback: diagnostics by hand with curl',
    check: (out) => {
      expect(out.stdout).toMatch(/^HTTP\/1\.1 200 OK\r?$/m);
      expect(out.stdout).toMatch(/^\{"status":"stored","messageId":"[^"]+","events":1,"notifications":1\}$/m);
    },
  },
  {
    has: '/webhooks/sensoro/123456',
    name: 'Send a callback: the other channels by hand',
    check: (out) => {
      expect(out.stdout.match(/^HTTP\/1\.1 200 OK\r?$/gm)).toHaveLength(3);
      expect(out.stdout).toMatch(/^\{"status":"stored",.*\}$/m); // Connectivity
      expect(out.stdout).toContain('<CallbackResponse'); // SOAP
      expect(out.stdout).toMatch(/^\{"messages":"success"\}$/m); // SENSORO
    },
  },
  {
    has: 'json() {',
    name: 'Read it back: the query walk-through, run twice',
    times: 2,
    check: (out) => {
      inOrder(out.stdout, READ_BACK);
      expect(out.stdout).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/thingspace\/0212312345-00001\/diagnostics -> 200/);
    },
  },
  {
    has: 'npm run replay -- --scope 0212312345-00001',
    name: "Events out: replay, with only npm start's EVENTS_TARGET_URL",
    stderr: /^device \d+ of \d+ \(.+\): \d+ published, 0 failed so far$/, // its progress, a line per page off a terminal
    check: async (out, code) => {
      const summary = (url: string) =>
        new RegExp(`Replayed (\\d+) record\\(s\\) of \\d+ device\\(s\\) of ${DEMO} to ${escaped(url)} \\(EVENTS_TARGET_URL of the running npm start\\)\\.`);
      expect(code).toMatch(summary('http://127.0.0.1:8080/events'));
      const replayed = Number(summary(targetUrl).exec(out.stdout)?.[1]);
      expect(replayed).toBeGreaterThan(0);
      expect(received().filter((e) => e.detail.replayed)).toHaveLength(replayed);
    },
  },
  {
    has: 'npm run --silent archive -- query ',
    name: 'Archive: SQL over the local archive, and an export',
    // The export's progress (a line per day) and its summary.
    stderr:
      /^( {2}\d{4}-\d{2}-\d{2} +\d+ rows +\(1\/1 days, \d+ rows\)|\d+ rows of 0212312345-00001, .* written to \/tmp\/callbacks\.csv \(csv\) in [\d.]+ s)$/,
    check: (out) => {
      // Every channel the walk-through sent to the demo account is in the archive, one row per event.
      expect(out.stdout).toMatch(/^channel +callbacks$/m);
      for (const channel of ['connectivity', 'diagnostics', 'location', 'soap']) expect(out.stdout).toMatch(new RegExp(`^${channel} +\\d+$`, 'm'));
    },
  },
  {
    has: 'npm run reregister                # registers',
    name: 'Keep the registrations alive: two runs and a delivery',
    check: (out) => {
      for (const service of ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'])
        expect(out.stdout).toMatch(new RegExp(`^  ${DEMO}  ${service} +registered\\b`, 'm'));
      expect(out.stdout).toMatch(/^Nothing changed\.$/m);
      expect(out.stdout).toMatch(/^\{"status":200,"text":"\{\\"status\\":\\"stored\\"/m);
    },
  },
  {
    has: '"api":"soap"}]\' npm run reregister',
    name: 'UWS: a SOAP registration and a SOAP delivery to it',
    check: (out) => {
      expect(out.stdout).toMatch(new RegExp(`^  ${DEMO}  DeviceUsage +registered\\b`, 'm'));
      expect(out.stdout).toMatch(/^\{"status":200,"text":"<\?xml.*<CallbackResponse/m);
    },
  },
];

/** A fresh terminal: only DATA_DIR and THINGSPACE_BASE_URL of this test; nothing the runner, npm start or another block had. */
function terminal(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, THINGSPACE_BASE_URL: doubleUrl };
  const unset = [
    'PORT',
    'SECRETS_FILE',
    'DYNAMODB_ENDPOINT',
    'TABLE_NAME',
    'EVENTS_TARGET_URL',
    'POWERTOOLS_LOG_LEVEL',
    'REGISTRATIONS',
    'PUBLIC_BASE_URL',
    'UWS_BASE_URL',
  ];
  for (const name of unset) delete env[name];
  return env;
}

/** One block, pasted into a fresh terminal (without blocking this process: the events target answers meanwhile). */
function paste(code: string): Promise<Printed> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd: ROOT, env: terminal(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  target = await startEventTarget<Envelope>(TARGET_PATH);
  targetUrl = target.url;
  const started = await startNpmStart({ ...terminal(), PORT: '0', EVENTS_TARGET_URL: targetUrl });
  gateway = started.child;
  gatewayUrl = /listening on (http:\/\/\S+)/.exec(started.output())![1]!;
  // `npm run thingspace-double` (after npm start: it reads the API credentials npm start wrote), on a free port.
  double = spawn(process.execPath, ['--import', 'tsx', 'local/thingspace-double-main.ts'], {
    cwd: ROOT,
    env: { ...terminal(), THINGSPACE_DOUBLE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  doubleUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    double!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /ThingSpace test double on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    double!.on('exit', (code) => reject(new Error(`the double exited (${code}): ${out}`)));
  });
}, 90_000);

afterAll(async () => {
  await stopNpmStart(gateway);
  double?.kill('SIGTERM');
  await target.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const blocks = walkThroughBlocks();
const blockWith = (has: string) => blocks.filter((b) => b.code.includes(has));

it('runs every walk-through block, or says why not', () => {
  for (const { has } of [...RUN, ...NOT_RUN]) expect({ has, blocks: blockWith(has).length }).toEqual({ has, blocks: 1 });
  const accounted = new Set([...RUN, ...NOT_RUN].map(({ has }) => blockWith(has)[0]));
  expect(blocks.filter((b) => !accounted.has(b)).map((b) => `${b.section}: ${b.code.split('\n')[0]}`)).toEqual([]);
});

it('prints, beside each command of "Read it back", the answer it gives', () => {
  const code = blockWith('json() {')[0]!.code;
  for (const answer of READ_BACK) expect(code).toContain(`# ${answer}`);
});

describe.each(RUN)('$name', ({ has, times = 1, stderr, check }) => {
  it.each(Array.from({ length: times }, (_, i) => i + 1))(
    'run %i, pasted into a fresh terminal, prints its answers',
    async () => {
      const code = blockWith(has)[0]!.code;
      const out = await paste(code);
      const unexpected = out.stderr.split('\n').filter((line) => line !== '' && !stderr?.test(line));
      expect({ code: out.code, stderr: unexpected }).toEqual({ code: 0, stderr: [] });
      await check(out, code);
    },
    180_000,
  );
});
