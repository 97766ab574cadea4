import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { CHANNEL_CODES } from '../../shared/channels';
import type { OperationStatus } from '../../shared/model';
import { PartitionReader } from '../../shared/store/partition-reader';
import { STATUS_CODES } from '../../shared/store/callback-store';
import { recordId } from '../../shared/record-ids';
import { ATTR, notificationPk, notificationSk, TABLE } from '../../shared/store/table';
import { startTestGateway, type TestGateway } from '../support/gateway';

// Issue 18, item 5 (read side): an operation is terminal once any of its notifications is
// (COMPLETED or FAILED), whatever sorts after it: a RUNNING tied in the same millisecond (ordered by
// hash), stamped later, or redelivered after its receipt expired never undoes it. And a record's
// `sentOn` is the provider's time kept in ATTR.sentOn when the id does not start with it.

const SCOPE = '0212312345-00001';
const DEVICE = 'dev-status';
const T = Date.UTC(2026, 10, 21, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestGateway;
let key: string;

/** A notification item as the store writes it, with a chosen id (time and hash) so that ties and orders are exact. */
function notification(op: string, ms: number, hashByte: number, status: OperationStatus, progress: number, extra: Record<string, unknown> = {}) {
  const id = recordId(ms, Buffer.alloc(6, hashByte));
  return {
    id,
    item: {
      [TABLE.partitionKey]: notificationPk(SCOPE, DEVICE),
      [TABLE.sortKey]: notificationSk(op, id),
      [ATTR.channel]: CHANNEL_CODES.diagnostics,
      [ATTR.receivedOn]: ms + 500,
      [ATTR.resource]: 'diagnostics',
      [ATTR.status]: STATUS_CODES[status],
      [ATTR.progress]: progress,
      ...extra,
    },
  };
}

const put = (item: Record<string, unknown>) => t.db.send(new PutCommand({ TableName: t.tableName, Item: item }));

const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestGateway({});
  key = (await new ApiKeyStore(t.db, t.tableName).create({ scopes: [SCOPE] })).key;
  const seed: [string, string, ReturnType<typeof notification>][] = [
    // Same millisecond: the RUNNING's hash sorts after the COMPLETED's.
    ['op-tie', 'completed', notification('op-tie', T, 0x10, 'COMPLETED', 100)],
    ['op-tie', 'running', notification('op-tie', T, 0xf0, 'RUNNING', 0)],
    // A RUNNING redelivered a day later (its receipt expired): a later id.
    ['op-redelivered', 'running-1', notification('op-redelivered', T - 60_000, 0x20, 'RUNNING', 0)],
    ['op-redelivered', 'completed', notification('op-redelivered', T, 0x20, 'COMPLETED', 100)],
    ['op-redelivered', 'running-2', notification('op-redelivered', T + 86_400_000, 0x20, 'RUNNING', 0)],
    // Two terminal notifications: the latest terminal in key order decides.
    ['op-two', 'failed', notification('op-two', T, 0x30, 'FAILED', 100)],
    ['op-two', 'completed', notification('op-two', T + 1_000, 0x30, 'COMPLETED', 100)],
    ['op-two', 'running', notification('op-two', T + 2_000, 0x30, 'RUNNING', 10)],
    // Still running: the latest decides, no endedOn.
    ['op-running', 'running-1', notification('op-running', T, 0x40, 'RUNNING', 10)],
    ['op-running', 'running-2', notification('op-running', T + 1_000, 0x40, 'RUNNING', 40)],
    // A plain COMPLETED last: no extra read.
    ['op-done', 'running', notification('op-done', T, 0x50, 'RUNNING', 0)],
    ['op-done', 'completed', notification('op-done', T + 1_000, 0x50, 'COMPLETED', 100)],
    // A provider time far ahead of the receive time: the id takes the receive time, ATTR.sentOn keeps the provider's.
    ['op-future', 'completed', notification('op-future', T, 0x60, 'COMPLETED', 100, { [ATTR.sentOn]: Date.UTC(2031, 0, 1) })],
  ];
  for (const [op, name, n] of seed) {
    ids[`${op}/${name}`] = n.id;
    await put(n.item);
  }
  // FAILED, then 30 RUNNING after it (a device that keeps reporting): the read cost of finding it.
  ids['op-many/failed'] = notification('op-many', T, 0x70, 'FAILED', 100).id;
  await put(notification('op-many', T, 0x70, 'FAILED', 100).item);
  for (let i = 1; i <= 30; i++) await put(notification('op-many', T + i * 1_000, 0x70, 'RUNNING', 0).item);
});
afterAll(async () => {
  await t.stop();
});

