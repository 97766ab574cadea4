import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { closeServer, ENGINE_FILE, startEmbeddedEngine } from './gateway';
import { ensureTable } from './table';

/**
 * The DynamoDB engine a local command talks to: DYNAMODB_ENDPOINT when set; with `deployed`, AWS
 * (TABLE_NAME required); else the engine of a running `npm start` (DATA_DIR/engine.json), else the
 * data in DATA_DIR opened with an embedded engine of our own (closed by `close`).
 */
export async function connectEngine(deployed: boolean): Promise<{ endpoint?: string; tableName: string; close: () => Promise<void> }> {
  const env = process.env;
  const none = async () => undefined;
  if (env.DYNAMODB_ENDPOINT) return { endpoint: env.DYNAMODB_ENDPOINT, tableName: env.TABLE_NAME || 'iot-gateway', close: none };
  if (deployed) {
    if (!env.TABLE_NAME) throw new Error('--deployed needs TABLE_NAME (the stack output TableName)');
    return { tableName: env.TABLE_NAME, close: none };
  }
  env.AWS_REGION ||= 'us-east-1';
  env.AWS_ACCESS_KEY_ID ||= 'local';
  env.AWS_SECRET_ACCESS_KEY ||= 'local';
  const dataDir = resolve(env.DATA_DIR ?? '.local');
  const file = join(dataDir, ENGINE_FILE);
  if (existsSync(file)) {
    const running = JSON.parse(readFileSync(file, 'utf8')) as { endpoint: string; tableName: string };
    const probe = new DynamoDBClient({ endpoint: running.endpoint, maxAttempts: 1, requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 } });
    try {
      await probe.send(new DescribeTableCommand({ TableName: running.tableName }));
      return { ...running, close: none };
    } catch {
      // A stale file from a stopped `npm start`: open the data ourselves.
    } finally {
      probe.destroy();
    }
  }
  const server = await startEmbeddedEngine(join(dataDir, 'dynamodb'));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tableName = env.TABLE_NAME || 'iot-gateway';
  const admin = new DynamoDBClient({ endpoint });
  await ensureTable(admin, tableName);
  admin.destroy();
  return { endpoint, tableName, close: () => closeServer(server) };
}
