import fc from 'fast-check';
import type { Channel } from '../../shared/channels';
import { decodeBody, encodeBody } from '../../shared/store/body';
import { idBounds, RECORD_ID, recordId, timeOfId } from '../../shared/record-ids';

const hash = (n: number) => Buffer.alloc(6, n);

describe('record ids', () => {
  it('look like the ids before them (16 base64url characters) and sort as their time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        (a, b, ha, hb) => {
          const ia = recordId(a, ha);
          const ib = recordId(b, hb);
          expect(ia).toMatch(/^[A-Za-z0-9_-]{16}$/);
          expect(timeOfId(ia)).toBe(a);
          if (a < b) expect(ia < ib).toBe(true);
          if (a > b) expect(ia > ib).toBe(true);
        },
      ),
    );
  });

  it('bound a time: every id of that millisecond lies between its first and last', () => {
    const t = Date.parse('2026-11-21T10:00:00.000Z');
    const { first, last } = idBounds(t);
    for (const n of [0, 1, 127, 255]) {
      const id = recordId(t, hash(n));
      expect(first <= id && id <= last).toBe(true);
    }
    expect(recordId(t - 1, hash(255)) < first).toBe(true);
    expect(recordId(t + 1, hash(0)) > last).toBe(true);
  });

  it('refuse what is not an id', () => {
    expect(timeOfId('short')).toBeUndefined();
    expect(timeOfId('AAAAAAAAAAAAAAA=')).toBeUndefined();
    expect(RECORD_ID.test('-P6xY5Z-sYdzA7Mx')).toBe(true);
    expect(() => recordId(-1, hash(0))).toThrow(RangeError);
  });
});

describe('stored bodies', () => {
  const channels: Channel[] = ['diagnostics', 'location', 'device-location', 'connectivity', 'soap', 'sensoro'];

  it('give back exactly the bytes stored, whatever they are', () => {
    fc.assert(
      fc.property(fc.constantFrom(...channels), fc.uint8Array({ maxLength: 2_000 }), (channel, bytes) => {
        const body = Buffer.from(bytes);
        expect(decodeBody(channel, encodeBody(channel, body)).equals(body)).toBe(true);
        expect(encodeBody(channel, body).length).toBeLessThanOrEqual(body.length + 1);
      }),
    );
  });

  it('shrink a typical small callback to well under half with the channel dictionary', () => {
    const body = Buffer.from(
      '{"transactionID":"tx-0001","device":{"id":"990013907835573","kind":"imei"},"attributes":[{"name":"RADIO_SIGNAL_STRENGTH","value":"-71","createdOn":"2026-11-21T10:00:00.000Z"}]}',
    );
    const stored = encodeBody('diagnostics', body);
    expect(stored[0]).toBe(2);
    expect(stored.length).toBeLessThan(body.length / 2);
  });

  it('refuse a stored form it does not know', () => {
    expect(() => decodeBody('diagnostics', Buffer.of(9, 1, 2))).toThrow(/format/);
  });
});
