import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CHANNEL_NAMES, CHANNELS } from '../shared/channels';
import { thingspaceApiSecretName } from '../shared/secret-names';
import { randomApiCredentials } from './thingspace-double';

/** The account the local secrets file is created for (the example account of ThingSpace's documents). */
export const DEMO_ACCOUNT = '0212312345-00001';
/** The SENSORO application the local secrets file is created for (the AppID of SENSORO's examples). */
export const DEMO_APP_ID = '123456';

/**
 * Creates the local secrets file with random values when it is missing: each channel's secret
 * for the demo account or application, made by the channel's own generator (shared/channels.ts:
 * a Shared-Key per HMAC channel shaped like ThingSpace's, a UUID, a Diagnostics token, the
 * Connectivity username/password, the SENSORO AppKey and AppSecret), and the account's API credentials.
 * The file is created readable by its owner only. Returns true when it was created.
 */
export async function ensureSecretsFile(path: string, account = DEMO_ACCOUNT, appId = DEMO_APP_ID): Promise<boolean> {
  if (existsSync(path)) return false;
  const secrets: Record<string, { current: object }> = {};
  for (const channel of CHANNEL_NAMES) {
    const { scopeParam, secretName, localSecret } = CHANNELS[channel];
    const name = secretName(scopeParam === 'appId' ? appId : account);
    // Channels sharing a secret (SOAP and Connectivity) get one value.
    secrets[name] ??= { current: localSecret() };
  }
  // API credentials for `npm run reregister` (the local ThingSpace double accepts these).
  secrets[thingspaceApiSecretName(account)] = { current: randomApiCredentials() };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return true;
}
