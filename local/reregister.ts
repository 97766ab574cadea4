import './env';
import { resolve } from 'node:path';
import { jobConfig } from '../shared/reregister/config';
import { runReregistration } from '../shared/reregister/job';
import { RegistrationStatusStore } from '../shared/reregister/status';
import { createDynamoClient } from '../shared/aws/clients';
import { FileSecretSource } from '../shared/secrets/file-source';
import { ThingSpaceClient } from '../shared/thingspace/api-client';
import { connectEngine } from './engine';
import { runningGateway } from './running';
import { DEMO_ACCOUNT } from './secrets-file';

/**
 * `npm run reregister`: one pass of the re-registration job against THINGSPACE_BASE_URL and, for
 * accounts with `"api":"soap"`, UWS_BASE_URL (both the local double by default), with the local
 * secrets file and engine, printing what it changed. Rotated values land in SECRETS_FILE, which a
 * running `npm start` picks up on the next mismatch.
 */
async function main(): Promise<void> {
  const env = process.env;
  env.REGISTRATIONS ||= JSON.stringify([{ account: DEMO_ACCOUNT, services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'] }]);
  if (!env.THINGSPACE_BASE_URL) {
    // Nothing configured: both APIs are the local double's (never Verizon's UWS by default from here).
    env.THINGSPACE_BASE_URL = 'http://127.0.0.1:3900';
    env.UWS_BASE_URL ||= 'http://127.0.0.1:3900/api/v2';
  } else if (!env.UWS_BASE_URL && isLoopback(env.THINGSPACE_BASE_URL)) {
    // The double on another port (THINGSPACE_DOUBLE_PORT) serves UWS too: not Verizon's UWS beside a local REST.
    env.UWS_BASE_URL = `${env.THINGSPACE_BASE_URL.replace(/\/+$/, '')}/api/v2`;
  }
  if (!env.PUBLIC_BASE_URL) {
    // Register the webhooks of the running `npm start`, wherever it listens; never a guess.
    const running = runningGateway();
    if (!running && !env.PORT) {
      console.error(
        'No `npm start` runs on this data directory, so there is no webhook URL to register.\n' +
          'Start it first (`npm start` in another terminal), or set PUBLIC_BASE_URL to the URL ThingSpace should call.',
      );
      process.exitCode = 1;
      return;
    }
    env.PUBLIC_BASE_URL = running?.url ?? `http://127.0.0.1:${env.PORT}`;
  }
  try {
    await fetch(env.THINGSPACE_BASE_URL, { signal: AbortSignal.timeout(3_000) });
  } catch {
    console.error(
      `No ThingSpace answered at ${env.THINGSPACE_BASE_URL}.\n` +
        'Start the local double first (`npm run thingspace-double` in another terminal), or set THINGSPACE_BASE_URL.',
    );
    process.exitCode = 1;
    return;
  }
  const secretsFile = resolve(env.SECRETS_FILE ?? `${env.DATA_DIR ?? '.local'}/secrets.json`);
  const config = jobConfig(env);
  const { endpoint, tableName, close } = await connectEngine(process.argv.includes('--deployed'));
  try {
    const status = new RegistrationStatusStore(createDynamoClient({ ...env, ...(endpoint ? { DYNAMODB_ENDPOINT: endpoint } : {}) }), tableName);
    const changes = await runReregistration(config, {
      secrets: new FileSecretSource(secretsFile),
      status,
      client: () => new ThingSpaceClient(config.thingspaceBaseUrl),
    });
    const uws = config.uws ? ` and UWS at ${config.uws.sessionUrl}` : '';
    console.log(`Re-registration against ${config.thingspaceBaseUrl}${uws}, webhooks under ${config.publicBaseUrl}:`);
    for (const c of changes) console.log(`  ${c.account}  ${c.service.padEnd(16)} ${c.action}${c.detail ? ` (${c.detail})` : ''}`);
    const changed = changes.filter((c) => c.action === 'registered' || c.action === 'rotated').length;
    console.log(changed === 0 ? 'Nothing changed.' : `${changed} registration(s) changed; secrets written to ${secretsFile}.`);
    const failed = changes.filter((c) => c.action === 'error').length;
    if (failed > 0) {
      console.log(`${failed} failed: the error is beside each.`);
      process.exitCode = 1;
    }
  } finally {
    await close();
  }
}

/** A URL on this machine (the local double), not a ThingSpace deployment. */
function isLoopback(text: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(text).hostname);
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
