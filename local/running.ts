import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Written into DATA_DIR while `npm start` runs (readable by its owner only): where it answers,
 * which process it is and where it publishes events, so the helper commands (`npm run send`,
 * `url`, `apikey`, `reregister`, `replay`) find it whatever port it took, and a second `npm start`
 * on the same data refuses instead of breaking the first.
 */
export const GATEWAY_FILE = 'gateway.json';

export interface RunningRecord {
  url: string;
  pid: number;
  dataDir: string;
  startedOn: string;
  /** The EVENTS_TARGET_URL it publishes to, when it was started with one (may hold a token: never printed whole). */
  eventsTargetUrl?: string;
}

/** The data directory local commands use: DATA_DIR, default `.local`. */
export const dataDirOf = (env: NodeJS.ProcessEnv = process.env) => resolve(env.DATA_DIR ?? '.local');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The gateway running on `dataDir`, when its record names a live process (a record left by a killed one is ignored). */
export function runningGateway(dataDir = dataDirOf()): RunningRecord | undefined {
  const file = join(dataDir, GATEWAY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunningRecord;
    return typeof record.url === 'string' && Number.isInteger(record.pid) && record.pid !== process.pid && alive(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** A second gateway on the same data directory would break the first (one process may hold the engine's files). */
export class AlreadyRunningError extends Error {
  constructor(readonly running: RunningRecord) {
    super(
      `Another gateway already runs on this data directory (${running.dataDir}), at ${running.url} (process ${running.pid}).\n` +
        'Use that one, stop it first (Ctrl-C in its terminal), or give this one its own data: DATA_DIR=.local-2 PORT=3001 npm start',
    );
    this.name = 'AlreadyRunningError';
  }
}

/**
 * The gateway URL a helper command should call: `--url` when given, else the running `npm start`
 * on DATA_DIR, else PORT, else port 3000; with where it came from, for the error message.
 */
export function gatewayUrl(given?: string, env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (given) return { url: given.replace(/\/+$/, ''), from: '--url' };
  const running = runningGateway(dataDirOf(env));
  if (running) return { url: running.url, from: `the running npm start (${join(running.dataDir, GATEWAY_FILE)})` };
  if (env.PORT) return { url: `http://127.0.0.1:${env.PORT}`, from: 'PORT' };
  return { url: 'http://127.0.0.1:3000', from: `the default: no npm start runs on ${dataDirOf(env)}` };
}

/** What to tell a user who needs a running gateway on `dataDir` and has none: one sentence. */
export function noRunningGatewayMessage(dataDir = dataDirOf()): string {
  return `No npm start runs on ${dataDir}: start it first (\`npm start\` in another terminal${dataDir === resolve('.local') ? '' : `, with DATA_DIR=${process.env.DATA_DIR ?? dataDir}`}).`;
}

/** A URL as the local commands print it: its origin and path, never its credentials or query (either may hold a token). */
export function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** What to tell a user whose request found no gateway at `url`. */
export function noGatewayMessage(url: string, from: string): string {
  return `No gateway answered at ${url} (${from}).\nStart it first with \`npm start\` in another terminal, or pass --url <base URL> of a running one.`;
}
