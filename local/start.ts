import './env';
import { relative } from 'node:path';
import { DEMO_ACCOUNT } from './secrets-file';
import { startGateway } from './gateway';
import { AlreadyRunningError, shownUrl } from './running';

/** `npm start`: the whole gateway on one machine, and a banner that fits on one screen. */
async function main(): Promise<void> {
  const gateway = await startGateway();
  const shown = (path: string) => relative(process.cwd(), path) || path;
  const device = `${gateway.url}/v1/${DEMO_ACCOUNT}/devices/990013907835573`;
  console.log(
    [
      `IoT callback gateway listening on ${gateway.url}`,
      `  data ${shown(gateway.dataDir)} (DynamoDB ${gateway.dynamoEndpoint}, table ${gateway.tableName}); secrets ${shown(gateway.secretsFile)}${gateway.createdSecrets ? ' (created with random keys)' : ''}`,
      '',
      'In another terminal in this folder:',
      '  npm run send -- diagnostics        a signed sample callback (also: location, device-location, connectivity, soap, sensoro)',
      `  KEY=$(npm run --silent apikey -- create --scope ${DEMO_ACCOUNT} --label me | tail -n 1)`,
      `  curl -s -H "Authorization: Bearer $KEY" ${device}/events`,
      '',
      'Webhooks (POST): /webhooks/thingspace/{account}/{diagnostics|location|device-location|connectivity|soap}, /webhooks/sensoro/{appId}',
      `Console:         ${gateway.url}/console`,
      `Query API:       ${gateway.url}/v1/{scopeId}/devices/{deviceId}/... (Kapua-shaped; described at /v1/openapi.json)`,
      process.env.EVENTS_TARGET_URL
        ? `Events:          each stored record is POSTed to ${shownUrl(process.env.EVENTS_TARGET_URL)}`
        : 'Events:          EVENTS_TARGET_URL=<url> npm start POSTs each stored record there',
      gateway.archiveDir
        ? `Archive:         ${shown(gateway.archiveDir)} (npm run archive -- query "SELECT channel, count(*) FROM callbacks GROUP BY channel")`
        : 'Archive:         off (ARCHIVE=off)',
      'Ctrl-C stops it. The README walks through every channel and query.',
    ].join('\n'),
  );
  const stop = () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof AlreadyRunningError ? error.message : `Failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
