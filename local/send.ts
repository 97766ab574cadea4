import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encryptSensoro } from '../shared/sensoro/crypto';
import { signSensoro } from '../shared/sensoro/signature';
import { signHmac } from '../shared/thingspace/hmac';
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

const SAMPLES: Record<string, () => string> = {
  diagnostics: () =>
    JSON.stringify({ transactionID: 'tx-0001', device: { id: '990013907835573', kind: 'imei' }, attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: '-71', createdOn: new Date().toISOString() }] }),
  location: () => JSON.stringify({ txid: 'report-0007', status: 'Completed' }),
  'device-location': () =>
    JSON.stringify({ txid: 'loc-0042', id: '990013907835573', kind: 'imei', location: { x: '33.45', y: '-84.59', radius: '1000', time: '20261121100500' } }),
  connectivity: () => JSON.stringify({ requestId: 'req-0001', deviceIds: [{ id: '89148000000800139708', kind: 'iccid' }], carrierService: { state: 'active' } }),
  soap: () => '<CarrierService><StateChange>Active</StateChange></CarrierService>',
  sensoro: () => JSON.stringify({ battery: 90, temperature: 21.5 }),
};

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
  const channel = positionals[0] ?? '';
  if (!SAMPLES[channel]) {
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
  const body = given ?? SAMPLES[channel]!();
  const wrong = (s: string) => (values.wrong ? `${s}-wrong` : s);

  let path: string;
  let payload: string;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (channel === 'sensoro') {
    const { appKey, appSecret } = secret(`sensoro/${values.app}`);
    path = `/webhooks/sensoro/${values.app}`;
    const data = JSON.parse(body) as Record<string, unknown>;
    const push = { appId: values.app, sn: '0117C9XXXX', type: 'text', deviceType: 'node', createdTime: Date.now(), msgId: Date.now() };
    payload = JSON.stringify(values.safe ? { ...push, encryptData: encryptSensoro(appKey!, values.app!, JSON.stringify(data)) } : { ...push, data });
    const nonce = String(Date.now() - (values.stale ? 10 * 60_000 : 0));
    const url = `${values.url}${path}`;
    Object.assign(headers, {
      'x-access-id': values.app,
      'x-access-nonce': nonce,
      'x-access-signature': signSensoro(wrong(appSecret!), nonce, 'POST', url, payload).toString('base64'),
    });
  } else if (channel === 'connectivity' || channel === 'soap') {
    const { username, password } = secret(`thingspace/${values.account}/connectivity`);
    path = `/webhooks/thingspace/${values.account}/${channel}`;
    if (channel === 'connectivity') {
      payload = JSON.stringify({ ...JSON.parse(body), username, password: wrong(password!) });
    } else {
      const ns = values.soap12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
      payload = body.includes('Envelope')
        ? body
        : `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${ns}"><s:Body><CallbackRequest xmlns="http://nphase.com/unifiedwebservice/v2">` +
          `<Username>${username}</Username><Password>${wrong(password!)}</Password><RequestId>req-soap-${Date.now()}</RequestId>` +
          `<Device><Kind>mdn</Kind><Identifier>8586928930</Identifier></Device><Data>${body}</Data></CallbackRequest></s:Body></s:Envelope>`;
      headers['content-type'] = values.soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
    }
  } else {
    const { key, token } = secret(`thingspace/${values.account}/${channel}`);
    path = `/webhooks/thingspace/${values.account}/${channel}`;
    payload = body;
    headers['x-signature'] = signHmac(wrong(key!), payload).toString('hex');
    if (token) headers['x-callback-token'] = token;
  }

  const res = await fetch(`${values.url}${path}`, { method: 'POST', headers, body: payload });
  console.log(`POST ${values.url}${path} -> ${res.status}`);
  console.log(await res.text());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
