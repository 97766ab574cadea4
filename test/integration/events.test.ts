// First: the handlers' logger reads its level when its module loads.
import '../support/debug-logs';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { createDynamoClient } from '../../shared/aws/clients';
import { EVENT_SOURCE, type EventEnvelope } from '../../shared/events/contract';
import { HttpTargetSink, settleLocalPublications } from '../../shared/events/local';
import { replayStored } from '../../shared/events/replay';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

// `npm start` with EVENTS_TARGET_URL: every stored record is POSTed once, after it is durable, in
// EventBridge's envelope, to a target started here; a duplicate publishes nothing; a failing
// target never changes the webhook's answer; `npm run replay` publishes the records again.

const ROOT = resolve(__dirname, '..', '..');
const SCOPE = '0212312345-00001';
const DEVICE = '990013907835001';
const KEY = 'diag-key-events';
const TOKEN = 'registered-token-events';
const CONNECTIVITY = { username: 'gw-user-events', password: 'pw-events-very-secret' };
const SECRETS = {
  [`thingspace/${SCOPE}/diagnostics`]: { current: { key: KEY, token: TOKEN } },
  [`thingspace/${SCOPE}/connectivity`]: { current: CONNECTIVITY },
};

const schema = JSON.parse(readFileSync(join(ROOT, 'shared', 'events', 'detail.schema.json'), 'utf8'));
// strictRequired is off only because `then: { required: [...] }` names properties declared beside the `if`.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
const validateDetail = ajv.compile(schema);

/** What the target does with a request: take it, answer 500, or close the connection without an answer. */
type Mode = 'accept' | 'fail' | 'close';

/** A node:http target: records every envelope POSTed to it, and whether its record was already in the table then. */
interface Target {
  url: string;
  mode: Mode;
  received: EventEnvelope[];
  /** Requests of any outcome (retries included). */
  attempts: number;
  /** For each accepted envelope: its record was readable in the table when it arrived. */
  durable: boolean[];
  /** For each accepted envelope: the request's content type. */
  contentTypes: (string | undefined)[];
  stop(): Promise<void>;
}

