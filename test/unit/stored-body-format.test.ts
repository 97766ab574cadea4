import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Channel } from '../../shared/channels';
import { decodeBody, dictionaryDigests, encodeBody, StoredBodyCorruptError } from '../../shared/store/body';

// The stored body format is pinned: bodies written by every format this code ever wrote must read
// back byte for byte, for the whole retention. A dictionary edit (one letter of
// RADIO_SIGNAL_STRENGTH) changes a digest below and the stored bytes of format 2, and a body read
// with another dictionary than its own fails loudly instead of decoding wrong.
interface Pinned {
  dictionarySha256: Record<Channel, string>;
  bodies: { channel: Channel; format: number; body: string; stored: string }[];
}
const pinned = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'stored-bodies.json'), 'utf8')) as Pinned;

describe('the stored body format', () => {
  it('keeps every dictionary byte for byte (SHA-256 pinned)', () => {
    expect(dictionaryDigests()).toEqual(pinned.dictionarySha256);
  });

  it.each(pinned.bodies.map((b) => [b.channel, b.format, b] as const))('reads back a %s body stored in format %i exactly', (channel, _format, b) => {
    expect(decodeBody(channel, Buffer.from(b.stored, 'base64')).toString('utf8')).toBe(b.body);
  });

  it.each(pinned.bodies.filter((b) => b.format !== 1).map((b) => [b.channel, b.format, b] as const))(
    'writes a %s body in format %i, byte for byte as pinned',
    (channel, _format, b) => {
      expect(encodeBody(channel, Buffer.from(b.body)).toString('base64')).toBe(b.stored);
    },
  );

  it('refuses a body inflated with another dictionary than its own, instead of decoding it wrong', () => {
    const diagnostics = pinned.bodies.find((b) => b.channel === 'diagnostics' && b.format === 2)!;
    for (const other of ['location', 'device-location', 'connectivity', 'soap', 'sensoro'] as const) {
      expect(() => decodeBody(other, Buffer.from(diagnostics.stored, 'base64'))).toThrow(StoredBodyCorruptError);
    }
  });

  it('never reads altered bytes as another body: a flipped bit fails the checksum or the inflate (or lands in unused padding bits)', () => {
    const pin = pinned.bodies.find((b) => b.channel === 'sensoro' && b.format === 2)!;
    const stored = Buffer.from(pin.stored, 'base64');
    for (let i = 1; i < stored.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const altered = Buffer.from(stored);
        altered[i]! ^= bit;
        let decoded: Buffer | undefined;
        try {
          decoded = decodeBody('sensoro', altered);
        } catch (error) {
          expect(error).toBeInstanceOf(StoredBodyCorruptError);
        }
        if (decoded !== undefined) expect(decoded.toString('utf8')).toBe(pin.body);
      }
    }
  });

  it('refuses an unknown format byte and a truncated header', () => {
    expect(() => decodeBody('diagnostics', Buffer.of(0x7f, 1, 2))).toThrow(StoredBodyCorruptError);
    expect(() => decodeBody('diagnostics', Buffer.of(2, 1, 2))).toThrow(StoredBodyCorruptError);
  });
});