async function operations(query = ''): Promise<Record<string, Record<string, unknown>>> {
  const res = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${DEVICE}/operations${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { items: Record<string, unknown>[] };
  return Object.fromEntries(body.items.map((o) => [String(o.id), o]));
}

describe('the operation summary rule', () => {
  it.each(['', '?sortDir=DESCENDING', '?sortParam=lastSentOn', '?sortParam=startedOn&sortDir=DESCENDING'])(
    'a terminal notification is never undone by a tied, later-stamped or redelivered RUNNING (%s)',
    async (query) => {
      const ops = await operations(query);
      expect(ops['op-tie']).toMatchObject({
        status: 'COMPLETED',
        progress: 100,
        endedOn: iso(T),
        lastNotificationId: ids['op-tie/running'],
        lastSentOn: iso(T),
      });
      expect(ops['op-redelivered']).toMatchObject({
        status: 'COMPLETED',
        progress: 100,
        endedOn: iso(T),
        startedOn: iso(T - 60_000),
        lastNotificationId: ids['op-redelivered/running-2'],
        lastSentOn: iso(T + 86_400_000),
      });
      expect(ops['op-two']).toMatchObject({ status: 'COMPLETED', progress: 100, endedOn: iso(T + 1_000), lastNotificationId: ids['op-two/running'] });
      expect(ops['op-many']).toMatchObject({ status: 'FAILED', progress: 100, endedOn: iso(T), startedOn: iso(T), lastSentOn: iso(T + 30_000) });
      expect(ops['op-running']).toMatchObject({ status: 'RUNNING', progress: 40, lastNotificationId: ids['op-running/running-2'] });
      expect(ops['op-running']).not.toHaveProperty('endedOn');
      expect(ops['op-done']).toMatchObject({ status: 'COMPLETED', progress: 100, endedOn: iso(T + 1_000), lastNotificationId: ids['op-done/completed'] });
    },
  );

  it('reads only the notifications between the latest and the latest terminal one, and nothing more when the latest is terminal', async () => {
    {
      const reader = new PartitionReader(t.db, t.tableName);
      const pk = notificationPk(SCOPE, DEVICE);
      const options = { offset: 0, limit: 1, askTotalCount: false, order: 'key', descending: false };
      // Items read for a page of one operation: its first and latest notifications (2), the next
      // operation's two (the limit + 1 that sets limitExceeded), then the search for a terminal one.
      const readFor = async (op: string) => {
        const cursor = await cursorJustBefore(reader, pk, op);
        const from = reader.itemsRead;
        const one = await reader.operations(pk, { ...options, ...(cursor ? { cursor } : {}) });
        expect(one.items[0]!.operationId).toBe(op);
        return reader.itemsRead - from;
      };
      // COMPLETED last: nothing more.
      const done = await readFor('op-done');
      // FAILED then 30 RUNNING: the same, plus the 30 notifications down to the FAILED one.
      const many = await readFor('op-many');
      const running = await readFor('op-running');
      expect({ done, many, running }).toEqual({ done: 4, many: 4 + 30, running: 4 + 1 });
    }
  });
});

/** The cursor of a page that ends just before `op` (the operation ids here sort as strings). */
async function cursorJustBefore(reader: PartitionReader, pk: string, op: string): Promise<string | undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await reader.operations(pk, { offset: 0, limit: 1, askTotalCount: false, order: 'key', descending: false, ...(cursor ? { cursor } : {}) });
    if (page.items[0]!.operationId === op) return cursor;
    cursor = page.nextCursor;
    if (!cursor) throw new Error(`no operation ${op}`);
  }
}

describe("a record's sentOn", () => {
  it('is the provider time kept beside the id (ATTR.sentOn) when the id does not start with it', async () => {
    const future = iso(Date.UTC(2031, 0, 1));
    const res = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${DEVICE}/operations/op-future/notifications`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as { items: Record<string, unknown>[] };
    expect(body.items).toEqual([expect.objectContaining({ id: ids['op-future/completed'], sentOn: future })]);
    const one = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${DEVICE}/operations/op-future/notifications/${ids['op-future/completed']}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(await one.json()).toMatchObject({ sentOn: future });
    expect((await operations())['op-future']).toMatchObject({ startedOn: future, endedOn: future, lastSentOn: future, status: 'COMPLETED' });
    // Without ATTR.sentOn, the id's own time, as before.
    const tie = await fetch(`${t.gateway.url}/v1/${SCOPE}/devices/${DEVICE}/operations/op-tie/notifications`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await tie.json()) as { items: { sentOn: string }[] }).items.map((n) => n.sentOn)).toEqual([iso(T), iso(T)]);
  });
});
