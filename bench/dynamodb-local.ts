import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, withTimeout } from './lib';

/**
 * AWS's own DynamoDB Local (Java), in memory on a free loopback port, fetched the way
 * scripts/with-dynamodb-local.sh fetches it (that script also installs a JRE when none is there).
 * The cost group needs it: dynalite does not report consumed capacity, DynamoDB Local does.
 */
export async function startDynamoDbLocal(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const dir = execFileSync('bash', [join(ROOT, 'scripts/with-dynamodb-local.sh'), '--fetch-only'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const port = await freePort();
  const child = spawn(
    'java',
    ['-Djava.library.path=./DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar', '-inMemory', '-port', String(port), '-disableTelemetry'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (${code})`))));
  await withTimeout(
    Promise.race([
      exited,
      (async () => {
        for (;;) {
          try {
            await fetch(endpoint);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      })(),
    ]),
    60_000,
    'starting DynamoDB Local',
  );
  exited.catch(() => undefined);
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await withTimeout(done, 10_000, 'stopping DynamoDB Local').catch(() => child.kill('SIGKILL'));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
