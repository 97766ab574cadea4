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

  it('verifies with a pending version beside current, with no end, while registrations move to it', () => {
    const s = parseChannelSecret(
      'thingspace/a/connectivity',
      '{"current":{"username":"u1","password":"p1"},"pending":{"username":"u2","password":"p2"},"pendingServices":["CarrierService"],"rotatedOn":"2026-01-01T00:00:00.000Z"}',
    );
    expect(validVersions(s, new Date('2030-01-01T00:00:00.000Z')).map((v) => v.username)).toEqual(['u1', 'u2']);
  });

  it('verifies with current, pending and a previous still in its grace period together', () => {
    const s = parseChannelSecret(
      'n',
      '{"current":{"key":"k2"},"pending":{"token":"t3"},"previous":{"key":"k1"},"previousValidUntil":"2026-11-22T10:00:00.000Z"}',
    );
    expect(validVersions(s, new Date('2026-11-22T09:00:00.000Z'))).toEqual([{ key: 'k2' }, { token: 't3' }, { key: 'k1' }]);
    expect(validVersions(s, new Date('2026-11-22T11:00:00.000Z'))).toEqual([{ key: 'k2' }, { token: 't3' }]);
  });

  it.each([
    'not json',
    '{"current":{"key":"k"},"pending":"k"}',
    '{"current":{"key":"k"},"pending":{"key":1}}',
    '{}',
    '{"current":"k"}',
    '{"current":{"key":1}}',
    '{"current":{"key":"k"},"previousValidUntil":"tomorrow"}',
  ])('refuses a malformed value (%s) without quoting it', (value) => {
    expect(() => parseChannelSecret('thingspace/a/location', value)).toThrow(MalformedSecretError);
    try {
      parseChannelSecret('thingspace/a/location', value);
    } catch (error) {
      expect((error as Error).message).not.toContain(value);
    }
  });
});
