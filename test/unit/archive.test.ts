import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { LOCAL_ARCHIVE_TRIES, LocalArchiver, LocalArchiveSink } from '../../shared/archive/local';
import { objectsOf } from '../../shared/archive/objects';
import type { ArchiveRow } from '../../shared/archive/row';
import { S3ArchiveSink } from '../../shared/archive/s3';
import { fillQuery, QUERIES } from '../../shared/archive/sql';
import { createStreamArchiver } from '../../shared/archive/stream';
import type { Channel } from '../../shared/channels';
import type { BodyReader } from '../../shared/store/published';
import { storedBodyOf } from '../../shared/store/records';
import { encryptSensoro } from '../../shared/sensoro/crypto';
import { ATTR, TABLE } from '../../shared/store/table';
import * as stream from '../support/stream';
import type { Item } from '../support/stream';

// The stream archiver on hand-built stream events (the items the real store writes, in DynamoDB
// JSON as Lambda delivers them); S3 mocked, the local sink on a temporary directory.

const SCOPE = '0212312345-00001';
const BUCKET = 'archive-bucket';
const s3 = mockClient(S3Client);

const itemsOf = (channel: Channel, body: string, receivedOn?: Date, plaintext?: string) => stream.itemsOf(SCOPE, channel, body, receivedOn, plaintext);
const record = (item: Item) => stream.streamRecord(item);

const diagnostics = (minute: number, device = '990013907835001', signal = '-71') =>
  JSON.stringify({
    device: { id: device, kind: 'imei' },
    attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: signal, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });

const CONNECTIVITY = JSON.stringify({
  requestId: 'req-1',
  status: 'DeliveryFailed',
  username: '',
  password: '',
  deviceIds: [
    { id: '89148000000800139708', kind: 'iccid' },
    { id: '354403064522046', kind: 'imei' },
  ],
});

const isEvent = (item: Item) => String(item[TABLE.partitionKey]).startsWith('EV#');
const noBodies: BodyReader = async () => undefined;
const archiver = (readBody: BodyReader = noBodies) => createStreamArchiver(readBody, new S3ArchiveSink(new S3Client({ region: 'eu-west-1' }), BUCKET));

/** Every object PutObject was called with: its key and its rows. */
const puts = () =>
  s3.commandCalls(PutObjectCommand).map((c) => {
    const input = c.args[0].input;
    const rows = gunzipSync(input.Body as Buffer)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ArchiveRow);
    return { bucket: input.Bucket, key: input.Key!, rows };
  });

