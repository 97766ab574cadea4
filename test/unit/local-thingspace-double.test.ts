import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomApiCredentials, startThingSpaceDouble, type ThingSpaceDouble } from '../../local/thingspace-double';
import { ThingSpaceApiError, ThingSpaceClient } from '../../shared/thingspace/api-client';
import { UwsClient, uwsEndpointsAt } from '../../shared/thingspace/uws-client';

// Issue 22, item 5: ThingSpace refuses a service registered through REST and through the legacy
// UWS (SOAP) service at once (README "Accounts on the legacy SOAP platform"): so does the double,
// both ways; `deliver` picks the registration of the API it is asked for (`api`, over HTTP too).
const ACCOUNT = '0212312345-00001';
const API = randomApiCredentials();
const PAIR = { username: 'gw-user', password: 'gw-pass' };

let double: ThingSpaceDouble;
let listener: Server;
let listenerUrl: string;
/** What the listener received: the path and content type of each callback. */
const received: Array<{ path: string; contentType: string; body: string }> = [];

beforeAll(async () => {
  double = await startThingSpaceDouble({ [ACCOUNT]: API });
  listener = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await double.close();
  await new Promise<void>((r) => listener.close(() => r()));
});

async function rest(): Promise<ThingSpaceClient> {
  const client = new ThingSpaceClient(double.url, 5_000);
  await client.authenticate(API);
  await client.login(API);
  return client;
}
async function uws(): Promise<UwsClient> {
  const client = new UwsClient(uwsEndpointsAt(`${double.url}/api/v2`), 5_000);
  await client.logIn(API);
  return client;
}
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as ThingSpaceApiError,
  );
const deliverOverHttp = async (body: Record<string, unknown>) =>
  (await (await fetch(`${double.url}/_double/deliver`, { method: 'POST', body: JSON.stringify(body) })).json()) as { status: number; text: string };

describe('the ThingSpace double, one service on one API', () => {
  it('refuses a UWS registration of a service registered through REST, and says why', async () => {
    await (await rest()).register('connectivity', ACCOUNT, 'CarrierService', `${listenerUrl}/rest`, PAIR);
    const error = await refusal((await uws()).registerCallback(ACCOUNT, 'CarrierService', `${listenerUrl}/soap`, PAIR));
    expect(error).toBeInstanceOf(ThingSpaceApiError);
    // Not an "already registered" code: the job would unregister through UWS, where nothing is.
    expect(error?.errorCode).toBe('Callback.Conflict');
    expect(double.registrations.has(`uws|${ACCOUNT}|CarrierService`)).toBe(false);
    expect(double.registrations.get(`connectivity|${ACCOUNT}|CarrierService`)?.url).toBe(`${listenerUrl}/rest`);
  });

  it('refuses a REST registration of a service registered through UWS', async () => {
    await (await uws()).registerCallback(ACCOUNT, 'DeviceUsage', `${listenerUrl}/soap`, PAIR);
    const error = await refusal((await rest()).register('connectivity', ACCOUNT, 'DeviceUsage', `${listenerUrl}/rest`, PAIR));
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER' });
    expect(double.registrations.has(`connectivity|${ACCOUNT}|DeviceUsage`)).toBe(false);
  });

  it('delivers through the API it is asked for: SOAP to the UWS listener, REST to the REST one, and says when there is none', async () => {
    const soapPayload = JSON.stringify({ requestId: 'req-soap', device: { kind: 'mdn', id: '8586928930' }, data: { DeviceUsage: { Status: 'Success' } } });
    expect(await double.deliver(ACCOUNT, 'DeviceUsage', soapPayload, 'soap')).toEqual({ status: 200, text: 'ok' });
    expect(received.at(-1)).toMatchObject({ path: '/soap', contentType: 'text/xml; charset=utf-8', body: expect.stringContaining('<CallbackRequest') });

    const restPayload = JSON.stringify({ requestId: 'req-rest', deviceIds: [{ id: '89148000000800139708', kind: 'iccid' }], carrierService: {} });
    expect(await deliverOverHttp({ account: ACCOUNT, service: 'CarrierService', api: 'rest', payload: restPayload })).toEqual({ status: 200, text: 'ok' });
    expect(received.at(-1)).toMatchObject({ path: '/rest', contentType: 'application/json' });

    const count = received.length;
    expect(await deliverOverHttp({ account: ACCOUNT, service: 'CarrierService', api: 'soap', payload: soapPayload })).toEqual({
      status: 0,
      text: `CarrierService of ${ACCOUNT} is not registered through SOAP (UWS); it is through REST`,
    });
    expect(await double.deliver(ACCOUNT, 'StateService', restPayload)).toEqual({ status: 0, text: `StateService of ${ACCOUNT} is not registered` });
    expect(received.length).toBe(count);
    // Without `api`, the one registration of the service.
    expect((await double.deliver(ACCOUNT, 'DeviceUsage', soapPayload)).status).toBe(200);
    expect(received.at(-1)?.path).toBe('/soap');
  });
});
