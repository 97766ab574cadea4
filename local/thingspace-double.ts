import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import * as z from 'zod';

/**
 * A test double of ThingSpace's own servers (which cannot be reached from here), implementing the
 * documented contract of PROVIDERS.md §1.1-1.2 over real HTTP: OAuth client-credentials tokens,
 * session login/logout (five failed logins in a row lock the account), register/list/delete of
 * callback listeners for the Diagnostics, Device Location and Connectivity Management APIs with a
 * fresh `Shared-Key` response header on Diagnostics and Device Location registrations, and the
 * `{errorCode, errorMessage}` error shape. Tests inject failures; `deliver` sends a callback to a
 * registered listener the way ThingSpace would (signed with the key it issued). Failures can be
 * narrowed to one service (`service`), and queued over HTTP too: `POST /_double/fail` with the
 * same fields, e.g. `{"method":"POST","path":"/api/v2/CallbackRegistrationService.svc",
 * "operation":"RegisterCallback","service":"DeviceUsage","status":500,"errorCode":"Internal.Error","times":2}`.
 *
 * It also serves the legacy UWS SOAP services (seed 002) under `/api/v2/`: SessionService
 * (LogIn, LogOut) and CallbackRegistrationService (GetCallbackRegistrations, RegisterCallback,
 * UnregisterCallback), reading requests by namespace as WCF does, requiring the WCF-style
 * SOAPAction and the session token in the SOAP header, answering SOAP 1.1 Faults (HTTP 500) whose
 * code names the error (`SessionToken.Expired`, `SessionToken.Invalid`, ...; the codes other than
 * the documented `SessionToken.Expired` are the double's own). A SOAP-registered listener gets
 * `CallbackRequest` envelopes from `deliver`, with the username and password it registered.
 *
 * A Connectivity service of an account is registered through REST or through UWS, never both:
 * as ThingSpace does, the double refuses the second (REST: 400 `INVALID_PARAMETER`; UWS: a
 * `Callback.Conflict` Fault, the double's own code), so `deliver` finds one listener per service
 * (or the one of the API it is asked for).
 */
export interface DoubleAccount {
  appKey: string;
  appSecret: string;
  username: string;
  password: string;
}

interface StoredRegistration {
  /** `uws`: registered through the SOAP service; REST lists never show it. */
  api: 'diagnostics' | 'location' | 'connectivity' | 'uws';
  account: string;
  service: string;
  url: string;
  httpHeaders: Record<string, string>;
  username?: string;
  password?: string;
  sharedKey?: string;
}

interface Failure {
  method: string;
  /** Matched against the path (without query) by `includes`. */
  path: string;
  status: number;
  errorCode: string;
  /** UWS only: the SOAP operation that fails (every one at the path when unset); answered as a Fault with `errorCode`. */
  operation?: string;
  /** Only calls about this service fail (its name in the path, the query, the JSON body or the SOAP Input); every service when unset. */
  service?: string;
  /** How many calls fail (Infinity: all). */
  times: number;
}

