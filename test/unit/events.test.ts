import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import Ajv2020 from 'ajv/dist/2020';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Channel } from '../../shared/channels';
import type { BodyReader } from '../../shared/store/published';
import { EVENT_SOURCE, MAX_ENTRY_BYTES } from '../../shared/events/contract';
import { EventBridgeSink } from '../../shared/events/eventbridge';
import { createStreamPublisher } from '../../shared/events/stream';
import { itemOfImage } from '../../shared/store/published';
import { storedBodyOf } from '../../shared/store/records';
import { ATTR, TABLE } from '../../shared/store/table';
import { logger } from '../../shared/log';
import * as stream from '../support/stream';

// The stream publisher on hand-built stream events: records in DynamoDB JSON, as Lambda delivers
// them, made from the items the real store writes; EventBridge mocked (no local engine exists).

const SCOPE = '0212312345-00001';
const BUS = 'gateway-events';
const eventBridge = mockClient(EventBridgeClient);

const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'shared', 'events', 'detail.schema.json'), 'utf8'));
// strictRequired is off only because `then: { required: [...] }` names properties declared beside the `if`.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
const validateDetail = ajv.compile(schema);

const itemsOf = (channel: Channel, body: string, receivedOn?: Date) => stream.itemsOf(SCOPE, channel, body, receivedOn);
const { imageOf, streamRecord: record } = stream;

const streamEvent = (records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

/** A Connectivity callback of an operation naming two devices: two events (one holding the body) and two notifications. */
const connectivity = (requestId = 'req-1', status = 'DeliveryFailed') =>
  JSON.stringify({
    requestId,
    status,
    deviceIds: [
      { id: '89148000000800139708', kind: 'iccid' },
      { id: '354403064522046', kind: 'imei' },
    ],
    smsDelivery: { state: 'x' },
  });

/** A Diagnostics observation of one device at 10:mm. */
const diagnostics = (minute: number, device = '990013907835001') =>
  JSON.stringify({
    device: { id: device, kind: 'imei' },
    attributes: [{ name: 'LINK_QUALITY', value: `GOOD-${minute}`, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });

/** Every entry PutEvents was called with, per call. */
const calls = () => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries as PutEventsRequestEntry[]);
const accepted = (entries: PutEventsRequestEntry[] | undefined) => ({ FailedEntryCount: 0, Entries: (entries ?? []).map((_, i) => ({ EventId: `id-${i}` })) });

const noBodies: BodyReader = async () => undefined;
const publisher = (readBody: BodyReader = noBodies) =>
  createStreamPublisher(readBody, new EventBridgeSink(new EventBridgeClient({ region: 'eu-west-1' }), BUS, { backoffMs: 1 }));

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => accepted(input.Entries));
});

describe('itemOfImage', () => {
  it('reads strings, numbers and base64 binaries back into the item the store wrote', () => {
    const [item] = itemsOf('diagnostics', diagnostics(1));
    const back = itemOfImage(imageOf(item!));
    expect(back).toEqual(item);
    expect(Buffer.isBuffer(back[ATTR.body])).toBe(true);
  });

  it('refuses an attribute type no callback record uses', () => {
    expect(() => itemOfImage({ pk: { S: 'EV#a#b' }, l: { L: [] } })).toThrow(/type/);
  });
});

