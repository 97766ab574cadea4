import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { fresh, SAMPLES } from '../local/callbacks';
import { DEMO_ACCOUNT } from '../local/secrets-file';
import type { ArchiveSink } from '../shared/archive/objects';
import { createStreamArchiver } from '../shared/archive/stream';
import type { Channel } from '../shared/channels';
import { toRecords } from '../shared/mapping';
import { factsOf } from '../shared/query/derive';
import { CallbackStore } from '../shared/store/callback-store';
import { TABLE } from '../shared/store/table';
import { diagnosticsBody } from './bodies';
import { FLEET, PRICE as DYNAMODB_PRICE } from './cost';
import { fmt, median, ratio, RESULTS_DIR, target, type GroupResult } from './lib';

const GROUP = 'archive-cost';

/**
 * us-east-1 list prices of what the archive uses (and of the Firehose alternative), per unit.
 * Lambda on Arm; Firehose's ingestion is billed in 5 KB increments per record.
 */
const PRICE = {
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  s3PutPer1000: 0.005,
  s3StandardPerGbMonth: 0.023,
  glacierIrPerGbMonth: 0.004,
  glacierIrTransitionPer1000: 0.02,
  glacierIrRetrievalPerGb: 0.03,
  athenaPerTb: 5,
  firehosePerGbIngested: 0.029,
  firehoseRecordIncrementKb: 5,
  firehoseParquetPerGb: 0.018,
  firehosePartitioningPerGb: 0.02,
  firehosePartitioningPer1000Objects: 0.005,
};

/** The archiver's mapping and function (infra/stream-publisher.ts, infra/gateway-function.ts). */
const ARCHIVER = { batchSize: 10_000, windowSeconds: 300, memoryMb: 512, payloadLimitBytes: 6 * 2 ** 20 };
/** The lifecycle's default (archiveColdAfterDays): Standard for 90 days, then Glacier Instant Retrieval. */
const COLD_AFTER_MONTHS = 3;
/**
 * Lambda gives a function CPU in proportion to its memory, a full vCPU at 1,769 MB: a 512 MB
 * archiver runs at about 29 % of the one core this bench times it on.
 */
const CPU_SHARE = ARCHIVER.memoryMb / 1769;
const GB = 2 ** 30;

/** Callbacks of the reference fleet in a month (one event each: the fleet's devices are one per callback). */
const ROWS_PER_MONTH = FLEET.devices * (FLEET.diagnosticsPerDay + FLEET.locationsPerDay) * FLEET.daysPerMonth;

/** The DynamoDB figures of the cost group (bench/results/cost.json): the hot table at each retention, and the bare listener's. */
function dynamoMonthly(): { ours: { days: number; total: number }[]; bare: { days: number; total: number }[] } {
  const saved = JSON.parse(readFileSync(join(RESULTS_DIR, 'cost.json'), 'utf8')) as { data: { monthly: ReturnType<typeof dynamoMonthly> } };
  return saved.data.monthly;
}

/** The event items the store writes for a callback, as a stream record's NewImage (DynamoDB JSON, binaries in base64). */
function streamRecords(channel: Channel, body: string, receivedOn: Date, sequence: number): DynamoDBRecord[] {
  const store = new CallbackStore({} as DynamoDBDocumentClient, { tableName: 't', retentionDays: 30 });
  const provider = channel === 'sensoro' ? 'sensoro' : 'thingspace';
  const received = { provider, channel, scopeId: DEMO_ACCOUNT, body: Buffer.from(body), receivedOn } as const;
  const items = store.itemsOf(toRecords(received, factsOf(channel, received.body, DEMO_ACCOUNT)));
  return items
    .filter((item) => String(item[TABLE.partitionKey]).startsWith('EV#'))
    .map((item, i) => ({
      eventName: 'INSERT',
      dynamodb: {
        Keys: { [TABLE.partitionKey]: { S: String(item[TABLE.partitionKey]) }, [TABLE.sortKey]: { S: String(item[TABLE.sortKey]) } },
        NewImage: imageOf(item),
        SequenceNumber: String(sequence * 10 + i),
      },
    }));
}

