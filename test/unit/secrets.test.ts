import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceUnavailableError, SignatureMismatchError, TooManyRequestsError } from '../../shared/errors';
import { SecretBudgetExhausted, SecretCache } from '../../shared/secrets/cache';
import { SecretsManagerSource } from '../../shared/secrets/secrets-manager-source';
import { SecretUnavailableError, type SecretSource } from '../../shared/secrets/source';
import { verifyWithSecret } from '../../shared/secrets/verify-with-secret';

/** A source whose value the test changes, counting reads. */
class FakeSource implements SecretSource {
  reads = 0;
  constructor(public value: string | undefined) {}
  async get(): Promise<string | undefined> {
    this.reads++;
    return this.value;
  }
}

const secret = (key: string) => JSON.stringify({ current: { key } });

describe('SecretsManagerSource', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  it('reads the secret under the prefix', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'iot-gateway/thingspace/a/location' }).resolves({ SecretString: secret('k') });
    const source = new SecretsManagerSource(new SecretsManagerClient({ region: 'us-east-1' }), 'iot-gateway/');
    await expect(source.get('thingspace/a/location')).resolves.toBe(secret('k'));
  });

  it('answers undefined for a secret that does not exist', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    const source = new SecretsManagerSource(new SecretsManagerClient({ region: 'us-east-1' }), '');
    await expect(source.get('x')).resolves.toBeUndefined();
  });

  it('turns any other failure into SecretUnavailableError', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const source = new SecretsManagerSource(new SecretsManagerClient({ region: 'us-east-1' }), '');
    await expect(source.get('x')).rejects.toBeInstanceOf(SecretUnavailableError);
  });
});

describe('SecretCache', () => {
  it('serves from memory until the TTL, then reads again', async () => {
    let now = 0;
    const source = new FakeSource('v1');
    const cache = new SecretCache(source, { ttlMs: 60_000, now: () => now });
    expect(await cache.get('n')).toEqual({ value: 'v1', fromCache: false });
    source.value = 'v2';
    now = 59_999;
    expect(await cache.get('n')).toEqual({ value: 'v1', fromCache: true });
    now = 60_000;
    expect(await cache.get('n')).toEqual({ value: 'v2', fromCache: false });
    expect(source.reads).toBe(2);
  });

  it('remembers a missing secret only briefly', async () => {
    let now = 0;
    const source = new FakeSource(undefined);
    const cache = new SecretCache(source, { ttlMs: 300_000, missingTtlMs: 10_000, now: () => now });
    await cache.get('n');
    source.value = 'created';
    now = 9_999;
    expect((await cache.get('n')).value).toBeUndefined();
    now = 10_000;
    expect((await cache.get('n')).value).toBe('created');
  });

  it('shares one read between concurrent misses', async () => {
    const source = new FakeSource('v');
    const cache = new SecretCache(source, { ttlMs: 1_000 });
    await Promise.all([cache.get('n'), cache.get('n'), cache.get('n')]);
    expect(source.reads).toBe(1);
  });

  it('refresh reads again, but not twice within the minimum interval', async () => {
    let now = 0;
    const source = new FakeSource('v1');
    const cache = new SecretCache(source, { ttlMs: 60_000, minRefreshIntervalMs: 1_000, now: () => now });
    await cache.get('n');
    expect(await cache.refresh('n')).toBeUndefined();
    now = 1_000;
    source.value = 'v2';
    expect(await cache.refresh('n')).toEqual({ value: 'v2', fromCache: false });
    expect((await cache.get('n')).value).toBe('v2');
  });
});