beforeEach(() => {
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('the stream archiver', () => {
  it('archives each event once, as gzipped JSON lines in its scope and day, the body exactly as stored', async () => {
    // Prepare: a one-device callback and a two-device one (the second device's event points to the first's body).
    const items = [...itemsOf('diagnostics', diagnostics(1)), ...itemsOf('connectivity', CONNECTIVITY)];

    // Act
    const result = await archiver()({ Records: items.map(record) });

    // Assess: one object (one scope, one day), three rows (the events), no notification.
    expect(result.batchItemFailures).toEqual([]);
    const [object, ...more] = puts();
    expect(more).toEqual([]);
    expect(object!.bucket).toBe(BUCKET);
    expect(object!.key).toMatch(new RegExp(`^callbacks/scope=${SCOPE}/day=2026-11-21/[-0-9A-Za-z_]{16}-[0-9a-f]{16}\\.jsonl\\.gz$`));
    expect(object!.rows).toHaveLength(items.filter(isEvent).length);
    expect(object!.rows).toHaveLength(3);
    const diag = object!.rows.find((r) => r.channel === 'diagnostics')!;
    expect(diag).toMatchObject({ scope: SCOPE, device: '990013907835001', deviceKind: 'imei', provider: 'thingspace', receivedOn: '2026-11-21T10:00:05.000Z' });
    expect(diag.body).toBe(diagnostics(1));
    expect(diag.sentOn).toBe('2026-11-21T10:01:00.000Z');
    const conn = object!.rows.filter((r) => r.channel === 'connectivity');
    expect(conn.map((r) => r.device).sort()).toEqual(['354403064522046', '89148000000800139708']);
    // Both devices' rows carry the one stored body (the second read from the batch, not the table), with the operation.
    for (const row of conn) expect(row).toMatchObject({ body: CONNECTIVITY, operationId: 'req-1' });
  });

  it("keeps a SENSORO safe-mode push's decrypted content beside its encrypted body", async () => {
    const reading = JSON.stringify({ temperature: 21.5, battery: 88 });
    const push = JSON.stringify({
      appId: SCOPE,
      sn: '0A11SENSOR01',
      type: 'text',
      createdTime: 1795255200000,
      encryptData: encryptSensoro('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc', SCOPE, reading),
    });
    const [event] = itemsOf('sensoro', push, undefined, reading).filter(isEvent);
    expect(event![ATTR.plain]).toBeDefined();
    await archiver()({ Records: [record(event!)] });
    expect(puts()[0]!.rows).toEqual([expect.objectContaining({ device: '0A11SENSOR01', body: push, content: reading })]);
  });

  it("reads a further device's shared body from the table when its holder is not in the batch", async () => {
    const items = itemsOf('connectivity', CONNECTIVITY).filter(isEvent);
    const [holder, further] = [items.find((i) => i[ATTR.body])!, items.find((i) => i[ATTR.bodyDevice])!];
    const asked: string[] = [];
    const readBody: BodyReader = async (scope, device) => (asked.push(`${scope}/${device}`), storedBodyOf(holder));

    const result = await archiver(readBody)({ Records: [record(further)] });

    expect(result.batchItemFailures).toEqual([]);
    expect(asked).toEqual([`${SCOPE}/89148000000800139708`]);
    expect(puts()[0]!.rows).toEqual([expect.objectContaining({ device: '354403064522046', body: CONNECTIVITY })]);
  });

  it('reports the records of an object S3 refused as batch item failures (retried, then dead-lettered)', async () => {
    // Prepare: two days, so two objects; the second day's PUT fails.
    const day1 = itemsOf('diagnostics', diagnostics(1)).filter(isEvent);
    const day2 = itemsOf('diagnostics', diagnostics(2), new Date('2026-11-22T00:00:01.000Z')).filter(isEvent);
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('day=2026-11-22')) throw Object.assign(new Error('Please reduce your request rate'), { name: 'SlowDown' });
      return {};
    });
    const records = [...day1, ...day2].map(record);

    const result = await archiver()({ Records: records });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }]);
    expect(puts().map((p) => p.key.split('/')[2])).toEqual(['day=2026-11-21', 'day=2026-11-22']);
  });

  it('fails only the event whose shared body is not stored', async () => {
    const items = itemsOf('connectivity', CONNECTIVITY).filter(isEvent);
    const further = items.find((i) => i[ATTR.bodyDevice])!;
    const other = itemsOf('diagnostics', diagnostics(3)).filter(isEvent);
    const records = [record(further), ...other.map(record)];

    const result = await archiver()({ Records: records });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }]);
    expect(puts()[0]!.rows.map((r) => r.channel)).toEqual(['diagnostics']);
  });

  it('writes a retried batch to the same keys (no duplicate); other batches to other keys', async () => {
    const items = itemsOf('diagnostics', diagnostics(4)).filter(isEvent);
    await archiver()({ Records: items.map(record) });
    await archiver()({ Records: items.map(record) });
    await archiver()({ Records: itemsOf('diagnostics', diagnostics(5)).filter(isEvent).map(record) });
    const keys = puts().map((p) => p.key);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});

describe('objectsOf', () => {
  const row = (scope: string, receivedOn: string, id: string): ArchiveRow => ({ scope, device: 'd', id, receivedOn });

  it('groups rows by scope and UTC day of receipt, and URI-encodes a scope', () => {
    const objects = objectsOf([
      row('a', '2026-11-21T23:59:59.999Z', 'B'),
      undefined,
      row('a', '2026-11-22T00:00:00.000Z', 'C'),
      row('a/b', '2026-11-21T01:00:00.000Z', 'D'),
      row('a', '2026-11-21T02:00:00.000Z', 'A'),
    ]);
    expect(objects.map((o) => [o.key.replace(/-[0-9a-f]{16}\.jsonl\.gz$/, ''), o.rows])).toEqual([
      ['callbacks/scope=a/day=2026-11-21/A', [0, 4]],
      ['callbacks/scope=a/day=2026-11-22/C', [2]],
      ['callbacks/scope=a%2Fb/day=2026-11-21/D', [3]],
    ]);
  });
});

