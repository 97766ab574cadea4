import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The account the local secrets file is created for (the example account of ThingSpace's documents). */
export const DEMO_ACCOUNT = '0212312345-00001';

/**
 * Creates the local secrets file with random values when it is missing: one Shared-Key per
 * HMAC channel of the demo account (shaped like ThingSpace's, a UUID) and a Diagnostics token.
 * The file is created readable by its owner only. Returns true when it was created.
 */
export async function ensureSecretsFile(path: string, account = DEMO_ACCOUNT): Promise<boolean> {
  if (existsSync(path)) return false;
  const secrets = {
    [`thingspace/${account}/diagnostics`]: { current: { key: randomUUID(), token: randomBytes(24).toString('base64url') } },
    [`thingspace/${account}/location`]: { current: { key: randomUUID() } },
    [`thingspace/${account}/device-location`]: { current: { key: randomUUID() } },
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return true;
}
