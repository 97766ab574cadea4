import * as z from 'zod';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequestError, GatewayError, UnsupportedMediaTypeError } from '../errors';
import { header } from '../http/request';
import { toErrorResponse } from '../http/response';
import type { CallbackFacts } from '../mapping';
import type { CredentialChannel } from './credential-webhook';
import type { EchoedCredentials } from './credentials';
import { envInt } from '../config';
import { devicesOf, parseWith } from '../payload';
import { MAX_XML_DEPTH, parseSafeXml } from './xml';

export type SoapVersion = '1.1' | '1.2';

const ENVELOPE_NS: Record<SoapVersion, string> = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};
const CONTENT_TYPE: Record<SoapVersion, string> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
};
const CALLBACK_NS = 'http://nphase.com/unifiedwebservice/v2';

/** The SOAP version a request's media type names: `text/xml` is 1.1, `application/soap+xml` is 1.2. */
export function soapVersionOf(contentType: string | undefined): SoapVersion {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/xml') return '1.1';
  if (type === 'application/soap+xml') return '1.2';
  throw new UnsupportedMediaTypeError('text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)');
}

const text = z.string().max(1_024);
const requestSchema = z.looseObject({
  Username: text.optional(),
  Password: text.optional(),
  RequestId: z.string().min(1).max(256).optional(),
  Device: z.looseObject({ Kind: z.string().min(1).max(32), Identifier: z.string().min(1).max(128) }).optional(),
  Data: z.union([z.record(z.string(), z.unknown()), z.literal('')]).optional(),
});

export type SoapCallback = z.infer<typeof requestSchema>;

export interface SoapRead {
  version: SoapVersion;
  credentials: EchoedCredentials;
  message: SoapCallback;
  /** The body as stored: the received XML with Username and Password blanked. */
  storedBody: Buffer;
}

/**
 * Parses a legacy SOAP `CallbackRequest`. Hostile XML is refused with a 400 before or while
 * parsing: DOCTYPE and entity declarations (XXE, billion laughs), malformed XML, nesting deeper
 * than MAX_XML_DEPTH; the size cap ran before this.
 */
export function readSoap(body: Buffer, contentType: string | undefined): SoapRead {
  const version = soapVersionOf(contentType);
  const xml = body.toString('utf8');
  const parsed = parseSafeXml(xml);
  if ('refused' in parsed) {
    throw new BadRequestError(
      parsed.refused === 'DOCTYPE_REFUSED'
        ? 'DOCTYPE and entity declarations are not accepted'
        : `Body is not well-formed XML or nests deeper than ${MAX_XML_DEPTH} levels`,
    );
  }
  const doc = parsed.doc;
  const request = (doc as { Envelope?: { Body?: { CallbackRequest?: unknown } } })?.Envelope?.Body?.CallbackRequest;
  if (typeof request !== 'object' || request === null) {
    throw new BadRequestError('Body is not a SOAP envelope holding a CallbackRequest');
  }
  const message = parseWith(requestSchema, request, 'SOAP CallbackRequest');
  const credentials = {
    ...(message.Username ? { username: message.Username } : {}),
    ...(message.Password ? { password: message.Password } : {}),
  };
  const stored = redact(xml);
  if (!plainCredentialsOnly(xml)) {
    // What is stored must hold no credential, as the parser reads it: parse the redacted envelope
    // again and refuse one whose structure left a Username or Password behind (comments, CDATA tricks).
    const reparsed = parseSafeXml(stored);
    const again =
      'doc' in reparsed
        ? (reparsed.doc as { Envelope?: { Body?: { CallbackRequest?: { Username?: unknown; Password?: unknown } } } })?.Envelope?.Body?.CallbackRequest
        : undefined;
    if (!again || (again.Username ?? '') !== '' || (again.Password ?? '') !== '')
      throw new BadRequestError('Username and Password must be plain text elements');
  }
  return { version, credentials, message, storedBody: Buffer.from(stored) };
}

/**
 * True when the envelope's only credential elements are one plain-text Username and one plain-text
 * Password (the shape ThingSpace sends): blanking them is then exact, and the second parse that
 * proves redaction of anything stranger is not needed.
 */
function plainCredentialsOnly(xml: string): boolean {
  return [...xml.matchAll(CREDENTIAL_ELEMENT)].length === 2 && plainCredentialsOf(xml) !== undefined;
}

// An element's content: text, CDATA sections and comments (which may hold a `</Password>` of their own).
// Attributes never cross a `<`: a tag that does not close fails at once instead of scanning on.
const CREDENTIAL_ELEMENT = /<((?:[\w.-]+:)?(?:Username|Password))(\s[^<>]*)?>(?:<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|[^<])*<\/\1\s*>/g;

/** The XML with the contents of the Username and Password elements blanked, and nothing else changed. */
function redact(xml: string): string {
  return xml.replace(CREDENTIAL_ELEMENT, '<$1$2></$1>');
}

/** Soap envelopes are small: a callback is a few KB (SOAP_MAX_BODY_BYTES, default 64 KB). */
export const DEFAULT_SOAP_MAX_BODY_BYTES = 65_536;

