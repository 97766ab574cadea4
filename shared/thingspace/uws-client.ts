import { XMLBuilder } from 'fast-xml-parser';
import type { ApiCredentials, Registration } from './api-client';
import { contractNamespace, OPERATIONS, SOAP_ENVELOPE_NS, soapActionOf, UWS_NS, UwsFault, type UwsEndpoints, type UwsOperation } from './uws-contract';
import { parseSafeXml } from './xml';

/**
 * A small client of the legacy UWS (SOAP) services the re-registration job uses for accounts whose
 * Connectivity callbacks are registered through SOAP (seed 002): SessionService LogIn/LogOut and
 * the Callback Registration Service (GetCallbackRegistrations, RegisterCallback,
 * UnregisterCallback). Envelopes are built with XMLBuilder and answers read with XMLParser, never
 * spliced from strings; a fault becomes a UwsFault carrying its fault code, never its text, a
 * token or a password. Verizon publishes neither the endpoint URLs nor the SOAPAction values:
 * both are configuration (UwsEndpoints) whose defaults are guesses (see DEFAULT_UWS_BASE_URL).
 */

export * from './uws-contract';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/**
 * The request envelope of one operation: the operation and its `Input` in the UWS namespace, the
 * input fields in the service's contract namespace, the session token (when given) as `<v2:token>`
 * in the SOAP header. Values are escaped by the builder; an empty value is an empty element.
 */
export function buildUwsRequest(operation: UwsOperation, input: Record<string, string>, token?: string): string {
  const fields = Object.fromEntries(Object.entries(input).map(([name, value]) => [`nph:${name}`, value]));
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    'soapenv:Envelope': {
      '@_xmlns:soapenv': SOAP_ENVELOPE_NS,
      '@_xmlns:v2': UWS_NS,
      '@_xmlns:nph': contractNamespace(OPERATIONS[operation]),
      'soapenv:Header': token === undefined ? '' : { 'v2:token': token },
      'soapenv:Body': { [`v2:${operation}`]: { 'v2:Input': fields } },
    },
  }) as string;
}

/** Answers are small: a registration list is a few KB. Anything bigger is not UWS. */
const MAX_RESPONSE_CHARS = 1_048_576;
/** What a successful answer carries: the SOAP header and the operation's `Output`. */
export interface UwsAnswer {
  header: Record<string, unknown>;
  output: unknown;
}

/**
 * Reads the answer to `operation`. A SOAP Fault becomes a UwsFault with its code; an error status
 * without a fault, XML that is hostile (DOCTYPE, entities, too deep, too big) or not SOAP, or an
 * answer to another operation becomes a UwsFault with a code of ours. Never returns or throws
 * anything of the fault's text.
 */
export function parseUwsResponse(operation: UwsOperation, status: number, xml: string): UwsAnswer {
  const ok = status >= 200 && status < 300;
  const doc = readXml(xml);
  if (typeof doc === 'string') throw new UwsFault(operation, status, ok ? doc : undefined);
  const envelope = field(doc, 'Envelope');
  const body = field(envelope, 'Body');
  if (!isRecord(body)) throw new UwsFault(operation, status, ok ? 'NOT_SOAP' : undefined);
  if ('Fault' in body) throw new UwsFault(operation, status, faultCodeOf(body.Fault));
  if (!ok) throw new UwsFault(operation, status, undefined);
  // An empty `<…Response/>` reads as '': an answer with nothing in it.
  const response = field(body, `${operation}Response`);
  if (response === undefined) throw new UwsFault(operation, status, 'UNEXPECTED_RESPONSE');
  const header = field(envelope, 'Header');
  return { header: isRecord(header) ? header : {}, output: field(response, 'Output') ?? '' };
}

/** The parsed document, or why it was refused. */
function readXml(xml: string): unknown {
  if (xml.length === 0) return 'EMPTY_RESPONSE';
  if (xml.length > MAX_RESPONSE_CHARS) return 'RESPONSE_TOO_LARGE';
  const parsed = parseSafeXml(xml);
  return 'doc' in parsed ? parsed.doc : parsed.refused;
}

// A fault code is a QName (`a:SessionToken.Expired`); anything else is not quoted back.
const QNAME = /^(?:[\w.-]+:)?([\w.-]{1,100})$/;

