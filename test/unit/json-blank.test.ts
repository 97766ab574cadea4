import fc from 'fast-check';
import { BadRequestError } from '../../shared/http/errors';
import { blankTopLevelValues } from '../../shared/http/json-blank';

const CREDENTIALS = new Set(['username', 'password']);

describe('blanking top-level values in place', () => {
  it('changes only the named members’ values, whatever the rest of the object holds', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string().filter((k) => !CREDENTIALS.has(k)), fc.jsonValue(), { maxKeys: 6 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.nat(6),
        fc.constantFrom('', ' ', '\n  '),
        (rest, username, password, at, space) => {
          const entries = Object.entries(rest);
          entries.splice(Math.min(at, entries.length), 0, ['username', username], ['password', password]);
          const sent = JSON.stringify(Object.fromEntries(entries), null, space);
          // What the stored bytes must be: the same text with the two values' JSON strings blanked.
          const expected = sent.replace(`"username":${space ? ' ' : ''}${JSON.stringify(username)}`, `"username":${space ? ' ' : ''}""`).replace(`"password":${space ? ' ' : ''}${JSON.stringify(password)}`, `"password":${space ? ' ' : ''}""`);
          expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe(expected);
        },
      ),
    );
  });

  it('leaves nested members of the same name alone and blanks escaped spellings of the key', () => {
    const sent = '{"d":{"password":"nested"},"pass\\u0077ord":"top","n":1.50}';
    expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe('{"d":{"password":"nested"},"pass\\u0077ord":"","n":1.50}');
  });

  it('returns the very bytes when nothing is named', () => {
    const sent = Buffer.from('{"a":12345678901234567891}');
    expect(blankTopLevelValues(sent, CREDENTIALS)).toBe(sent);
  });

  it('keeps multi-byte characters before and after a blanked value', () => {
    const sent = '{"note":"☃ ünï","password":"pä$$","tail":"𝄞"}';
    expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe('{"note":"☃ ünï","password":"","tail":"𝄞"}');
  });

  it('refuses bytes that are not UTF-8 (offsets could not map back to bytes)', () => {
    expect(() => blankTopLevelValues(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]), CREDENTIALS)).toThrow(BadRequestError);
  });
});
