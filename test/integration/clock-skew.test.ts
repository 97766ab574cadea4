import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { acceptCallback } from '../../shared/accept';
import { MAX_FUTURE_SKEW_MS, type CallbackFacts } from '../../shared/mapping';
import { CallbackStore } from '../../shared/store/callback-store';
import { timeOfId } from '../../shared/record-ids';
import { ATTR, eventPk, notificationPk, TABLE } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

// A provider time far ahead of the receive time (a device clock that says 2031) must not set the
// record's place in time: the id takes the receive time, the record keeps the provider's time.

const ACCOUNT = '0212312345-00001';
const KEY = { key: 'diag-key-1', token: 'registered-token-1' };

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ [`thingspace/${ACCOUNT}/diagnostics`]: { current: KEY } });
});
afterAll(async () => {
  await t.stop();
});

async function send(device: string, createdOn: string, value = '-71', operation = 'obs-skew') {
  const body = JSON.stringify({
    transactionID: operation,
    device: { id: device, kind: 'imei' },
    attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value, createdOn }],
  });
  const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${ACCOUNT}/diagnostics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY.key, body), 'x-callback-token': KEY.token },
    body,
  });
  return (await res.json()) as { status: string; messageId: string };
}

async function items(pk: string) {
  return (
    (await t.db.send(new QueryCommand({ TableName: t.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items ?? []
  );
}

describe('a provider time far ahead of the receive time', () => {
  it('keys the records by the receive time and keeps the provider time as sentOn', async () => {
    const before = Date.now();
    const answer = await send('dev-2031', '2031-01-01T00:00:00.000Z');
    const after = Date.now();
    expect(answer.status).toBe('stored');
    const idTime = timeOfId(answer.messageId)!;
    expect(idTime).toBeGreaterThanOrEqual(before);
    expect(idTime).toBeLessThanOrEqual(after);
    const [event] = await items(eventPk(ACCOUNT, 'dev-2031'));
    const [notification] = await items(notificationPk(ACCOUNT, 'dev-2031'));
    expect(event?.[ATTR.sentOn]).toBe(Date.parse('2031-01-01T00:00:00.000Z'));
    expect(notification?.[ATTR.sentOn]).toBe(Date.parse('2031-01-01T00:00:00.000Z'));
    const [shown] = await t.events(ACCOUNT, 'dev-2031');
    expect(shown?.sentOn).toBe('2031-01-01T00:00:00.000Z');
  });

  it('sorts before a later callback with an honest clock (newest first puts the honest one first)', async () => {
    await send('dev-2031-b', '2031-06-01T00:00:00.000Z', '-70');
    await new Promise((r) => setTimeout(r, 5));
    const honest = await send('dev-2031-b', new Date().toISOString(), '-60');
    const ids = (await items(eventPk(ACCOUNT, 'dev-2031-b'))).map((i) => String(i[TABLE.sortKey])).sort();
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(honest.messageId);
  });

  it('is stored once when redelivered (the receipt keeps the first receive time)', async () => {
    const first = await send('dev-2031-c', '2031-01-01T00:00:00.000Z');
    await new Promise((r) => setTimeout(r, 5));
    const again = await send('dev-2031-c', '2031-01-01T00:00:00.000Z');
    expect(again).toMatchObject({ status: 'duplicate', messageId: first.messageId });
    expect(await items(eventPk(ACCOUNT, 'dev-2031-c'))).toHaveLength(1);
  });

  it('within the allowed skew, the provider time still sets the id and nothing more is written', async () => {
    const ahead = new Date(Date.now() + MAX_FUTURE_SKEW_MS - 60_000);
    ahead.setUTCMilliseconds(0);
    const answer = await send('dev-near', ahead.toISOString());
    expect(timeOfId(answer.messageId)).toBe(ahead.getTime());
    const [event] = await items(eventPk(ACCOUNT, 'dev-near'));
    expect(event?.[ATTR.sentOn]).toBeUndefined();
  });
});

describe('a redelivery of a message keyed by its receipt, once the gap has shrunk under the allowed skew', () => {
  const facts = (sentOn: Date): CallbackFacts => ({
    devices: [{ id: 'dev-gap', kind: 'imei' }],
    resource: 'diagnostics',
    action: 'observation',
    sentOn,
    payload: () => ({}),
    operation: { id: 'op-gap', status: 'RUNNING', progress: 0 },
  });
  const received = (receivedOn: Date) => ({
    provider: 'thingspace' as const,
    channel: 'diagnostics' as const,
    scopeId: ACCOUNT,
    body: Buffer.from('{"gap":1}'),
    receivedOn,
  });

  it('finds the first delivery’s keys (a duplicate, not a second record), before the provider time and after the first receive', async () => {
    const store = new CallbackStore(t.db, { tableName: t.tableName, retentionDays: 30 });
    const first = new Date('2026-11-21T12:00:00.000Z');
    const sentOn = new Date(first.getTime() + 2 * MAX_FUTURE_SKEW_MS); // 10 minutes ahead at the first delivery
    const stored = await acceptCallback(store, received(first), facts(sentOn), Date.now());
    expect(stored.status).toBe('stored');
    for (const later of [MAX_FUTURE_SKEW_MS + 60_000, 2 * MAX_FUTURE_SKEW_MS - 1]) {
      // 4 minutes, then 1 ms, ahead: no longer "far ahead", but the receipt is there.
      const again = await acceptCallback(store, received(new Date(first.getTime() + later)), facts(sentOn), Date.now());
      expect(again).toMatchObject({ status: 'duplicate', messageId: stored.messageId });
    }
    expect(await items(eventPk(ACCOUNT, 'dev-gap'))).toHaveLength(1);
    expect(await items(notificationPk(ACCOUNT, 'dev-gap'))).toHaveLength(1);
  });
});