describe('verifyWithSecret', () => {
  const now = new Date('2026-11-21T12:00:00Z');
  const verifyKey = (expected: string) => (versions: Record<string, string>[]) => {
    if (!versions.some((v) => v.key === expected)) throw new SignatureMismatchError('Signature does not match');
  };

  it('refetches a cached secret once on a mismatch, so a rotated key works at once', async () => {
    const source = new FakeSource(secret('old'));
    const cache = new SecretCache(source, { ttlMs: 300_000, minRefreshIntervalMs: 0 });
    await verifyWithSecret(cache, 'n', now, verifyKey('old'));
    source.value = secret('new');
    await verifyWithSecret(cache, 'n', now, verifyKey('new'));
    expect(source.reads).toBe(2);
    // The refreshed value is now cached: no further read.
    await verifyWithSecret(cache, 'n', now, verifyKey('new'));
    expect(source.reads).toBe(2);
  });

  it('rejects after the one refetch when the signature is still wrong', async () => {
    const source = new FakeSource(secret('k'));
    const cache = new SecretCache(source, { ttlMs: 300_000, minRefreshIntervalMs: 0 });
    await cache.get('n');
    await expect(verifyWithSecret(cache, 'n', now, verifyKey('other'))).rejects.toBeInstanceOf(SignatureMismatchError);
    expect(source.reads).toBe(2);
  });

  it('does not refetch a value it has just read', async () => {
    const source = new FakeSource(secret('k'));
    const cache = new SecretCache(source, { ttlMs: 300_000, minRefreshIntervalMs: 0 });
    await expect(verifyWithSecret(cache, 'n', now, verifyKey('other'))).rejects.toBeInstanceOf(SignatureMismatchError);
    expect(source.reads).toBe(1);
  });

  it('answers 503 for a malformed secret and never calls verify', async () => {
    const cache = new SecretCache(new FakeSource('{"current":42}'), { ttlMs: 1_000 });
    const verify = jest.fn();
    const error = await verifyWithSecret(cache, 'n', now, verify).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).statusCode).toBe(503);
    expect((error as Error).message).toBe('The secret for this account is misconfigured');
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers a missing secret as the channel answers a message that does not verify: keys nobody holds, no refresh', async () => {
    const source = new FakeSource(undefined);
    const cache = new SecretCache(source, { ttlMs: 1_000, minRefreshIntervalMs: 0 });
    const seen: Record<string, string>[][] = [];
    const verify = (versions: Record<string, string>[]) => {
      seen.push(versions);
      throw new SignatureMismatchError('Signature does not match');
    };
    const error = await verifyWithSecret(cache, 'thingspace/unknown/diagnostics', now, verify).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignatureMismatchError);
    expect((error as SignatureMismatchError).message).toBe('Signature does not match');
    expect((error as SignatureMismatchError).logReason).toContain('thingspace/unknown/diagnostics');
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0]![0]!).sort()).toEqual(['appKey', 'appSecret', 'key', 'password', 'token', 'username']);
    expect(source.reads).toBe(1);
  });

  it('reads at most its budget of names not in memory per minute, then refuses them with 429 without a read', async () => {
    let at = 0;
    const source = new FakeSource(undefined);
    const cache = new SecretCache(source, { ttlMs: 60_000, unknownNamesPerMinute: 5, now: () => at });
    const attempt = (name: string) =>
      verifyWithSecret(cache, name, now, () => {
        throw new SignatureMismatchError('Signature does not match');
      }).catch((e: unknown) => e);
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await attempt(`thingspace/random-${i}/diagnostics`));
    expect(source.reads).toBe(5);
    expect(answers.slice(0, 5).every((e) => e instanceof SignatureMismatchError)).toBe(true);
    expect(answers.slice(5).every((e) => e instanceof TooManyRequestsError && e.statusCode === 429)).toBe(true);
    at = 60_000; // the next minute: a new budget
    await attempt('thingspace/another/diagnostics');
    expect(source.reads).toBe(6);
  });

  it('charges the budget for reading a stale "missing" name again, so a full cache of random names is no way around it', async () => {
    let at = 0;
    const source = new FakeSource(undefined);
    const cache = new SecretCache(source, { ttlMs: 60_000, missingTtlMs: 10_000, unknownNamesPerMinute: 3, now: () => at });
    for (const name of ['a', 'b', 'c']) await cache.get(name);
    at = 60_000 + 10_000; // a new minute, every missing entry stale
    for (const name of ['a', 'b', 'c']) await cache.get(name);
    await expect(cache.get('a')).resolves.toMatchObject({ fromCache: true });
    at += 10_000;
    await expect(cache.get('b')).rejects.toBeInstanceOf(SecretBudgetExhausted);
    expect(source.reads).toBe(6);
  });

  it('keeps serving a known name when the budget is spent, and keeps at most maxEntries names (least recently used first)', async () => {
    const source = new FakeSource('{"current":{"key":"k"}}');
    const cache = new SecretCache(source, { ttlMs: 60_000, unknownNamesPerMinute: 3, maxEntries: 2, now: () => 0 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now the most recently used
    await cache.get('c'); // evicts b
    expect(cache.knows('a')).toBe(true);
    expect(cache.knows('b')).toBe(false);
    expect(cache.knows('c')).toBe(true);
    await expect(cache.get('d')).rejects.toBeInstanceOf(SecretBudgetExhausted);
    await expect(cache.get('a')).resolves.toEqual({ value: '{"current":{"key":"k"}}', fromCache: true });
  });

  it('while the budget is spent, refuses a forged request with the same 429 whether its account exists (secret in memory) or not', async () => {
    let at = 0;
    const source = {
      reads: 0,
      async get(name: string) {
        this.reads++;
        return name === 'known' ? secret('k') : undefined;
      },
    };
    const cache = new SecretCache(source, { ttlMs: 300_000, minRefreshIntervalMs: 1_000, unknownNamesPerMinute: 2, now: () => at });
    const forged = (name: string) => verifyWithSecret(cache, name, now, verifyKey('a guess')).catch((e: unknown) => e);
    await verifyWithSecret(cache, 'known', now, verifyKey('k')); // in memory now (one unit of the budget)
    expect(await forged('unknown-1')).toBeInstanceOf(SignatureMismatchError); // the last unit: read, answered as a bad signature
    at = 20_000;
    const known = await forged('known');
    const unknown = await forged('unknown-2');
    for (const answer of [known, unknown]) {
      expect(answer).toBeInstanceOf(TooManyRequestsError);
      expect((answer as TooManyRequestsError).message).not.toMatch(/account|known|seen|memory/i);
    }
    const shape = (e: unknown) => ({
      status: (e as TooManyRequestsError).statusCode,
      code: (e as TooManyRequestsError).errorCode,
      message: (e as Error).message,
      retryAfter: (e as TooManyRequestsError).retryAfterSeconds,
    });
    expect(shape(known)).toEqual(shape(unknown));
    // Only the log says which was which.
    expect((known as TooManyRequestsError).logReason).toContain('Signature does not match');
    expect((unknown as TooManyRequestsError).logReason).toContain('not read');
    // A genuine callback of the account in memory is never refused.
    await expect(verifyWithSecret(cache, 'known', now, verifyKey('k'))).resolves.toEqual([{ key: 'k' }]);
    expect(source.reads).toBe(3); // known, unknown-1, and the one refresh of known on its mismatch
  });

  it('answers 503 when the store cannot be read', async () => {
    const cache = new SecretCache({ get: () => Promise.reject(new SecretUnavailableError('down')) }, { ttlMs: 1_000 });
    await expect(verifyWithSecret(cache, 'n', now, jest.fn())).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
