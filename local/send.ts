import './env';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCallback, CHANNELS, type SampleChannel } from './callbacks';
import { dataDirOf, gatewayUrl, noGatewayMessage } from './running';
import { DEMO_ACCOUNT, DEMO_APP_ID } from './secrets-file';

/**
 * `npm run send -- <channel> [options]`: posts a sample callback, signed (or credentialed, or
 * encrypted) the way its provider would, to the running `npm start` (found through its data
 * directory), with the keys of the local secrets file, and prints the answer. Nothing secret is
 * printed.
 */
const USAGE = `usage: npm run send -- <channel> [options]
  channel                  ${CHANNELS.join(' | ')}
  --body <json|xml|@file>  the body to send (default: a sample of the channel)
  --account <name>         ThingSpace account (default ${DEMO_ACCOUNT}); --app <id> for SENSORO (default ${DEMO_APP_ID})
  --wrong                  sign with a wrong key / send a wrong password
  --soap12                 SOAP 1.2 (application/soap+xml) instead of 1.1
  --safe                   SENSORO safe mode (encrypt the data with the AppKey)
  --stale                  SENSORO nonce 10 minutes old
  --fixed                  the same sample every time (its second send is a duplicate); by default every
                           send is a new message (its own id and time), stored and published
  --url <base>             gateway base URL (default: the npm start running on DATA_DIR, else PORT, else 3000)
  --help                   this text`;

/** Exit codes: 0 sent (whatever the answer), 1 nothing answered or no secrets, 2 a usage error. */
async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        body: { type: 'string' },
        account: { type: 'string', default: DEMO_ACCOUNT },
        app: { type: 'string', default: DEMO_APP_ID },
        wrong: { type: 'boolean', default: false },
        soap12: { type: 'boolean', default: false },
        safe: { type: 'boolean', default: false },
        stale: { type: 'boolean', default: false },
        fixed: { type: 'boolean', default: false },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const channel = positionals[0] as SampleChannel | undefined;
  if (!channel || !CHANNELS.includes(channel)) {
    console.error(`${channel ? `Unknown channel "${channel}".` : 'Name a channel.'} Channels: ${CHANNELS.join(', ')}.\n\n${USAGE}`);
    return 2;
  }
  const secretsFile = process.env.SECRETS_FILE ?? join(dataDirOf(), 'secrets.json');
  if (!existsSync(secretsFile)) {
    console.error(`No secrets file at ${secretsFile}: \`npm start\` creates it on its first start.`);
    return 1;
  }
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, { current: Record<string, string> }>;
  const secret = (name: string) => {
    const value = secrets[name]?.current;
    if (!value) throw new Error(`No secret ${name} in ${secretsFile}`);
    return value;
  };
  const { url, from } = gatewayUrl(values.url);
  const given = values.body?.startsWith('@') ? readFileSync(values.body.slice(1), 'utf8') : values.body;
  const { path, headers, payload } = buildCallback(channel, { ...values, url, body: given }, secret);

  let res: Response;
  try {
    res = await fetch(`${url}${path}`, { method: 'POST', headers, body: payload });
  } catch {
    console.error(noGatewayMessage(url, from));
    return 1;
  }
  console.log(`POST ${url}${path} -> ${res.status}`);
  console.log(await res.text());
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
