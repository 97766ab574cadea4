import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ensureTable } from '../../local/table';
import { acceptCallback } from '../../shared/accept';
import type { CallbackFacts } from '../../shared/mapping';
import type { ReceivedCallback } from '../../shared/model';
import { CallbackStore, onStoredItems } from '../../shared/store/callback-store';
import { eventPk } from '../../shared/store/table';
import { startEngine } from '../support/engine';

// A first delivery whose write answer is lost: the put reached the table, the SDK saw a network
// error and retried, and the retry found the item there. That is this delivery's own earlier
// attempt, not a redelivery: it is acknowledged `stored` and published. A real redelivery stays a
// duplicate. Real engine; the lost answer is injected into the SDK's own middleware stack.

let engine: Awaited<ReturnType<typeof startEngine>>;
const tableName = `store-retry-${randomUUID()}`;
const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

beforeAll(async () => {
  Object.assign(process.env, env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  engine = await startEngine();
  const admin = new DynamoDBClient({ endpoint: engine.endpoint });
  await ensureTable(admin, tableName);
  admin.destroy();
});
afterAll(async () => {
  await engine.stop();
});

/**
 * A client that loses the answer of the first attempt of its next `lose` PutItems after the put
 * took effect (ECONNRESET, which the SDK retries; the retry's answer arrives).
 */
function lossyClient() {
  const base = new DynamoDBClient({ endpoint: engine.endpoint, maxAttempts: 3 });
  const state = { lose: 0, lost: 0 };
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const attempt = String((args.request as { headers?: Record<string, string> }).headers?.['amz-sdk-request'] ?? '');
      if (context.commandName === 'PutItemCommand' && attempt.startsWith('attempt=1;') && state.lose > 0) {
        state.lose--;
        state.lost++;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
      }
      return out;
    },
    { step: 'deserialize', name: 'loseAnswerAfterPut' },
  );
  return { client: DynamoDBDocumentClient.from(base), state, destroy: () => base.destroy() };
}

const SCOPE = '0212312345-00001';

function callback(device: string, receivedOn: Date, body = `{"device":"${device}"}`): ReceivedCallback {
  return { provider: 'thingspace', channel: 'diagnostics', scopeId: SCOPE, body: Buffer.from(body), receivedOn };
}

function facts(device: string, sentOn?: Date): CallbackFacts {
  return {
    devices: [{ id: device, kind: 'imei' }],
    resource: 'diagnostics',
    action: 'observation',
    ...(sentOn ? { sentOn } : {}),
    payload: () => ({}),
    operation: { id: `op-${device}`, status: 'RUNNING', progress: 0 },
  };
}

/** Accepts a callback and collects what this process publishes for it. */
async function accept(store: CallbackStore, received: ReceivedCallback, f: CallbackFacts) {
  const published: Record<string, unknown>[] = [];
  const stop = onStoredItems((items) => published.push(...items));
  try {
    return { acceptance: await acceptCallback(store, received, f, Date.now()), published };
  } finally {
    stop();
  }
}

describe('a first delivery whose write answer was lost', () => {
  it('with a provider time: stored (not duplicate) and published; a later redelivery is a duplicate, published nothing', async () => {
    const db = lossyClient();
    const store = new CallbackStore(db.client, { tableName, retentionDays: 30 });
    const first = new Date('2026-11-21T12:00:00.000Z');
    const sentOn = new Date('2026-11-21T11:59:58.000Z');
    db.state.lose = 2; // the event's and the notification's answers
    const { acceptance, published } = await accept(store, callback('dev-lost-1', first), facts('dev-lost-1', sentOn));
    expect(db.state.lost).toBe(2);
    expect(acceptance.status).toBe('stored');
    expect(published).toHaveLength(2);

    const again = await accept(store, callback('dev-lost-1', new Date(first.getTime() + 60_000)), facts('dev-lost-1', sentOn));
    expect(again.acceptance.status).toBe('duplicate');
    expect(again.published).toHaveLength(0);
    db.destroy();
  });

  it('without a provider time (receipt first): stored and published; a later redelivery is a duplicate', async () => {
    const db = lossyClient();
    const store = new CallbackStore(db.client, { tableName, retentionDays: 30 });
    const first = new Date('2026-11-21T12:00:00.000Z');
    db.state.lose = 3; // the receipt's, the event's and the notification's answers
    const { acceptance, published } = await accept(store, callback('dev-lost-2', first), facts('dev-lost-2'));
    expect(db.state.lost).toBe(3);
    expect(acceptance.status).toBe('stored');
    expect(published).toHaveLength(2);

    const again = await accept(store, callback('dev-lost-2', new Date(first.getTime() + 60_000)), facts('dev-lost-2'));
    expect(again.acceptance).toMatchObject({ status: 'duplicate', messageId: acceptance.messageId });
    expect(again.published).toHaveLength(0);
    db.destroy();
  });

  it('never rewrites a record a redelivery finds: the first delivery’s receive time stays', async () => {
    const db = lossyClient();
    const store = new CallbackStore(db.client, { tableName, retentionDays: 30 });
    const sentOn = new Date('2026-11-21T11:00:00.000Z');
    const first = new Date('2026-11-21T12:00:00.000Z');
    await accept(store, callback('dev-lost-3', first), facts('dev-lost-3', sentOn));
    db.state.lose = 1; // a redelivery whose own answer is lost: its retry must still see a duplicate
    const again = await accept(store, callback('dev-lost-3', new Date(first.getTime() + 5_000)), facts('dev-lost-3', sentOn));
    expect(again.acceptance.status).toBe('duplicate');
    const { Items } = await db.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': eventPk(SCOPE, 'dev-lost-3') },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items![0]!.r).toBe(first.getTime());
    db.destroy();
  });
});
