import fc from 'fast-check';
import { BadRequestError, GatewayError, SignatureMismatchError, UnauthorizedError, UnsupportedMediaTypeError } from '../../shared/errors';
import { toRecords } from '../../shared/mapping';
import { BadSecretShape } from '../../shared/secrets/verify-with-secret';
import { mapConnectivity, readConnectivity } from '../../shared/thingspace/connectivity';
import { verifyCredentials } from '../../shared/thingspace/credentials';
import { mapSoap, readSoap, soapAcknowledgement, soapFault } from '../../shared/thingspace/soap';
import { soapEnvelope } from '../support/soap';

const ACCOUNT = '0212312345-00001';
const receivedOn = new Date('2026-11-21T12:00:00Z');

describe('verifyCredentials', () => {
  const versions = [
    { username: 'u2', password: 'p2' },
    { username: 'u1', password: 'p1' },
  ];
  it('accepts the pair of one valid version', () => {
    expect(() => verifyCredentials({ username: 'u2', password: 'p2' }, versions)).not.toThrow();
    expect(() => verifyCredentials({ username: 'u1', password: 'p1' }, versions)).not.toThrow();
  });
  it('refuses a pair mixed from two versions, a wrong one, and missing ones', () => {
    expect(() => verifyCredentials({ username: 'u2', password: 'p1' }, versions)).toThrow(SignatureMismatchError);
    expect(() => verifyCredentials({ username: 'u2', password: 'p2x' }, versions)).toThrow(SignatureMismatchError);
    expect(() => verifyCredentials({ username: 'u2' }, versions)).toThrow(UnauthorizedError);
    expect(() => verifyCredentials({}, versions)).toThrow(UnauthorizedError);
  });
  it('answers 503 when the secret holds no credentials', () => {
    expect(() => verifyCredentials({ username: 'u', password: 'p' }, [{ key: 'k' }])).toThrow(BadSecretShape);
  });
});

