import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventPk } from '../../shared/store/table';
import { CHANNELS, loadRequest, loadSecretsFile, sendAll } from '../support/load';
import { startNpmStart } from '../support/npm-start';

// The real `npm start` program in a child process, killed (SIGKILL) mid-load and started again on
// the same data: every callback that got a 2xx must still be there. With the embedded engine the
// engine dies with it (its data on disk); with DYNAMODB_ENDPOINT the engine outlives the server.
const external = process.env.DYNAMODB_ENDPOINT;
const tableName = `crash-${Date.now()}`;
const dataDir = mkdtempSync(join(tmpdir(), 'crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => r(port));
    });
  });
}

async function start(port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, TABLE_NAME: tableName, POWERTOOLS_LOG_LEVEL: 'SILENT' };
  delete env.SECRETS_FILE;
  // One process (node with tsx's loader), so SIGKILL kills the server itself, not a wrapper.
  return (await startNpmStart(env)).child;
}

it('a server killed mid-load and started again on the same data still has every callback it acknowledged', async () => {
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify(loadSecretsFile()));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  child = await start(port);

  const requests = Array.from({ length: 800 }, (_, i) => loadRequest(CHANNELS[i % CHANNELS.length]!, i, url));
  let answered = 0;
  const statuses = await sendAll(url, requests, 10, () => {
    if (++answered === 250) child!.kill('SIGKILL');
  });
  const acknowledged = requests.filter((_, i) => statuses[i] === 200);
  expect(acknowledged.length).toBeGreaterThanOrEqual(240);
  expect(statuses.filter((s) => s === -1).length).toBeGreaterThan(0); // the kill did cut the load

  child = await start(port);
  const endpoint = external ?? (JSON.parse(readFileSync(join(dataDir, 'engine.json'), 'utf8')) as { endpoint: string }).endpoint;
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const missing: string[] = [];
  for (const r of acknowledged) {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': eventPk(r.scope, r.device) },
        Select: 'COUNT',
      }),
    );
    if (out.Count !== 1) missing.push(r.device);
  }
  db.destroy();
  expect(missing).toEqual([]);
}, 180_000);
