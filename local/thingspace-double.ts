import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test double of ThingSpace's own servers (which cannot be reached from here), implementing the
 * documented contract of PROVIDERS.md §1.1-1.2 over real HTTP: OAuth client-credentials tokens,
 * session login/logout (five failed logins in a row lock the account), register/list/delete of
 * callback listeners for the Diagnostics, Device Location and Connectivity Management APIs with a
 * fresh `Shared-Key` response header on Diagnostics and Device Location registrations, and the
 * `{errorCode, errorMessage}` error shape. Tests inject failures; `deliver` sends a callback to a
 * registered listener the way ThingSpace would (signed with the key it issued).
 */
export interface DoubleAccount {
  appKey: string;
  appSecret: string;
  username: string;
  password: string;
}

interface StoredRegistration {
  api: 'diagnostics' | 'location' | 'connectivity';
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
  /** How many calls fail (Infinity: all). */
  times: number;
}

export interface ThingSpaceDouble {
  url: string;
  /** Every request received: method, path (no credential values). */
  calls: Array<{ method: string; path: string }>;
  registrations: Map<string, StoredRegistration>;
  failedLogins: Map<string, number>;
  /** What a second POST for a registered service does: overwrite it, or fail (the documents do not say). */
  duplicatePolicy: 'update' | 'reject';
  fail(failure: Omit<Failure, 'times'> & { times?: number }): void;
  /** Sends `body` to the listener registered for (account, service), as ThingSpace would; returns the answer. */
  deliver(account: string, service: string, body: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

const CONNECTIVITY_SERVICES = new Set([
  'AlertsService', 'AlertService', 'CarrierService', 'DevicePRLInformation', 'DeviceService', 'DeviceSuspensionStatus', 'DeviceUsage',
  'EnhancedConnectivityService', 'ExternalProvisioningChanges', 'NiddService', 'PromoChanges', 'ResumeTrackingNotification',
  'SMSDeliveryConfirmation', 'StateService',
]);

export async function startThingSpaceDouble(accounts: Record<string, DoubleAccount>, port = 0): Promise<ThingSpaceDouble> {
  const tokens = new Map<string, string>(); // access token → appKey
  const sessions = new Map<string, string>(); // session token → username
  const failures: Failure[] = [];
  const double: Omit<ThingSpaceDouble, 'url' | 'close'> = {
    calls: [],
    registrations: new Map(),
    failedLogins: new Map(),
    duplicatePolicy: 'update',
    fail: (f) => failures.push({ ...f, times: f.times ?? 1 }),
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
    double.calls.push({ method, path: u.pathname });
    const body = await read(req);
    const failure = failures.find((f) => f.times > 0 && f.method === method && u.pathname.includes(f.path));
    if (failure) {
      failure.times--;
      return reply(res, failure.status, { errorCode: failure.errorCode, errorMessage: 'injected failure' });
    }

    if (method === 'POST' && u.pathname === '/_double/deliver') {
      const { account, service, payload } = JSON.parse(body) as { account: string; service: string; payload: string };
      return reply(res, 200, await deliver(account, service, payload));
    }
    if (method === 'POST' && u.pathname === '/api/ts/v1/oauth2/token') {
      const [appKey, appSecret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
      const ok = Object.values(accounts).some((a) => a.appKey === appKey && a.appSecret === appSecret);
      if (!ok || !body.includes('grant_type=client_credentials')) return reply(res, 401, { errorCode: 'INVALID_CLIENT', errorMessage: 'Invalid client credentials' });
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
      if (method === 'GET') return reply(res, 200, listOf('diagnostics', u.searchParams.get('accountName') ?? '').map((r) => ({ accountName: r.account, serviceName: r.service, endpoint: r.url, httpHeaders: r.httpHeaders, createdOn: new Date().toISOString() })));
      if (method === 'DELETE') return remove(res, 'diagnostics', u.searchParams.get('accountName') ?? '', u.searchParams.get('serviceName') ?? '', { success: true });
      if (method === 'POST') {
        const b = JSON.parse(body || '{}') as { accountName?: string; serviceName?: string; endpoint?: string; httpHeaders?: Record<string, string> };
        if (!b.accountName || b.serviceName !== 'Diagnostics' || !b.endpoint) return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'accountName, serviceName and endpoint are required' });
        return save(res, { api: 'diagnostics', account: b.accountName, service: 'Diagnostics', url: b.endpoint, httpHeaders: b.httpHeaders ?? {} }, { accountName: b.accountName, serviceName: 'Diagnostics', endpoint: b.endpoint, httpHeaders: b.httpHeaders ?? {}, createdOn: new Date().toISOString() });
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
      if (method === 'DELETE' && m[3]) return remove(res, api, account, decodeURIComponent(m[3]), { accountName: account, serviceName: decodeURIComponent(m[3]) });
      if (method === 'POST' && !m[3]) {
        const b = JSON.parse(body || '{}') as { name?: string; url?: string; username?: string; password?: string };
        const valid = api === 'location' ? b.name === 'Location' || b.name === 'DeviceLocation' : CONNECTIVITY_SERVICES.has(b.name ?? '');
        if (!valid || !b.url) return reply(res, 400, { errorCode: 'INVALID_PARAMETER', errorMessage: 'name and url are required' });
        return save(res, { api, account, service: b.name!, url: b.url, httpHeaders: {}, username: b.username, password: b.password }, { accountName: account, serviceName: b.name });
      }
    }
    return reply(res, 404, { errorCode: 'NOT_FOUND', errorMessage: 'No such resource' });
  }

  function listOf(api: string, account: string): StoredRegistration[] {
    return [...double.registrations.values()].filter((r) => r.api === api && r.account === account);
  }

  function save(res: ServerResponse, registration: StoredRegistration, answer: unknown): void {
    const id = `${registration.api}|${registration.account}|${registration.service}`;
    if (double.registrations.has(id) && double.duplicatePolicy === 'reject') {
      return reply(res, 400, { errorCode: 'ALREADY_REGISTERED', errorMessage: 'Service already registered' });
    }
    const sharedKey = registration.api === 'connectivity' ? undefined : randomUUID();
    double.registrations.set(id, { ...registration, ...(sharedKey ? { sharedKey } : {}) });
    reply(res, 200, answer, sharedKey ? { 'Shared-Key': sharedKey } : {});
  }

  function remove(res: ServerResponse, api: string, account: string, service: string, answer: unknown): void {
    if (!double.registrations.delete(`${api}|${account}|${service}`)) return reply(res, 400, { errorCode: 'NOT_FOUND', errorMessage: 'No such registration' });
    reply(res, 200, answer);
  }

  async function deliver(account: string, service: string, payload: string): Promise<{ status: number; text: string }> {
    const r = [...double.registrations.values()].find((x) => x.account === account && x.service === service);
    if (!r) return { status: 0, text: 'not registered' };
    let body = payload;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...r.httpHeaders };
    if (r.sharedKey) headers['x-signature'] = createHmac('sha256', r.sharedKey).update(body).digest('hex');
    if (r.api === 'connectivity') body = JSON.stringify({ ...JSON.parse(payload), username: r.username, password: r.password });
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
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
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