describe('Connectivity REST callbacks', () => {
  const body = {
    requestId: '595f5c44-c31c-4552-8670-020a1545a84d',
    deviceIds: [
      { id: '89148000000800139708', kind: 'iccid' },
      { id: '5555550100', kind: 'mdn' },
    ],
    carrierService: { state: 'active', servicePlan: 'M2M_4G' },
    username: 'user-1',
    password: 'secret-pass-1',
  };

  it('split the credentials off and blank them in place in what is stored', () => {
    const read = readConnectivity(Buffer.from(JSON.stringify(body)));
    expect(read.credentials).toEqual({ username: 'user-1', password: 'secret-pass-1' });
    const stored = read.storedBody.toString();
    expect(stored).not.toContain('secret-pass-1');
    expect(stored).not.toContain('user-1');
    expect(stored).toBe(JSON.stringify({ ...body, username: '', password: '' }));
  });

  it('become one event per device and a COMPLETED notification of the request, resource = the data object', () => {
    const read = readConnectivity(Buffer.from(JSON.stringify(body)));
    const mapped = toRecords(
      { provider: 'thingspace', channel: 'connectivity', scopeId: ACCOUNT, body: read.storedBody, receivedOn },
      mapConnectivity(read.message, ACCOUNT),
    );
    expect(mapped.events.map((e) => [e.deviceId, e.deviceKind, e.resource])).toEqual([
      ['89148000000800139708', 'iccid', 'carrierService'],
      ['5555550100', 'mdn', 'carrierService'],
    ]);
    expect(mapped.events[0]!.payload).toEqual({ carrierService: body.carrierService });
    expect(mapped.notifications.map((n) => [n.operationId, n.status, n.progress])).toEqual([
      [body.requestId, 'COMPLETED', 100],
      [body.requestId, 'COMPLETED', 100],
    ]);
    expect(JSON.stringify(mapped)).not.toContain('secret-pass-1');
  });

  it.each([
    ['Delivered', 'COMPLETED', 100],
    ['Queued', 'RUNNING', 0],
    ['DeliveryFailed', 'FAILED', 100],
  ])('map NIDD status %s to %s', (status, expected, progress) => {
    const read = readConnectivity(
      Buffer.from(
        JSON.stringify({
          requestId: 'r',
          deviceIds: [{ id: 'd', kind: 'imei' }],
          status,
          callbackCount: 1,
          maxCallbackThreshold: 4,
          username: 'u',
          password: 'p',
        }),
      ),
    );
    const facts = mapConnectivity(read.message, ACCOUNT);
    expect(facts.operation).toMatchObject({ status: expected, progress });
  });

  it('fuzz: random bodies yield a read or our own 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.record({ requestId: fc.jsonValue(), deviceIds: fc.jsonValue(), status: fc.jsonValue(), username: fc.jsonValue() }).map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            const read = readConnectivity(Buffer.from(text));
            mapConnectivity(read.message, ACCOUNT);
          } catch (error) {
            expect(error).toBeInstanceOf(GatewayError);
            expect((error as GatewayError).statusCode).toBe(400);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('SOAP CallbackRequest', () => {
  const carrier = '<CarrierService><StateChange>Active</StateChange></CarrierService>';

  it('parses SOAP 1.1 and 1.2 and maps the populated Data child to the resource', () => {
    for (const [version, type] of [
      ['1.1', 'text/xml; charset=utf-8'],
      ['1.2', 'application/soap+xml'],
    ] as const) {
      const read = readSoap(Buffer.from(soapEnvelope(carrier, version)), type);
      expect(read.version).toBe(version);
      expect(read.credentials).toEqual({ username: 'user-1', password: 'pass-1' });
      const facts = mapSoap(read.message, ACCOUNT);
      expect(facts.devices).toEqual([{ id: '8586928930', kind: 'mdn' }]);
      expect(facts.resource).toBe('CarrierService');
      expect(facts.operation).toMatchObject({ id: 'c8de7c1d-59b9-4cf3-b969-db76cb2ce509', status: 'COMPLETED', progress: 100 });
    }
  });

  it('turns a Fault into a FAILED notification with its text, and unwraps the seed’s nested Data', () => {
    const read = readSoap(
      Buffer.from(soapEnvelope('<Data><Fault><FaultCode>12</FaultCode><FaultString>Device not found</FaultString></Fault></Data>')),
      'text/xml',
    );
    expect(mapSoap(read.message, ACCOUNT).operation).toMatchObject({ status: 'FAILED', message: 'Device not found' });
    expect(mapSoap(read.message, ACCOUNT).resource).toBe('Fault');
  });

  it('blanks the credentials in the stored body, even inside CDATA', () => {
    const plain = readSoap(Buffer.from(soapEnvelope(carrier, '1.1', 'user-xyz', 'pw-&amp;-123')), 'text/xml');
    expect(plain.credentials.password).toBe('pw-&-123');
    const stored = plain.storedBody.toString();
    expect(stored).toContain('<Username></Username><Password></Password>');
    expect(stored).not.toContain('user-xyz');
    expect(stored).toContain('<CarrierService>');
    const cdata = readSoap(Buffer.from(soapEnvelope(carrier, '1.1', 'user-xyz', '<![CDATA[pw</Password>tricky]]>')), 'text/xml');
    expect(cdata.credentials.password).toBe('pw</Password>tricky');
    expect(cdata.storedBody.toString()).not.toContain('pw</Password>tricky');
  });

  const hostile: Array<[string, string]> = [
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'],
    [
      'nested entity expansion (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>',
    ],
    ['a bare DOCTYPE', '<!DOCTYPE html><s:Envelope xmlns:s="x"/>'],
    ['an external parameter entity', '<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><d/>'],
    ['deep nesting', soapEnvelope('<a>'.repeat(200) + '</a>'.repeat(200))],
    ['malformed XML', soapEnvelope('<CarrierService>')],
    ['a document that is not a CallbackRequest', '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Other/></s:Body></s:Envelope>'],
    ['huge text in a field', soapEnvelope(carrier, '1.1', 'u'.repeat(100_000))],
  ];
  it.each(hostile)('refuses %s with a 400', (_label, xml) => {
    expect(() => readSoap(Buffer.from(xml), 'text/xml')).toThrow(BadRequestError);
  });

  it('refuses a media type that is not SOAP with a 415', () => {
    expect(() => readSoap(Buffer.from(soapEnvelope(carrier)), 'application/json')).toThrow(UnsupportedMediaTypeError);
  });

  it('answers with envelopes of the request version; faults say Client/Sender or Server/Receiver', () => {
    expect(soapAcknowledgement('1.1', 'stored').body).toContain('http://schemas.xmlsoap.org/soap/envelope/');
    expect(soapAcknowledgement('1.2', 'stored').contentType).toMatch(/^application\/soap\+xml/);
    expect(soapFault('1.1', 401, 'bad <creds>').body).toContain('<faultcode>soap:Client</faultcode><faultstring>bad &lt;creds&gt;</faultstring>');
    expect(soapFault('1.2', 503, 'down').body).toContain('<soap:Value>soap:Receiver</soap:Value>');
    expect(soapFault('1.2', 400, 'x').body).toContain('soap:Sender');
  });

  it('fuzz: random bodies yield a read or our own 4xx', () => {
    const xmlish = fc.oneof(
      fc.string(),
      fc.string().map((s) => soapEnvelope(s)),
      fc
        .array(fc.constantFrom('<a>', '</a>', '<b/>', '&amp;', '&x;', '<![CDATA[', ']]>', '<!--', '-->', 'text', '<Data>', '</Data>', '<?pi x?>'))
        .map((parts) => soapEnvelope(parts.join(''))),
    );
    fc.assert(
      fc.property(xmlish, (xml) => {
        try {
          const read = readSoap(Buffer.from(xml), 'text/xml');
          mapSoap(read.message, ACCOUNT);
        } catch (error) {
          expect(error).toBeInstanceOf(GatewayError);
          expect((error as GatewayError).statusCode).toBeGreaterThanOrEqual(400);
          expect((error as GatewayError).statusCode).toBeLessThan(500);
        }
      }),
      { numRuns: 500 },
    );
  });
});