function imageOf(item: Record<string, unknown>): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, v]) => [
      name,
      typeof v === 'string' ? { S: v } : typeof v === 'number' ? { N: String(v) } : { B: Buffer.from(v as Uint8Array).toString('base64') },
    ]),
  ) as Record<string, AttributeValue>;
}

/**
 * A full batch of the reference fleet's mix, as the stream delivers it: 10-attribute Diagnostics
 * (values varied, so gzip is not flattered by identical readings) and one DeviceLocation result per
 * 60 of them, from 10,000 devices, received over five minutes.
 */
function fleetBatch(size: number): DynamoDBRecord[] {
  const start = Date.parse('2026-11-21T10:00:00.000Z');
  const records: DynamoDBRecord[] = [];
  for (let n = 0; records.length < size; n++) {
    const at = start + Math.floor((n * ARCHIVER.windowSeconds * 1000) / size);
    const device = String(990013907800000 + (n % FLEET.devices));
    const location = n % Math.round(FLEET.diagnosticsPerDay / FLEET.locationsPerDay) === 0;
    const body = location
      ? SAMPLES['device-location'](fresh())
      : diagnosticsBody(device, 10, at - 30_000).replace(/"value":"-?\d+"/g, () => `"value":"${-50 - Math.floor(Math.random() * 60)}"`);
    records.push(...streamRecords(location ? 'device-location' : 'diagnostics', body, new Date(at), n));
  }
  return records.slice(0, size);
}

/** Times the real archiver on a batch (its handler's work: image decoding, rows, gzip), S3 replaced by a sink that keeps the objects. */
async function timeBatch(batch: DynamoDBRecord[]): Promise<{ seconds: number; objects: { key: string; bytes: number }[] }> {
  const objects: { key: string; bytes: number }[] = [];
  const sink: ArchiveSink = { put: async (key, body) => void objects.push({ key, bytes: body.length }) };
  const archive = createStreamArchiver(async () => undefined, sink);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    objects.length = 0;
    const t0 = process.hrtime.bigint();
    const result = await archive({ Records: batch });
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (result.batchItemFailures.length > 0) throw new Error('the archiver failed records of the bench batch');
  }
  return { seconds: median(runs), objects };
}

const dollars = (n: number) => (n < 10 ? `$${n.toFixed(2)}` : `$${Math.round(n).toLocaleString('en-US')}`);