async function startTarget(isStored: (envelope: EventEnvelope) => Promise<boolean>): Promise<Target> {
  const target: Target = { url: '', mode: 'accept', received: [], attempts: 0, durable: [], contentTypes: [], stop: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      target.attempts++;
      if (target.mode === 'close') return req.socket.destroy();
      if (target.mode === 'fail') return res.writeHead(500).end('no');
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EventEnvelope;
      void isStored(envelope).then((stored) => {
        target.received.push(envelope);
        target.durable.push(stored);
        target.contentTypes.push(req.headers['content-type']);
        res.writeHead(200).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events?token=abc`;
  target.stop = () => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    return closed;
  };
  return target;
}

let output: ReturnType<typeof captureOutput>;
let t: TestGateway;
let target: Target;

beforeAll(async () => {
  output = captureOutput();
  // The target checks each record against the table the moment it arrives (the test's own reader).
  target = await startTarget(async ({ detail }) => {
    const records = detail.recordType === 'event' ? await t.events(detail.scopeId, detail.deviceId) : await t.notifications(detail.scopeId, detail.deviceId);
    return records.some((r) => r.id === detail.recordId);
  });
  t = await startTestGateway(SECRETS, { EVENTS_TARGET_URL: target.url, POWERTOOLS_LOG_LEVEL: 'DEBUG' });
});
afterAll(async () => {
  output.restore();
  await t.stop();
  await target.stop();
});

const diagnostics = (minute: number, operation?: string) =>
  JSON.stringify({
    ...(operation ? { transactionID: operation } : {}),
    device: { id: DEVICE, kind: 'imei' },
    status: 'Completed',
    attributes: [{ name: 'LINK_QUALITY', value: `GOOD-${minute}`, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });

async function postDiagnostics(body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${SCOPE}/diagnostics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY, body), 'x-callback-token': TOKEN },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The envelopes received since `from`, once every publication started has settled. */
async function receivedSince(from: number): Promise<EventEnvelope[]> {
  await settleLocalPublications();
  return target.received.slice(from);
}

const problemsOf = (detail: unknown) => (validateDetail(detail) ? [] : validateDetail.errors);

describe('events out, locally (EVENTS_TARGET_URL)', () => {
  it("a signed callback: exactly one event per stored record, after it is durable, in EventBridge's envelope", async () => {
    const from = target.received.length;
    const answer = await postDiagnostics(diagnostics(1, 'tx-events-1'));
    expect(answer).toMatchObject({ status: 200, body: { status: 'stored', events: 1, notifications: 1 } });

    const envelopes = await receivedSince(from);
    expect(envelopes.map((e) => e['detail-type']).sort()).toEqual(['Operation Notification', 'ThingSpace Diagnostics Observation']);
    expect(target.durable.slice(from)).toEqual([true, true]);
    expect(target.contentTypes.slice(from)).toEqual(['application/json', 'application/json']);
    for (const envelope of envelopes) {
      expect(Object.keys(envelope).sort()).toEqual(['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
      expect(envelope).toMatchObject({ version: '0', source: EVENT_SOURCE, account: '000000000000', region: 'us-east-1', resources: [] });
      expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(envelope.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect({ detail: envelope.detail, problems: problemsOf(envelope.detail) }).toEqual({ detail: envelope.detail, problems: [] });
      expect(JSON.stringify(envelope)).not.toContain('rawBody');
    }
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(2);

    // The detail is the record the query API shows, without its raw body.
    const [stored] = await t.events(SCOPE, DEVICE);
    const event = envelopes.find((e) => e.detail.recordType === 'event')!.detail;
    expect(event).toEqual({
      recordType: 'event',
      scopeId: SCOPE,
      deviceId: DEVICE,
      deviceKind: 'imei',
      provider: 'thingspace',
      channel: 'diagnostics',
      resource: stored!.resource,
      action: 'observation',
      operationId: 'tx-events-1',
      sentOn: '2026-11-21T10:01:00.000Z',
      receivedOn: stored!.receivedOn,
      recordId: stored!.id,
      messageId: stored!.messageId,
      payload: stored!.payload,
      replayed: false,
    });
    const [notification] = await t.notifications(SCOPE, DEVICE, 'tx-events-1');
    expect(envelopes.find((e) => e.detail.recordType === 'notification')!.detail).toEqual({
      recordType: 'notification',
      scopeId: SCOPE,
      deviceId: DEVICE,
      provider: 'thingspace',
      channel: 'diagnostics',
      resource: notification!.resource,
      operationId: 'tx-events-1',
      status: 'COMPLETED',
      progress: 100,
      ...(notification!.message !== undefined ? { message: notification!.message } : {}),
      sentOn: '2026-11-21T10:01:00.000Z',
      receivedOn: notification!.createdOn,
      recordId: notification!.id,
      messageId: notification!.messageId,
      replayed: false,
    });
  });

  it('a callback naming two devices: their events share one stored body, and both are published with its payload', async () => {
    const from = target.received.length;
    const body = JSON.stringify({
      requestId: 'req-events-2',
      deviceIds: [
        { id: 'dev-a', kind: 'iccid' },
        { id: 'dev-b', kind: 'imei' },
      ],
      carrierService: { state: 'active' },
      ...CONNECTIVITY,
    });
    const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${SCOPE}/connectivity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);

    const envelopes = await receivedSince(from);
    expect(envelopes).toHaveLength(4);
    const events = envelopes.filter((e) => e.detail.recordType === 'event').map((e) => e.detail);
    expect(events.map((d) => d.deviceId).sort()).toEqual(['dev-a', 'dev-b']);
    expect(events.map((d) => d.payload)).toEqual([{ carrierService: { state: 'active' } }, { carrierService: { state: 'active' } }]);
    for (const envelope of envelopes) expect(problemsOf(envelope.detail)).toEqual([]);
    // Never a credential: the stored body has none, and the raw body is not published anyway.
    expect(JSON.stringify(envelopes)).not.toContain(CONNECTIVITY.password);
  });

  it('a duplicate: acknowledged, and nothing published', async () => {
    const body = diagnostics(2);
    const from = target.received.length;
    expect((await postDiagnostics(body)).body.status).toBe('stored');
    expect((await receivedSince(from)).map((e) => e['detail-type'])).toEqual(['ThingSpace Diagnostics Observation']);
    const afterFirst = target.received.length;

    const again = await postDiagnostics(body);
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await receivedSince(afterFirst)).toEqual([]);
  });

  it.each<[string, Mode, RegExp]>([
    ['answers 500', 'fail', /^HTTP 500$/],
    ['closes the connection', 'close', /^UND_ERR_SOCKET$/],
  ])('a target that %s: the callback still 200 at once, the event retried with backoff, then logged', async (_, mode, cause) => {
    target.mode = mode;
    const attemptsBefore = target.attempts;
    try {
      const started = Date.now();
      const answer = await postDiagnostics(diagnostics(mode === 'fail' ? 3 : 4));
      const answeredInMs = Date.now() - started;
      expect(answer).toMatchObject({ status: 200, body: { status: 'stored' } });
      await settleLocalPublications();
      // The answer did not wait for the retries (0.2 + 0.4 + 0.8 s of backoff).
      expect(answeredInMs).toBeLessThan(1_000);
      expect(target.attempts - attemptsBefore).toBe(4);
    } finally {
      target.mode = 'accept';
    }
    const lines = output
      .text()
      .split('\n')
      .filter((l) => l.includes('event not delivered to EVENTS_TARGET_URL'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines[lines.length - 1]!;
    expect(line).toMatchObject({
      level: 'ERROR',
      target: new URL(target.url).origin,
      detailType: 'ThingSpace Diagnostics Observation',
      attempts: 4,
      cause: expect.stringMatching(cause),
    });
    // The origin only: the URL's path and query (which may hold a token) are not logged.
    expect(output.text()).not.toContain('token=abc');
  });

  it('replay (npm run replay -- --device, a time range): the records again, marked replayed, with progress on the terminal', async () => {
    const from = target.received.length;
    const run = await replayCommand(['--scope', SCOPE, '--device', DEVICE, '--from', '2026-11-21T10:02:00Z', '--to', '2026-11-21T10:03:00Z']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/device 1 of 1 \(990013907835001\): 2 published, 0 failed so far/);
    expect(run.stdout).toMatch(/Replayed 2 record\(s\) of 1 device\(s\) of 0212312345-00001 to http:\/\/127\.0\.0\.1:\d+\/events \(EVENTS_TARGET_URL\)\./);
    expect(run.stdout + run.stderr).not.toContain('token=abc');

    const envelopes = target.received.slice(from);
    // The events sent at 10:02 and 10:03 (the second was the one the failing target never got).
    expect(envelopes.map((e) => [e['detail-type'], e.detail.sentOn, e.detail.replayed])).toEqual([
      ['ThingSpace Diagnostics Observation', '2026-11-21T10:02:00.000Z', true],
      ['ThingSpace Diagnostics Observation', '2026-11-21T10:03:00.000Z', true],
    ]);
    for (const envelope of envelopes) expect(problemsOf(envelope.detail)).toEqual([]);
    const stored = await t.events(SCOPE, DEVICE);
    expect(envelopes.map((e) => e.detail.recordId)).toEqual(
      stored.filter((e) => ['2026-11-21T10:02:00.000Z', '2026-11-21T10:03:00.000Z'].includes(String(e.sentOn))).map((e) => e.id),
    );
  });

  it("replay of a whole scope (the Scan): every device's events and notifications, each once", async () => {
    const from = target.received.length;
    const client = createDynamoClient({ ...process.env, DYNAMODB_ENDPOINT: t.gateway.dynamoEndpoint });
    try {
      const summary = await replayStored(client, t.tableName, new HttpTargetSink(new URL(target.url)), { scopeId: SCOPE });
      expect(summary).toEqual({ devices: 3, published: 9, failed: 0 });
    } finally {
      client.destroy();
    }
    const envelopes = target.received.slice(from);
    // DEVICE: 4 events and 1 notification; dev-a and dev-b: an event and a notification each.
    const key = (e: EventEnvelope) => `${e.detail.recordType} ${e.detail.deviceId} ${e.detail.recordId}`;
    expect(envelopes).toHaveLength(9);
    expect(new Set(envelopes.map(key)).size).toBe(9);
    expect(envelopes.every((e) => e.detail.replayed)).toBe(true);
    expect(envelopes.map((e) => e.detail.deviceId).sort()).toEqual(['dev-a', 'dev-a', 'dev-b', 'dev-b', DEVICE, DEVICE, DEVICE, DEVICE, DEVICE].sort());
  });

  it('replay refuses to run without a scope or without a target, and says how', async () => {
    const noScope = await replayCommand([]);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toMatch(/--scope is required[\s\S]*usage: npm run replay/);
    const noTarget = await replayCommand(['--scope', SCOPE], { EVENTS_TARGET_URL: '' });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/EVENTS_TARGET_URL/);
  });
});

/** `npm run replay -- ...` as a separate program (node + tsx), on this test's engine and target; asynchronous, so the target here can answer. */
function replayCommand(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DYNAMODB_ENDPOINT: t.gateway.dynamoEndpoint,
    TABLE_NAME: t.tableName,
    EVENTS_TARGET_URL: target.url,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    ...extra,
  };
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/replay.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}
