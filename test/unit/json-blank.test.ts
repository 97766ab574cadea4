import fc from 'fast-check';
import { blankTopLevelValues } from '../../shared/http/json-blank';

const CREDENTIALS = new Set(['username', 'password']);

describe('blanking top-level values in place', () => {
  it('changes only the named members’ values, whatever the rest of the object holds', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((k) => !CREDENTIALS.has(k)),
          fc.jsonValue(),
          { maxKeys: 6 },
        ),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.nat(6),
        fc.constantFrom('', ' ', '\n  '),
        (rest, username, password, at, space) => {
          const entries = Object.entries(rest);
          entries.splice(Math.min(at, entries.length), 0, ['username', username], ['password', password]);
          const sent = JSON.stringify(Object.fromEntries(entries), null, space);
          // What the stored bytes must be: the same text with the two values' JSON strings blanked.
          const expected = sent
            .replace(`"username":${space ? ' ' : ''}${JSON.stringify(username)}`, `"username":${space ? ' ' : ''}""`)
            .replace(`"password":${space ? ' ' : ''}${JSON.stringify(password)}`, `"password":${space ? ' ' : ''}""`);
          expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe(expected);
        },
      ),
    );
  });

  it('leaves nested members of the same name alone and blanks escaped spellings of the key', () => {
    const sent = '{"d":{"password":"nested"},"pass\\u0077ord":"top","n":1.50}';
    expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe('{"d":{"password":"nested"},"pass\\u0077ord":"","n":1.50}');
  });

  it('blanks a value of any type whole: an object, an array, a number, null', () => {
    const sent = '{"username":{"a":[1,{"b":"}"}]},"k":[{"password":"nested"}],"password":[1,[2]],"n":{"username":"deep"},"z":null}';
    expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe(
      '{"username":"","k":[{"password":"nested"}],"password":"","n":{"username":"deep"},"z":null}',
    );
    expect(blankTopLevelValues(Buffer.from('{"password":12.50,"username":null}'), CREDENTIALS).toString('utf8')).toBe('{"password":"","username":""}');
  });

  it('returns the very bytes when nothing is named', () => {
    const sent = Buffer.from('{"a":12345678901234567891}');
    expect(blankTopLevelValues(sent, CREDENTIALS)).toBe(sent);
  });

  it('keeps multi-byte characters before and after a blanked value', () => {
    const sent = '{"note":"☃ ünï","password":"pä$$","tail":"𝄞"}';
    expect(blankTopLevelValues(Buffer.from(sent), CREDENTIALS).toString('utf8')).toBe('{"note":"☃ ünï","password":"","tail":"𝄞"}');
  });

  it('keeps bytes that are not UTF-8 as sent (a stray Latin-1 byte is no reason to refuse a genuine callback)', () => {
    const sent = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.of(0xe9), Buffer.from('","password":"pw","n":"\u00e9"}')]);
    const expected = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.of(0xe9), Buffer.from('","password":"","n":"\u00e9"}')]);
    expect(blankTopLevelValues(sent, CREDENTIALS).equals(expected)).toBe(true);
  });

  it('blanks exactly the named values whatever bytes surround them (random bytes in strings)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (before, after) => {
        // Bytes a JSON string may hold raw: anything but a quote, a backslash or a control character.
        const raw = (bytes: Uint8Array) => Buffer.from(bytes.filter((b) => b >= 0x20 && b !== 0x22 && b !== 0x5c));
        const sent = Buffer.concat([Buffer.from('{"a":"'), raw(before), Buffer.from('","username":"u","b":"'), raw(after), Buffer.from('"}')]);
        const expected = Buffer.concat([Buffer.from('{"a":"'), raw(before), Buffer.from('","username":"","b":"'), raw(after), Buffer.from('"}')]);
        expect(blankTopLevelValues(sent, CREDENTIALS).equals(expected)).toBe(true);
      }),
    );
  });
});
