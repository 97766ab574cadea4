// Runs in its own process (bench/cost.ts forks it): the gateway's handler modules build their
// clients for the engine of the process that first loads them, and this one must be DynamoDB Local.
import './quiet';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCallback, type SampleChannel } from '../local/callbacks';
import { diagnosticsBody } from './bodies';
import { startGateway } from '../local/gateway';
import { DEMO_ACCOUNT, DEMO_APP_ID } from '../local/secrets-file';
import { ApiKeyStore } from '../shared/apikeys/store';
import { createDynamoClient } from '../shared/aws/clients';
import { encryptSensoro } from '../shared/sensoro/crypto';
import { signSensoro } from '../shared/sensoro/signature';
import { signHmac } from '../shared/thingspace/hmac';
import { installCapacityMeter, meter, type CapacityEntry } from './capacity';
import { startDynamoDbLocal } from './dynamodb-local';
import { bareItem } from './servers';

installCapacityMeter();

export interface CallbackCost {
  name: string;
  status: number;
  /** Write units per DynamoDB request, table and indexes together. */
  writeUnits: number;
  /** Write units on indexes alone (0 in the lean layout). */
  indexWriteUnits: number;
  /** Of writeUnits, those of device items (`DV#`: a device this webhook container had not written within the refresh interval). */
  deviceWriteUnits: number;
  /** Device items written (UpdateItem on `DV#`). */
  deviceWrites: number;
  readUnits: number;
  /** Items written (successful PutItems), and their size as DynamoDB bills storage. */
  itemsWritten: number;
  storedBytes: number;
  /** Bytes kept at steady state: each item weighted by how long it lives (a receipt 7 days) over the 365-day retention. */
  keptBytes: number;
  /** The same body as a bare listener stores it: one PutItem, measured on the same engine. */
  bareWriteUnits: number;
  bareBytes: number;
  requests: { command: string; pk?: string; writeUnits: number; readUnits: number; itemBytes?: number; attributes?: string[]; failed?: string }[];
}

export interface QueryCost {
  name: string;
  status: number;
  returned: number;
  readUnits: number;
  requests: number;
}

export interface CostProbeResult {
  callbacks: CallbackCost[];
  queries: QueryCost[];
  seeded: { device: string; notifications: number; events: number; operations: number };
}

/** The retention the probe's gateway runs with (RETENTION_DAYS). */
const RETENTION_DAYS = 365;