// Linear on hostile input: attributes stop at `<` and are bounded, content stops at `<`.
const PLAIN_ELEMENT = (name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^<>]{0,256})?>([^<&]*)</(?:[\\w.-]+:)?${name}\\s*>`, 'g');
const USERNAME = PLAIN_ELEMENT('Username');
const PASSWORD = PLAIN_ELEMENT('Password');

/**
 * The Username and Password of an envelope found without parsing it, when each appears exactly
 * once as plain text (no markup, entity or CDATA inside): a wrong pair is then refused before the
 * XML is validated and parsed. Anything less clear-cut returns undefined and the full parse decides.
 */
export function precheckSoapCredentials(body: Buffer): EchoedCredentials | undefined {
  return plainCredentialsOf(body.toString('utf8'));
}

function plainCredentialsOf(xml: string): EchoedCredentials | undefined {
  const users = [...xml.matchAll(USERNAME)];
  const passwords = [...xml.matchAll(PASSWORD)];
  if (users.length !== 1 || passwords.length !== 1) return undefined;
  // The parser trims element text (trimValues): so must this, or a genuine envelope would differ.
  const username = users[0]![1]!.trim();
  const password = passwords[0]![1]!.trim();
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** The Data child that is populated names the resource; a Fault child fails the request. */
export function mapSoap(message: SoapCallback, account: string): CallbackFacts {
  let data = typeof message.Data === 'object' ? message.Data : {};
  // The seed document wraps the payload in a second Data element.
  if (Object.keys(data).length === 1 && typeof data.Data === 'object' && data.Data !== null) {
    data = data.Data as Record<string, unknown>;
  }
  const resource = Object.keys(data).find((k) => data[k] !== '' && data[k] !== undefined) ?? 'Callback';
  const failed = resource === 'Fault';
  const status = failed ? 'FAILED' : 'COMPLETED';
  const devices = message.Device ? devicesOf({ device: { id: message.Device.Identifier, kind: message.Device.Kind } }, account) : devicesOf({}, account);
  return {
    devices,
    resource,
    action: 'callback',
    payload: () => ({ [resource]: data[resource] ?? null }),
    operation: message.RequestId
      ? { id: message.RequestId, status, progress: 100, message: failed ? firstText(data.Fault)?.slice(0, 256) : resource }
      : undefined,
  };
}

/** The fault's human-readable text: a *String/*Message/*Reason/*Description field first, else the first text. */
function firstText(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null) {
    const named = Object.entries(value).find(([k, v]) => /string|message|reason|description/i.test(k) && typeof v === 'string' && v);
    if (named) return named[1] as string;
  }
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.shift();
    if (typeof node === 'string' && node.length > 0) return node;
    if (typeof node === 'object' && node !== null) stack.push(...(Object.values(node) as unknown[]));
  }
  return undefined;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The acknowledgement of an accepted callback, in the request's SOAP version. */
export function soapAcknowledgement(version: SoapVersion, status: string): { contentType: string; body: string } {
  return {
    contentType: CONTENT_TYPE[version],
    body:
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENVELOPE_NS[version]}"><soap:Body>` +
      `<CallbackResponse xmlns="${CALLBACK_NS}"><Status>${escapeXml(status)}</Status></CallbackResponse>` +
      `</soap:Body></soap:Envelope>`,
  };
}

/** A SOAP Fault: Client/Sender for the caller's errors (4xx), Server/Receiver for ours (5xx). */
export function soapFault(version: SoapVersion, statusCode: number, message: string): { contentType: string; body: string } {
  const ours = statusCode >= 500;
  const fault =
    version === '1.1'
      ? `<soap:Fault><faultcode>soap:${ours ? 'Server' : 'Client'}</faultcode><faultstring>${escapeXml(message)}</faultstring></soap:Fault>`
      : `<soap:Fault><soap:Code><soap:Value>soap:${ours ? 'Receiver' : 'Sender'}</soap:Value></soap:Code>` +
        `<soap:Reason><soap:Text xml:lang="en">${escapeXml(message)}</soap:Text></soap:Reason></soap:Fault>`;
  return {
    contentType: CONTENT_TYPE[version],
    body: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENVELOPE_NS[version]}"><soap:Body>${fault}</soap:Body></soap:Envelope>`,
  };
}

/** The legacy SOAP channel: SOAP 1.1 or 1.2 in, an envelope of the same version out. */
export const soapChannel: CredentialChannel<SoapRead> = {
  channel: 'soap',
  maxBodyBytes: envInt('SOAP_MAX_BODY_BYTES', DEFAULT_SOAP_MAX_BODY_BYTES, { min: 1_024 }),
  precheck: precheckSoapCredentials,
  read: (event, body) => readSoap(body, header(event.headers, 'content-type')),
  map: (read, account) => mapSoap(read.message, account),
  respond: (read, acceptance) => {
    const reply = soapAcknowledgement(read.version, acceptance.status);
    return { statusCode: 200, headers: { 'content-type': reply.contentType }, body: reply.body };
  },
};

/** Errors on the SOAP route are SOAP Faults of the request's version (1.1 when it named none). */
export function renderSoapError(error: unknown, event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  let version: '1.1' | '1.2' = '1.1';
  try {
    version = soapVersionOf(header(event.headers, 'content-type'));
  } catch {
    // A request of the wrong media type is answered in SOAP 1.1.
  }
  const plain = toErrorResponse(error);
  const message = error instanceof GatewayError ? error.message : 'Internal error; the callback was not stored';
  const fault = soapFault(version, plain.statusCode ?? 500, message);
  return { statusCode: plain.statusCode, headers: { 'content-type': fault.contentType }, body: fault.body };
}

/**
 * Reads a stored SOAP envelope back (shared/query/derive.ts): the received one with its
 * credentials blanked; its version does not change the mapping.
 */
export const soapReader = (body: Buffer, account: string): CallbackFacts => mapSoap(readSoap(body, 'text/xml').message, account);
