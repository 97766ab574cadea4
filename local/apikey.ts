import './env';
import { parseArgs } from 'node:util';
import { ApiKeyStore } from '../shared/apikeys/store';
import { createDynamoClient } from '../shared/aws/clients';
import { connectEngine } from './engine';
import { ENGINE_FILE } from './gateway';
import { gatewayUrl } from './running';

const USAGE = `usage: npm run apikey -- <command>
  create --scope <scopeId> [--scope <scopeId> ...] [--label <text>] [--delete]
                     a new key; printed once, alone on the last line
  list               every key, one a line: id, scopes, right, created, label (right: read, or
                     delete; never the key itself)
  revoke <id>        revoke the key with that id (a gateway that accepted it recently keeps accepting
                     it for up to apiKeyCacheTtlSeconds, API_KEY_CACHE_TTL_SECONDS: 30 s by default)
Where: DYNAMODB_ENDPOINT when set; with --deployed, the AWS account of your credentials
(TABLE_NAME = the stack's TableName output); else the engine of a running \`npm start\`
(found through DATA_DIR/${ENGINE_FILE}) or, when none runs, the data in DATA_DIR (default .local).`;

/** How long the authorizer remembers a key: this environment's API_KEY_CACHE_TTL_SECONDS, else the default (as the stack's). */
function keyCacheSeconds(): number {
  const value = Number(process.env.API_KEY_CACHE_TTL_SECONDS);
  return process.env.API_KEY_CACHE_TTL_SECONDS && Number.isInteger(value) && value >= 0 ? value : 30;
}

/** `npm run apikey`: manages the query API's keys, locally or on a deployed table. Exit codes: 0 done, 1 failed, 2 a usage error. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        scope: { type: 'string', multiple: true },
        label: { type: 'string' },
        delete: { type: 'boolean', default: false },
        deployed: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  const [command, argument] = positionals;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(`${command ? `Unknown command "${command}".` : 'Name a command.'} Commands: create, list, revoke.\n\n${USAGE}`);
    process.exit(2);
  }
  const { endpoint, tableName, close } = await connectEngine(values.deployed);
  try {
    const store = new ApiKeyStore(createDynamoClient({ ...process.env, ...(endpoint ? { DYNAMODB_ENDPOINT: endpoint } : {}) }), tableName);
    if (command === 'create') {
      if (!values.scope?.length) throw new Error('create needs at least one --scope');
      const { key, grant } = await store.create({ scopes: values.scope, label: values.label, canDelete: values.delete });
      const { url } = gatewayUrl();
      console.log(
        `Created key ${grant.id} for ${grant.scopes.join(', ')}${grant.canDelete ? ' (may delete)' : ''}. Use it as: curl -H "Authorization: Bearer <key>" ${url}/v1/${grant.scopes[0]}/devices/<deviceId>/events`,
      );
      console.log('It is shown once, on the next line; store it now:');
      console.log(key);
    } else if (command === 'list') {
      const grants = await store.list();
      if (grants.length === 0) console.log('No keys.');
      else {
        // The columns the usage names, in its order; two spaces at least between them.
        const rows = [
          ['ID', 'SCOPES', 'RIGHT', 'CREATED', 'LABEL'],
          ...grants.map((g) => [g.id, g.scopes.join(','), g.canDelete ? 'delete' : 'read', g.createdOn, g.label]),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows)
          console.log(
            r
              .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
              .join('  ')
              .trimEnd(),
          );
      }
    } else {
      if (!argument) throw new Error('revoke needs the key id (see list)');
      if (!(await store.revoke(argument))) throw new Error(`No key with id ${argument}`);
      const ttl = keyCacheSeconds();
      console.log(
        `Revoked ${argument}. It may still work for up to ${ttl} s where a gateway checked it recently: ` +
          'the authorizer remembers a key for apiKeyCacheTtlSeconds (API_KEY_CACHE_TTL_SECONDS, default 30 s).',
      );
    }
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
