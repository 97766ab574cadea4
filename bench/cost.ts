import { fork } from 'node:child_process';
import { join } from 'node:path';
import { ATTR } from '../shared/store/table';
import type { CallbackCost, CostProbeResult } from './cost-probe';
import { fmt, ratio, ROOT, target, withTimeout, type GroupResult, type Target } from './lib';

const GROUP = 'cost';

/** On-demand prices (us-east-1) the issue fixes for the comparison. */
export const PRICE = { perMillionWrites: 0.625, perMillionReads: 0.125, storagePerGbMonth: 0.25, pitrPerGbMonth: 0.2 };
/** The reference fleet: 10,000 devices, a 10-attribute Diagnostics a minute and a DeviceLocation an hour each. */
export const FLEET = { devices: 10_000, diagnosticsPerDay: 1_440, locationsPerDay: 24, daysPerMonth: 30 };
/**
 * The devices resource at the reference fleet (assumptions): each warm webhook container writes a
 * device's item when it first hears of it and then at most once per refresh interval (an hour), so
 * at worst containers × devices item writes an hour. 10,000 devices send 610,000 callbacks an hour
 * (~170 a second); at ~15 ms each in Lambda that is ~2.5 concurrent executions: 3 warm containers
 * (2 of the Diagnostics function, 1 of DeviceLocation), each hearing of every device.
 */
const DEVICE_ITEMS = { containers: 3, refreshHours: 1 };
/** Callbacks of the reference fleet an hour. */
const CALLBACKS_PER_HOUR = (FLEET.devices * (FLEET.diagnosticsPerDay + FLEET.locationsPerDay)) / 24;
/** Device-item writes per callback at the reference fleet, on average: containers × devices per refresh interval / callbacks in it. */
const DEVICE_WRITES_PER_CALLBACK = Math.min(1, (DEVICE_ITEMS.containers * FLEET.devices) / (CALLBACKS_PER_HOUR * DEVICE_ITEMS.refreshHours));
const GB = 2 ** 30;

/** Runs bench/cost-probe.ts in its own process (its gateway must be on DynamoDB Local) and waits for its figures. */
function probe(): Promise<CostProbeResult> {
  const child = fork(join(__dirname, 'cost-probe.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<CostProbeResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as CostProbeResult));
    child.once('exit', (code) => reject(new Error(`the cost probe exited with ${code} before answering`)));
  });
  return withTimeout(result, 300_000, 'the cost probe').finally(() => {
    if (child.exitCode === null) child.kill();
  });
}

/**
 * Write units AWS bills for a callback. DynamoDB Local reports no capacity for a conditional write
 * that fails (a duplicate), which AWS bills as a write of the item: those are counted from the size
 * of the item sent (1 unit per KB, rounded up), and the row says so.
 */
function billedWrites(c: CallbackCost): { units: number; estimated: boolean } {
  let estimated = false;
  // The callback's own records: a device item (written once an hour per device and container) is counted apart.
  let units = c.writeUnits - c.deviceWriteUnits;
  for (const r of c.requests) {
    if (r.command === 'PutItemCommand' && r.failed === 'ConditionalCheckFailedException' && r.writeUnits === 0) {
      units += Math.max(1, Math.ceil(((r.itemBytes ?? 100) - 100) / 1024));
      estimated = true;
    }
  }
  return { units, estimated };
}

interface Monthly {
  writes: number;
  storage: number;
  pitr: number;
  total: number;
  gb: number;
}

function monthly(
  writeUnitsDiagnostics: number,
  writeUnitsLocation: number,
  bytesDiagnostics: number,
  bytesLocation: number,
  retentionDays: number,
  deviceItemUnits = 0,
): Monthly {
  const perDevicePerDay = {
    writes:
      FLEET.diagnosticsPerDay * writeUnitsDiagnostics +
      FLEET.locationsPerDay * writeUnitsLocation +
      (DEVICE_ITEMS.containers * 24 * deviceItemUnits) / DEVICE_ITEMS.refreshHours,
    bytes: FLEET.diagnosticsPerDay * bytesDiagnostics + FLEET.locationsPerDay * bytesLocation,
  };
  const writes = (FLEET.devices * perDevicePerDay.writes * FLEET.daysPerMonth * PRICE.perMillionWrites) / 1e6;
  // Steady state: every record lives `retentionDays` (TTL), so the table holds that many days of callbacks.
  const gb = (FLEET.devices * perDevicePerDay.bytes * retentionDays) / GB;
  const storage = gb * PRICE.storagePerGbMonth;
  const pitr = gb * PRICE.pitrPerGbMonth;
  return { writes, storage, pitr, total: writes + storage + pitr, gb };
}

