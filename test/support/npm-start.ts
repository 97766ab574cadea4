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
