// First: the handlers' logger reads its level when its module loads (the unknown-account test reads log levels).
import '../support/debug-logs';
import { XMLValidator } from 'fast-xml-parser';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { FileSecretSource } from '../../shared/secrets/file-source';
import { rejectionPk } from '../../shared/store/table';
import { captureOutput } from '../support/capture';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { sensoroSignature } from '../support/sensoro';
import { hexSignature } from '../support/sign';
import { soapEnvelope } from '../support/soap';

// The attacks of the second security review, each against the real local server: what was
// accepted or cost something before, and what it gets now.
const ACCOUNT = '0212312345-00001';
const KEY = 'location-key';
const CONNECTIVITY = { username: 'gw-user', password: 'Active' }; // a password that also appears as data
const APP = { id: '123456', appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'app-secret' };
const SECRETS = {
  [`thingspace/${ACCOUNT}/location`]: { current: { key: KEY } },
  [`thingspace/${ACCOUNT}/connectivity`]: { current: CONNECTIVITY },
  [`sensoro/${APP.id}`]: { current: { appKey: APP.appKey, appSecret: APP.appSecret } },
};

let t: TestGateway;
let output: ReturnType<typeof captureOutput>;
beforeAll(async () => {
  output = captureOutput();
  t = await startTestGateway(SECRETS, {
    SECRET_UNKNOWN_NAMES_PER_MINUTE: '5',
    REJECTION_LOG_PER_MINUTE: '10',
    SECRET_CACHE_TTL_SECONDS: '1',
    SECRET_MIN_REFRESH_MS: '0',
  });
});
afterAll(async () => {
  output.restore();
  await t.stop();
});

async function post(path: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('1. SENSORO: the stored bytes are the signed bytes', () => {
  const path = `/webhooks/sensoro/${APP.id}`;
  const signedPush = (body: string, signedOver = body, headers: Record<string, string> = {}) => {
    const nonce = String(Date.now());
    return post(path, body, {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `${t.gateway.url}${path}`, signedOver),
      ...headers,
    });
  };
  const push = (sn: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ appId: APP.id, sn, type: 'text', createdTime: Date.now(), data: { battery: 90 }, ...extra });

  it('a captured push without msgId, resent with one space added, is refused: stored once', async () => {
    const body = push('SN-SPACE');
    expect((await signedPush(body)).status).toBe(200);
    const nonce = String(Date.now());
    const replay = await post(path, body.replace(':', ': '), {
      'content-type': 'application/json',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `${t.gateway.url}${path}`, body),
    });
    expect(replay.status).toBe(401);
    expect(await t.events(APP.id, 'SN-SPACE')).toHaveLength(1);
  });

  it('a push with a shadowed duplicate key, signed over its compact form, is refused and nothing stored', async () => {
    const genuine = push('SN-REAL');
    const shadowed = genuine.replace('"sn":"SN-REAL"', '"sn":"EVIL","sn":"SN-REAL"');
    expect((await signedPush(shadowed, genuine)).status).toBe(401);
    expect(await t.events(APP.id, 'SN-REAL')).toHaveLength(0);
    expect(await t.events(APP.id, 'EVIL')).toHaveLength(0);
  });

  it('a tampered copy of a push with msgId that arrives first is refused; the genuine one is stored as sent', async () => {
    const genuine = push('SN-MSGID', { msgId: 7001 });
    expect((await signedPush(` ${genuine}`, genuine)).status).toBe(401);
    expect((await signedPush(genuine)).status).toBe(200);
    const [event] = await t.events(APP.id, 'SN-MSGID');
    expect(event?.rawBody).toBe(genuine);
  });

  it('checks the signature shape before anything else: a forged 250 KB body is never parsed', async () => {
    const big = JSON.stringify({ appId: APP.id, sn: 'SN-BIG', data: { pad: 'x'.repeat(250_000) } });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const malformed = await signedPush(big, big, { 'x-access-signature': 'not-a-signature' });
      expect(malformed.status).toBe(401);
      expect(JSON.parse(malformed.text)).toEqual({ errorCode: 'UNAUTHORIZED', errorMessage: 'X-ACCESS-SIGNATURE is not a base64 HMAC-SHA256' });
      const wrong = await signedPush(big, 'something else');
      expect(wrong.status).toBe(401);
      expect(parse.mock.calls.some(([text]) => typeof text === 'string' && text.length > 200_000)).toBe(false);
    } finally {
      parse.mockRestore();
    }
  });

  it('never takes the signed URL from the client: Host and X-Forwarded-Proto of its own choosing do not verify', async () => {
    const body = push('SN-HOST');
    const nonce = String(Date.now());
    const res = await post(path, body, {
      'content-type': 'application/json',
      host: 'evil.example:9',
      'x-forwarded-proto': 'http',
      'x-access-id': APP.id,
      'x-access-nonce': nonce,
      'x-access-signature': sensoroSignature(APP.appSecret, nonce, 'POST', `http://evil.example:9${path}`, body),
    });
    expect(res.status).toBe(401);
    expect(await t.events(APP.id, 'SN-HOST')).toHaveLength(0);
  });
});