describe('the stream publisher', () => {
  it('publishes one event per inserted event or notification, in plain JSON that validates, and skips everything else', async () => {
    const items = itemsOf('connectivity', connectivity());
    expect(items.map((i) => String(i[TABLE.partitionKey]).slice(0, 3))).toEqual(['EV#', 'EV#', 'NO#', 'NO#']);
    const receipt = { [TABLE.partitionKey]: `RC#${SCOPE}#x`, [TABLE.sortKey]: 'h', [ATTR.receivedOn]: 1 };
    const records = [record(receipt), ...items.map((i) => record(i)), record(items[0]!, 'REMOVE'), record(items[2]!, 'MODIFY')];

    const out = await publisher()(streamEvent(records));

    expect(out).toEqual({ batchItemFailures: [] });
    const entries = calls().flat();
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      [BUS, EVENT_SOURCE, 'ThingSpace Connectivity Callback'],
      [BUS, EVENT_SOURCE, 'ThingSpace Connectivity Callback'],
      [BUS, EVENT_SOURCE, 'Operation Notification'],
      [BUS, EVENT_SOURCE, 'Operation Notification'],
    ]);
    const details = entries.map((e) => JSON.parse(e.Detail!));
    for (const detail of details) expect({ detail, problems: validateDetail(detail) ? [] : validateDetail.errors }).toEqual({ detail, problems: [] });
    // Plain JSON, never DynamoDB's attribute-value wrapping, never the raw body.
    expect(JSON.stringify(details)).not.toMatch(/\{"S":|\{"N":|\{"B":|rawBody|"b":/);
    const [first, second, n1, n2] = details;
    expect(first).toMatchObject({
      recordType: 'event',
      scopeId: SCOPE,
      deviceId: '89148000000800139708',
      deviceKind: 'iccid',
      provider: 'thingspace',
      channel: 'connectivity',
      resource: 'smsDelivery',
      action: 'callback',
      operationId: 'req-1',
      receivedOn: '2026-11-21T10:00:05.000Z',
      payload: { smsDelivery: { state: 'x' }, status: 'DeliveryFailed' },
      replayed: false,
    });
    // The second device's event shares the first's body (in the same batch): the same payload.
    expect(second).toMatchObject({ deviceId: '354403064522046', deviceKind: 'imei', payload: first.payload, recordId: first.recordId });
    expect(n1).toMatchObject({
      recordType: 'notification',
      deviceId: '89148000000800139708',
      operationId: 'req-1',
      status: 'FAILED',
      progress: 100,
      message: 'status DeliveryFailed',
    });
    expect(n2).toMatchObject({ recordType: 'notification', deviceId: '354403064522046', status: 'FAILED' });
    expect(new Set(details.map((d) => d.messageId)).size).toBe(1);
  });

  it("skips any other item even without the mapping's filter, and reports an event image it cannot read", async () => {
    const apiKey = record({ [TABLE.partitionKey]: 'APIKEY', [TABLE.sortKey]: 'hash' });
    apiKey.dynamodb!.NewImage!.canDelete = { BOOL: true };
    const odd = record(itemsOf('diagnostics', diagnostics(5))[0]!);
    odd.dynamodb!.NewImage!.extra = { L: [] };

    const out = await publisher()(streamEvent([apiKey, odd]));

    expect(out.batchItemFailures).toEqual([{ itemIdentifier: odd.dynamodb!.SequenceNumber }]);
    expect(calls()).toEqual([]);
  });

  it('reads a shared body the batch does not hold from the table (GetItem), and publishes the event with it', async () => {
    const [holder, further] = itemsOf('connectivity', connectivity());
    const asked: string[] = [];
    const readBody: BodyReader = async (scopeId, device, sk) => {
      asked.push(`${scopeId} ${device} ${sk}`);
      return storedBodyOf(holder);
    };

    const out = await publisher(readBody)(streamEvent([record(further!)]));

    expect(out.batchItemFailures).toEqual([]);
    expect(asked).toEqual([`${SCOPE} 89148000000800139708 ${holder![TABLE.sortKey] as string}`]);
    expect(JSON.parse(calls()[0]![0]!.Detail!)).toMatchObject({ deviceId: '354403064522046', payload: { status: 'DeliveryFailed' } });
  });

  it('reports a record whose shared body is nowhere as a batch item failure, and publishes the others', async () => {
    const [, further, notification] = itemsOf('connectivity', connectivity());
    const records = [record(further!), record(notification!)];

    const out = await publisher(noBodies)(streamEvent(records));

    expect(out.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }]);
    expect(
      calls()
        .flat()
        .map((e) => e.DetailType),
    ).toEqual(['Operation Notification']);
  });

  it('publishes an event whose stored body cannot be decoded with bodyError and no payload, and reports no failure for it (a retry can never succeed)', async () => {
    const marker = 'BODY-BYTES-MUST-NOT-LEAK';
    const [bad] = itemsOf('diagnostics', diagnostics(6));
    bad![ATTR.body] = Buffer.concat([Buffer.of(0x7f), Buffer.from(marker)]);
    // A multi-device callback whose shared body is damaged: both events, and the notifications, still go out.
    const shared = itemsOf('connectivity', connectivity('req-bad'));
    shared[0]![ATTR.body] = Buffer.concat([Buffer.of(0x7f), Buffer.from(marker)]);
    const good = itemsOf('diagnostics', diagnostics(7))[0]!;
    const records = [bad!, ...shared, good].map((i) => record(i));
    const spy = jest.spyOn(logger, 'error');
    let out;
    let errors: unknown[][];
    try {
      out = await publisher()(streamEvent(records));
    } finally {
      errors = [...spy.mock.calls];
      spy.mockRestore();
    }

    expect(out.batchItemFailures).toEqual([]);
    const details = calls()
      .flat()
      .map((e) => JSON.parse(e.Detail!));
    expect(details.map((d) => [d.recordType, d.deviceId, d.bodyError, d.payload !== undefined])).toEqual([
      ['event', '990013907835001', 'undecodable', false],
      ['event', '89148000000800139708', 'undecodable', false],
      ['event', '354403064522046', 'undecodable', false],
      ['notification', '89148000000800139708', undefined, false],
      ['notification', '354403064522046', undefined, false],
      ['event', '990013907835001', undefined, true],
    ]);
    for (const detail of details) expect({ detail, problems: validateDetail(detail) ? [] : validateDetail.errors }).toEqual({ detail, problems: [] });
    // The marker is declared for events only, and excludes a payload.
    expect(validateDetail({ ...details[5], bodyError: 'undecodable' })).toBe(false);
    expect(validateDetail({ ...details[3], bodyError: 'undecodable' })).toBe(false);
    expect(JSON.stringify(details)).not.toContain(marker);
    // Logged by its ids, never its bytes.
    const logged = JSON.stringify(errors);
    expect(errors).toContainEqual([
      'stored body not decodable',
      expect.objectContaining({ scopeId: SCOPE, deviceId: '990013907835001', recordId: bad![TABLE.sortKey], channel: 'diagnostics' }),
    ]);
    expect(logged).not.toContain(marker);
    expect(logged).not.toContain(Buffer.from(marker).toString('base64'));
  });

  it("publishes a record's sentOn as the provider time kept beside its id (ATTR.sentOn), else the id's own", async () => {
    const [event, notification] = itemsOf(
      'connectivity',
      JSON.stringify({ requestId: 'req-future', status: 'Delivered', deviceIds: [{ id: 'dev-f', kind: 'imei' }], smsDelivery: { state: 'x' } }),
    );
    const later = Date.UTC(2031, 0, 1);
    const records = [{ ...event!, [ATTR.sentOn]: later }, { ...notification!, [ATTR.sentOn]: later }, ...itemsOf('diagnostics', diagnostics(8))].map((i) =>
      record(i),
    );

    await publisher()(streamEvent(records));

    expect(
      calls()
        .flat()
        .map((e) => JSON.parse(e.Detail!).sentOn),
    ).toEqual(['2031-01-01T00:00:00.000Z', '2031-01-01T00:00:00.000Z', '2026-11-21T10:08:00.000Z']);
  });

  it('resends exactly the failed entries of a partial PutEvents failure', async () => {
    const records = [1, 2, 3].map((m) => record(itemsOf('diagnostics', diagnostics(m))[0]!));
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, { EventId: 'c' }] })
      .callsFake((input: { Entries?: PutEventsRequestEntry[] }) => accepted(input.Entries));

    const out = await publisher()(streamEvent(records));

    expect(out.batchItemFailures).toEqual([]);
    const [firstCall, resend] = calls();
    expect(firstCall).toHaveLength(3);
    expect(resend).toEqual([firstCall![1]]);
  });

  it('reports the records whose entries still fail after the resends, and only those', async () => {
    const records = [1, 2, 3].map((m) => record(itemsOf('diagnostics', diagnostics(m))[0]!));
    // The second entry of every call fails.
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries!.map((e, i) =>
        e === input.Entries![input.Entries!.length === 3 ? 1 : 0] ? { ErrorCode: 'InternalFailure' } : { EventId: `id-${i}` },
      ),
    }));

    const out = await publisher()(streamEvent(records));

    expect(out.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }]);
    // The first call and two resends of the one failing entry (three attempts in all).
    expect(calls().map((c) => c.length)).toEqual([3, 1, 1]);
  });

  it('reports every record of a call that fails as a whole (the SDK retried it already)', async () => {
    const records = [1, 2].map((m) => record(itemsOf('diagnostics', diagnostics(m))[0]!));
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));

    const out = await publisher()(streamEvent(records));

    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.dynamodb!.SequenceNumber));
  });

  it('puts at most 10 entries in one call, in stream order', async () => {
    const records = Array.from({ length: 23 }, (_, m) => record(itemsOf('diagnostics', diagnostics(m, `dev-${m}`))[0]!));

    await publisher()(streamEvent(records));

    expect(calls().map((c) => c.length)).toEqual([10, 10, 3]);
    expect(
      calls()
        .flat()
        .map((e) => JSON.parse(e.Detail!).deviceId),
    ).toEqual(records.map((_, m) => `dev-${m}`));
  });

  it('keeps each call within 256 KB, and an event too large for one entry loses its payload rather than never being published', async () => {
    // SENSORO sensor data with a large reading: small stored (it compresses), large as a payload.
    const push = (sn: string, kb: number) =>
      JSON.stringify({
        appId: 'app-1',
        sn,
        type: 'text',
        deviceType: 'node',
        createdTime: 1_763_719_200_000,
        msgId: kb,
        data: { samples: 'ab'.repeat(kb * 512) },
      });
    const items = [itemsOf('sensoro', push('sn-1', 100))[0]!, itemsOf('sensoro', push('sn-2', 100))[0]!, itemsOf('sensoro', push('sn-3', 300))[0]!];

    const out = await publisher()(streamEvent(items.map((i) => record(i))));

    expect(out.batchItemFailures).toEqual([]);
    const sizes = calls().map((c) =>
      c.reduce((sum, e) => sum + Buffer.byteLength(e.Source!) + Buffer.byteLength(e.DetailType!) + Buffer.byteLength(e.Detail!), 0),
    );
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    const details = calls()
      .flat()
      .map((e) => JSON.parse(e.Detail!));
    expect(details.map((d) => [d.deviceId, d.payload !== undefined, d.payloadOmitted])).toEqual([
      ['sn-1', true, undefined],
      ['sn-2', true, undefined],
      ['sn-3', false, true],
    ]);
    expect(
      calls()
        .flat()
        .map((e) => e.DetailType),
    ).toEqual(['SENSORO Sensor Data', 'SENSORO Sensor Data', 'SENSORO Sensor Data']);
    for (const detail of details) expect(validateDetail(detail)).toBe(true);
  });

  it('names a SENSORO task result by its own detail-type', async () => {
    const task = JSON.stringify({ appId: 'app-1', type: 'event', taskId: 'task-9', resultCode: 0, resultData: { sn: 'sn-9' }, createdTime: 1_763_719_200_000 });
    await publisher()(streamEvent(itemsOf('sensoro', task).map((i) => record(i))));
    expect(
      calls()
        .flat()
        .map((e) => [e.DetailType, JSON.parse(e.Detail!).status]),
    ).toEqual([
      ['SENSORO Task Result', undefined],
      ['Operation Notification', 'COMPLETED'],
    ]);
  });
});
