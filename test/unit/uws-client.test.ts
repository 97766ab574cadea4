import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { jobConfig } from '../../shared/reregister/config';
import {
  buildUwsRequest,
  contractNamespace,
  DEFAULT_UWS_SOAP_ACTION,
  parseUwsResponse,
  registrationsOf,
  sessionTokenOf,
  soapActionOf,
  UWS_NS,
  UwsFault,
  uwsEndpointsAt,
} from '../../shared/thingspace/uws-client';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const REGISTRATION_NS = contractNamespace('CallbackRegistrationService');

/** A response envelope as Verizon's examples show them (the body as given). */
const envelope = (body: string, header = '') =>
  `<s:Envelope xmlns:s="${SOAP11}">${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
const fault11 = (code: string, text: string) =>
  envelope(`<s:Fault><faultcode xmlns:a="${UWS_NS}">${code}</faultcode><faultstring xml:lang="en-US">${text}</faultstring></s:Fault>`);

/** What the thrown error is, or undefined when nothing was thrown. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('buildUwsRequest', () => {
  // A namespace-preserving read of what we send: element names with their prefixes, and the declarations.
  const raw = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: false });

  it('puts the operation in the UWS namespace, the fields in the contract namespace and the token in the header', () => {
    const xml = buildUwsRequest(
      'RegisterCallback',
      { AccountName: '0212312345-00001', ServiceName: 'CarrierService', Url: 'https://gw.example.com/x', Username: 'u', Password: 'p' },
      'tok-1',
    );
    const doc = raw.parse(xml);
    const env = doc['soapenv:Envelope'];
    expect(env['@_xmlns:soapenv']).toBe(SOAP11);
    expect(env['@_xmlns:v2']).toBe(UWS_NS);
    expect(env['@_xmlns:nph']).toBe(REGISTRATION_NS);
    expect(env['soapenv:Header']).toEqual({ 'v2:token': 'tok-1' });
    expect(env['soapenv:Body']['v2:RegisterCallback']['v2:Input']).toEqual({
      'nph:AccountName': '0212312345-00001',
      'nph:ServiceName': 'CarrierService',
      'nph:Url': 'https://gw.example.com/x',
      'nph:Username': 'u',
      'nph:Password': 'p',
    });
  });

  it('sends LogIn with an empty header and the session contract namespace', () => {
    const xml = buildUwsRequest('LogIn', { Username: 'api-user', Password: 'pw' });
    expect(xml).toContain('<soapenv:Header></soapenv:Header>');
    expect(raw.parse(xml)['soapenv:Envelope']['@_xmlns:nph']).toBe(contractNamespace('SessionService'));
  });

  it('escapes values instead of letting them make markup, and keeps empty values as empty elements', () => {
    const hostile = `a</nph:Url><nph:Password>x]]>&amp;"'`;
    const xml = buildUwsRequest('RegisterCallback', { AccountName: 'acc', ServiceName: 'CarrierService', Url: hostile, Username: '', Password: '' }, 't');
    expect(xml).toContain('<nph:Username></nph:Username><nph:Password></nph:Password>');
    const input = raw.parse(xml)['soapenv:Envelope']['soapenv:Body']['v2:RegisterCallback']['v2:Input'];
    expect(input['nph:Url']).toBe(hostile);
    expect(input['nph:Password']).toBe('');
  });
});