describe('3. the rejected-request log cannot be flooded or poisoned', () => {
  it('600 forgeries write at most the per-minute limit, repeats at most half of it; the records say how many were not written; made-up names are only counted', async () => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-signature': 'ab'.repeat(32), [`x-${'s'.repeat(4_000)}`]: '1' };
    for (let i = 0; i < 40; i++) headers[`x-extra-${i}`] = '1';
    for (let i = 0; i < 600; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => post(`/webhooks/thingspace/${ACCOUNT}/location`, `{"n":${i + j}}`, headers)));
    }
    const count = await t.countUnder(rejectionPk(ACCOUNT));
    // One minute window (or two, if the flood crossed a minute boundary): its first record, then
    // repeats, which take at most half of a minute's 10.
    expect(count).toBeLessThanOrEqual(11);
    const { key } = await new ApiKeyStore(t.db, t.tableName).create({ scopes: [ACCOUNT] });
    const res = await fetch(`${t.gateway.url}/v1/${ACCOUNT}/rejections?limit=100`, { headers: { authorization: `Bearer ${key}` } });
    const items = ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
    // The flood's records: 41 names of its own choosing, none of them listed, all counted.
    const flood = items.filter((i) => (i.moreHeaderNames as number) >= 41);
    expect(flood.length).toBeGreaterThan(0);
    for (const record of flood) {
      expect(record.headerNames).toEqual(expect.arrayContaining(['content-type', 'x-signature']));
      expect((record.headerNames as string[]).some((n) => n.startsWith('x-extra-') || n.startsWith('x-sss'))).toBe(false);
      // 127.0.0.1 is not one of ThingSpace's published sources: whatever the headers claim, a stranger sent it.
      expect(record.fromPublishedSource).toBe(false);
    }
    expect(flood.some((r) => typeof r.notRecordedBefore === 'number' && (r.notRecordedBefore as number) > 0) || count <= 6).toBe(true);
  }, 60_000);
});

describe('6. SOAP costs what JSON costs', () => {
  const path = `/webhooks/thingspace/${ACCOUNT}/soap`;
  const carrier = '<CarrierService><StateChange>Active</StateChange></CarrierService>';

  it('has its own body cap: a 250 KB envelope is a 413 before anything reads it', async () => {
    const big = soapEnvelope(`${carrier}<Pad>${'x'.repeat(250_000)}</Pad>`, '1.1', CONNECTIVITY.username, 'wrong');
    expect((await post(path, big, { 'content-type': 'text/xml' })).status).toBe(413);
  });

  it('refuses a wrong password before validating or parsing the XML', async () => {
    const validate = jest.spyOn(XMLValidator, 'validate');
    try {
      const forged = soapEnvelope(`${carrier}<Pad>${'x'.repeat(50_000)}</Pad>`, '1.1', CONNECTIVITY.username, 'wrong', 'soap-forged', 'mdn-forged');
      const res = await post(path, forged, { 'content-type': 'text/xml' });
      expect(res.status).toBe(401);
      expect(res.text).toContain('soap:Client');
      expect(validate).not.toHaveBeenCalled();
    } finally {
      validate.mockRestore();
    }
    expect(await t.events(ACCOUNT, 'mdn-forged')).toHaveLength(0);
  });

  it('blanks only the credential elements: a password that also appears as data leaves the data whole', async () => {
    const res = await post(path, soapEnvelope(carrier, '1.1', CONNECTIVITY.username, CONNECTIVITY.password, 'soap-redact', 'mdn-redact'), {
      'content-type': 'text/xml',
    });
    expect(res.status).toBe(200);
    const [event] = await t.events(ACCOUNT, 'mdn-redact');
    expect(event?.rawBody).toContain('<Username></Username><Password></Password>');
    expect(event?.rawBody).toContain('<StateChange>Active</StateChange>');
    expect(event?.payload).toEqual({ CarrierService: { StateChange: 'Active' } });
    expect(event?.rawBody).not.toContain(CONNECTIVITY.username);
  });
});

