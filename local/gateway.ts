import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import dynalite from 'dynalite';
import { createDynamoClient } from '../shared/aws/clients';
import { localPublisher, settleLocalPublications, targetUrl } from '../shared/events/local';
import { onStoredItems } from '../shared/store/callback-store';
import { LocalArchiver } from '../shared/archive/local';
import { envInt } from '../shared/config';
import { tableBodyReader } from '../shared/store/published';
import { ROUTES } from '../shared/routes';
import { ensureSecretsFile } from './secrets-file';
import { createLocalServer } from './server';
import { AlreadyRunningError, GATEWAY_FILE, runningGateway, type RunningRecord } from './running';
import { ensureTable } from './table';

export interface GatewayOptions {
  /** HTTP port; 0 picks a free one. Default: PORT or 3000. */
  port?: number;
  host?: string;
  /** Where the embedded engine keeps its data. Default: DATA_DIR or `.local`. */
  dataDir?: string;
  /** Archive every stored callback under DATA_DIR/archive. Default: on, unless ARCHIVE=off. */
  archive?: boolean;
}

export interface RunningGateway {
  url: string;
  /** Where every stored callback is archived (DATA_DIR/archive), the layout of the deployed archive; undefined when off. */
  archiveDir?: string;
  /** Where the engine's data, the secrets file and the running record live. */
  dataDir: string;
  /** The DynamoDB endpoint the handlers write to. */
  dynamoEndpoint: string;
  tableName: string;
  secretsFile: string;
  /** True when this start created the secrets file. */
  createdSecrets: boolean;
  close(): Promise<void>;
}

const ROOT = resolve(__dirname, '..');

/** The archive's folder under DATA_DIR: `npm run archive` reads it. */
export const ARCHIVE_DIR = 'archive';

/** Written into DATA_DIR while `npm start` runs its embedded engine: `{endpoint, tableName}`. */
export const ENGINE_FILE = 'engine.json';