describe('parseUwsResponse', () => {
  it('reads the LogIn token from the body, and from the header when the body has none', () => {
    const output = (inner: string) =>
      `<LogInResponse xmlns="${UWS_NS}"><Output xmlns:a="${contractNamespace('SessionService')}">${inner}</Output></LogInResponse>`;
    expect(sessionTokenOf(parseUwsResponse('LogIn', 200, envelope(output('<a:SessionToken>body-token</a:SessionToken>'))))).toBe('body-token');
    const headerOnly = envelope(output(''), `<token xmlns="${UWS_NS}">header-token</token>`);
    expect(sessionTokenOf(parseUwsResponse('LogIn', 200, headerOnly))).toBe('header-token');
    expect(sessionTokenOf(parseUwsResponse('LogIn', 200, envelope(output(''))))).toBeUndefined();
  });

  it('lists registrations wherever the Output nests them, one or many', () => {
    const answer = (inner: string) =>
      parseUwsResponse(
        'GetCallbackRegistrations',
        200,
        envelope(
          `<GetCallbackRegistrationsResponse xmlns="${UWS_NS}"><Output xmlns:a="${REGISTRATION_NS}">${inner}</Output></GetCallbackRegistrationsResponse>`,
        ),
      );
    const one = '<a:ServiceName>CarrierService</a:ServiceName><a:Url>https://gw/soap</a:Url>';
    const two = '<a:ServiceName>DeviceUsage</a:ServiceName><a:Url>https://gw/soap2</a:Url>';
    expect(
      registrationsOf(
        answer(`<a:AccountName>acc</a:AccountName><a:CallbackRegistrations><a:CallbackRegistration>${one}</a:CallbackRegistration></a:CallbackRegistrations>`),
      ),
    ).toEqual([{ serviceName: 'CarrierService', url: 'https://gw/soap' }]);
    expect(registrationsOf(answer(`<a:Registrations><a:Item>${one}</a:Item><a:Item>${two}</a:Item></a:Registrations>`))).toEqual([
      { serviceName: 'CarrierService', url: 'https://gw/soap' },
      { serviceName: 'DeviceUsage', url: 'https://gw/soap2' },
    ]);
    expect(registrationsOf(answer('<a:AccountName>acc</a:AccountName>'))).toEqual([]);
    expect(registrationsOf(parseUwsResponse('GetCallbackRegistrations', 200, envelope(`<GetCallbackRegistrationsResponse xmlns="${UWS_NS}"/>`)))).toEqual([]);
  });

  it('maps a SOAP 1.1 fault to its code without the prefix, and never quotes the fault text', () => {
    const secret = 'pw-that-must-not-leak';
    const error = thrown(() => parseUwsResponse('RegisterCallback', 500, fault11('a:SessionToken.Expired', `token ${secret} expired`)));
    expect(error).toBeInstanceOf(UwsFault);
    expect(error).toMatchObject({ operation: 'RegisterCallback', status: 500, errorCode: 'SessionToken.Expired', sessionExpired: true });
    expect((error as Error).message).toBe('RegisterCallback failed: HTTP 500 SessionToken.Expired');
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String((error as Error).stack)).not.toContain(secret);
  });

  it('takes the most specific code of a SOAP 1.2 fault', () => {
    const body = `<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="${UWS_NS}">a:SessionToken.Invalid</s:Value></s:Subcode></s:Code><s:Reason><s:Text>no</s:Text></s:Reason></s:Fault>`;
    const error = thrown(() => parseUwsResponse('GetCallbackRegistrations', 500, `<s:Envelope xmlns:s="${SOAP12}"><s:Body>${body}</s:Body></s:Envelope>`));
    expect(error).toMatchObject({ errorCode: 'SessionToken.Invalid', sessionExpired: false });
  });

  it('does not quote a fault code that is not a plain QName', () => {
    const error = thrown(() => parseUwsResponse('LogIn', 500, fault11('password is hunter2', 'x')));
    expect(error).toMatchObject({ errorCode: 'FAULT' });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it.each([
    ['an error status without a fault', 502, '<html>Bad gateway</html>', 'LogIn failed: HTTP 502'],
    ['an empty error answer', 404, '', 'LogIn failed: HTTP 404'],
    ['a 200 that is not XML', 200, 'not xml <', 'LogIn failed: HTTP 200 NOT_XML'],
    ['a 200 that is not SOAP', 200, '<html><body>hi</body></html>', 'LogIn failed: HTTP 200 NOT_SOAP'],
    [
      'the answer to another operation',
      200,
      envelope(`<LogOutResponse xmlns="${UWS_NS}"><Output/></LogOutResponse>`),
      'LogIn failed: HTTP 200 UNEXPECTED_RESPONSE',
    ],
    ['a DOCTYPE', 200, `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${envelope('<x>&e;</x>')}`, 'LogIn failed: HTTP 200 DOCTYPE_REFUSED'],
    ['deep nesting', 200, envelope('<x>'.repeat(100) + '</x>'.repeat(100)), 'LogIn failed: HTTP 200 NOT_XML'],
  ])('refuses %s with a code of ours', (_, status, xml, message) => {
    const error = thrown(() => parseUwsResponse('LogIn', status, xml));
    expect(error).toBeInstanceOf(UwsFault);
    expect((error as Error).message).toBe(message);
  });

  it('throws nothing but its own fault on any input (fuzz)', () => {
    const fragments = fc.constantFrom(
      '<s:Envelope xmlns:s="x">',
      '</s:Envelope>',
      '<s:Body>',
      '</s:Body>',
      '<s:Fault>',
      '<faultcode>',
      '</faultcode>',
      '<LogInResponse>',
      '<Output>',
      '&amp;',
      '<!DOCTYPE',
      ']]>',
      '<![CDATA[',
    );
    const xml = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(fragments, fc.string({ maxLength: 5 })), { maxLength: 20 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(fc.constantFrom(200, 400, 500), xml, (status, body) => {
        const error = thrown(() => parseUwsResponse('LogIn', status, body));
        return error === undefined || error instanceof UwsFault;
      }),
      { numRuns: 500 },
    );
  });
});

describe('UWS endpoints and SOAPAction', () => {
  it('derives both services from one base and fills the SOAPAction template', () => {
    expect(uwsEndpointsAt('https://uws.example.com/api/v2/')).toEqual({
      sessionUrl: 'https://uws.example.com/api/v2/SessionService.svc',
      callbackRegistrationUrl: 'https://uws.example.com/api/v2/CallbackRegistrationService.svc',
      soapAction: DEFAULT_UWS_SOAP_ACTION,
    });
    expect(soapActionOf(DEFAULT_UWS_SOAP_ACTION, 'LogIn')).toBe('http://nphase.com/unifiedwebservice/v2/ISessionService/LogIn');
    expect(soapActionOf(DEFAULT_UWS_SOAP_ACTION, 'RegisterCallback')).toBe(
      'http://nphase.com/unifiedwebservice/v2/ICallbackRegistrationService/RegisterCallback',
    );
    expect(soapActionOf('urn:{operation}', 'UnregisterCallback')).toBe('urn:UnregisterCallback');
  });

  const base = { PUBLIC_BASE_URL: 'https://abc.execute-api.us-east-1.amazonaws.com' };
  const soapAccount = JSON.stringify([{ account: '0212312345-00001', services: ['CarrierService'], api: 'soap' }]);

  it('is read by the job configuration only when an account uses SOAP', () => {
    const rest = jobConfig({ ...base, REGISTRATIONS: '[{"account":"a","services":["CarrierService"]}]', UWS_BASE_URL: 'not a url' });
    expect(rest.uws).toBeUndefined();
    expect(jobConfig({ ...base, REGISTRATIONS: soapAccount }).uws).toEqual({
      sessionUrl: 'https://uws.apps.nphase.com/api/v2/SessionService.svc',
      callbackRegistrationUrl: 'https://uws.apps.nphase.com/api/v2/CallbackRegistrationService.svc',
      soapAction: DEFAULT_UWS_SOAP_ACTION,
    });
    const custom = jobConfig({
      ...base,
      REGISTRATIONS: soapAccount,
      UWS_BASE_URL: 'https://uws.example.com/v2',
      UWS_CALLBACK_REGISTRATION_URL: 'https://other.example.com/cb.svc',
      UWS_SOAP_ACTION: '',
    });
    expect(custom.uws).toEqual({
      sessionUrl: 'https://uws.example.com/v2/SessionService.svc',
      callbackRegistrationUrl: 'https://other.example.com/cb.svc',
      soapAction: '',
    });
    expect(custom.registrations).toEqual([{ account: '0212312345-00001', services: ['CarrierService'], api: 'soap' }]);
  });

  it.each([
    [{ UWS_BASE_URL: 'ftp://x' }, /UWS_BASE_URL must be an http/],
    [{ UWS_SESSION_URL: 'nope' }, /UWS_SESSION_URL must be an http/],
    [{ UWS_SOAP_ACTION: 'a"b' }, /UWS_SOAP_ACTION/],
    [{ UWS_SOAP_ACTION: 'a b' }, /UWS_SOAP_ACTION/],
    [{ REGISTRATIONS: '[{"account":"a","services":["CarrierService"],"api":"SOAP"}]' }, /"api":"rest"\|"soap"/],
  ])('refuses %j at init', (over, message) => {
    expect(() => jobConfig({ ...base, REGISTRATIONS: soapAccount, ...over })).toThrow(message);
  });
});