export interface ThingSpaceDouble {
  url: string;
  /** Every request received: method, path, the SOAP operation of a UWS call (no credential values). */
  calls: Array<{ method: string; path: string; operation?: string }>;
  registrations: Map<string, StoredRegistration>;
  failedLogins: Map<string, number>;
  /** What a second POST for a registered service does: overwrite it, or fail (the documents do not say). */
  duplicatePolicy: 'update' | 'reject';
  fail(failure: Omit<Failure, 'times'> & { times?: number }): void;
  /** UWS sessions time out (20 minutes idle): the next call on any open session, and every later one on it, gets `SessionToken.Expired`. */
  expireSessions(): void;
  /**
   * Sends `body` to the listener registered for (account, service), as ThingSpace would; returns the
   * answer, or status 0 and why nothing was sent. With `api`, only a registration through that API.
   */
  deliver(account: string, service: string, body: string, api?: DeliverApi): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** The API a registration was made through, as REGISTRATIONS names it: `rest`, or `soap` (UWS). */
export type DeliverApi = 'rest' | 'soap';

const CONNECTIVITY_SERVICES = new Set([
  'AlertsService',
  'AlertService',
  'CarrierService',
  'DevicePRLInformation',
  'DeviceService',
  'DeviceSuspensionStatus',
  'DeviceUsage',
  'EnhancedConnectivityService',
  'ExternalProvisioningChanges',
  'NiddService',
  'PromoChanges',
  'ResumeTrackingNotification',
  'SMSDeliveryConfirmation',
  'StateService',
]);

export async function startThingSpaceDouble(accounts: Record<string, DoubleAccount>, port = 0): Promise<ThingSpaceDouble> {
  const tokens = new Map<string, string>(); // access token → appKey
  const sessions = new Map<string, string>(); // session token → username
  const uwsSessions = new Map<string, string>(); // UWS session token → username
  const expiredUwsSessions = new Set<string>();
  let expireNextUwsCall = false;
  const failures: Failure[] = [];
  const double: Omit<ThingSpaceDouble, 'url' | 'close'> = {
    calls: [],
    registrations: new Map(),
    failedLogins: new Map(),
    duplicatePolicy: 'update',
    fail: (f) => failures.push({ ...f, times: f.times ?? 1 }),
    expireSessions: () => {
      expireNextUwsCall = true;
    },
    deliver,
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, { errorCode: 'INTERNAL_ERROR', errorMessage: 'double failed' }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    const method = req.method ?? 'GET';
    const uwsService = UWS_PATH.exec(u.pathname)?.[1] as UwsService | undefined;
    // WCF dispatches on the SOAPAction: `"{namespace}/I{service}/{operation}"` (quotes optional).
    const action = String(req.headers.soapaction ?? '').replace(/^"(.*)"$/, '$1');
    const operation = uwsService && action.startsWith(`${UWS_NS}/I${uwsService}/`) ? action.slice(`${UWS_NS}/I${uwsService}/`.length) : undefined;
    double.calls.push({ method, path: u.pathname, ...(uwsService ? { operation: operation ?? action } : {}) });
    const body = await read(req);
    const failure = failures.find(
      (f) =>
        f.times > 0 &&
        f.method === method &&
        u.pathname.includes(f.path) &&
        (!f.operation || f.operation === operation) &&
        (!f.service || f.service === serviceOf(u, body, uwsService)),
    );
    if (failure) {
      failure.times--;
      if (uwsService) return uwsFault(res, failure.errorCode, 'injected failure', failure.status);
      return reply(res, failure.status, { errorCode: failure.errorCode, errorMessage: 'injected failure' });
    }
    if (uwsService && method === 'POST') return uws(res, uwsService, operation, body);

    if (method === 'POST' && u.pathname === '/_double/fail') {
      const failure = failureOf(body);
      if (!failure)
        return reply(res, 400, {
          errorCode: 'INVALID_PARAMETER',
          errorMessage: 'method, path, status and errorCode are required; operation, service and times optional',
        });
      double.fail(failure);
      return reply(res, 200, { queued: failure });
    }
    if (method === 'POST' && u.pathname === '/_double/deliver') {
      const { account, service, payload, api } = JSON.parse(body) as { account: string; service: string; payload: string; api?: string };
      if (api !== undefined && api !== 'rest' && api !== 'soap')
        return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'api is "rest" or "soap" (or absent: the one registration of the service)' });
      return reply(res, 200, await deliver(account, service, payload, api));
    }
    if (method === 'POST' && u.pathname === '/api/ts/v1/oauth2/token') {
      const [appKey, appSecret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':');
      const ok = Object.values(accounts).some((a) => a.appKey === appKey && a.appSecret === appSecret);
      if (!ok || !body.includes('grant_type=client_credentials'))
        return reply(res, 401, { errorCode: 'INVALID_CLIENT', errorMessage: 'Invalid client credentials' });
      const token = randomUUID();
      tokens.set(token, appKey!);
      return reply(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600, scope: 'ts.callbacks' });
    }
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!tokens.has(bearer)) return reply(res, 401, { errorCode: 'UNAUTHORIZED', errorMessage: 'Invalid or missing bearer token' });

    if (method === 'POST' && u.pathname === '/api/m2m/v1/session/login') {
      const { username, password } = JSON.parse(body || '{}') as { username?: string; password?: string };
      const account = Object.values(accounts).find((a) => a.username === username);
      const failed = double.failedLogins.get(username ?? '') ?? 0;
      if (failed >= 5) return reply(res, 400, { errorCode: 'ACCOUNT_LOCKED', errorMessage: 'Account locked: contact support' });
      if (!account || account.password !== password) {
        double.failedLogins.set(username ?? '', failed + 1);
        return reply(res, 400, { errorCode: 'INVALID_LOGIN', errorMessage: 'Invalid username or password' });
      }
      double.failedLogins.set(username!, 0);
      const session = randomUUID();
      sessions.set(session, username!);
      return reply(res, 200, { sessionToken: session });
    }
    const session = String(req.headers['vz-m2m-token'] ?? '');
    // An expired or unknown session comes back as 400 INVALID_PARAMETER, not 401 (PROVIDERS.md §1.1).
    if (!sessions.has(session)) return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'Invalid session token' });
    if (method === 'POST' && u.pathname === '/api/m2m/v1/session/logout') {
      sessions.delete(session);
      return reply(res, 200, { sessionToken: session });
    }

    // Diagnostics: /api/diagnostics/v1/callbacks[?accountName&serviceName]
    if (u.pathname === '/api/diagnostics/v1/callbacks') {
      if (method === 'GET')
        return reply(
          res,
          200,
          listOf('diagnostics', u.searchParams.get('accountName') ?? '').map((r) => ({
            accountName: r.account,
            serviceName: r.service,
            endpoint: r.url,
            httpHeaders: r.httpHeaders,
            createdOn: new Date().toISOString(),
          })),
        );
      if (method === 'DELETE')
        return remove(res, 'diagnostics', u.searchParams.get('accountName') ?? '', u.searchParams.get('serviceName') ?? '', { success: true });
      if (method === 'POST') {
        const b = JSON.parse(body || '{}') as { accountName?: string; serviceName?: string; endpoint?: string; httpHeaders?: Record<string, string> };
        if (!b.accountName || b.serviceName !== 'Diagnostics' || !b.endpoint)
          return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'accountName, serviceName and endpoint are required' });
        return save(
          res,
          { api: 'diagnostics', account: b.accountName, service: 'Diagnostics', url: b.endpoint, httpHeaders: b.httpHeaders ?? {} },
          {
            accountName: b.accountName,
            serviceName: 'Diagnostics',
            endpoint: b.endpoint,
            httpHeaders: b.httpHeaders ?? {},
            createdOn: new Date().toISOString(),
          },
        );
      }
    }
    // Device Location and Connectivity: /api/{loc|m2m}/v1/callbacks/{account}[/name/{service}]
    const m = /^\/api\/(loc|m2m)\/v1\/callbacks\/([^/]+)(?:\/name\/([^/]+))?$/.exec(u.pathname);
    if (m) {
      const api = m[1] === 'loc' ? 'location' : 'connectivity';
      const account = decodeURIComponent(m[2]!);
      if (method === 'GET' && !m[3]) {
        const list = listOf(api, account).map((r) => ({ accountName: r.account, serviceName: r.service, url: r.url }));
        // The Device Location list "may be an empty body" when nothing is registered.
        if (list.length === 0 && api === 'location') return reply(res, 200, undefined);
        return reply(res, 200, list);
      }
      if (method === 'DELETE' && m[3])
        return remove(res, api, account, decodeURIComponent(m[3]), { accountName: account, serviceName: decodeURIComponent(m[3]) });
      if (method === 'POST' && !m[3]) {
        const b = JSON.parse(body || '{}') as { name?: string; url?: string; username?: string; password?: string };
        const valid = api === 'location' ? b.name === 'Location' || b.name === 'DeviceLocation' : CONNECTIVITY_SERVICES.has(b.name ?? '');
        if (!valid || !b.url) return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'name and url are required' });
        return save(
          res,
          { api, account, service: b.name!, url: b.url, httpHeaders: {}, username: b.username, password: b.password },
          { accountName: account, serviceName: b.name },
        );
      }
    }
    return reply(res, 404, { errorCode: 'NOT_FOUND', errorMessage: 'No such resource' });
  }

  /** One UWS request: the operation named by the SOAPAction, its Input read by namespace, the session checked. */
  function uws(res: ServerResponse, service: UwsService, operation: string | undefined, body: string): void {
    const fields = operation ? UWS_OPERATIONS[service][operation] : undefined;
    if (!operation || !fields) return uwsFault(res, 'ActionNotSupported', `No operation for this SOAPAction at ${service}`);
    if (/<!DOCTYPE|<!ENTITY/i.test(body)) return uwsFault(res, 'Request.Invalid', 'DOCTYPE is not accepted');
    const envelope = readEnvelope(body);
    const input = child(child(child(envelope, SOAP_ENV_NS, 'Body'), UWS_NS, operation), UWS_NS, 'Input');
    const values = Object.fromEntries(fields.map((name) => [name, child(input, contractNs(service), name)?.text]));
    if (!input || Object.values(values).some((v) => v === undefined)) {
      return uwsFault(res, 'Request.Invalid', `${operation} needs ${fields.join(', ')} in ${contractNs(service)}`);
    }
    const v = values as Record<string, string>;
    if (operation === 'LogIn') return uwsLogIn(res, v.Username!, v.Password!);

    const token = child(child(envelope, SOAP_ENV_NS, 'Header'), UWS_NS, 'token')?.text ?? '';
    if (expiredUwsSessions.has(token)) return uwsFault(res, 'SessionToken.Expired', 'The session token has expired');
    if (!uwsSessions.has(token)) return uwsFault(res, 'SessionToken.Invalid', 'Missing or unknown session token');
    if (expireNextUwsCall) {
      expireNextUwsCall = false;
      for (const open of uwsSessions.keys()) expiredUwsSessions.add(open);
      uwsSessions.clear();
      return uwsFault(res, 'SessionToken.Expired', 'The session token has expired');
    }
    if (operation === 'LogOut') {
      uwsSessions.delete(token);
      return uwsAnswer(res, service, operation, { SessionToken: token });
    }
    const account = v.AccountName!;
    if (operation === 'GetCallbackRegistrations') {
      const registrations = listOf('uws', account).map((r) => ({ 'a:ServiceName': r.service, 'a:Url': r.url }));
      return uwsAnswer(res, service, operation, {
        AccountName: account,
        CallbackRegistrations: registrations.length > 0 ? { 'a:CallbackRegistration': registrations } : '',
      });
    }
    const id = `uws|${account}|${v.ServiceName}`;
    if (operation === 'UnregisterCallback') {
      if (!double.registrations.delete(id)) return uwsFault(res, 'Callback.NotFound', 'No such registration');
      return uwsAnswer(res, service, operation, { AccountName: account, ServiceName: v.ServiceName! });
    }
    if (!UWS_CALLBACK_SERVICES.has(v.ServiceName!)) return uwsFault(res, 'ServiceName.Invalid', 'Unknown callback service');
    if (!/^https?:\/\/[^\s]+$/.test(v.Url!)) return uwsFault(res, 'Url.Invalid', 'Url must be an http(s) URL');
    if (double.registrations.has(id) && double.duplicatePolicy === 'reject') return uwsFault(res, 'Callback.AlreadyRegistered', 'Service already registered');
    // ThingSpace keeps a service on one API: registered through REST, it cannot be registered here too.
    if (double.registrations.has(`connectivity|${account}|${v.ServiceName}`)) {
      return uwsFault(res, 'Callback.Conflict', `${v.ServiceName} is registered through the REST API for this account: delete it there first`);
    }
    double.registrations.set(id, { api: 'uws', account, service: v.ServiceName!, url: v.Url!, httpHeaders: {}, username: v.Username, password: v.Password });
    uwsAnswer(res, service, operation, { AccountName: account, ServiceName: v.ServiceName! });
  }

  /** LogIn: the token in the SOAP header and in the body; failed logins count towards the same lock as REST's. */
  function uwsLogIn(res: ServerResponse, username: string, password: string): void {
    const account = Object.values(accounts).find((a) => a.username === username);
    const failed = double.failedLogins.get(username) ?? 0;
    if (failed >= 5) return uwsFault(res, 'Account.Locked', 'Account locked: contact support');
    if (!account || account.password !== password) {
      double.failedLogins.set(username, failed + 1);
      return uwsFault(res, 'Authentication.Failed', 'Invalid username or password');
    }
    double.failedLogins.set(username, 0);
    const token = randomUUID();
    uwsSessions.set(token, username);
    uwsAnswer(res, 'SessionService', 'LogIn', { SessionToken: token }, { token: { '@_xmlns': UWS_NS, '#text': token } });
  }

  function listOf(api: string, account: string): StoredRegistration[] {
    return [...double.registrations.values()].filter((r) => r.api === api && r.account === account);
  }

  function save(res: ServerResponse, registration: StoredRegistration, answer: unknown): void {
    const id = `${registration.api}|${registration.account}|${registration.service}`;
    if (double.registrations.has(id) && double.duplicatePolicy === 'reject') {
      return reply(res, 400, { errorCode: 'ALREADY_REGISTERED', errorMessage: 'Service already registered' });
    }
    // ThingSpace keeps a service on one API: registered through UWS (SOAP), it cannot be registered through REST too.
    if (registration.api === 'connectivity' && double.registrations.has(`uws|${registration.account}|${registration.service}`)) {
      return reply(res, 400, {
        errorCode: 'INVALID_PARAMETER',
        errorMessage: `${registration.service} is registered through the UWS (SOAP) service for this account: unregister it there first`,
      });
    }
    const sharedKey = registration.api === 'connectivity' ? undefined : randomUUID();
    double.registrations.set(id, { ...registration, ...(sharedKey ? { sharedKey } : {}) });
    reply(res, 200, answer, sharedKey ? { 'Shared-Key': sharedKey } : {});
  }

  function remove(res: ServerResponse, api: string, account: string, service: string, answer: unknown): void {
    if (!double.registrations.delete(`${api}|${account}|${service}`)) return reply(res, 400, { errorCode: 'NOT_FOUND', errorMessage: 'No such registration' });
    reply(res, 200, answer);
  }

  async function deliver(account: string, service: string, payload: string, api?: DeliverApi): Promise<{ status: number; text: string }> {
    const registered = [...double.registrations.values()].filter((x) => x.account === account && x.service === service);
    const through = (x: StoredRegistration): DeliverApi => (x.api === 'uws' ? 'soap' : 'rest');
    const r = registered.find((x) => !api || through(x) === api);
    if (!r) {
      const name = (a: DeliverApi) => (a === 'soap' ? 'SOAP (UWS)' : 'REST');
      const other = registered[0];
      return {
        status: 0,
        text: `${service} of ${account} is not registered${api ? ` through ${name(api)}` : ''}${other ? `; it is through ${name(through(other))}` : ''}`,
      };
    }
    let body = payload;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...r.httpHeaders };
    if (r.sharedKey) headers['x-signature'] = createHmac('sha256', r.sharedKey).update(body).digest('hex');
    if (r.api === 'connectivity') body = JSON.stringify({ ...JSON.parse(payload), username: r.username, password: r.password });
    if (r.api === 'uws') {
      body = callbackRequest(r, JSON.parse(payload) as SoapPayload);
      headers['content-type'] = 'text/xml; charset=utf-8';
    }
    const res = await fetch(r.url, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  }

  return {
    ...double,
    url,
    get duplicatePolicy() {
      return double.duplicatePolicy;
    },
    set duplicatePolicy(p) {
      double.duplicatePolicy = p;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const UWS_NS = 'http://nphase.com/unifiedwebservice/v2';
const UWS_PATH = /^\/api\/v2\/(SessionService|CallbackRegistrationService)\.svc$/;
type UwsService = 'SessionService' | 'CallbackRegistrationService';
const contractNs = (service: UwsService) => `http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.${service}`;

/** The operations of each UWS service and their input fields (every one required, empty allowed). */
const UWS_OPERATIONS: Record<UwsService, Record<string, string[]>> = {
  SessionService: { LogIn: ['Username', 'Password'], LogOut: ['SessionToken'] },
  CallbackRegistrationService: {
    GetCallbackRegistrations: ['AccountName'],
    RegisterCallback: ['AccountName', 'ServiceName', 'Url', 'Username', 'Password'],
    UnregisterCallback: ['AccountName', 'ServiceName'],
  },
};

/** The ServiceName values RegisterCallback documents. */
const UWS_CALLBACK_SERVICES = new Set([
  'AlertService',
  'CarrierService',
  'DevicePRLInformation',
  'DeviceService',
  'DeviceSuspensionStatus',
  'DeviceUsage',
  'EnhancedConnectivityService',
  'ExternalProvisioningChanges',
  'PromoChange',
  'ResumeTrackingNotification',
  'SMSDeliveryConfirmation',
]);

const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  maxNestedTags: 32,
});

