import fc from 'fast-check';
import { BadRequestError, GatewayError } from '../../shared/errors';
import { toRecords } from '../../shared/mapping';
import { decryptSensoro } from '../../shared/sensoro/crypto';
import { mapPush, parsePush, withDecrypted } from '../../shared/sensoro/push';
import { signSensoro, verifySensoroSignature } from '../../shared/sensoro/signature';
import { encryptSensoro, sensoroSignature } from '../support/sensoro';

// Check values of PROVIDERS.md §2.
const SIGNATURE_CHECK = {
  secret: 'YOURAPPSECRET',
  nonce: '1467018792599',
  url: 'https://example.com/sensoro/webhooks',
  body: '{"appId":"123456","sn":"0117C9XXXX","data":{"battery":90}}',
  expected: 'vi4+Ap1KsLGJLvCFWqRW74kn2SYcAurbBqX7YQdr2JI=',
};
const CRYPTO_CHECK = {
  appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: '123456',
  random: Buffer.from([...Array(16).keys()]),
  message: '{"battery":90,"temperature":21.5}',
  expected: 'IG+0eOkLdhYW9kHtuT3HY0bAzzEJCvcy5AGdXkiBhiUDyx9xnGm6mGHmPsfAvPNkzVK4yHZl5rO/nI0L5d/6dA==',
};

describe('SENSORO signature (known answer)', () => {
  const { secret, nonce, url, body, expected } = SIGNATURE_CHECK;

  it('signs the check value', () => {
    expect(signSensoro(secret, nonce, 'POST', url, body).toString('base64')).toBe(expected);
    expect(signSensoro(secret, nonce, 'post', url, Buffer.from(body)).toString('base64')).toBe(expected);
  });

  it('verifies it, and refuses any change of nonce, method, URL, body or secret', () => {
    expect(verifySensoroSignature(expected, [secret], nonce, 'POST', url, [body])).toBe(true);
    expect(verifySensoroSignature(expected, ['other', secret], nonce, 'POST', url, [body])).toBe(true);
    expect(verifySensoroSignature(expected, [secret], '1467018792600', 'POST', url, [body])).toBe(false);
    expect(verifySensoroSignature(expected, [secret], nonce, 'PUT', url, [body])).toBe(false);
    expect(verifySensoroSignature(expected, [secret], nonce, 'POST', 'http://example.com/sensoro/webhooks', [body])).toBe(false);
    expect(verifySensoroSignature(expected, [secret], nonce, 'POST', url, [body + ' '])).toBe(false);
    expect(verifySensoroSignature(expected, ['yourappsecret'], nonce, 'POST', url, [body])).toBe(false);
    expect(verifySensoroSignature(expected.slice(0, -2) + '==', [secret], nonce, 'POST', url, [body])).toBe(false);
    expect(verifySensoroSignature('', [secret], nonce, 'POST', url, [body])).toBe(false);
  });

  it('the test-side signer agrees with the check value', () => {
    expect(sensoroSignature(secret, nonce, 'POST', url, body)).toBe(expected);
  });
});

