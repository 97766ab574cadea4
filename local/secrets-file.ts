import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomApiCredentials } from './thingspace-double';

/** The account the local secrets file is created for (the example account of ThingSpace's documents). */
export const DEMO_ACCOUNT = '0212312345-00001';
/** The SENSORO application the local secrets file is created for (the AppID of SENSORO's examples). */
export const DEMO_APP_ID = '123456';

/**
 * Creates the local secrets file with random values when it is missing: one Shared-Key per
 * HMAC channel of the demo account (shaped like ThingSpace's, a UUID), a Diagnostics token, the
 * Connectivity username/password, and the demo SENSORO application's AppKey and AppSecret.
 * The file is created readable by its owner only. Returns true when it was created.
 */
export async function ensureSecretsFile(path: string, account = DEMO_ACCOUNT, appId = DEMO_APP_ID): Promise<boolean> {
  if (existsSync(path)) return false;
  const random = () => randomBytes(24).toString('base64url');
  const secrets = {
    [`thingspace/${account}/diagnostics`]: { current: { key: randomUUID(), token: random() } },
    [`thingspace/${account}/location`]: { current: { key: randomUUID() } },
    [`thingspace/${account}/device-location`]: { current: { key: randomUUID() } },
    [`thingspace/${account}/connectivity`]: { current: { username: `gw-${random().slice(0, 8)}`, password: random() } },
    // API credentials for `npm run reregister` (the local ThingSpace double accepts these).
    [`thingspace/${account}/api`]: { current: randomApiCredentials() },
    // A SENSORO AppKey is 43 base64 characters (32 bytes without the trailing '=').
    [`sensoro/${appId}`]: { current: { appKey: randomBytes(32).toString('base64').slice(0, 43), appSecret: random() } },
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return true;
}