/** An element by namespace and local name, its prefixes resolved through the xmlns declarations in scope. */
interface XmlElement {
  ns: string;
  name: string;
  text: string;
  children: XmlElement[];
}

function readEnvelope(xml: string): XmlElement | undefined {
  try {
    const doc = xmlParser.parse(xml) as Record<string, unknown>;
    const root = Object.entries(doc).find(([name]) => !name.startsWith('?'));
    const envelope = root ? elementsOf(root[0], root[1], new Map())[0] : undefined;
    return envelope?.ns === SOAP_ENV_NS && envelope.name === 'Envelope' ? envelope : undefined;
  } catch {
    return undefined;
  }
}

function elementsOf(qname: string, value: unknown, scope: ReadonlyMap<string, string>): XmlElement[] {
  if (Array.isArray(value)) return value.flatMap((v) => elementsOf(qname, v, scope));
  const node = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const inner = new Map(scope);
  for (const [key, v] of Object.entries(node)) {
    if (key === '@_xmlns') inner.set('', String(v));
    else if (key.startsWith('@_xmlns:')) inner.set(key.slice('@_xmlns:'.length), String(v));
  }
  const [prefix, name] = qname.includes(':') ? qname.split(':', 2) : ['', qname];
  const children = Object.entries(node)
    .filter(([key]) => !key.startsWith('@_') && key !== '#text')
    .flatMap(([key, v]) => elementsOf(key, v, inner));
  const text = typeof value === 'object' && value !== null ? scalarText(node['#text']) : scalarText(value);
  return [{ ns: inner.get(prefix!) ?? '', name: name!, text, children }];
}