/**
 * Local mode: the embedded DynamoDB engine (dynalite, on disk under DATA_DIR, on loopback) or the
 * engine at DYNAMODB_ENDPOINT, the table, the secrets file, and the HTTP server. Settings are the
 * environment variables the Lambdas read; this sets the ones it decides (DYNAMODB_ENDPOINT,
 * TABLE_NAME, SECRETS_FILE) before any handler module is loaded.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const env = process.env;
  const dataDir = resolve(options.dataDir ?? env.DATA_DIR ?? '.local');
  const archiveDir = join(dataDir, ARCHIVE_DIR);
  const tableName = (env.TABLE_NAME ||= 'iot-gateway');
  const secretsFile = (env.SECRETS_FILE ||= join(dataDir, 'secrets.json'));
  env.AWS_REGION ||= 'us-east-1';
  // Local engines accept any credentials; the SDK insists on having some.
  env.AWS_ACCESS_KEY_ID ||= 'local';
  env.AWS_SECRET_ACCESS_KEY ||= 'local';
  env.POWERTOOLS_SERVICE_NAME ||= 'iot-callback-gateway';
  // Metrics (CloudWatch EMF lines) mean nothing on one machine: off unless asked for.
  env.POWERTOOLS_METRICS_DISABLED ||= 'true';

  // The handlers load on their first request: a bad URL is refused now, not as that request's 500.
  if (env.EVENTS_TARGET_URL) targetUrl(env.EVENTS_TARGET_URL);

  await mkdir(dataDir, { recursive: true });
  // Before touching the engine's files: a second gateway on them would break the first.
  const running = runningGateway(dataDir);
  if (running) throw new AlreadyRunningError(running);
  let engine: Server | undefined;
  const engineFile = join(dataDir, ENGINE_FILE);
  let stopPublishing = () => undefined as void;
  let stopArchiving = () => undefined as void;
  let archiver: LocalArchiver | undefined;
  // A start that fails after the engine came up leaves nothing behind: no engine, no engine.json
  // (a later `npm run apikey` would look for an engine that is gone).
  const undo = async () => {
    stopPublishing();
    stopArchiving();
    await archiver?.close();
    if (engine) await closeServer(engine);
    await rm(engineFile, { force: true });
  };
  const server = createLocalServer(ROUTES, ROOT);
  const host = options.host ?? '127.0.0.1';
  let dynamoEndpoint: string;
  let createdSecrets: boolean;
  try {
    if (!env.DYNAMODB_ENDPOINT) {
      engine = await startEmbeddedEngine(join(dataDir, 'dynamodb'));
      env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
      // Tells `npm run apikey` where the running engine is (LevelDB allows one process on the data).
      await writeFile(engineFile, JSON.stringify({ endpoint: env.DYNAMODB_ENDPOINT, tableName }) + '\n');
    }
    dynamoEndpoint = env.DYNAMODB_ENDPOINT;

    const admin = new DynamoDBClient({ endpoint: dynamoEndpoint });
    await ensureTable(admin, tableName);
    admin.destroy();
    createdSecrets = await ensureSecretsFile(secretsFile);
    // The local stream consumers read shared bodies back from the engine, as their Lambdas do.
    const dynamo = createDynamoClient({ ...env, DYNAMODB_ENDPOINT: dynamoEndpoint });
    // EVENTS_TARGET_URL: every record a handler stores is published there once durable, through the
    // publishing code the stack's stream publisher runs (in AWS the table's stream does this).
    if (env.EVENTS_TARGET_URL) stopPublishing = onStoredItems(localPublisher(env.EVENTS_TARGET_URL, dynamo, tableName));
    // Every stored callback to DATA_DIR/archive, through the stack's archiver code (in AWS the table's stream does this).
    if (options.archive ?? env.ARCHIVE !== 'off') {
      archiver = new LocalArchiver(archiveDir, tableBodyReader(dynamo, tableName), envInt('ARCHIVE_FLUSH_SECONDS', 5, { min: 1, max: 3_600 }, env));
      stopArchiving = onStoredItems(archiver.listener);
    }
    const wanted = options.port ?? Number(env.PORT ?? 3000);
    try {
      await listen(server, wanted, host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${wanted} is already in use on ${host}. Pick another: PORT=${wanted + 1} npm start`);
      }
      throw error;
    }
  } catch (error) {
    await undo();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  // The URL SENSORO signs is the gateway's configured public one (in AWS the stack sets the API's
  // URL): locally, this server's own, unless the user set one.
  if (!env.SENSORO_PUBLIC_BASE_URL || env.SENSORO_PUBLIC_BASE_URL_LOCAL === 'true') {
    env.SENSORO_PUBLIC_BASE_URL = url;
    env.SENSORO_PUBLIC_BASE_URL_LOCAL = 'true';
  }
  const gatewayFile = join(dataDir, GATEWAY_FILE);
  const record: RunningRecord = {
    url,
    pid: process.pid,
    dataDir,
    startedOn: new Date().toISOString(),
    ...(env.EVENTS_TARGET_URL ? { eventsTargetUrl: env.EVENTS_TARGET_URL } : {}),
  };
  // Owner only, as the secrets file: EVENTS_TARGET_URL may carry a token (`npm run replay` reads it here).
  await writeFile(gatewayFile, JSON.stringify(record) + '\n', { mode: 0o600 });
  await chmod(gatewayFile, 0o600);

  return {
    url,
    ...(archiver ? { archiveDir } : {}),
    dataDir,
    dynamoEndpoint,
    tableName,
    secretsFile,
    createdSecrets,
    close: async () => {
      await closeServer(server);
      stopPublishing();
      stopArchiving();
      // Events of callbacks already answered still reach EVENTS_TARGET_URL, and the archive (they may read the engine).
      await settleLocalPublications();
      await archiver?.close();
      await rm(gatewayFile, { force: true });
      if (engine) {
        await closeServer(engine);
        await rm(engineFile, { force: true });
      }
    },
  };
}

/** dynalite on loopback, its data on disk at `path` (LevelDB), so a restart loses nothing. */
export async function startEmbeddedEngine(path: string, port = 0): Promise<Server> {
  const engine = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(engine, port, '127.0.0.1');
  return engine;
}

/** Closes a server without waiting for idle keep-alive sockets (the SDK keeps some open). */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  return closed;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
}