/** The most specific code of a SOAP 1.1 (`faultcode`) or 1.2 (`Code/Value`, `Subcode/Value`) fault, without its prefix. */
function faultCodeOf(fault: unknown): string {
  let code = field(fault, 'faultcode');
  for (let node = field(fault, 'Code'); isRecord(node); node = field(node, 'Subcode')) {
    if (typeof node.Value === 'string') code = node.Value;
  }
  return typeof code === 'string' ? (QNAME.exec(code)?.[1] ?? 'FAULT') : 'FAULT';
}

/** The session token of a LogIn answer: the body's `SessionToken`, else the header's `token`. */
export function sessionTokenOf(answer: UwsAnswer): string | undefined {
  const token = field(answer.output, 'SessionToken') || answer.header.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * The registrations of a GetCallbackRegistrations answer: every element under `Output` that holds
 * a `ServiceName`, however deep (the list's element names are not published), with its `Url`.
 */
export function registrationsOf(answer: UwsAnswer): Registration[] {
  const found: Registration[] = [];
  const pending: unknown[] = [answer.output];
  while (pending.length > 0) {
    const node = pending.shift();
    if (Array.isArray(node)) pending.push(...(node as unknown[]));
    else if (isRecord(node) && typeof node.ServiceName === 'string' && node.ServiceName !== '') {
      found.push({ serviceName: node.ServiceName, url: typeof node.Url === 'string' ? node.Url : '' });
    } else if (isRecord(node)) pending.push(...Object.values(node));
  }
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const field = (value: unknown, name: string): unknown => (isRecord(value) ? value[name] : undefined);

export class UwsClient {
  private token?: string;
  private credentials?: Pick<ApiCredentials, 'username' | 'password'>;
  private loggedInAgain = false;
  /** Set when the one login after an expired session failed: the caller counts it as a failed login. */
  reloginFailure?: unknown;

  constructor(
    private readonly endpoints: UwsEndpoints,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Session login. Called once per run: five failed logins in a row lock the account. */
  async logIn(credentials: Pick<ApiCredentials, 'username' | 'password'>): Promise<void> {
    const answer = await this.call('LogIn', { Username: credentials.username, Password: credentials.password });
    const token = sessionTokenOf(answer);
    if (!token) throw new UwsFault('LogIn', 200, 'NO_SESSION');
    this.token = token;
    this.credentials = credentials;
  }

  async logOut(): Promise<void> {
    if (!this.token) return;
    try {
      await this.call('LogOut', { SessionToken: this.token });
    } finally {
      this.token = undefined;
      this.credentials = undefined;
    }
  }

  /** The services registered for the account, with their URLs. */
  async getCallbackRegistrations(account: string): Promise<Registration[]> {
    return registrationsOf(await this.inSession('GetCallbackRegistrations', { AccountName: account }));
  }

  /** Registers `url` for the service; the username/password are echoed in every callback (empty elements when unused). */
  async registerCallback(account: string, service: string, url: string, credentials: { username?: string; password?: string } = {}): Promise<void> {
    await this.inSession('RegisterCallback', {
      AccountName: account,
      ServiceName: service,
      Url: url,
      Username: credentials.username ?? '',
      Password: credentials.password ?? '',
    });
  }

  async unregisterCallback(account: string, service: string): Promise<void> {
    await this.inSession('UnregisterCallback', { AccountName: account, ServiceName: service });
  }

  /**
   * A call within the session. An expired session is logged in again once per client and the call
   * sent again; never a second time, so a run adds at most one login to the first.
   */
  private async inSession(operation: UwsOperation, input: Record<string, string>): Promise<UwsAnswer> {
    try {
      return await this.call(operation, input);
    } catch (error) {
      if (!(error instanceof UwsFault) || !error.sessionExpired || this.loggedInAgain || !this.credentials) throw error;
      this.loggedInAgain = true;
      try {
        await this.logIn(this.credentials);
      } catch (loginError) {
        this.reloginFailure = loginError;
        throw loginError;
      }
      return this.call(operation, input);
    }
  }

  private async call(operation: UwsOperation, input: Record<string, string>): Promise<UwsAnswer> {
    const url = OPERATIONS[operation] === 'SessionService' ? this.endpoints.sessionUrl : this.endpoints.callbackRegistrationUrl;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapActionOf(this.endpoints.soapAction, operation)}"` },
        body: buildUwsRequest(operation, input, operation === 'LogIn' ? undefined : this.token),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new UwsFault(operation, 0, (error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'UNREACHABLE');
    }
    return parseUwsResponse(operation, res.status, await res.text());
  }
}