describe('LocalArchiveSink', () => {
  it('writes objects as files in the same layout, under its directory only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-sink-'));
    try {
      const sink = new LocalArchiveSink(dir);
      const [object] = objectsOf([{ scope: SCOPE, device: 'd', id: 'A', receivedOn: '2026-11-21T10:00:00.000Z', body: '{}' }]);
      await sink.put(object!.key, object!.body);
      expect(JSON.parse(gunzipSync(readFileSync(join(dir, object!.key))).toString())).toMatchObject({ scope: SCOPE, body: '{}' });
      await expect(sink.put('../escape.jsonl.gz', Buffer.from(''))).rejects.toThrow(/outside/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LocalArchiver (npm start)', () => {
  it('buffers what the store wrote and archives it on close: events only, in the same layout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-local-'));
    try {
      // Prepare: an hour-long interval, so only close() flushes.
      const archiver = new LocalArchiver(dir, noBodies, 3_600);
      archiver.listener(itemsOf('connectivity', CONNECTIVITY));

      // Act
      await archiver.close();

      // Assess: the two devices' events, in one object of the scope's day; no notification.
      const day = join(dir, 'callbacks', `scope=${SCOPE}`, 'day=2026-11-21');
      const [file, ...more] = readdirSync(day);
      expect(more).toEqual([]);
      const rows = gunzipSync(readFileSync(join(day, file!)))
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ArchiveRow);
      expect(rows.map((r) => r.device).sort()).toEqual(['354403064522046', '89148000000800139708']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps what a flush could not write for the next flush, and gives up after its tries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-local-'));
    try {
      // The archive's `callbacks` is a file: no object can be written under it (as with a full disk).
      writeFileSync(join(dir, 'callbacks'), '');
      const archiver = new LocalArchiver(dir, noBodies, 3_600);
      archiver.listener(itemsOf('diagnostics', diagnostics(1)));
      await archiver.flush();
      // The obstacle goes: the next flush (here, close) writes what failed.
      rmSync(join(dir, 'callbacks'));
      await archiver.close();
      expect(readdirSync(join(dir, 'callbacks', `scope=${SCOPE}`, 'day=2026-11-21'))).toHaveLength(1);

      // An obstacle that stays: tried LOCAL_ARCHIVE_TRIES times, then given up (close() ends).
      rmSync(join(dir, 'callbacks'), { recursive: true });
      writeFileSync(join(dir, 'callbacks'), '');
      const stuck = new LocalArchiver(dir, noBodies, 3_600);
      stuck.listener(itemsOf('diagnostics', diagnostics(2)));
      for (let i = 0; i < LOCAL_ARCHIVE_TRIES; i++) await stuck.flush();
      rmSync(join(dir, 'callbacks'));
      await stuck.close();
      expect(existsSync(join(dir, 'callbacks'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a row whose body is undecodable is archived without it, marked, never dropped', async () => {
    const [event] = itemsOf('diagnostics', diagnostics(6)).filter(isEvent);
    const damaged = { ...event!, [ATTR.body]: Buffer.from([9, 1, 2, 3]) };
    await archiver()({ Records: [record(damaged)] });
    expect(puts()[0]!.rows).toEqual([expect.objectContaining({ bodyError: 'undecodable', device: '990013907835001' })]);
    expect(puts()[0]!.rows[0]).not.toHaveProperty('body');
  });
});

describe('the documented queries', () => {
  it('fill their placeholders, quoting values as SQL strings', () => {
    const sql = fillQuery(QUERIES.signalPerDay, { scope: "o'brien", device: 'd1', from: '2026-11-01', to: '2026-11-30' });
    expect(sql).toContain("scope = 'o''brien'");
    expect(sql).toContain("day BETWEEN '2026-11-01' AND '2026-11-30'");
    expect(sql).not.toMatch(/\{\w+\}/);
  });
});