describe('7. small ones', () => {
  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])('sortParam=%s is a 400 naming sortParam', async (sortParam) => {
    const { key } = await new ApiKeyStore(t.db, t.tableName).create({ scopes: [ACCOUNT] });
    const res = await fetch(`${t.gateway.url}/v1/${ACCOUNT}/devices/d/events?sortParam=${sortParam}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'illegalArgumentExceptionInfo', argumentName: 'sortParam' });
  });

  it('a key removed from a secret stops verifying within SECRET_CACHE_TTL_SECONDS (1 s here)', async () => {
    const body = JSON.stringify({ txid: 'removed-key-1', status: 'Completed' });
    const send = (b: string) =>
      post(`/webhooks/thingspace/${ACCOUNT}/location`, b, { 'content-type': 'application/json', 'x-signature': hexSignature(KEY, b) });
    expect((await send(body)).status).toBe(200);
    t.writeSecrets({ ...SECRETS, [`thingspace/${ACCOUNT}/location`]: { current: { key: 'a-new-key' } } });
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await send(JSON.stringify({ txid: 'removed-key-2' }))).status).toBe(401);
    t.writeSecrets(SECRETS);
  });
});

describe('2. unknown accounts cost nothing', () => {
  // Last in this file: it spends this minute's budget of reads of names not in memory.
  it('40 forged requests to 40 random account names: at most the budget of secret reads, no 503, answered as bad signatures, logged as warnings', async () => {
    const reads = jest.spyOn(FileSecretSource.prototype, 'get');
    const body = JSON.stringify({ txid: 'forged' });
    const statuses: number[] = [];
    const answers = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await post(`/webhooks/thingspace/${String(7_000_000_000 + i)}-00000/location`, body, {
        'content-type': 'application/json',
        'x-signature': hexSignature('guess', body),
      });
      statuses.push(res.status);
      if (res.status === 401) answers.add(res.text);
    }
    expect(reads.mock.calls.length).toBeLessThanOrEqual(5);
    reads.mockRestore();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // The budget (5 a minute here) is shared with every other name first read this minute.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(35);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // The answer to an unknown account is the answer to a bad signature: it does not say which accounts exist.
    expect([...answers]).toEqual([JSON.stringify({ errorCode: 'UNAUTHORIZED', errorMessage: 'Signature does not match' })]);
    const lines = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"account":"70000000'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => !l.includes('"level":"ERROR"'))).toBe(true);
    expect(lines.some((l) => l.includes('not an account of this gateway'))).toBe(true);
  });

  it('while the budget is spent, a forged request to a known account gets exactly the answer one to an unknown account gets', async () => {
    const body = JSON.stringify({ txid: 'forged-while-spent' });
    const forged = (account: string) =>
      post(`/webhooks/thingspace/${account}/location`, body, { 'content-type': 'application/json', 'x-signature': hexSignature('guess', body) });
    // Spend this minute's budget (5 here) again, in case the minute turned since the test above.
    for (let i = 0; i < 6; i++) await forged(`79000000${String(i).padStart(2, '0')}-00000`);
    const known = await forged(ACCOUNT); // its secret is in memory
    const unknown = await forged('7999999999-00000'); // never asked for before
    // Date and Retry-After count down with the clock (the same for every account: the seconds left in the minute).
    const shape = (r: Awaited<ReturnType<typeof post>>) => ({
      status: r.status,
      body: r.text,
      headers: [...r.headers].filter(([name]) => name !== 'date' && name !== 'retry-after'),
    });
    expect(shape(known)).toEqual(shape(unknown));
    expect(Math.abs(Number(known.headers.get('retry-after')) - Number(unknown.headers.get('retry-after')))).toBeLessThanOrEqual(1);
    expect(known.status).toBe(429);
    expect(known.text).not.toMatch(/account|seen|known/i);
    expect(known.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('a known account (its secret in memory) keeps working while the budget is spent', async () => {
    const body = JSON.stringify({ txid: 'known-during-flood', status: 'Completed' });
    const res = await post(`/webhooks/thingspace/${ACCOUNT}/location`, body, { 'content-type': 'application/json', 'x-signature': hexSignature(KEY, body) });
    expect(res.status).toBe(200);
  });
});