describe('SENSORO safe mode (known answer)', () => {
  const { appKey, appId, random, message, expected } = CRYPTO_CHECK;

  it('encryption reproduces the check value', () => {
    expect(encryptSensoro(appKey, appId, message, random)).toBe(expected);
  });

  it('decrypts the check value to the message and the AppID', () => {
    expect(decryptSensoro(expected, appKey)).toEqual({ json: message, appId });
  });

  it('strips pads of every size 1..32, above 16 included', () => {
    // plaintext = 16 + 4 + N + 6 bytes; vary N so the pad takes every value.
    const seen = new Set<number>();
    for (let n = 2; n < 34; n++) {
      const json = `"${'y'.repeat(n - 2)}"`;
      seen.add(32 - ((16 + 4 + n + appId.length) % 32));
      expect(decryptSensoro(encryptSensoro(appKey, appId, json, random), appKey)).toEqual({ json, appId });
    }
    expect(seen.size).toBe(32);
  });

  it('refuses a wrong key, a truncated or tampered ciphertext with a 400', () => {
    const other = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
    const attempts = [
      () => decryptSensoro(expected, other),
      () => decryptSensoro(expected.slice(0, 44), appKey),
      () => decryptSensoro('not base64 at all!', appKey),
      () => decryptSensoro(Buffer.from(expected, 'base64').subarray(0, 48).toString('base64'), appKey),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(BadRequestError);
  });
});

describe('SENSORO pushes', () => {
  const receivedOn = new Date('2026-11-21T12:00:00Z');
  const records = (push: ReturnType<typeof parsePush>, body: Buffer = Buffer.from('{}')) =>
    toRecords({ provider: 'sensoro', channel: 'sensoro', scopeId: '123456', body, receivedOn }, mapPush(push, '123456'));

  it('turn sensor data into an event of the device with the readings', () => {
    const push = parsePush(
      Buffer.from(
        JSON.stringify({
          appId: '123456',
          sn: '0117C9XXXX',
          type: 'text',
          deviceType: 'node',
          createdTime: 1_795_000_000_000,
          msgId: 77,
          data: { battery: 90, lonlat: [116.3, 39.9] },
        }),
      ),
    );
    const { events, notifications } = records(push);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      deviceId: '0117C9XXXX',
      deviceKind: 'sn',
      resource: 'sensor',
      action: 'text',
      sentOn: new Date(1_795_000_000_000).toISOString(),
      payload: { deviceType: 'node', data: { battery: 90, lonlat: [116.3, 39.9] } },
    });
    expect(notifications).toEqual([]);
  });

  it('turn task results into notifications of the task: resultCode 0 COMPLETED, else FAILED, progress 100', () => {
    const ok = parsePush(Buffer.from('{"appId":"123456","taskId":123,"type":"event","msgId":"m1","resultCode":0,"resultData":{"sn":"0117C9AAAA"}}'));
    expect(records(ok).notifications[0]).toMatchObject({ operationId: '123', deviceId: '0117C9AAAA', status: 'COMPLETED', progress: 100, resource: 'task' });
    const failed = parsePush(Buffer.from('{"appId":"123456","taskId":"124","type":"event","resultCode":1}'));
    expect(records(failed).notifications[0]).toMatchObject({ operationId: '124', deviceId: '123456', status: 'FAILED', progress: 100 });
  });

  it('identify a message by its bytes: the same bytes give the same ids, another reading under the same msgId other ids', () => {
    const bytes = (battery: number) => Buffer.from(`{"appId":"123456","sn":"S1","type":"text","msgId":9,"data":{"battery":${battery}}}`);
    const id = (body: Buffer) => records(parsePush(body), body).events[0]!.id;
    expect(id(bytes(1))).toBe(id(bytes(1)));
    expect(id(bytes(1))).not.toBe(id(bytes(2)));
  });

  it('put decrypted content back: sensor data becomes data, task fields join the push', () => {
    const text = parsePush(Buffer.from('{"appId":"123456","sn":"S1","type":"text","encryptData":"x"}'));
    expect(withDecrypted(text, '{"battery":90}')).toMatchObject({ data: { battery: 90 } });
    expect(withDecrypted(text, '{"battery":90}')).not.toHaveProperty('encryptData');
    const task = parsePush(Buffer.from('{"appId":"123456","taskId":5,"type":"event","encryptData":"x"}'));
    expect(withDecrypted(task, '{"resultCode":0,"resultData":{"interval":60}}')).toMatchObject({ resultCode: 0, resultData: { interval: 60 } });
  });

  it('fuzz: random bodies yield records or our own 400', () => {
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .record(
          {
            appId: fc.oneof(fc.string(), fc.integer()),
            sn: fc.jsonValue(),
            type: fc.constantFrom('text', 'event', 'x'),
            taskId: fc.jsonValue(),
            data: fc.jsonValue(),
            resultCode: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(body, (text) => {
        try {
          expect(records(parsePush(Buffer.from(text))).events.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(GatewayError);
          expect((error as GatewayError).statusCode).toBe(400);
        }
      }),
      { numRuns: 500 },
    );
  });
});
