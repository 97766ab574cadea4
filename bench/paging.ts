import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, startEmbeddedEngine } from '../local/gateway';
import { ensureTable } from '../local/table';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../shared/aws/clients';
import { toRecords } from '../shared/mapping';
import { PartitionReader, type ListOptions, type Scope } from '../shared/store/partition-reader';
import { CallbackStore } from '../shared/store/callback-store';
import { notificationPk, operationPrefix } from '../shared/store/table';
import { diagnosticsChannel } from '../shared/thingspace/diagnostics';
import { fmt, median, ratio, target, type GroupResult } from './lib';

const GROUP = 'paging';
/** The target: paging by cursor reads at most 5 % more items than it returns. */
const TARGET_READ_RATIO = 1.05;
const NOTIFICATIONS = 10_000;
const LIMIT = 100;
/** Callbacks written at once while seeding. */
const BATCH = 64;
/** Timings of the first and the last page: each page read this many times, median. */
const REPEAT = 9;

const ACCOUNT = '0212312345-00001';
const DEVICE = '990013907835573';
const OPERATION = 'bench-paging-0001';

/** The n-th Diagnostics observation of the one operation: its own attribute time, so each body is distinct. */
function body(n: number): Buffer {
  const createdOn = new Date(Date.UTC(2026, 10, 21) + n * 1000).toISOString();
  return Buffer.from(
    JSON.stringify({
      transactionID: OPERATION,
      device: { id: DEVICE, kind: 'imei' },
      attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: String(-60 - (n % 40)), createdOn }],
    }),
  );
}

/** Writes NOTIFICATIONS callbacks of one operation of one device with CallbackStore, BATCH at a time. */
async function seed(store: CallbackStore): Promise<void> {
  for (let start = 0; start < NOTIFICATIONS; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, NOTIFICATIONS - start) }, async (_, i) => {
        const bytes = body(start + i);
        const received = { provider: 'thingspace' as const, channel: 'diagnostics' as const, scopeId: ACCOUNT, body: bytes, receivedOn: new Date() };
        const mapped = toRecords(received, diagnosticsChannel.map(diagnosticsChannel.parse(bytes), ACCOUNT));
        const result = await store.save(mapped);
        if (result.stored !== 2) throw new Error(`seeding: callback ${start + i} stored ${result.stored} records`);
      }),
    );
  }
}

interface Walk {
  pages: number;
  returned: number;
  distinct: number;
  itemsRead: number;
  ms: number;
}

const options = (o: Partial<ListOptions>): ListOptions => ({ offset: 0, limit: LIMIT, askTotalCount: false, order: 'key', descending: false, ...o });

/** Every page in order, by cursor or by offset; counts what the reader read from the table. */
async function walk(reader: PartitionReader, pk: Scope, by: 'cursor' | 'offset'): Promise<Walk & { cursors: (string | undefined)[] }> {
  const ids = new Set<string>();
  const cursors: (string | undefined)[] = [undefined];
  const before = reader.itemsRead;
  const started = performance.now();
  let returned = 0;
  let pages = 0;
  for (;;) {
    const page = await reader.list(pk, by === 'cursor' ? options({ cursor: cursors[pages] }) : options({ offset: pages * LIMIT }));
    pages++;
    returned += page.items.length;
    for (const item of page.items) ids.add(String(item.sk));
    if (!page.limitExceeded) break;
    cursors.push(page.nextCursor);
    if (pages > NOTIFICATIONS / LIMIT + 1) throw new Error(`paging by ${by} does not end`);
  }
  return { pages, returned, distinct: ids.size, itemsRead: reader.itemsRead - before, ms: performance.now() - started, cursors };
}

/** Median ms of reading each page REPEAT times, the pages taking turns (so a burst of load elsewhere hits all alike). */
async function pageMs(reader: PartitionReader, pk: Scope, pages: ListOptions[]): Promise<number[]> {
  const samples = pages.map(() => [] as number[]);
  for (let i = 0; i < REPEAT; i++) {
    for (const [j, o] of pages.entries()) {
      const started = performance.now();
      await reader.list(pk, o);
      samples[j]!.push(performance.now() - started);
    }
  }
  return samples.map(median);
}

