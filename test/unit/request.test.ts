import { BadRequestError, PayloadTooLargeError } from '../../shared/errors';
import { hasDuplicateKeys, parseJsonObject } from '../../shared/http/json';
import { scopeParam, header, rawBody } from '../../shared/http/request';

describe('rawBody', () => {
  it('decodes base64 bodies to the exact bytes', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0x31, 0x7d, 0x0a]);
    expect(rawBody({ body: bytes.toString('base64'), isBase64Encoded: true }, 1_000).equals(bytes)).toBe(true);
    expect(rawBody({ body: '{"é":1}\n', isBase64Encoded: false }, 1_000).equals(bytes)).toBe(true);
    expect(rawBody({ body: undefined, isBase64Encoded: false }, 1_000).length).toBe(0);
  });

  it('refuses a body one byte over the cap, counting bytes not characters, before or after decoding', () => {
    expect(rawBody({ body: 'x'.repeat(100), isBase64Encoded: false }, 100).length).toBe(100);
    expect(() => rawBody({ body: 'x'.repeat(101), isBase64Encoded: false }, 100)).toThrow(PayloadTooLargeError);
    expect(() => rawBody({ body: 'é'.repeat(51), isBase64Encoded: false }, 100)).toThrow(PayloadTooLargeError);
    expect(rawBody({ body: Buffer.alloc(100).toString('base64'), isBase64Encoded: true }, 100).length).toBe(100);
    expect(() => rawBody({ body: Buffer.alloc(101).toString('base64'), isBase64Encoded: true }, 100)).toThrow(PayloadTooLargeError);
  });
});

describe('header', () => {
  it('finds a header whatever the case of its name', () => {
    expect(header({ 'X-Signature': 'a' }, 'x-signature')).toBe('a');
    expect(header({ 'x-signature': 'b' }, 'X-SIGNATURE')).toBe('b');
    expect(header({}, 'x')).toBeUndefined();
    expect(header(undefined, 'x')).toBeUndefined();
  });
});

describe('scopeParam', () => {
  it.each(['0212312345-00001', 'TestQAAccount'])('accepts %s', (account) => {
    expect(scopeParam({ pathParameters: { account } })).toBe(account);
  });
  it.each(['', '../x', 'a/b', 'a#b', 'x'.repeat(65), '-lead'])('refuses %p', (account) => {
    expect(() => scopeParam({ pathParameters: { account } })).toThrow(BadRequestError);
  });
});

describe('parseJsonObject', () => {
  it('parses an object', () => {
    expect(parseJsonObject(Buffer.from('{"a":[1,{"b":2}]}'))).toEqual({ a: [1, { b: 2 }] });
  });
  it.each([
    ['not JSON', '{"a":'],
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['deep nesting', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}'],
    ['hostile nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['a huge number', '{"n":1e400}'],
    ['a number DynamoDB cannot hold', '{"n":1e200}'],
    ['a tiny number DynamoDB cannot hold', '{"n":1e-200}'],
  ])('refuses %s with a 400', (_label, text) => {
    const error = (() => {
      try {
        parseJsonObject(Buffer.from(text));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BadRequestError);
  });
  it('accepts nesting up to the limit and ordinary numbers', () => {
    const depth31 = '{"a":' + '['.repeat(30) + ']'.repeat(30) + '}';
    expect(() => parseJsonObject(Buffer.from(depth31))).not.toThrow();
    expect(parseJsonObject(Buffer.from('{"n":-71.5,"z":0,"big":12345678901234567890}')).n).toBe(-71.5);
  });
});

describe('hasDuplicateKeys', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"b":{"a":2}}', false],
    ['{"s\\u006e":1,"sn":2}', true],
    ['{"a":[{"x":1},{"x":2}]}', false],
    ['{"a":"\\"a\\":1","b":{"c":1,"c":2}}', true],
    ['{"k":"}","k2":"{","k":3}', true],
    ['[1,{"a":1},{"a":1}]', false],
  ])('%s → %s', (text, expected) => {
    expect(hasDuplicateKeys(text)).toBe(expected);
  });
});