const child = (element: XmlElement | undefined, ns: string, name: string) => element?.children.find((c) => c.ns === ns && c.name === name);

function soapReply(res: ServerResponse, status: number, body: Record<string, unknown>, header?: Record<string, unknown>): void {
  const xml = xmlBuilder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    's:Envelope': { '@_xmlns:s': SOAP_ENV_NS, ...(header ? { 's:Header': header } : {}), 's:Body': body },
  }) as string;
  res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
  res.end(xml);
}

/** A UWS answer: `{operation}Response/Output`, the output fields in the service's contract namespace. */
function uwsAnswer(res: ServerResponse, service: UwsService, operation: string, output: Record<string, unknown>, header?: Record<string, unknown>): void {
  const fields = Object.fromEntries(Object.entries(output).map(([name, value]) => [`a:${name}`, value]));
  soapReply(
    res,
    200,
    {
      [`${operation}Response`]: {
        '@_xmlns': UWS_NS,
        Output: { '@_xmlns:i': 'http://www.w3.org/2001/XMLSchema-instance', '@_xmlns:a': contractNs(service), ...fields },
      },
    },
    header,
  );
}

/** A SOAP 1.1 Fault as WCF sends it: HTTP 500, the code a QName. */
function uwsFault(res: ServerResponse, code: string, text: string, status = 500): void {
  soapReply(res, status, { 's:Fault': { faultcode: { '@_xmlns:a': UWS_NS, '#text': `a:${code}` }, faultstring: { '@_xml:lang': 'en-US', '#text': text } } });
}

