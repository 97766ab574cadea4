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
  const { endpoint, tableName, close } = await connectEngine(values.deployed);
  try {
    const store = new ApiKeyStore(createDynamoClient({ ...process.env, ...(endpoint ? { DYNAMODB_ENDPOINT: endpoint } : {}) }), tableName);
    if (command === 'create') {
      if (!values.scope?.length) throw new Error('create needs at least one --scope');
      const { key, grant } = await store.create({ scopes: values.scope, label: values.label, canDelete: values.delete });
      const { url } = gatewayUrl();
      console.log(`Created key ${grant.id} for ${grant.scopes.join(', ')}${grant.canDelete ? ' (may delete)' : ''}. Use it as: curl -H "Authorization: Bearer <key>" ${url}/v1/${grant.scopes[0]}/devices/<deviceId>/events`);
      console.log('It is shown once, on the next line; store it now:');
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
