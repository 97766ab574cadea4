/**
 * A small client of the ThingSpace APIs the re-registration job uses (PROVIDERS.md §1.1-1.2):
 * OAuth token, session login/logout, and register/list/delete of callback listeners for the
 * Diagnostics, Device Location and Connectivity Management APIs. Every call has a timeout;
 * errors carry ThingSpace's `errorCode` (matched on, never the text) and no credential.
 */

/** A ThingSpace API call that did not succeed. */
export class ThingSpaceApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly errorCode: string | undefined,
  ) {
    super(`${operation} failed: HTTP ${status}${errorCode ? ` ${errorCode}` : ''}`);
    this.name = 'ThingSpaceApiError';
  }
}

/** One registered callback listener, whichever API listed it. */
export interface Registration {
  serviceName: string;
  url: string;
  httpHeaders?: Record<string, string>;
}

export interface ApiCredentials {
  appKey: string;
  appSecret: string;
  username: string;
  password: string;
}

/** The three APIs differ in paths and field names; a registration names its API. */
export type CallbackApi = 'diagnostics' | 'location' | 'connectivity';

export class ThingSpaceClient {
  private accessToken?: string;
  private sessionToken?: string;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** OAuth client-credentials token (lives an hour; one per run). */
  async authenticate(credentials: Pick<ApiCredentials, 'appKey' | 'appSecret'>): Promise<void> {
    const basic = Buffer.from(`${credentials.appKey}:${credentials.appSecret}`).toString('base64');
    const out = await this.call<{ access_token?: string }>('oauth token', 'POST', '/api/ts/v1/oauth2/token', {
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      session: false,
    });
    if (!out.body?.access_token) throw new ThingSpaceApiError('oauth token', out.status, 'NO_TOKEN');
    this.accessToken = out.body.access_token;
  }

  /** Session login. Called once per run: five failed logins in a row lock the account. */
  async login(credentials: Pick<ApiCredentials, 'username' | 'password'>): Promise<void> {
    const out = await this.call<{ sessionToken?: string }>('session login', 'POST', '/api/m2m/v1/session/login', {
      body: JSON.stringify({ username: credentials.username, password: credentials.password }),
      session: false,
    });
    if (!out.body?.sessionToken) throw new ThingSpaceApiError('session login', out.status, 'NO_SESSION');
    this.sessionToken = out.body.sessionToken;
  }

  async logout(): Promise<void> {
    if (!this.sessionToken) return;
    try {
      await this.call('session logout', 'POST', '/api/m2m/v1/session/logout', { body: '{}' });
    } finally {
      this.sessionToken = undefined;
    }
  }

  /** The listeners registered for the account on one API. */
  async list(api: CallbackApi, account: string): Promise<Registration[]> {
    const path =
      api === 'diagnostics'
        ? `/api/diagnostics/v1/callbacks?accountName=${encodeURIComponent(account)}`
        : `${prefix(api)}/callbacks/${encodeURIComponent(account)}`;
    const out = await this.call<unknown>(`list ${api} callbacks`, 'GET', path);
    const entries = Array.isArray(out.body)
      ? out.body
      : Array.isArray((out.body as { callbacks?: unknown })?.callbacks)
        ? (out.body as { callbacks: unknown[] }).callbacks
        : [];
    return entries.flatMap((e) => {
      const entry = e as Record<string, unknown>;
      const serviceName = firstText(entry.serviceName, entry.name);
      const url = firstText(entry.endpoint, entry.url);
      if (!serviceName) return [];
      const headers = entry.httpHeaders;
      return [{ serviceName, url, ...(headers && typeof headers === 'object' ? { httpHeaders: headers as Record<string, string> } : {}) }];
    });
  }

  /**
   * Registers a listener; returns the `Shared-Key` response header when the API issues one
   * (Diagnostics, Device Location). The key is the only copy: the caller must store it at once.
   */
  async register(
    api: CallbackApi,
    account: string,
    service: string,
    url: string,
    extra: { httpHeaders?: Record<string, string>; username?: string; password?: string } = {},
  ): Promise<{ sharedKey?: string }> {
    const [path, body] =
      api === 'diagnostics'
        ? ['/api/diagnostics/v1/callbacks', { accountName: account, serviceName: service, endpoint: url, httpHeaders: extra.httpHeaders ?? {} }]
        : [
            `${prefix(api)}/callbacks/${encodeURIComponent(account)}`,
            { name: service, url, ...(extra.username ? { username: extra.username, password: extra.password } : {}) },
          ];
    const out = await this.call(`register ${service}`, 'POST', path, { body: JSON.stringify(body) });
    const key = out.headers
      .get('shared-key')
      ?.trim()
      .replace(/^"(.*)"$/, '$1');
    return key ? { sharedKey: key } : {};
  }

  async deregister(api: CallbackApi, account: string, service: string): Promise<void> {
    const path =
      api === 'diagnostics'
        ? `/api/diagnostics/v1/callbacks?accountName=${encodeURIComponent(account)}&serviceName=${encodeURIComponent(service)}`
        : `${prefix(api)}/callbacks/${encodeURIComponent(account)}/name/${encodeURIComponent(service)}`;
    await this.call(`deregister ${service}`, 'DELETE', path);
  }

  private async call<T>(
    operation: string,
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string; session?: boolean } = {},
  ): Promise<{ status: number; body: T | undefined; headers: Headers }> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json', ...options.headers };
    if (this.accessToken && !headers.authorization) headers.authorization = `Bearer ${this.accessToken}`;
    if (options.session !== false && this.sessionToken) headers['vz-m2m-token'] = this.sessionToken;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, body: options.body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new ThingSpaceApiError(operation, 0, (error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'UNREACHABLE');
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) throw new ThingSpaceApiError(operation, res.status, (body as { errorCode?: string } | undefined)?.errorCode);
    return { status: res.status, body: body as T | undefined, headers: res.headers };
  }
}

const prefix = (api: Exclude<CallbackApi, 'diagnostics'>) => (api === 'location' ? '/api/loc/v1' : '/api/m2m/v1');

/** The first of some JSON values that is a string (or a number, as text); '' for none. */
function firstText(...values: unknown[]): string {
  for (const value of values) if (typeof value === 'string' || typeof value === 'number') return String(value);
  return '';
}
