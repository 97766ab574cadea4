import './env';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startThingSpaceDouble, type DoubleAccount } from './thingspace-double';

/**
 * `npm run thingspace-double`: the ThingSpace test double on THINGSPACE_DOUBLE_PORT (default
 * 3900), REST APIs and the legacy UWS SOAP services (under `/api/v2/`), accepting the API
 * credentials of every `thingspace/{account}/api` in the local secrets file, so `npm run
 * reregister` has something to register with.
 */
async function main(): Promise<void> {
  const file = resolve(process.env.SECRETS_FILE ?? `${process.env.DATA_DIR ?? '.local'}/secrets.json`);
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { current?: DoubleAccount }>;
  const accounts = Object.fromEntries(
    Object.entries(secrets)
      .filter(([name, value]) => /^thingspace\/[^/]+\/api$/.test(name) && value.current)
      .map(([name, value]) => [name.split('/')[1]!, value.current!]),
  );
  const double = await startThingSpaceDouble(accounts, Number(process.env.THINGSPACE_DOUBLE_PORT ?? 3900));
  console.log(
    `ThingSpace test double on ${double.url} for ${Object.keys(accounts).join(', ') || 'no account (add thingspace/{account}/api to the secrets file)'}`,
  );
  console.log('Deliver a callback to a registered listener, signed with the Shared-Key the double issued:');
  console.log(
    `  curl -s ${double.url}/_double/deliver -d '{"account":"0212312345-00001","service":"Diagnostics","payload":"{\\"transactionID\\":\\"tx-1\\",\\"device\\":{\\"id\\":\\"990013907835573\\",\\"kind\\":\\"imei\\"}}"}'`,
  );
  console.log(`UWS (SOAP) services at ${double.url}/api/v2/SessionService.svc and …/CallbackRegistrationService.svc (UWS_BASE_URL=${double.url}/api/v2).`);
  console.log('A service is registered through REST or SOAP, not both (as ThingSpace refuses). Through SOAP, then a CallbackRequest envelope:');
  console.log(
    `  THINGSPACE_BASE_URL=${double.url} REGISTRATIONS='[{"account":"0212312345-00001","services":["DeviceUsage"],"api":"soap"}]' npm run reregister`,
  );
  console.log(
    `  curl -s ${double.url}/_double/deliver -d '{"account":"0212312345-00001","service":"DeviceUsage","api":"soap","payload":"{\\"requestId\\":\\"req-1\\",\\"device\\":{\\"kind\\":\\"mdn\\",\\"id\\":\\"8586928930\\"},\\"data\\":{\\"DeviceUsage\\":{\\"Status\\":\\"Success\\"}}}"}'`,
  );
  const stop = () => void double.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
