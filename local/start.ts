import { readFileSync } from 'node:fs';
import { DEMO_ACCOUNT } from './secrets-file';
import { startGateway } from './gateway';
import { ROUTES } from '../shared/routes';

/** `npm start`: the whole gateway on one machine. */
async function main(): Promise<void> {
  const gateway = await startGateway();
  const secrets = JSON.parse(readFileSync(gateway.secretsFile, 'utf8')) as Record<string, unknown>;
  const demo = `thingspace/${DEMO_ACCOUNT}/diagnostics`;
  const lines = [
    `IoT callback gateway listening on ${gateway.url}`,
    `  DynamoDB: ${gateway.dynamoEndpoint} (table ${gateway.tableName})`,
    `  Secrets:  ${gateway.secretsFile}${gateway.createdSecrets ? ' (created with random keys)' : ''}`,
    '',
    'Webhooks:',
    ...ROUTES.filter((r) => !r.fn.authorized).map((r) => `  ${r.method.padEnd(6)} ${gateway.url}${r.path}`),
    '',
    `Query API (Kapua-shaped, Authorization: Bearer <api key>): ${gateway.url}/v1/{scopeId}/devices/{deviceId}/...`,
    `  create a key:  npm run apikey -- create --scope ${DEMO_ACCOUNT} --label me   (the key is the last line)`,
    `  then:          curl -H "Authorization: Bearer $KEY" ${gateway.url}/v1/${DEMO_ACCOUNT}/devices/990013907835573/operations/tx-0001/notifications`,
    `  description:   ${gateway.url}/v1/openapi.json`,
    '',
  ];
  if (demo in secrets) {
    // The example reads the key from the secrets file itself: nothing secret is printed here.
    lines.push(
      'Try a signed Diagnostics callback (paste into a shell in this folder):',
      '',
      `  BODY='{"transactionID":"tx-0001","device":{"id":"990013907835573","kind":"imei"},"attributes":[{"name":"RADIO_SIGNAL_STRENGTH","value":"-71","createdOn":"2026-11-21T10:00:00.000Z"}]}'`,
      `  SECRET='${demo}'`,
      `  KEY=$(node -p "require('${gateway.secretsFile}')[process.argv[1]].current.key" "$SECRET")`,
      `  TOKEN=$(node -p "require('${gateway.secretsFile}')[process.argv[1]].current.token" "$SECRET")`,
      `  SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY" -hex | sed 's/^.* //')`,
      `  curl -i -X POST ${gateway.url}/webhooks/thingspace/${DEMO_ACCOUNT}/diagnostics \\`,
      `    -H 'content-type: application/json' -H "x-signature: $SIG" -H "x-callback-token: $TOKEN" -d "$BODY"`,
      '',
      'Send it twice: both answers are 200, the second says "duplicate". Change one byte of $SIG for a 401;',
      'post to another account (e.g. 0000000000-00000) for a 503 (no secret configured).',
      '',
      'Or let `npm run send` sign, credential or encrypt a sample for any channel with the keys of the secrets file:',
      '  npm run send -- connectivity            npm run send -- soap [--soap12] [--wrong]',
      '  npm run send -- sensoro [--safe]        npm run send -- sensoro --stale     (401: nonce outside the window)',
    );
  }
  console.log(lines.join('\n'));
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
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
