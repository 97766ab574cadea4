import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCallback, CHANNELS, type CallbackOptions, type SampleChannel } from './callbacks';
import { DEMO_ACCOUNT, DEMO_APP_ID } from './secrets-file';

/**
 * `npm run send -- <channel> [options]`: posts a sample callback, signed (or credentialed, or
 * encrypted) the way its provider would, to a running `npm start`, with the keys of the local
 * secrets file, and prints the answer. Nothing secret is printed.
 */
const USAGE = `usage: npm run send -- <diagnostics|location|device-location|connectivity|soap|sensoro> [options]
  --body <json|xml|@file>  the body to send (default: a sample of the channel)
  --account <name>         ThingSpace account (default ${DEMO_ACCOUNT}); --app <id> for SENSORO (default ${DEMO_APP_ID})
  --wrong                  sign with a wrong key / send a wrong password
  --soap12                 SOAP 1.2 (application/soap+xml) instead of 1.1
  --safe                   SENSORO safe mode (encrypt the data with the AppKey)
  --stale                  SENSORO nonce 10 minutes old
  --url <base>             gateway base URL (default http://127.0.0.1:$PORT, PORT default 3000)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      body: { type: 'string' },
      account: { type: 'string', default: DEMO_ACCOUNT },
      app: { type: 'string', default: DEMO_APP_ID },
      wrong: { type: 'boolean', default: false },
      soap12: { type: 'boolean', default: false },
      safe: { type: 'boolean', default: false },
      stale: { type: 'boolean', default: false },
      url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    },
  });
  const channel = (positionals[0] ?? '') as SampleChannel;
  if (!CHANNELS.includes(channel)) {
    console.error(USAGE);
    process.exit(2);
  }
  const secretsFile = resolve(process.env.SECRETS_FILE ?? `${process.env.DATA_DIR ?? '.local'}/secrets.json`);
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, { current: Record<string, string> }>;
  const secret = (name: string) => {
    const value = secrets[name]?.current;
    if (!value) throw new Error(`No secret ${name} in ${secretsFile}`);
    return value;
  };
  const given = values.body?.startsWith('@') ? readFileSync(values.body.slice(1), 'utf8') : values.body;
  const { path, headers, payload } = buildCallback(channel, { ...values, body: given } as CallbackOptions, secret);

  const res = await fetch(`${values.url}${path}`, { method: 'POST', headers, body: payload });
  console.log(`POST ${values.url}${path} -> ${res.status}`);
  console.log(await res.text());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
