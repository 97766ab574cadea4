import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../../local/gateway';
import { startEngine, startProxy } from './engine';
import { storedEvents, storedNotifications } from './records';

export interface TestGateway {
  gateway: RunningGateway;
  /** Reads the table directly (not through the proxy). */
  db: DynamoDBDocumentClient;
  tableName: string;
  /** Makes the table unreachable for the handlers, and back. */
  cutStore(): Promise<void>;
  restoreStore(): Promise<void>;
  writeSecrets(secrets: Record<string, unknown>): void;
  countUnder(pk: string): Promise<number>;
  /** A device's stored events, decoded as the query API decodes them. */
  events(scopeId: string, deviceId: string): Promise<Record<string, unknown>[]>;
  /** A device's stored notifications (of one operation when named), decoded likewise. */
  notifications(scopeId: string, deviceId: string, operationId?: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * The local server started in-process on a free port, exactly as `npm start` starts it, with a
 * fresh table on a real engine reached through a loopback proxy (so tests can cut it), and a
 * secrets file the test writes.
 */
export async function startTestGateway(secrets: Record<string, unknown>, extraEnv: Record<string, string> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-'));
  const engine = await startEngine();
  const proxy = await startProxy(engine.endpoint);
  const tableName = `gateway-test-${randomUUID()}`;
  const secretsFile = join(dir, 'secrets.json');
  const writeSecrets = (value: Record<string, unknown>) => writeFileSync(secretsFile, JSON.stringify(value));
  writeSecrets(secrets);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DYNAMODB_ENDPOINT: proxy.endpoint,
    TABLE_NAME: tableName,
    SECRETS_FILE: secretsFile,
    SECRET_MIN_REFRESH_MS: '0',
    DYNAMODB_MAX_ATTEMPTS: '2',
    POWERTOOLS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'SILENT',
    ...extraEnv,
  });
  // The archive is its own concern (test/integration/archive.test.ts, through the real npm start):
  // these tests count the engine's requests and cut it, and an archive flush would read it too.
  const gateway = await startGateway({ port: 0, dataDir: dir, archive: false });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: engine.endpoint }));
  return {
    gateway,
    db,
    tableName,
    cutStore: () => proxy.cut(),
    restoreStore: () => proxy.restore(),
    writeSecrets,
    countUnder: async (pk) => {
      const out = await db.send(
        new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Select: 'COUNT' }),
      );
      return out.Count ?? 0;
    },
    events: (scopeId, deviceId) => storedEvents(db, tableName, scopeId, deviceId),
    notifications: (scopeId, deviceId, operationId) => storedNotifications(db, tableName, scopeId, deviceId, operationId),
    stop: async () => {
      db.destroy();
      await gateway.close();
      await proxy.stop();
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