/** What a test asks `deliver` to send to a SOAP listener. */
interface SoapPayload {
  requestId?: string;
  device?: { kind?: string; id?: string };
  /** The Data element's content, e.g. `{"CarrierService":{"Status":"Success"}}`. */
  data?: Record<string, unknown>;
}

/** A `CallbackRequest` envelope (seed 002) with the credentials the listener registered. */
function callbackRequest(r: StoredRegistration, p: SoapPayload): string {
  return xmlBuilder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    's:Envelope': {
      '@_xmlns:s': SOAP_ENV_NS,
      's:Body': {
        CallbackRequest: {
          '@_xmlns': UWS_NS,
          Username: r.username ?? '',
          Password: r.password ?? '',
          RequestId: p.requestId ?? randomUUID(),
          ...(p.device ? { Device: { Kind: p.device.kind ?? 'mdn', Identifier: p.device.id ?? '' } } : {}),
          Data: p.data ?? '',
        },
      },
    },
  }) as string;
}

/** A failure queued through `POST /_double/fail`. */
const queuedFailure = z.object({
  method: z.string().min(1),
  path: z.string().min(1),
  status: z.number().int().min(100).max(599),
  errorCode: z.string().min(1),
  operation: z.string().min(1).optional(),
  service: z.string().min(1).optional(),
  times: z.number().int().positive().optional(),
});

