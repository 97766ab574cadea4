import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root, where `npm start` runs. */
export const ROOT = resolve(__dirname, '..', '..');

/**
 * The real `npm start` program (node with tsx's loader, as `npm start` runs it) in a child process
 * with `env`, once its banner is printed; `output()` is everything it printed so far (stdout and stderr).
 */
export async function startNpmStart(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C stops it')) {
        clearTimeout(timer);
        resolveStart();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
  });
  return { child, output: () => out };
}

/**
 * Stops an `npm start` as Ctrl-C would and waits for it to exit: on its way out it still writes
 * (the archive's last flush), so its data directory may only be removed after that.
 */
export async function stopNpmStart(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  await exited;
}
