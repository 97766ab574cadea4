import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BadRequestError, GatewayError } from '../../shared/errors';
import { toRecords } from '../../shared/mapping';
import { eventPk } from '../../shared/store/table';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';
import { deviceLocationChannel, locationChannel } from '../../shared/thingspace/location';
import { providerTime, statusOf } from '../../shared/payload';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));
const ACCOUNT = '0212312345-00001';
const receivedOn = new Date('2026-11-21T12:00:00.000Z');

function records(channel: typeof diagnosticsChannel | typeof locationChannel | typeof deviceLocationChannel, body: Buffer) {
  const facts = (channel.map as (m: unknown, a: string) => ReturnType<typeof diagnosticsChannel.map>)(channel.parse(body), ACCOUNT);
  return toRecords({ provider: 'thingspace', channel: channel.channel, scopeId: ACCOUNT, body, receivedOn }, facts);
}

describe('Diagnostics callbacks', () => {
  it('become one event of the device and a RUNNING notification of the observation', () => {
    const body = fixture('diagnostics-observation.json');
    const { events, notifications } = records(diagnosticsChannel, body);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      scopeId: ACCOUNT,
      deviceId: '990013907835573',
      deviceKind: 'imei',
      resource: 'diagnostics',
      operationId: '2c9a8f3e-obs-0001',
      receivedOn: '2026-11-21T12:00:00.000Z',
      sentOn: '2026-11-21T10:00:01.000Z', // the latest attribute time
      rawBody: body.toString('utf8'),
    });
    expect(events[0]!.payload.attributes).toEqual([
      { name: 'RADIO_SIGNAL_STRENGTH', value: '-71', createdOn: '2026-11-21T10:00:00.000Z' },
      { name: 'LINK_QUALITY', value: 'GOOD', createdOn: '2026-11-21T10:00:01.000Z' },
      { name: 'CELL_ID', value: '310-410-12345-678', createdOn: '2026-11-21T10:00:01.000Z' },
    ]);
    expect(notifications).toEqual([
      expect.objectContaining({
        operationId: '2c9a8f3e-obs-0001',
        deviceId: '990013907835573',
        status: 'RUNNING',
        progress: 0,
        resource: 'diagnostics',
        createdOn: '2026-11-21T12:00:00.000Z',
        createdBy: 'thingspace',
      }),
    ]);
  });

  it('give the same ids for the same bytes and different ids for different bytes', () => {
    const body = fixture('diagnostics-observation.json');
    const a = records(diagnosticsChannel, body);
    const b = records(diagnosticsChannel, Buffer.from(body));
    const c = records(diagnosticsChannel, Buffer.concat([body, Buffer.from(' ')]));
    expect(b.events[0]!.id).toBe(a.events[0]!.id);
    expect(b.notifications[0]!.id).toBe(a.notifications[0]!.id);
    expect(c.events[0]!.id).not.toBe(a.events[0]!.id);
    expect(a.events[0]!.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('without a transactionID or device become one event under the account and no notification', () => {
    const { events, notifications } = records(diagnosticsChannel, Buffer.from('{"attributes":[]}'));
    expect(events.map((e) => [e.deviceId, e.deviceKind])).toEqual([[ACCOUNT, 'account']]);
    expect(notifications).toEqual([]);
  });

  it('keep one event per distinct device named', () => {
    const body = Buffer.from(
      JSON.stringify({
        transactionID: 't',
        deviceIds: [
          { id: 'A', kind: 'imei' },
          { id: 'B', kind: 'imei' },
          { id: 'A', kind: 'IMEI' },
        ],
      }),
    );
    const { events, notifications } = records(diagnosticsChannel, body);
    expect(events.map((e) => e.deviceId)).toEqual(['A', 'B']);
    expect(notifications.map((n) => n.deviceId)).toEqual(['A', 'B']);
    // Each record's id is the message id; the partition (device, operation) keeps them apart.
    expect(new Set([...events, ...notifications].map((r) => r.id))).toEqual(new Set([events[0]!.messageId]));
    expect(new Set(events.map((e) => eventPk(e.scopeId, e.deviceId))).size).toBe(2);
  });

  it.each([
    ['an attribute without a name', '{"attributes":[{"value":"1"}]}'],
    ['attributes that are not a list', '{"attributes":"x"}'],
    ['a device id with a control character', '{"device":{"id":"a\\u0000b","kind":"imei"}}'],
    ['a device id that is too long', JSON.stringify({ device: { id: 'x'.repeat(200), kind: 'imei' } })],
  ])('refuse %s with a 400', (_label, text) => {
    expect(() => records(diagnosticsChannel, Buffer.from(text))).toThrow(BadRequestError);
  });
});

describe('Device Location callbacks', () => {
  it('turn a location result into an event with the position and a COMPLETED notification', () => {
    const { events, notifications } = records(deviceLocationChannel, fixture('device-location-result.json'));
    expect(events[0]).toMatchObject({
      deviceId: '990013907835573',
      deviceKind: 'imei',
      resource: 'device-location',
      action: 'location-result',
      sentOn: '2026-11-21T10:05:00.000Z',
      payload: { mdn: '7892345678', location: { latitude: '33.45', longitude: '-84.59', radius: '1000', time: '2026-11-21T10:05:00.000Z' } },
    });
    expect(notifications[0]).toMatchObject({ operationId: '5d7a1f0c-loc-0042', status: 'COMPLETED', progress: 100, message: 'location 33.45,-84.59 ±1000 m' });
  });

  it('turn an error result into a FAILED notification with the provider message', () => {
    const { events, notifications } = records(deviceLocationChannel, fixture('device-location-error.json'));
    expect(events[0]).toMatchObject({ deviceId: '7892345679', deviceKind: 'mdn', payload: { error: { code: 'CONSENT_DENIED' } } });
    expect(notifications[0]).toMatchObject({ status: 'FAILED', progress: 100, message: 'Device owner denied consent', sentOn: '2026-11-21T10:06:00.000Z' });
  });

  it('turn a report-ready message on the Location route into a notification under the account', () => {
    const { events, notifications } = records(locationChannel, fixture('location-report-ready.json'));
    expect(events[0]).toMatchObject({ deviceId: ACCOUNT, deviceKind: 'account', resource: 'location', action: 'report-status' });
    expect(notifications[0]).toMatchObject({ operationId: 'a7b3-report-0007', status: 'COMPLETED', progress: 100 });
  });
});

describe('provider values', () => {
  it('reads ThingSpace times in their three forms and refuses the implausible', () => {
    expect(providerTime('20261121100500')?.toISOString()).toBe('2026-11-21T10:05:00.000Z');
    expect(providerTime('2026-11-21T10:05:00Z')?.toISOString()).toBe('2026-11-21T10:05:00.000Z');
    expect(providerTime(1_795_000_000_000)?.toISOString()).toBe(new Date(1_795_000_000_000).toISOString());
    expect(providerTime('99999999999999')).toBeUndefined();
    expect(providerTime('yesterday')).toBeUndefined();
    expect(providerTime(1)).toBeUndefined();
  });

  it('maps status words to Kapua statuses', () => {
    expect(['Delivered', 'Completed', 'SUCCESS', 'DeliveryFailed', 'Queued', undefined].map(statusOf)).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
      'FAILED',
      'RUNNING',
      'RUNNING',
    ]);
  });
});

describe('fuzz: any body yields records or our own 400, never another error', () => {
  const channels = [diagnosticsChannel, locationChannel, deviceLocationChannel];
  const jsonish = fc.oneof(
    fc.json({ depthSize: 'medium' }),
    fc.jsonValue().map((v) => JSON.stringify({ device: v, txid: v, transactionID: v, attributes: v, location: v, error: v })),
    fc
      .record({ device: fc.record({ id: fc.string(), kind: fc.string() }), attributes: fc.array(fc.record({ name: fc.string(), value: fc.jsonValue() })) })
      .map((v) => JSON.stringify(v)),
    fc.string(),
  );

  it.each(channels.map((c) => [c.channel, c] as const))('%s', (_name, channel) => {
    fc.assert(
      fc.property(jsonish, (text) => {
        try {
          const mapped = records(channel, Buffer.from(text));
          expect(mapped.events.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(GatewayError);
          expect((error as GatewayError).statusCode).toBe(400);
        }
      }),
      { numRuns: 500 },
    );
  });
});