/** The failure a `POST /_double/fail` body asks for, or undefined when it is not one. */
function failureOf(body: string): z.infer<typeof queuedFailure> | undefined {
  try {
    const parsed = queuedFailure.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The service a request is about: `/name/{service}`, `serviceName=`, the JSON body's `name`/`serviceName`, or the SOAP Input's `ServiceName`. */
function serviceOf(u: URL, body: string, uwsService: UwsService | undefined): string | undefined {
  if (uwsService) return findElement(readEnvelope(body), 'ServiceName')?.text;
  const named = /\/name\/([^/]+)$/.exec(u.pathname)?.[1];
  if (named) return decodeURIComponent(named);
  if (u.searchParams.has('serviceName')) return u.searchParams.get('serviceName')!;
  try {
    const json = JSON.parse(body) as { name?: unknown; serviceName?: unknown };
    const name = json.name ?? json.serviceName;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The first element of that local name, depth first. */
function findElement(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  if (element.name === name) return element;
  for (const c of element.children) {
    const found = findElement(c, name);
    if (found) return found;
  }
  return undefined;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

/** Random API credentials of the shape ThingSpace issues (for the local secrets file and tests). */
export function randomApiCredentials(): DoubleAccount {
  const r = () => randomBytes(18).toString('base64url');
  return { appKey: r(), appSecret: r(), username: `api-${r().slice(0, 8)}`, password: r() };
}

/** The text of an XML text node as the parser gives it (a string, a number, a boolean), '' for none. */
function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
