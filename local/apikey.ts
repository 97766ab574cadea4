import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiKeyStore } from '../shared/apikeys/store';
import { createDynamoClient } from '../shared/aws/clients';
import { closeServer, ENGINE_FILE, startEmbeddedEngine } from './gateway';
import { ensureTable } from './table';

const USAGE = `usage: npm run apikey -- <command>
  create --scope <scopeId> [--scope <scopeId> ...] [--label <text>] [--delete]
                     a new key; printed once, alone on the last line
  list               every key: id, scopes, delete right, label, created (never the key)
  revoke <id>        revoke the key with that id
Where: DYNAMODB_ENDPOINT when set; with --deployed, the AWS account of your credentials
(TABLE_NAME = the stack's TableName output); else the engine of a running \`npm start\`
(found through DATA_DIR/${ENGINE_FILE}) or, when none runs, the data in DATA_DIR (default .local).`;

/** `npm run apikey`: manages the query API's keys, locally or on a deployed table. */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scope: { type: 'string', multiple: true },
      label: { type: 'string' },
      delete: { type: 'boolean', default: false },
      deployed: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const { endpoint, tableName, close } = await engine(values.deployed);
  try {
    const store = new ApiKeyStore(createDynamoClient({ ...process.env, ...(endpoint ? { DYNAMODB_ENDPOINT: endpoint } : {}) }), tableName);
    if (command === 'create') {
      if (!values.scope?.length) throw new Error('create needs at least one --scope');
      const { key, grant } = await store.create({ scopes: values.scope, label: values.label, canDelete: values.delete });
      console.log(`Created key ${grant.id} for ${grant.scopes.join(', ')}${grant.canDelete ? ' (may delete)' : ''}. It is shown once; store it now:`);
      console.log(key);
    } else if (command === 'list') {
      const grants = await store.list();
      if (grants.length === 0) console.log('No keys.');
      for (const g of grants) console.log(`${g.id}  ${g.scopes.join(',')}  ${g.canDelete ? 'delete' : 'read'}  ${g.createdOn}  ${g.label}`);
    } else {
      if (!argument) throw new Error('revoke needs the key id (see list)');
      if (!(await store.revoke(argument))) throw new Error(`No key with id ${argument}`);
      console.log(`Revoked ${argument}.`);
    }
  } finally {
    await close();
  }
}

/** The engine to talk to, in the order the usage text gives. */
async function engine(deployed: boolean): Promise<{ endpoint?: string; tableName: string; close: () => Promise<void> }> {
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
