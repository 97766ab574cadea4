import { MalformedSecretError, parseChannelSecret, validVersions } from '../../shared/secrets/channel-secret';

describe('channel secret versions', () => {
  const secret = parseChannelSecret(
    'thingspace/a/diagnostics',
    '{"current":{"key":"k2"},"previous":{"key":"k1"},"previousValidUntil":"2026-11-22T10:00:00.000Z"}',
  );

  it('includes previous until previousValidUntil, and only current from that instant on', () => {
    expect(validVersions(secret, new Date('2026-11-22T09:59:59.999Z')).map((v) => v.key)).toEqual(['k2', 'k1']);
    expect(validVersions(secret, new Date('2026-11-22T10:00:00.000Z')).map((v) => v.key)).toEqual(['k2']);
    expect(validVersions(secret, new Date('2026-11-23T00:00:00.000Z')).map((v) => v.key)).toEqual(['k2']);
  });

  it('ignores a previous without a validity date', () => {
    const s = parseChannelSecret('n', '{"current":{"key":"k2"},"previous":{"key":"k1"}}');
    expect(validVersions(s, new Date()).map((v) => v.key)).toEqual(['k2']);
  });

  it.each(['not json', '{}', '{"current":"k"}', '{"current":{"key":1}}', '{"current":{"key":"k"},"previousValidUntil":"tomorrow"}'])(
    'refuses a malformed value (%s) without quoting it',
    (value) => {
      expect(() => parseChannelSecret('thingspace/a/location', value)).toThrow(MalformedSecretError);
      try {
        parseChannelSecret('thingspace/a/location', value);
      } catch (error) {
        expect((error as Error).message).not.toContain(value);
      }
    },
  );
});
