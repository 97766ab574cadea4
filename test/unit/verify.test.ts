import { SignatureMismatchError, UnauthorizedError } from '../../shared/errors';
import { verifyHmacCallback } from '../../shared/thingspace/verify';
import { base64Signature, hexSignature } from '../support/sign';

const body = Buffer.from('{"transactionID":"t1"}');
const check = { signatureHeaders: ['x-signature', 'signature'], tokenHeader: 'x-callback-token' };

function attempt(headers: Record<string, string>, versions: Record<string, string>[], c: typeof check | { signatureHeaders: string[] } = check) {
  try {
    verifyHmacCallback(headers, body, versions, c);
    return 'ok';
  } catch (error) {
    if (error instanceof SignatureMismatchError) return 'mismatch';
    if (error instanceof UnauthorizedError) return `unauthorized: ${error.message}`;
    throw error;
  }
}

describe('verifyHmacCallback', () => {
  it('finds the signature under any configured header name, in any case', () => {
    const sig = hexSignature('k1', body);
    expect(attempt({ 'X-Signature': sig }, [{ key: 'k1' }], { signatureHeaders: check.signatureHeaders })).toBe('ok');
    expect(attempt({ SIGNATURE: base64Signature('k1', body) }, [{ key: 'k1' }], { signatureHeaders: check.signatureHeaders })).toBe('ok');
  });

  it('ignores a signature under a header name that is not configured', () => {
    expect(attempt({ 'x-other': hexSignature('k1', body) }, [{ key: 'k1' }])).toBe('unauthorized: Missing signature header');
  });

  it('tells a missing signature (no refresh helps) from a wrong one', () => {
    expect(attempt({}, [{ key: 'k1' }])).toMatch(/^unauthorized/);
    expect(attempt({ 'x-signature': hexSignature('k2', body) }, [{ key: 'k1' }])).toBe('mismatch');
  });

  it('requires the token header when a version holds a token, matching any valid version', () => {
    const sig = hexSignature('k1', body);
    const versions = [
      { key: 'k1', token: 'tok-new' },
      { key: 'k0', token: 'tok-old' },
    ];
    expect(attempt({ 'x-signature': sig }, versions)).toBe('unauthorized: Missing callback token header');
    expect(attempt({ 'x-signature': sig, 'X-Callback-Token': 'tok-new' }, versions)).toBe('ok');
    expect(attempt({ 'x-signature': sig, 'x-callback-token': 'tok-old' }, versions)).toBe('ok');
    expect(attempt({ 'x-signature': sig, 'x-callback-token': 'tok-other' }, versions)).toBe('mismatch');
  });

  it('does not ask for a token when no version has one, nor on channels without a token header', () => {
    const sig = hexSignature('k1', body);
    expect(attempt({ 'x-signature': sig }, [{ key: 'k1' }])).toBe('ok');
    expect(attempt({ 'x-signature': sig }, [{ key: 'k1', token: 't' }], { signatureHeaders: ['x-signature'] })).toBe('ok');
  });

  it('never puts the signature or the key in its error message', () => {
    const sig = hexSignature('wrong-key', body);
    try {
      verifyHmacCallback({ 'x-signature': sig }, body, [{ key: 'k1-secret' }], check);
      throw new Error('expected a rejection');
    } catch (error) {
      const text = String((error as Error).message);
      expect(text).not.toContain(sig);
      expect(text).not.toContain('k1-secret');
      expect(text).not.toContain(hexSignature('k1-secret', body));
    }
  });
});