async function main(): Promise<CostProbeResult> {
  const local = await startDynamoDbLocal();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cost-'));
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: local.endpoint,
    TABLE_NAME: 'bench-cost',
    RETENTION_DAYS: String(RETENTION_DAYS),
    API_KEY_CACHE_TTL_SECONDS: '300',
  });
  const gateway = await startGateway({ port: 0, dataDir: dir, archive: false });
  const raw = new DynamoDBClient({ endpoint: local.endpoint });
  const documents = createDynamoClient();
  try {
    const secrets = JSON.parse(readFileSync(gateway.secretsFile, 'utf8')) as Record<string, { current: Record<string, string> }>;
    const secret = (name: string) => secrets[name]!.current;
    const options = { url: gateway.url, account: DEMO_ACCOUNT, app: DEMO_APP_ID };

    const post = async (path: string, headers: Record<string, string>, payload: string) => {
      const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers, body: payload });
      await res.text();
      return res.status;
    };

    /** Sends one callback and sums what its DynamoDB requests consumed; then stores the bare listener's item for the same body. */
    const measure = async (
      name: string,
      request: { path: string; headers: Record<string, string>; payload: string },
      device: string,
    ): Promise<CallbackCost> => {
      const mark = meter.mark();
      const sentAt = Date.now() / 1000;
      const status = await post(request.path, request.headers, request.payload);
      const entries = meter.since(mark);
      const bare = bareItem(DEMO_ACCOUNT, device, randomBytes(12).toString('base64url'), Buffer.from(request.payload));
      const bareMark = meter.mark();
      await documents.send(new PutCommand({ TableName: 'bench-bare', Item: bare }));
      const bareEntries = meter.since(bareMark);
      const written = entries.filter((e) => e.command === 'PutItemCommand' && !e.failed);
      const devices = entries.filter((e) => e.pk?.startsWith('DV#'));
      return {
        name,
        status,
        writeUnits: sum(entries, (e) => e.writeUnits + sum(Object.values(e.indexes), (u) => u)),
        indexWriteUnits: sum(entries, (e) => sum(Object.values(e.indexes), (u) => u)),
        deviceWriteUnits: sum(devices, (e) => e.writeUnits),
        deviceWrites: devices.length,
        readUnits: sum(entries, (e) => e.readUnits),
        itemsWritten: written.length,
        storedBytes: sum(written, (e) => e.itemBytes ?? 0),
        keptBytes: sum(written, (e) => (e.itemBytes ?? 0) * Math.min(1, e.expiresAt === undefined ? 1 : (e.expiresAt - sentAt) / 86_400 / RETENTION_DAYS)),
        bareWriteUnits: sum(bareEntries, (e) => e.writeUnits),
        bareBytes: sum(bareEntries, (e) => e.itemBytes ?? 0),
        requests: entries.map(({ command, pk, writeUnits, readUnits, itemBytes, attributes, failed }) => ({
          command,
          pk,
          writeUnits,
          readUnits,
          itemBytes,
          attributes,
          ...(failed ? { failed } : {}),
        })),
      };
    };

    await raw.send(
      new CreateTableCommand({
        TableName: 'bench-bare',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );

    const build = (channel: SampleChannel, extra: Partial<Parameters<typeof buildCallback>[1]> = {}) =>
      buildCallback(channel, { ...options, ...extra }, secret);
    const hmac = (channel: 'diagnostics' | 'location' | 'device-location', payload: string) => ({
      path: `/webhooks/thingspace/${DEMO_ACCOUNT}/${channel}`,
      headers: {
        'content-type': 'application/json',
        'x-signature': signHmac(secret(`thingspace/${DEMO_ACCOUNT}/${channel}`).key!, payload).toString('hex'),
        ...(channel === 'diagnostics' ? { 'x-callback-token': secret(`thingspace/${DEMO_ACCOUNT}/diagnostics`).token! } : {}),
      },
      payload,
    });
    const sensoro = (push: Record<string, unknown>) => {
      const payload = JSON.stringify(push);
      const nonce = String(Date.now());
      const path = `/webhooks/sensoro/${DEMO_APP_ID}`;
      return {
        path,
        headers: {
          'content-type': 'application/json',
          'x-access-id': DEMO_APP_ID,
          'x-access-nonce': nonce,
          'x-access-signature': signSensoro(secret(`sensoro/${DEMO_APP_ID}`).appSecret!, nonce, 'POST', `${gateway.url}${path}`, payload).toString('base64'),
        },
        payload,
      };
    };

    const t0 = Date.parse('2026-11-21T10:00:00.000Z');
    const DEVICE = '990013907835573';
    const callbacks: CallbackCost[] = [];
    // Operations new and known: the lean layout writes the same either way (no summary), and shows it.
    callbacks.push(await measure('diagnostics sample (npm run send), new operation', build('diagnostics'), DEVICE));
    callbacks.push(
      await measure(
        'diagnostics sample (npm run send), known operation',
        build('diagnostics', { body: diagnosticsBody(DEVICE, 1, t0 + 60_000, 'tx-0001') }),
        DEVICE,
      ),
    );
    const tenAttributes = hmac('diagnostics', diagnosticsBody(DEVICE, 10, t0 + 120_000, 'tx-0001'));
    callbacks.push(await measure('diagnostics, 10 attributes (~1 KB), known operation', tenAttributes, DEVICE));
    callbacks.push(
      await measure('diagnostics, 10 attributes (~1 KB), new operation', hmac('diagnostics', diagnosticsBody(DEVICE, 10, t0 + 180_000, 'tx-0002')), DEVICE),
    );
    callbacks.push(await measure('diagnostics, 10 attributes (~1 KB), no operation', hmac('diagnostics', diagnosticsBody(DEVICE, 10, t0 + 240_000)), DEVICE));
    callbacks.push(await measure('location (report ready, no device, no time)', build('location'), DEMO_ACCOUNT));
    callbacks.push(await measure('device-location result', build('device-location'), DEVICE));
    callbacks.push(await measure('connectivity, one device (no time)', build('connectivity'), '89148000000800139708'));
    const three = {
      requestId: 'req-0003',
      deviceIds: ['89148000000800139711', '89148000000800139712', '89148000000800139713'].map((id) => ({ id, kind: 'iccid' })),
      carrierService: { state: 'active' },
    };
    callbacks.push(await measure('connectivity, three devices (no time)', build('connectivity', { body: JSON.stringify(three) }), '89148000000800139711'));
    callbacks.push(await measure('soap CallbackRequest (no time)', build('soap'), '8586928930'));
    const push = {
      appId: DEMO_APP_ID,
      sn: '0117C9XXXX',
      type: 'text',
      deviceType: 'node',
      createdTime: t0,
      msgId: 1001,
      data: { battery: 90, temperature: 21.5 },
    };
    callbacks.push(await measure('sensoro sensor data', sensoro(push), '0117C9XXXX'));
    const safeData = encryptSensoro(secret(`sensoro/${DEMO_APP_ID}`).appKey!, DEMO_APP_ID, JSON.stringify({ battery: 88, temperature: 21.0 }));
    callbacks.push(
      await measure(
        'sensoro sensor data, safe mode',
        sensoro({ appId: DEMO_APP_ID, sn: '0117C9XXXX', type: 'text', deviceType: 'node', createdTime: t0 + 1000, msgId: 1002, encryptData: safeData }),
        '0117C9XXXX',
      ),
    );
    callbacks.push(
      await measure(
        'sensoro task result',
        sensoro({
          appId: DEMO_APP_ID,
          sn: '0117C9XXXX',
          type: 'event',
          taskId: 'task-77',
          resultCode: 0,
          createdTime: t0 + 2000,
          msgId: 1003,
          resultData: { sn: '0117C9XXXX' },
        }),
        '0117C9XXXX',
      ),
    );
    callbacks.push(await measure('duplicate: the 10-attribute diagnostics again', tenAttributes, DEVICE));
    // The devices resource: a device's item is written on its first callback in a container, and not again within the hour.
    const NEW_DEVICE = '990013907835999';
    callbacks.push(
      await measure(
        'new device: its first callback (10-attribute diagnostics, no operation)',
        hmac('diagnostics', diagnosticsBody(NEW_DEVICE, 10, t0)),
        NEW_DEVICE,
      ),
    );
    callbacks.push(
      await measure(
        'new device: its second callback within the hour (same container)',
        hmac('diagnostics', diagnosticsBody(NEW_DEVICE, 10, t0 + 60_000)),
        NEW_DEVICE,
      ),
    );
    const forged = hmac('diagnostics', diagnosticsBody(DEVICE, 10, t0 + 300_000, 'tx-0001'));
    forged.headers['x-signature'] = signHmac('not-the-key', forged.payload).toString('hex');
    callbacks.push(await measure('forged: a wrong signature (rejection record)', forged, DEVICE));
    await post(forged.path, forged.headers, forged.payload); // fill a slot, so the next one may reuse one (as in a flood)
    callbacks.push(await measure('forged again (rejection slot reused or new)', forged, DEVICE));

    // A device with a few hundred records: 240 observations of 4 operations, 30 without one, 30 location results.
    const Q = 'cost-query-device';
    let sent = 0;
    for (let i = 0; i < 240; i++, sent++) await post(...spread(hmac('diagnostics', diagnosticsBody(Q, 2, t0 + i * 60_000, `tx-q${i % 4}`))));
    for (let i = 0; i < 30; i++, sent++) await post(...spread(hmac('diagnostics', diagnosticsBody(Q, 2, t0 + (240 + i) * 60_000))));
    for (let i = 0; i < 30; i++, sent++) {
      const body = JSON.stringify({
        txid: `loc-q${i}`,
        id: Q,
        kind: 'imei',
        location: { x: '33.45', y: '-84.59', radius: '1000', time: new Date(t0 + (270 + i) * 60_000).toISOString() },
      });
      await post(...spread(hmac('device-location', body)));
    }

    const keys = new ApiKeyStore(createDynamoClient(), 'bench-cost');
    const { key } = await keys.create({ scopes: [DEMO_ACCOUNT], label: 'bench' });
    const base = `/v1/${DEMO_ACCOUNT}/devices/${Q}`;
    const ask = async (name: string, method: string, path: string, body?: unknown): Promise<QueryCost> => {
      const mark = meter.mark();
      const res = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const answer = (await res.json()) as { size?: number; count?: number; id?: string };
      // The API key look-up is the authorizer's (cached 5 minutes here); only the query's own reads count.
      const entries = meter.since(mark).filter((e) => e.pk !== 'APIKEY');
      return {
        name,
        status: res.status,
        returned: answer.size ?? answer.count ?? (answer.id !== undefined ? 1 : 0),
        readUnits: sum(entries, (e) => e.readUnits),
        requests: entries.length,
      };
    };
    await ask('warm-up', 'GET', `${base}/events?limit=1`);
    const queries = [
      await ask('notifications of one operation, page of 50 (sentOn)', 'GET', `${base}/operations/tx-q1/notifications?limit=50`),
      await ask('notifications, page of 50, createdOn (sorted at query time)', 'GET', `${base}/operations/tx-q1/notifications?limit=50&sortParam=createdOn`),
      await ask('events of the device, page of 50 (sentOn)', 'GET', `${base}/events?limit=50`),
      await ask('events, page of 50, resource=device-location (filter)', 'GET', `${base}/events?limit=50&resource=device-location`),
      await ask('events, page of 50, receivedOn (sorted at query time)', 'GET', `${base}/events?limit=50&sortParam=receivedOn`),
      await ask('_count of one operation', 'POST', `${base}/operations/tx-q1/notifications/_count`, {}),
      await ask('_count of the events', 'POST', `${base}/events/_count`, {}),
      await ask('GET /operations (34 operations, page of 50)', 'GET', `${base}/operations?limit=50`),
      // The scope's devices: each device of a page costs one one-item query of its newest event.
      await ask('devices of the scope, page of 50 (lastEventOn: sorted at query time)', 'GET', `/v1/${DEMO_ACCOUNT}/devices?limit=50`),
      await ask('devices of the scope, page of 50 (clientId: the key order)', 'GET', `/v1/${DEMO_ACCOUNT}/devices?limit=50&sortParam=clientId`),
      await ask('one device (GET /devices/{deviceId})', 'GET', `/v1/${DEMO_ACCOUNT}/devices/${Q}`),
      await ask('_count of the devices', 'POST', `/v1/${DEMO_ACCOUNT}/devices/_count`, {}),
    ];
    return { callbacks, queries, seeded: { device: Q, notifications: 270, events: sent, operations: 34 } };
  } finally {
    raw.destroy();
    documents.destroy();
    await gateway.close();
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function spread(r: { path: string; headers: Record<string, string>; payload: string }): [string, Record<string, string>, string] {
  return [r.path, r.headers, r.payload];
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((s, t) => s + f(t), 0);
}

export type { CapacityEntry };

main().then(
  (result) => {
    process.send!(result, () => process.exit(0));
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