/** Group 4: 10,000 notifications of one operation, paged through by cursor and by offset. */
export async function runPaging(): Promise<GroupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-paging-'));
  const engine = await startEmbeddedEngine(join(dir, 'dynamodb'));
  const endpoint = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
  const tableName = 'bench-paging';
  // The SDK reads region and credentials from the environment; a local engine accepts any.
  process.env.AWS_REGION ||= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ||= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ||= 'local';
  const admin = new DynamoDBClient({ endpoint });
  const client = createDynamoClient({ ...process.env, DYNAMODB_ENDPOINT: endpoint });
  try {
    await ensureTable(admin, tableName);
    const seedStarted = performance.now();
    await seed(new CallbackStore(client, { tableName, retentionDays: 365 }));
    const seedMs = performance.now() - seedStarted;

    const reader = new PartitionReader(client, tableName);
    const pk: Scope = { pk: notificationPk(ACCOUNT, DEVICE), prefix: operationPrefix(OPERATION) };
    const byCursor = await walk(reader, pk, 'cursor');
    const byOffset = await walk(reader, pk, 'offset');
    for (const w of [byCursor, byOffset]) {
      if (w.returned !== NOTIFICATIONS || w.distinct !== NOTIFICATIONS) throw new Error(`paging returned ${w.returned} items, ${w.distinct} distinct`);
    }
    const lastPage = byCursor.pages - 1;
    const [cursorFirst, cursorLast, offsetFirst, offsetLast] = await pageMs(reader, pk, [
      options({}),
      options({ cursor: byCursor.cursors[lastPage] }),
      options({ offset: 0 }),
      options({ offset: lastPage * LIMIT }),
    ]);
    const latency = { cursorFirst: cursorFirst!, cursorLast: cursorLast!, offsetFirst: offsetFirst!, offsetLast: offsetLast! };

    const readRatio = (w: Walk) => w.itemsRead / w.returned;
    const row = (name: string, w: Walk, first: number, last: number) => [
      name,
      String(w.pages),
      fmt(w.returned, 0),
      fmt(w.itemsRead, 0),
      ratio(readRatio(w)),
      fmt(first),
      fmt(last),
      ratio(last / first),
      fmt(w.ms / 1000, 1),
    ];
    const rows = [row('cursor', byCursor, latency.cursorFirst, latency.cursorLast), row('offset', byOffset, latency.offsetFirst, latency.offsetLast)];
    return {
      group: GROUP,
      title: `Query paging: ${fmt(NOTIFICATIONS, 0)} notifications of one operation, limit ${LIMIT}, sentOn order (CallbackReader on the embedded engine)`,
      headers: ['by', 'pages', 'returned', 'items read', 'read / returned', 'first page ms', 'last page ms', 'last / first', 'whole walk s'],
      rows,
      targets: [target(GROUP, 'by cursor: items read / returned', readRatio(byCursor), '<=', TARGET_READ_RATIO)],
      notes: [
        `Seeded with CallbackStore + toRecords, ${BATCH} callbacks at a time: ${fmt(NOTIFICATIONS, 0)} callbacks (an event, a notification and an operation-summary update each) in ${fmt(seedMs / 1000, 1)} s.`,
        `Both walks returned all ${fmt(NOTIFICATIONS, 0)} notifications exactly once. Items read = CallbackReader.itemsRead (items of a page, plus ScannedCount of the COUNT queries that skip an offset).`,
        `A page reads limit + 1 items (to set limitExceeded); by offset, page k first skips k × ${LIMIT} items with Select COUNT, so the whole walk reads ~ n²/(2 × limit) items. First/last page: median of ${REPEAT} reads each, the four pages taking turns.`,
      ],
      data: {
        notifications: NOTIFICATIONS,
        limit: LIMIT,
        seedMs,
        byCursor: {
          pages: byCursor.pages,
          returned: byCursor.returned,
          itemsRead: byCursor.itemsRead,
          readPerReturned: readRatio(byCursor),
          walkMs: byCursor.ms,
        },
        byOffset: {
          pages: byOffset.pages,
          returned: byOffset.returned,
          itemsRead: byOffset.itemsRead,
          readPerReturned: readRatio(byOffset),
          walkMs: byOffset.ms,
        },
        pageLatencyMs: latency,
      },
    };
  } finally {
    admin.destroy();
    client.destroy();
    await closeServer(engine);
    rmSync(dir, { recursive: true, force: true });
  }
}