/** `npm run bench -- cost` (after the DynamoDB figures): what archiving the reference fleet costs, and the fleet total by hot retention. */
export async function runArchiveCost(): Promise<GroupResult> {
  const sample = fleetBatch(ARCHIVER.batchSize);
  const recordBytes = sample.reduce((s, r) => s + JSON.stringify(r).length, 0) / sample.length;
  // Lambda hands a batch over in one invocation payload of at most 6 MB: the batch is whichever limit comes first.
  const batchSize = Math.min(ARCHIVER.batchSize, Math.floor(ARCHIVER.payloadLimitBytes / (recordBytes + 200)));
  const batch = sample.slice(0, batchSize);
  const { seconds, objects } = await timeBatch(batch);
  const gzBytes = objects.reduce((s, o) => s + o.bytes, 0);
  const bytesPerRow = gzBytes / batch.length;
  const gzipOverhead = gzipSync(Buffer.alloc(0)).length;

  const batchesPerMonth = ROWS_PER_MONTH / batchSize;
  // One scope (the reference fleet is one account): one object per batch, and one more for the batch across midnight.
  const putsPerMonth = batchesPerMonth * objects.length + FLEET.daysPerMonth;
  const lambdaSeconds = seconds / CPU_SHARE;
  const lambda =
    batchesPerMonth * lambdaSeconds * (ARCHIVER.memoryMb / 1024) * PRICE.lambdaPerGbSecond + (batchesPerMonth / 1e6) * PRICE.lambdaPerMillionRequests;
  const puts = (putsPerMonth / 1000) * PRICE.s3PutPer1000;
  const transitions = (putsPerMonth / 1000) * PRICE.glacierIrTransitionPer1000;
  const gbPerMonth = (ROWS_PER_MONTH * bytesPerRow) / GB;
  /** Storage in the archive's month `m` (1-based): everything written so far, the last 3 months in Standard. */
  const storageAt = (m: number) =>
    Math.min(m, COLD_AFTER_MONTHS) * gbPerMonth * PRICE.s3StandardPerGbMonth + Math.max(0, m - COLD_AFTER_MONTHS) * gbPerMonth * PRICE.glacierIrPerGbMonth;
  const archiveAt = (m: number) => lambda + puts + (m > COLD_AFTER_MONTHS ? transitions : 0) + storageAt(m);

  // Firehose instead of the Lambda's PUTs: each record billed as 5 KB, converted to Parquet, partitioned by scope and day.
  const firehoseGb = (ROWS_PER_MONTH * PRICE.firehoseRecordIncrementKb * 1024) / GB;
  const firehose =
    firehoseGb * (PRICE.firehosePerGbIngested + PRICE.firehoseParquetPerGb + PRICE.firehosePartitioningPerGb) +
    (putsPerMonth / 1000) * PRICE.firehosePartitioningPer1000Objects +
    lambda;

  // Athena: gzipped JSON is read whole, so a query scans its partitions' bytes (10 MB minimum per query).
  const scopeDayGb = (FLEET.devices * (FLEET.diagnosticsPerDay + FLEET.locationsPerDay) * bytesPerRow) / GB;
  const athena = (gb: number) => (Math.max(gb, 10 / 1024) / 1024) * PRICE.athenaPerTb;
  const queryRows = [
    ['callbacks per channel per day, one scope-day', scopeDayGb, athena(scopeDayGb)],
    ["a device's signal strength per day, 7 days", 7 * scopeDayGb, athena(7 * scopeDayGb)],
    ['devices gone quiet, 30 days (over the default 10 GB cap: raise archiveScanLimitMb)', 30 * scopeDayGb, athena(30 * scopeDayGb)],
  ].map(([name, gb, cost]) => [String(name), `${fmt(gb as number, 2)} GB`, dollars(cost as number)]);

  const dynamo = dynamoMonthly();
  const bare365 = dynamo.bare.find((b) => b.days === 365)!.total;
  const month12 = archiveAt(12);
  const fleetRows = dynamo.ours.map((o) => {
    const total = o.total + month12;
    return [`${o.days} days`, dollars(o.total), dollars(month12), dollars(total), dollars(bare365), ratio(total / bare365)];
  });
  const total = (days: number) => dynamo.ours.find((o) => o.days === days)!.total + month12;

  return {
    group: GROUP,
    title: 'The archive of the reference fleet: every callback to S3 as gzipped JSON lines (the real archiver timed on a full batch)',
    headers: ['item', 'per month', 'how'],
    rows: [
      ['archiver (Lambda, Arm, 512 MB)', dollars(lambda), `${fmt(batchesPerMonth, 0)} batches × ${fmt(lambdaSeconds, 2)} s`],
      ['S3 PUTs', dollars(puts), `${fmt(putsPerMonth, 0)} objects`],
      ['S3 transitions to Glacier IR (from month 4)', dollars(transitions), `${fmt(putsPerMonth, 0)} objects`],
      ['S3 storage, month 1', dollars(storageAt(1)), `${fmt(gbPerMonth, 1)} GB a month in Standard`],
      ['S3 storage, month 12', dollars(storageAt(12)), `3 months Standard + 9 Glacier IR`],
      ['archive total, month 12', dollars(month12), ''],
      ['archive total, month 36', dollars(archiveAt(36)), ''],
      ['Firehose instead (Parquet, dynamic partitioning)', dollars(firehose), `${fmt(firehoseGb, 0)} GB billed (5 KB a record)`],
    ],
    targets: [
      target(GROUP, 'archive, gzipped bytes per callback row', bytesPerRow, '<=', 200),
      target(GROUP, 'archive total per month at month 12 ($)', month12, '<=', 20),
      target(GROUP, 'fleet total, 30 days hot + archive / bare listener 365 days (ratio)', total(30) / bare365, '<=', 0.5),
      target(GROUP, 'fleet total, 365 days hot + archive / bare listener 365 days (ratio)', total(365) / bare365, '<=', 1),
    ],
    notes: [
      `Measured: the real archiver (shared/archive/stream.ts, the Lambda's code) on a batch of ${fmt(batch.length, 0)} stream records of the reference mix (${fmt(recordBytes, 0)} bytes each in DynamoDB JSON; a batch is the smaller of 10,000 records and Lambda's 6 MB payload), ${fmt(seconds, 2)} s on one core of this machine (median of 3), so ~${fmt(lambdaSeconds, 2)} s at 512 MB (${ratio(CPU_SHARE)} of a vCPU). Rows: ${fmt(bytesPerRow, 1)} bytes each gzipped (${objects.length} object of ${fmt(gzBytes / 1024, 0)} KB; gzip's fixed overhead is ${gzipOverhead} bytes an object).`,
      `Fleet: ${FLEET.devices.toLocaleString('en-US')} devices, ${(FLEET.diagnosticsPerDay + FLEET.locationsPerDay).toLocaleString('en-US')} callbacks a day each: ${fmt(ROWS_PER_MONTH / 1e6, 1)} M rows and ${fmt(gbPerMonth, 1)} GB a month. Prices (us-east-1): Lambda Arm $${PRICE.lambdaPerGbSecond}/GB-s, S3 PUT $${PRICE.s3PutPer1000}/1,000, Standard $${PRICE.s3StandardPerGbMonth}/GB-month, Glacier IR $${PRICE.glacierIrPerGbMonth}/GB-month and $${PRICE.glacierIrTransitionPer1000}/1,000 transitions, Athena $${PRICE.athenaPerTb}/TB; DynamoDB as in the cost group ($${DYNAMODB_PRICE.storagePerGbMonth}/GB-month, PITR $${DYNAMODB_PRICE.pitrPerGbMonth}).`,
      `Why Lambda + PUT, not Firehose: Firehose bills every record as at least 5 KB (a ~1 KB callback pays 5), plus the Parquet conversion and the dynamic partitioning scope/day needs: ${dollars(firehose)} a month against ${dollars(lambda + puts)} (${ratio(firehose / (lambda + puts))}). Parquet would scan less in Athena, but at ${dollars(athena(scopeDayGb))} a scope-day queries cost cents.`,
      `The archive grows: storage is the only part that does (${dollars(gbPerMonth * PRICE.glacierIrPerGbMonth)} more each month once in Glacier IR). Reading Glacier IR costs $${PRICE.glacierIrRetrievalPerGb}/GB more than Standard: a query over data older than 90 days pays that on top of Athena's scan.`,
    ],
    extraTables: [
      {
        title: 'The fleet with the archive on (month 12 of the archive), by DynamoDB retention, against a bare listener keeping 365 days',
        headers: ['hot retention', 'DynamoDB', 'archive', 'total', 'bare listener, 365 days', 'vs bare'],
        rows: fleetRows,
      },
      {
        title: 'Athena per documented query at the reference fleet (a query scans its partitions whole: gzip is not splittable)',
        headers: ['query', 'scanned', 'cost'],
        rows: queryRows,
      },
    ],
    data: {
      batch: { records: batch.length, recordBytes, seconds, lambdaSeconds, objects },
      bytesPerRow,
      monthly: { lambda, puts, transitions, storageMonth1: storageAt(1), storageMonth12: storageAt(12), month12, month36: archiveAt(36), firehose },
      fleet: dynamo.ours.map((o) => ({
        days: o.days,
        dynamodb: o.total,
        archive: month12,
        total: o.total + month12,
        bare365,
        ratio: (o.total + month12) / bare365,
      })),
      athena: { scopeDayGb },
      prices: PRICE,
    },
  };
}
