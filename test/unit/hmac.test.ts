import { decodeSignature, safeEqual, signHmac, verifyHmac } from '../../shared/thingspace/hmac';

// RFC 4231 test case 2 (HMAC-SHA256), the one with a text key: fixed key + data -> fixed digest.
const RFC4231 = [
  {
    key: 'Jefe',
    data: 'what do ya want for nothing?',
    hex: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
];

describe('signHmac', () => {
  it('matches the RFC 4231 vector', () => {
    const { key, data, hex } = RFC4231[0]!;
    expect(signHmac(key, data).toString('hex')).toBe(hex);
    expect(signHmac(key, Buffer.from(data)).toString('hex')).toBe(hex);
  });
});

describe('verifyHmac (known answers)', () => {
  const body = Buffer.from('what do ya want for nothing?');
  const hex = RFC4231[0]!.hex;
  const b64 = Buffer.from(hex, 'hex').toString('base64');

  it('accepts the hex signature, lower and upper case', () => {
    expect(verifyHmac(body, hex, ['Jefe'])).toBe(true);
    expect(verifyHmac(body, hex.toUpperCase(), ['Jefe'])).toBe(true);
  });

  it('accepts the base64 signature, padded, unpadded and URL-safe', () => {
    expect(b64).toBe('W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=');
    expect(verifyHmac(body, b64, ['Jefe'])).toBe(true);
    expect(verifyHmac(body, b64.replace(/=$/, ''), ['Jefe'])).toBe(true);
    expect(verifyHmac(body, Buffer.from(hex, 'hex').toString('base64url'), ['Jefe'])).toBe(true);
  });

  it('accepts a sha256= prefix and surrounding quotes', () => {
    expect(verifyHmac(body, `sha256=${hex}`, ['Jefe'])).toBe(true);
    expect(verifyHmac(body, `"${b64}"`, ['Jefe'])).toBe(true);
  });

  it('refuses a wrong key, a changed body, a changed byte and truncations', () => {
    expect(verifyHmac(body, hex, ['jefe'])).toBe(false);
    expect(verifyHmac(Buffer.from('what do ya want for nothing!'), hex, ['Jefe'])).toBe(false);
    const flipped = (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
    expect(verifyHmac(body, flipped, ['Jefe'])).toBe(false);
    expect(verifyHmac(body, hex.slice(0, 62), ['Jefe'])).toBe(false);
    expect(verifyHmac(body, hex + '00', ['Jefe'])).toBe(false);
    expect(verifyHmac(body, '', ['Jefe'])).toBe(false);
  });

  it('accepts when any of several keys matches, and with none refuses', () => {
    expect(verifyHmac(body, hex, ['old', 'Jefe'])).toBe(true);
    expect(verifyHmac(body, hex, [])).toBe(false);
  });

  it('verifies the exact bytes: a re-serialised JSON body does not match', () => {
    const raw = Buffer.from('{"a": 1,  "b":2}');
    const sig = signHmac('k', raw).toString('hex');
    expect(verifyHmac(raw, sig, ['k'])).toBe(true);
    expect(verifyHmac(Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), sig, ['k'])).toBe(false);
  });
});

describe('decodeSignature', () => {
  it('yields 32 bytes or nothing', () => {
    expect(decodeSignature('zz'.repeat(32))).toBeUndefined();
    expect(decodeSignature('not a signature')).toBeUndefined();
    expect(decodeSignature(Buffer.alloc(16).toString('base64'))).toBeUndefined();
    expect(decodeSignature('ab'.repeat(32))?.length).toBe(32);
  });
});

describe('safeEqual', () => {
  it('compares content and length', () => {
    expect(safeEqual('token-1', 'token-1')).toBe(true);
    expect(safeEqual('token-1', 'token-2')).toBe(false);
    expect(safeEqual('token', 'token-1')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