const dollars = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;

/** Group 5: what a callback costs in DynamoDB on the lean layout, measured on AWS's DynamoDB Local. */
export async function runCost(): Promise<GroupResult> {
  const result = await probe();
  const byName = (prefix: string) => {
    const found = result.callbacks.find((c) => c.name.startsWith(prefix));
    if (!found) throw new Error(`no measurement named ${prefix}`);
    return found;
  };
  for (const c of result.callbacks) {
    const expected = c.name.startsWith('forged') ? 401 : 200;
    if (c.status !== expected) throw new Error(`${c.name}: answered ${c.status}, expected ${expected}`);
  }
  for (const q of result.queries) if (q.status !== 200) throw new Error(`${q.name}: answered ${q.status}`);

  const rows = result.callbacks.map((c) => {
    const billed = billedWrites(c);
    return [
      c.name,
      `${fmt(billed.units, 0)}${billed.estimated ? ' *' : ''}`,
      fmt(c.deviceWriteUnits, 0),
      fmt(c.indexWriteUnits, 0),
      String(c.itemsWritten),
      fmt(c.storedBytes, 0),
      fmt(c.keptBytes, 0),
      `${fmt(c.bareWriteUnits, 0)} / ${fmt(c.bareBytes, 0)}`,
      c.bareBytes > 0 && c.storedBytes > 0 ? ratio(c.keptBytes / c.bareBytes) : '–',
    ];
  });

  const diag10 = byName('diagnostics, 10 attributes (~1 KB), known operation');
  const diag10New = byName('diagnostics, 10 attributes (~1 KB), new operation');
  const diagNoOp = byName('diagnostics, 10 attributes (~1 KB), no operation');
  const sensor = byName('sensoro sensor data');
  const location = byName('device-location result');
  const one = byName('connectivity, one device');
  const three = byName('connectivity, three devices');
  const duplicate = byName('duplicate');
  const newDevice = byName('new device: its first callback');
  const knownDevice = byName('new device: its second callback');
  // What one device item costs (an UpdateItem of ~80 bytes), measured on its first sight.
  const deviceItemUnits = newDevice.deviceWriteUnits;
  const devicePerCallback = DEVICE_WRITES_PER_CALLBACK * deviceItemUnits;
  const forged = result.callbacks.filter((c) => c.name.startsWith('forged'));
  const singleWithOperation = result.callbacks.filter(
    (c) => /operation|location|connectivity, one|soap|task/.test(c.name) && !/no operation/.test(c.name) && !c.name.startsWith('duplicate'),
  );

  const targets: Target[] = [
    target(GROUP, 'WRU of a callback of no operation (10-attribute diagnostics)', billedWrites(diagNoOp).units, '<=', 1),
    target(GROUP, 'WRU of a callback of no operation (SENSORO sensor data)', billedWrites(sensor).units, '<=', 1),
    ...singleWithOperation.map((c) => target(GROUP, `WRU, one device with an operation: ${c.name}`, billedWrites(c).units, '<=', 3)),
    target(GROUP, 'WRU each further device adds (connectivity, 3 devices vs 1)', (billedWrites(three).units - billedWrites(one).units) / 2, '<=', 2),
    target(
      GROUP,
      'copies of the body a callback naming 3 devices stores',
      three.requests.filter((r) => !r.failed && r.attributes?.includes(ATTR.body)).length,
      '<=',
      1,
    ),
    ...result.callbacks
      .filter((c) => c.storedBytes > 0 && !c.name.startsWith('forged'))
      .map((c) => target(GROUP, `stored bytes / bare listener: ${c.name}`, c.keptBytes / c.bareBytes, '<=', 1.5)),
    ...forged.map((c) => target(GROUP, `WRU of ${c.name}`, billedWrites(c).units, '<=', 1)),
    target(GROUP, 'WRU of a duplicate / WRU of its first delivery', billedWrites(duplicate).units / billedWrites(diag10).units, '<=', 1),
    target(GROUP, 'WRU of a device item (first sight, or its hourly refresh)', deviceItemUnits, '<=', 1),
    target(GROUP, 'device items written by the first callback of a new device', newDevice.deviceWrites, '<=', 1),
    target(GROUP, 'device-item WRU of a second callback of the device within the hour (same container)', knownDevice.deviceWriteUnits, '<=', 0),
    target(
      GROUP,
      `devices resource, fleet average: device-item WRU per callback (${DEVICE_ITEMS.containers} containers × ${FLEET.devices.toLocaleString('en-US')} devices / ${CALLBACKS_PER_HOUR.toLocaleString('en-US')} callbacks an hour)`,
      devicePerCallback,
      '<=',
      0.05,
    ),
    target(
      GROUP,
      'write units on any index, all callbacks',
      result.callbacks.reduce((s, c) => s + c.indexWriteUnits, 0),
      '<=',
      0,
    ),
  ];

  const ours = { diag: billedWrites(diag10).units, loc: billedWrites(location).units, diagBytes: diag10.keptBytes, locBytes: location.keptBytes };
  const fleetPerCallback = (FLEET.diagnosticsPerDay * ours.diag + FLEET.locationsPerDay * ours.loc) / (FLEET.diagnosticsPerDay + FLEET.locationsPerDay);
  const bare = { diag: diag10.bareWriteUnits, loc: location.bareWriteUnits, diagBytes: diag10.bareBytes, locBytes: location.bareBytes };
  const costRows = [30, 90, 365].flatMap((days) => {
    const a = monthly(ours.diag, ours.loc, ours.diagBytes, ours.locBytes, days, deviceItemUnits);
    const b = monthly(bare.diag, bare.loc, bare.diagBytes, bare.locBytes, days);
    return [
      [
        `${days} days`,
        'this gateway',
        dollars(a.writes),
        `${fmt(a.gb, 0)} GB`,
        dollars(a.storage),
        dollars(a.pitr),
        dollars(a.total),
        ratio(a.total / b.total),
      ],
      [`${days} days`, 'bare listener', dollars(b.writes), `${fmt(b.gb, 0)} GB`, dollars(b.storage), dollars(b.pitr), dollars(b.total), '1.00×'],
    ];
  });
  const year = monthly(ours.diag, ours.loc, ours.diagBytes, ours.locBytes, 365, deviceItemUnits);
  const yearBare = monthly(bare.diag, bare.loc, bare.diagBytes, bare.locBytes, 365);

  const queryRows = result.queries.map((q) => [
    q.name,
    String(q.returned),
    fmt(q.readUnits, 1),
    String(q.requests),
    fmt(((q.readUnits * PRICE.perMillionReads) / 1e6) * 1e6, 3),
  ]);

  return {
    group: GROUP,
    title: "DynamoDB cost per callback on AWS's DynamoDB Local (ReturnConsumedCapacity INDEXES on every request), against a bare one-PutItem listener",
    headers: ['callback', 'WRU', '+ device item WRU', 'of which index', 'items', 'bytes written', 'bytes kept', 'bare: WRU / bytes', 'kept / bare'],
    rows,
    targets,
    notes: [
      'Every DynamoDB request of the real local server (each handler as in Lambda) was asked for ReturnConsumedCapacity INDEXES by an SDK middleware in the bench; the WRU column sums what DynamoDB Local answered for one callback. The table was created by the same definition the stack uses (no secondary index). The bare listener is one PutItem of {pk, sk, body} on the same engine.',
      "Bytes written = DynamoDB's item size of every item written (attribute names + values + 100 bytes of per-item overhead), as billed for storage and point-in-time recovery; bytes kept weighs each by how long it lives over the 365-day retention (a receipt expires after 7 days), which is what a month of storage holds at steady state.",
      `* DynamoDB Local reports no capacity for a conditional write that fails (a duplicate); AWS bills it as a write of the item, so those rows count 1 WRU per KB of the item sent. A duplicate costs ${fmt(billedWrites(duplicate).units, 0)} WRU against ${fmt(billedWrites(diag10).units, 0)} for the first delivery, and stores nothing.`,
      "Callbacks that carry no time of their own (Location report-ready, Connectivity, SOAP) write a receipt first (one more WRU, ~170 bytes), so a redelivery finds the first delivery's ids; it expires after RECEIPT_TTL_DAYS (7), so it is not kept for the retention. Those rows count its write unit in full and its bytes for the days it lives.",
      `Kept / bare above 1.5× are the smallest bodies (66-134 bytes): every item costs DynamoDB's 100 bytes of overhead plus its keys, and a callback of an operation writes two (event, notification) where the bare listener writes one, a fixed ~200 bytes more. From about 200 bytes of body the ratio is under 1.5×, and for the reference 10-attribute body it is ${ratio(diag10.keptBytes / diag10.bareBytes)} (the body is stored once, compressed with a channel dictionary: the event item with its keys and overhead is ${fmt(diag10.requests[0]?.itemBytes ?? 0, 0)} bytes against the bare listener's ${fmt(diag10.bareBytes, 0)}).`,
      `Devices resource: the WRU column is the callback's own records; "+ device item WRU" is the device item (${fmt(deviceItemUnits, 0)} WRU, ~80 bytes) a webhook container writes the first time it hears of a device and then at most once per DEVICE_SEEN_REFRESH_SECONDS (3,600) per device: a row shows it when its device was new to that function's container (each function is a container of its own here). At the reference fleet (${FLEET.devices.toLocaleString('en-US')} devices, ${CALLBACKS_PER_HOUR.toLocaleString('en-US')} callbacks an hour) and assuming ${DEVICE_ITEMS.containers} warm webhook containers that each hear of every device, that is at most ${DEVICE_ITEMS.containers} × ${FLEET.devices.toLocaleString('en-US')} = ${(DEVICE_ITEMS.containers * FLEET.devices).toLocaleString('en-US')} item writes an hour: ${fmt(DEVICE_WRITES_PER_CALLBACK, 4)} writes and ${fmt(devicePerCallback, 4)} WRU per callback on average (each further container adds ${fmt((FLEET.devices / CALLBACKS_PER_HOUR) * deviceItemUnits, 4)}; a 2-hour interval halves it), so ${fmt(fleetPerCallback + devicePerCallback, 3)} WRU per callback with the devices resource against ${fmt(fleetPerCallback, 3)} without. Reads pay for the exact last event: one one-item query per device of a page (the query table below).`,
      `A new operation costs what a known one does (${fmt(billedWrites(diag10New).units, 0)} vs ${fmt(billedWrites(diag10).units, 0)} WRU): there is no operation summary to write; GET /operations reads a device's operations from its notifications.`,
      `Reference fleet (10,000 devices, one 10-attribute Diagnostics a minute and one DeviceLocation an hour each, 30-day months, on-demand $0.625/M WRU, $0.25/GB-month storage, $0.20/GB-month PITR), kept 365 days: ${dollars(year.total)} a month (writes ${dollars(year.writes)}, storage ${dollars(year.storage)}, PITR ${dollars(year.pitr)}) against ${dollars(yearBare.total)} for the bare listener (${ratio(year.total / yearBare.total)}); the first layout cost about $34,000. Reads are not in it: queries are rare, and their units are in the second table.`,
    ],
    extraTables: [
      {
        title: 'Monthly DynamoDB cost of the reference fleet by retention',
        headers: ['retention', 'design', 'writes', 'table size', 'storage', 'PITR', 'total', 'vs bare'],
        rows: costRows,
      },
      {
        title: `Read units of queries on a device with ${result.seeded.events} events, ${result.seeded.notifications} notifications in ${result.seeded.operations} operations (one page each; the API key look-up, cached by the authorizer, not counted)`,
        headers: ['query', 'returned', 'RRU', 'DynamoDB requests', '$ per million such queries'],
        rows: queryRows,
      },
    ],
    data: {
      callbacks: result.callbacks,
      queries: result.queries,
      seeded: result.seeded,
      fleet: FLEET,
      prices: PRICE,
      monthly: {
        ours: [30, 90, 365].map((d) => ({ days: d, ...monthly(ours.diag, ours.loc, ours.diagBytes, ours.locBytes, d, deviceItemUnits) })),
        bare: [30, 90, 365].map((d) => ({ days: d, ...monthly(bare.diag, bare.loc, bare.diagBytes, bare.locBytes, d) })),
      },
    },
  };
}
