import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { RegistrationStatusStore } from '../../shared/reregister/status';
import { ApiKeyStore } from '../../shared/apikeys/store';
import { DEFAULT_LIMIT } from '../../shared/query/params';
import { OPENAPI } from '../../shared/query/openapi';
import { FUNCTIONS } from '../../shared/routes';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { hexSignature } from '../support/sign';

// Every /v1 route is called over real HTTP through the local server, and every answer is
// validated against the schema OPENAPI declares for its path, method and status. The test also
// records which declared responses it saw, and fails if one was never produced.

const SCOPE = '0212312345-00001';
const OTHER = '0212399999-00002';
const DEVICE = '990013907835001';
const OP = 'tx-openapi-1';
const OP2 = 'tx-openapi-2';
const KEY = 'diag-key-1';
const TOKEN = 'registered-token-1';
const SECRETS = { [`thingspace/${SCOPE}/diagnostics`]: { current: { key: KEY, token: TOKEN } } };

const N = '/v1/{scopeId}/devices/{deviceId}/operations/{operationId}/notifications';
const E = '/v1/{scopeId}/devices/{deviceId}/events';
const O = '/v1/{scopeId}/devices/{deviceId}/operations';
const D = '/v1/{scopeId}/devices';
const DOC = '/v1/openapi.json';

type Method = 'GET' | 'POST' | 'DELETE';
type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// The document, as Ajv sees it

const DOC_ID = 'https://gateway.test/openapi.json';
const document = JSON.parse(JSON.stringify(OPENAPI)) as Json;

// strictRequired is off only because `then: { required: [...] }` names properties declared beside
// the `if`, the usual 2020-12 idiom; the test below checks the other `required` lists itself.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
// The OpenAPI fields around the schemas are not JSON Schema keywords: Ajv is told to skip them,
// and stays strict about everything inside the schemas.
ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']);
ajv.addSchema({ ...document, $id: DOC_ID });

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const pointerTo = (...segments: string[]) => segments.map((s) => `/${escape(s)}`).join('');

/** The node at a JSON pointer of the document. */
function at(pointer: string): Json {
  const node = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((n, key) => (n as Json | undefined)?.[key], document);
  if (node === undefined) throw new Error(`Nothing at ${pointer}`);
  return node as Json;
}

/** An OpenAPI object (parameter, response, ...) and its pointer, through one `$ref` if it is one. */
function deref(pointer: string): { pointer: string; node: Json } {
  const node = at(pointer);
  return typeof node.$ref === 'string' ? { pointer: node.$ref.slice(1), node: at(node.$ref.slice(1)) } : { pointer, node };
}

const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.getSchema(`${DOC_ID}#${pointer}`);
    if (!validate) throw new Error(`No schema at ${pointer}`);
    validators.set(pointer, validate);
  }
  return validate;
}
const schemaValidator = (name: string) => validatorAt(pointerTo('components', 'schemas', name));

/** The problems Ajv finds (empty when valid), readable in a failed expectation. */
function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

const operationPointer = (path: string, method: Method) => pointerTo('paths', path, method.toLowerCase());
const operationOf = (path: string, method: Method) => at(operationPointer(path, method)) as { responses: Json; parameters?: Json[]; requestBody?: Json };

/** Every (method, path) the document declares. */
function declaredOperations(): { method: Method; path: string }[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.keys(item as Json)
      .filter((k) => ['get', 'post', 'delete', 'put', 'patch', 'head', 'options', 'trace'].includes(k))
      .map((k) => ({ method: k.toUpperCase() as Method, path })),
  );
}

/** The parameters of an operation (path item's and its own), dereferenced. */
function parametersOf(path: string, method: Method): { name: string; in: string; required?: boolean }[] {
  const item = at(pointerTo('paths', path)) as { parameters?: unknown[] };
  const own = operationOf(path, method).parameters ?? [];
  const base = pointerTo('paths', path);
  return [
    ...(item.parameters ?? []).map((_, i) => deref(`${base}/parameters/${i}`).node),
    ...own.map((_, i) => deref(`${operationPointer(path, method)}/parameters/${i}`).node),
  ] as { name: string; in: string; required?: boolean }[];
}

// ---------------------------------------------------------------------------------------------
// The gateway, its keys and its data

let t: TestGateway;
const keys = { reader: '', deleter: '', twoScopes: '', other: '' };
const seen = new Set<string>();
/** The callback bodies posted, as a single event's rawBody must give them back. */
const posted = new Set<string>();

/** A Diagnostics observation of DEVICE at 10:mm, of `operation` when given. */
const diagnostics = (minute: number, operation?: string, status?: string) =>
  JSON.stringify({
    ...(operation ? { transactionID: operation } : {}),
    device: { id: DEVICE, kind: 'imei' },
    ...(status ? { status } : {}),
    attributes: [{ name: 'LINK_QUALITY', value: `GOOD-${minute}`, createdOn: `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z` }],
  });

beforeAll(async () => {
  // A long key cache: the 500 case cuts the store under the query function, not under the authorizer.
  t = await startTestGateway(SECRETS, { API_KEY_CACHE_TTL_SECONDS: '3600' });
  const store = new ApiKeyStore(t.db, t.tableName);
  keys.reader = (await store.create({ scopes: [SCOPE], label: 'reader' })).key;
  keys.deleter = (await store.create({ scopes: [SCOPE], label: 'deleter', canDelete: true })).key;
  keys.twoScopes = (await store.create({ scopes: [SCOPE, OTHER], label: 'two scopes' })).key;
  keys.other = (await store.create({ scopes: [OTHER], label: 'other', canDelete: true })).key;

  // OP: RUNNING, RUNNING, COMPLETED; OP2: RUNNING; and one observation outside any operation.
  const callbacks = [diagnostics(0, OP), diagnostics(5, OP), diagnostics(10, OP, 'Completed'), diagnostics(20, OP2), diagnostics(30)];
  for (const body of callbacks) {
    const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${SCOPE}/diagnostics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': hexSignature(KEY, body), 'x-callback-token': TOKEN },
      body,
    });
    expect(res.status).toBe(200);
    posted.add(body);
  }
});
afterAll(async () => {
  await t.stop();
});

interface Call {
  method: Method;
  path: string;
  /** Path parameters; scopeId defaults to SCOPE, deviceId to DEVICE, operationId to OP. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** A JSON body (or, as a string, the exact bytes). */
  body?: unknown;
  /** The key to present; null presents none. */
  key?: string | null;
  authorization?: string;
  /** An Accept header (JSON when absent). */
  accept?: string;
}

/**
 * Calls a route over HTTP and checks the answer against the document: the status is one it
 * declares for the operation, and the body matches that response's schema (or is empty when the
 * response has no content). On a 2xx, the request's query parameters and body are checked too.
 */
async function call<T = Json>(c: Call): Promise<{ status: number; body: T }> {
  const params: Record<string, string> = { scopeId: SCOPE, deviceId: DEVICE, operationId: OP, ...c.params };
  const url = new URL(t.gateway.url + c.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`)));
  for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, v);
  const key = c.key === undefined ? keys.reader : c.key;
  const authorization = c.authorization ?? (key === null ? undefined : `Bearer ${key}`);
  const sent = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const res = await fetch(url, {
    method: c.method,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(sent !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(c.accept ? { accept: c.accept } : {}),
    },
    body: sent,
  });
  const text = await res.text();
  const where = `${c.method} ${c.path} → ${res.status}`;

  const responses = operationOf(c.path, c.method).responses;
  expect({ where, declared: String(res.status) in responses }).toEqual({ where, declared: true });
  const declared = deref(`${operationPointer(c.path, c.method)}/responses/${res.status}`);
  seen.add(`${c.method} ${c.path} ${res.status}`);

  let body: unknown;
  if (declared.node.content && c.accept?.includes('xml')) {
    // The XML form of the same body (kapua-parity.test.ts checks its elements).
    expect({ where, type: res.headers.get('content-type'), declared: 'application/xml' in (declared.node.content as object) }).toEqual({
      where,
      type: 'application/xml',
      declared: true,
    });
    expect(text.startsWith('<?xml')).toBe(true);
    body = text;
  } else if (declared.node.content) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    body = JSON.parse(text);
    expect({ where, problems: problems(validatorAt(`${declared.pointer}/content/application~1json/schema`), body) }).toEqual({ where, problems: [] });
  } else {
    expect({ where, body: text }).toEqual({ where, body: '' });
  }

  if (res.status < 300) {
    const queryNames = parametersOf(c.path, c.method)
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
    expect(queryNames).toEqual(expect.arrayContaining(Object.keys(c.query ?? {})));
    const requestBody = operationOf(c.path, c.method).requestBody;
    if (c.body !== undefined) {
      expect(requestBody).toBeDefined();
      const bodyPointer = `${operationPointer(c.path, c.method)}/requestBody/content/application~1json/schema`;
      expect({ where, request: problems(validatorAt(bodyPointer), JSON.parse(sent!)) }).toEqual({ where, request: [] });
    }
  }
  if (body && typeof body === 'object' && 'items' in body) {
    const page = body as { size: number; items: unknown[] };
    expect(page.size).toBe(page.items.length);
  }
  return { status: res.status, body: body as T };
}

interface Page<T = Json> {
  limitExceeded: boolean;
  size: number;
  items: T[];
  totalCount?: number;
  nextCursor?: string;
}
const ids = (page: Page) => page.items.map((i) => i.id as string);

// ---------------------------------------------------------------------------------------------

describe('the OpenAPI document', () => {
  it('is served at GET /v1/openapi.json, exactly as exported, to any known key', async () => {
    for (const key of [keys.reader, keys.other]) {
      const res = await call({ method: 'GET', path: DOC, key });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(document);
    }
    expect((await call({ method: 'GET', path: DOC, key: null })).status).toBe(401);
  });

  it("declares exactly the query function's routes, each with a 2xx and the 401", () => {
    // The `.json` / `.xml` suffix routes are aliases of the declared paths (the document says so), not paths of their own.
    const routes = FUNCTIONS.find((f) => f.id === 'query')!
      .routes.filter((r) => r.path === '/v1/openapi.json' || !/\.(json|xml)$/.test(r.path))
      .map((r) => `${r.method} ${r.path}`);
    const declared = declaredOperations().map((o) => `${o.method} ${o.path}`);
    expect([...declared].sort()).toEqual([...routes].sort());
    expect(new Set(declared).size).toBe(routes.length);
    for (const { method, path } of declaredOperations()) {
      const statuses = Object.keys(operationOf(path, method).responses);
      expect({ method, path, twoHundreds: statuses.some((s) => /^2\d\d$/.test(s)), has401: statuses.includes('401') }).toEqual({
        method,
        path,
        twoHundreds: true,
        has401: true,
      });
    }
  });

  it('is well formed: OpenAPI 3.1.0, bearer security, servers, unique operationIds, path parameters as templated', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/' }]);
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(at('/components/securitySchemes/bearerAuth')).toMatchObject({ type: 'http', scheme: 'bearer' });
    const info = document.info as { title: string; version: string; description: string };
    expect(info.title).toBeTruthy();
    for (const word of ['nextCursor', 'cursor', 'limit+1', 'QUERY_MAX_LIMIT', 'resource', '204']) expect(info.description).toContain(word);

    const operationIds = declaredOperations().map(({ path, method }) => (operationOf(path, method) as unknown as { operationId: string }).operationId);
    expect(new Set(operationIds).size).toBe(operationIds.length);

    for (const { path, method } of declaredOperations()) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const parameters = parametersOf(path, method);
      const inPath = parameters.filter((p) => p.in === 'path');
      expect({ path, method, inPath: inPath.map((p) => p.name).sort() }).toEqual({ path, method, inPath: templated });
      for (const p of inPath) expect(p.required).toBe(true);
      const names = parameters.map((p) => `${p.in}:${p.name}`);
      expect(new Set(names).size).toBe(names.length);
    }
    // The defaults the document states are the code's.
    expect(at('/components/schemas/Limit').default).toBe(DEFAULT_LIMIT);
  });

  it('resolves every $ref, and every schema compiles under strict Ajv', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref') refs.push(v as string);
          else walk(v);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of new Set(refs)) {
      expect(ref.startsWith('#/components/')).toBe(true);
      expect(() => at(ref.slice(1))).not.toThrow();
    }
    for (const name of Object.keys(at('/components/schemas'))) expect(() => schemaValidator(name)).not.toThrow();
    // Every required field of an object schema is one of its properties (a typo would make it unsatisfiable).
    for (const [name, value] of Object.entries(at('/components/schemas'))) {
      const s = value as { required?: string[]; properties?: Json };
      if (s.required && s.properties) expect({ name, undeclared: s.required.filter((r) => !(r in s.properties!)) }).toEqual({ name, undeclared: [] });
    }
  });

  it('fails on a field it does not declare, and on the rules it states (additionalProperties: false, dates, endedOn, nextCursor)', async () => {
    const page = await call<Page>({ method: 'GET', path: N });
    const item = page.body.items[0]!;
    const notification = schemaValidator('ManagementOperationNotification');
    expect(problems(notification, item)).toEqual([]);
    expect(problems(notification, { ...item, deviceId: DEVICE }).join()).toContain('must NOT have additional properties');
    expect(problems(notification, { ...item, sentOn: '2026-11-21T10:00:00Z' })).not.toEqual([]);
    expect(problems(notification, { ...item, status: 'DONE' })).not.toEqual([]);
    const { message: _message, ...withoutMessage } = item;
    expect(problems(notification, withoutMessage)).toEqual([]);
    const { status: _status, ...withoutStatus } = item;
    expect(problems(notification, withoutStatus)).not.toEqual([]);

    const list = schemaValidator('ManagementOperationNotificationListResult');
    expect(problems(list, { ...page.body, items: [{ ...item, extra: 1 }] })).not.toEqual([]);
    expect(problems(list, { ...page.body, limitExceeded: true })).not.toEqual([]); // no nextCursor
    expect(problems(list, { ...page.body, nextCursor: 'x' })).not.toEqual([]); // cursor without more

    const events = await call<Page>({ method: 'GET', path: E });
    const event = await call<Json>({ method: 'GET', path: `${E}/{eventId}`, params: { eventId: ids(events.body)[0]! } });
    expect(problems(schemaValidator('DeviceEvent'), event.body)).not.toEqual([]); // rawBody is not in list items
    expect(problems(schemaValidator('DeviceEventWithRawBody'), events.body.items[0])).not.toEqual([]);

    const operations = await call<Page>({ method: 'GET', path: O });
    const completed = operations.body.items.find((o) => o.status === 'COMPLETED')!;
    const operation = schemaValidator('DeviceManagementOperation');
    expect(problems(operation, { ...completed, status: 'RUNNING' })).not.toEqual([]); // RUNNING with endedOn
    const { endedOn: _endedOn, ...notEnded } = completed;
    expect(problems(operation, notEnded)).not.toEqual([]);

    expect(problems(schemaValidator('CountResult'), { count: 1, type: 'count' })).not.toEqual([]);
    expect(
      problems(schemaValidator('ExceptionInfo'), { type: 'exceptionInfo', httpErrorCode: 500, message: 'x', kapuaErrorCode: 'INTERNAL_ERROR', stack: 'at' }),
    ).not.toEqual([]);
  });
});

describe('the routes, as declared', () => {
  it('lists, sorts, pages and counts notifications', async () => {
    const all = await call<Page>({ method: 'GET', path: N, query: { askTotalCount: 'true' } });
    expect(all.body).toMatchObject({ limitExceeded: false, size: 3, totalCount: 3 });
    expect(all.body.items.map((n) => n.sentOn)).toEqual(['2026-11-21T10:00:00.000Z', '2026-11-21T10:05:00.000Z', '2026-11-21T10:10:00.000Z']);
    expect(all.body.items.map((n) => n.status)).toEqual(['RUNNING', 'RUNNING', 'COMPLETED']);

    for (const sortParam of at('/components/schemas/NotificationSortParam').enum as string[]) {
      const desc = await call<Page>({ method: 'GET', path: N, query: { sortParam, sortDir: 'DESCENDING' } });
      expect(desc.status).toBe(200);
      expect(desc.body.size).toBe(3);
    }
    const desc = await call<Page>({ method: 'GET', path: N, query: { sortDir: 'DESCENDING' } });
    expect(ids(desc.body)).toEqual([...ids(all.body)].reverse());

    const first = await call<Page>({ method: 'GET', path: N, params: { scopeId: '_' }, query: { limit: '2' } });
    expect(first.body).toMatchObject({ limitExceeded: true, size: 2 });
    const next = await call<Page>({ method: 'POST', path: `${N}/_query`, body: { limit: 2, cursor: first.body.nextCursor } });
    expect(next.body).toMatchObject({ limitExceeded: false, size: 1 });
    expect([...ids(first.body), ...ids(next.body)]).toEqual(ids(all.body));

    const queried = await call<Page>({
      method: 'POST',
      path: `${N}/_query`,
      body: { offset: 1, limit: 1, askTotalCount: true, sortParam: 'createdOn', sortDir: 'ASCENDING' },
    });
    expect(queried.body).toMatchObject({ size: 1, limitExceeded: true, totalCount: 3 });
    const empty = await call<Page>({ method: 'POST', path: `${N}/_query` });
    expect(empty.body.size).toBe(3);
    expect((await call<Page>({ method: 'GET', path: N, query: { resource: 'location' } })).body.size).toBe(0);
    expect((await call<Page>({ method: 'GET', path: N, query: { offset: '10' } })).body).toMatchObject({ size: 0, limitExceeded: false });

    expect((await call({ method: 'POST', path: `${N}/_count`, body: {} })).body).toEqual({ count: 3 });
    expect((await call({ method: 'POST', path: `${N}/_count` })).body).toEqual({ count: 3 });
    expect((await call({ method: 'POST', path: `${N}/_count`, params: { operationId: OP2 }, body: { resource: 'diagnostics' } })).body).toEqual({ count: 1 });
    expect((await call({ method: 'POST', path: `${N}/_count`, body: { resource: 'location' } })).body).toEqual({ count: 0 });
  });

  it('lists, sorts, pages and counts events; a single event carries its raw body', async () => {
    const all = await call<Page>({ method: 'GET', path: E, query: { askTotalCount: 'true', resource: 'diagnostics' } });
    expect(all.body).toMatchObject({ limitExceeded: false, size: 5, totalCount: 5 });
    expect(all.body.items.filter((e) => e.operationId === undefined)).toHaveLength(1);
    for (const sortParam of at('/components/schemas/EventSortParam').enum as string[]) {
      expect((await call<Page>({ method: 'GET', path: E, query: { sortParam } })).body.size).toBe(5);
    }

    // Cursor paging, through GET and _query alike, reads every event once.
    const pages: Page[] = [(await call<Page>({ method: 'GET', path: E, query: { limit: '2' } })).body];
    while (pages[pages.length - 1]!.nextCursor) {
      const cursor = pages[pages.length - 1]!.nextCursor!;
      const next =
        pages.length % 2 === 1
          ? await call<Page>({ method: 'POST', path: `${E}/_query`, body: { limit: 2, cursor } })
          : await call<Page>({ method: 'GET', path: E, query: { limit: '2', cursor } });
      pages.push(next.body);
    }
    expect(pages.map((p) => p.size)).toEqual([2, 2, 1]);
    expect(pages.flatMap(ids)).toEqual(ids(all.body));

    for (const item of all.body.items) {
      const one = await call<Json>({ method: 'GET', path: `${E}/{eventId}`, params: { eventId: item.id as string } });
      expect(one.body).toEqual({ ...item, rawBody: expect.any(String) });
      expect(posted.has(one.body.rawBody as string)).toBe(true);
    }

    expect((await call({ method: 'POST', path: `${E}/_count` })).body).toEqual({ count: 5 });
    expect((await call({ method: 'POST', path: `${E}/_count`, body: { resource: 'diagnostics', sortParam: 'receivedOn' } })).body).toEqual({ count: 5 });
    expect((await call({ method: 'POST', path: `${E}/_count`, body: { resource: 'location' } })).body).toEqual({ count: 0 });
  });

  it("lists a device's operations with their latest status", async () => {
    const all = await call<Page>({ method: 'GET', path: O, query: { askTotalCount: 'true' } });
    expect(all.body).toMatchObject({ size: 2, totalCount: 2, limitExceeded: false });
    expect(all.body.items).toEqual([
      expect.objectContaining({ id: OP, status: 'COMPLETED', progress: 100, endedOn: '2026-11-21T10:10:00.000Z' }),
      expect.objectContaining({ id: OP2, status: 'RUNNING', progress: 0 }),
    ]);
    for (const sortParam of at('/components/schemas/OperationSortParam').enum as string[]) {
      const desc = await call<Page>({ method: 'GET', path: O, query: { sortParam, sortDir: 'DESCENDING', limit: '1' } });
      expect(desc.body).toMatchObject({ size: 1, limitExceeded: true });
    }
    const page = await call<Page>({ method: 'GET', path: O, params: { scopeId: '_' }, query: { limit: '1' } });
    const rest = await call<Page>({ method: 'GET', path: O, query: { limit: '1', cursor: page.body.nextCursor! } });
    expect([...ids(page.body), ...ids(rest.body)]).toEqual([OP, OP2]);
  });

  it("lists, pages, counts and gets the scope's devices, with their newest event", async () => {
    const all = await call<Page>({ method: 'GET', path: D, query: { askTotalCount: 'true' } });
    expect(all.body).toMatchObject({ type: 'deviceListResult', size: 1, totalCount: 1, limitExceeded: false });
    expect(all.body.items[0]).toMatchObject({ id: DEVICE, clientId: DEVICE, imei: DEVICE, lastEventType: 'diagnostics', status: 'ENABLED' });
    for (const sortParam of at('/components/schemas/DeviceSortParam').enum as string[]) {
      expect((await call<Page>({ method: 'GET', path: D, query: { sortParam, sortDir: 'ASCENDING', limit: '1' } })).body.size).toBe(1);
    }
    const queried = await call<Page>({ method: 'POST', path: `${D}/_query`, body: { limit: 0 } });
    expect(queried.body).toMatchObject({ size: 0, limitExceeded: true });
    expect((await call({ method: 'POST', path: `${D}/_count`, body: {} })).body).toEqual({ count: 1 });
    const one = await call<Json>({ method: 'GET', path: `${D}/{deviceId}` });
    expect(one.body).toEqual(all.body.items[0]);
    const missing = await call({ method: 'GET', path: `${D}/{deviceId}`, params: { deviceId: 'no-such-device' } });
    expect(missing).toMatchObject({ status: 404, body: { entityType: 'device', entityId: 'no-such-device' } });
    const bad = await call({ method: 'GET', path: D, query: { sortParam: 'sentOn' } });
    expect(bad.body).toMatchObject({ argumentName: 'sortParam' });
    const device = schemaValidator('Device');
    expect(problems(device, { ...one.body, model: 'x' }).join()).toContain('must NOT have additional properties');
    const { lastEventType: _type, ...withoutType } = one.body;
    expect(problems(device, withoutType)).not.toEqual([]); // lastEventOn comes with its type and id
  });

  it("lists the re-registration job's status records of the scope", async () => {
    const status = new RegistrationStatusStore(t.db, t.tableName);
    await status.put({
      account: SCOPE,
      service: 'Diagnostics',
      endpoint: 'https://gw.example/webhooks/thingspace/x/diagnostics',
      state: 'registered',
      lastCheckedOn: '2026-11-21T10:00:00.000Z',
      lastChangedOn: '2026-11-21T09:00:00.000Z',
    });
    await status.put({
      account: SCOPE,
      service: 'CarrierService',
      state: 'error',
      lastCheckedOn: '2026-11-21T10:00:01.000Z',
      lastError: 'register CarrierService failed: HTTP 400 INVALID_PARAMETER',
      needsRegistration: true,
    });
    const R = '/v1/{scopeId}/registrations';
    const list = await call<Page>({ method: 'GET', path: R, query: { askTotalCount: 'true' } });
    expect(list.body).toMatchObject({ type: 'callbackRegistrationListResult', size: 2, totalCount: 2 });
    expect(list.body.items.map((i) => i.service)).toEqual(['CarrierService', 'Diagnostics']);
    expect(list.body.items[0]).toMatchObject({ status: 'ERROR', needsRegistration: true });
    const byTime = await call<Page>({
      method: 'GET',
      path: R,
      params: { scopeId: '_' },
      query: { sortParam: 'lastCheckedOn', sortDir: 'DESCENDING', limit: '1' },
    });
    expect(byTime.body).toMatchObject({ size: 1, limitExceeded: true, items: [{ service: 'CarrierService' }] });
    const bad = await call({ method: 'GET', path: R, query: { sortParam: 'sentOn' } });
    expect(bad.body).toMatchObject({ argumentName: 'sortParam' });
  });

  it('lists the rejected requests of the scope, with header names and never a value', async () => {
    const res = await fetch(`${t.gateway.url}/webhooks/thingspace/${SCOPE}/diagnostics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': 'f'.repeat(64), 'x-callback-token': 'not-the-token' },
      body: '{"transactionID":"rejected"}',
    });
    expect(res.status).toBe(401);
    const R = '/v1/{scopeId}/rejections';
    const list = await call<Page>({ method: 'GET', path: R, query: { sortDir: 'DESCENDING', limit: '1' } });
    expect(list.body).toMatchObject({ type: 'rejectedRequestListResult', size: 1 });
    expect(list.body.items[0]).toMatchObject({
      channel: 'diagnostics',
      httpStatus: 401,
      errorCode: 'UNAUTHORIZED',
      headerNames: expect.arrayContaining(['x-signature', 'x-callback-token']),
    });
    expect(JSON.stringify(list.body)).not.toContain('not-the-token');
    expect(JSON.stringify(list.body)).not.toContain('f'.repeat(64));
    const bad = await call({ method: 'GET', path: R, query: { sortParam: 'sentOn' } });
    expect(bad.body).toMatchObject({ argumentName: 'sortParam' });
  });

  it('gets single records, and answers 404 for an id not under its own device and operation', async () => {
    const notifications = (await call<Page>({ method: 'GET', path: N })).body.items;
    const id = notifications[0]!.id as string;
    expect((await call({ method: 'GET', path: `${N}/{notificationId}`, params: { notificationId: id } })).body).toEqual(notifications[0]);
    const elsewhere = await call({ method: 'GET', path: `${N}/{notificationId}`, params: { notificationId: id, operationId: OP2 } });
    expect(elsewhere.status).toBe(404);
    const otherDevice = await call({ method: 'GET', path: `${N}/{notificationId}`, params: { notificationId: id, deviceId: 'another-device' } });
    expect(otherDevice.body).toMatchObject({ type: 'entityNotFoundExceptionInfo', entityType: 'managementOperationNotification', entityId: id });
    const missing = await call({ method: 'GET', path: `${E}/{eventId}`, params: { eventId: 'AAAAAAAAAAAAAAAA' } });
    expect(missing).toMatchObject({ status: 404, body: { entityType: 'deviceEvent', entityId: 'AAAAAAAAAAAAAAAA' } });
  });

  it('answers 400 for illegal arguments on every route under a scope', async () => {
    const bad = async (c: Call, argumentName: string) => {
      const res = await call(c);
      expect({ route: `${c.method} ${c.path}`, status: res.status, argumentName: res.body?.argumentName }).toEqual({
        route: `${c.method} ${c.path}`,
        status: 400,
        argumentName,
      });
    };
    await bad({ method: 'GET', path: N, query: { sortDir: 'UP' } }, 'sortOrder');
    await bad({ method: 'GET', path: E, query: { sortParam: 'size' } }, 'sortParam');
    await bad({ method: 'GET', path: O, query: { limit: '501' } }, 'limit');
    await bad({ method: 'GET', path: E, query: { limit: '-1' } }, 'limit');
    await bad({ method: 'GET', path: E, query: { startDate: 'yesterday' } }, 'startDate');
    await bad({ method: 'GET', path: N, query: { offset: '-1' } }, 'offset');
    await bad({ method: 'GET', path: O, query: { offset: 'ten' } }, 'offset');
    await bad({ method: 'POST', path: `${N}/_query`, body: { sortDir: 'up' } }, 'sortOrder');
    await bad({ method: 'POST', path: `${E}/_query`, body: '{"limit":' }, 'body');
    await bad({ method: 'POST', path: `${E}/_count`, body: '[1]' }, 'body');
    await bad({ method: 'POST', path: `${N}/_count`, body: { resource: 7 } }, 'resource');

    // A cursor only serves the query it came from.
    const page = await call<Page>({ method: 'GET', path: E, query: { limit: '1' } });
    // (events list newest first by default: the cursor of that page does not serve the oldest-first list)
    await bad({ method: 'GET', path: E, query: { limit: '1', sortDir: 'ASCENDING', cursor: page.body.nextCursor! } }, 'cursor');
    await bad({ method: 'POST', path: `${N}/_query`, body: { cursor: page.body.nextCursor } }, 'cursor');

    // `_` is the key's own scope only when it has exactly one.
    for (const { method, path } of declaredOperations().filter((o) => o.path !== DOC)) {
      await bad({ method, path, params: { scopeId: '_', notificationId: 'AQ', eventId: 'AQ' }, key: keys.twoScopes }, 'scopeId');
    }
    await bad({ method: 'GET', path: `${N}/{notificationId}`, params: { scopeId: '-bad', notificationId: 'AQ' } }, 'scopeId');
  });

  it('answers 401 {"message":"Unauthorized"} without a known key, and 403 for another scope, on every route', async () => {
    for (const { method, path } of declaredOperations()) {
      const params = { notificationId: 'AQ', eventId: 'AQ' };
      for (const authorization of [undefined, 'Bearer igw_unknown', `Basic ${keys.reader}`, keys.reader]) {
        const res = await call({ method, path, params, key: null, authorization });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
      }
      if (path === DOC) continue;
      const res = await call({ method, path, params: { ...params, scopeId: OTHER } });
      expect({ method, path, status: res.status, body: res.body }).toEqual({
        method,
        path,
        status: 403,
        body: expect.objectContaining({
          type: 'subjectUnauthorizedExceptionInfo',
          permission: expect.objectContaining({ action: 'read', targetScopeId: OTHER, forwardable: false }),
        }),
      });
    }
  });

  it('answers 406 with no body, on every route, to an Accept it cannot produce; XML to one that asks for it', async () => {
    // The document itself is JSON whatever the Accept: its route says `.json`, and a suffix wins, as in Kapua.
    for (const { method, path } of declaredOperations().filter((o) => o.path !== DOC)) {
      const params = { notificationId: 'AQ', eventId: 'AQ' };
      const refused = await call({ method, path, params, accept: 'text/csv' });
      expect({ method, path, status: refused.status }).toEqual({ method, path, status: 406 });
      if (method !== 'GET') continue;
      const xml = await call({ method, path, params, accept: 'application/xml' });
      expect({ method, path, ok: [200, 404].includes(xml.status) }).toEqual({ method, path, ok: true });
    }
  });

  it('answers 500 exceptionInfo, with nothing of the cause, when the store is unreachable', async () => {
    const routes = declaredOperations().filter((o) => o.path !== DOC);
    await call({ method: 'GET', path: O, key: keys.deleter }); // the authorizer knows both keys before the cut
    await call({ method: 'GET', path: O });
    await t.cutStore();
    try {
      for (const { method, path } of routes) {
        const res = await call({
          method,
          path,
          params: { notificationId: 'AAAAAAAAAAAAAAAA', eventId: 'AAAAAAAAAAAAAAAA' },
          key: method === 'DELETE' ? keys.deleter : keys.reader,
        });
        expect({ method, path, status: res.status, body: res.body }).toEqual({
          method,
          path,
          status: 500,
          body: { type: 'exceptionInfo', httpErrorCode: 500, message: 'An internal error occurred.', kapuaErrorCode: 'INTERNAL_ERROR' },
        });
      }
    } finally {
      await t.restoreStore();
    }
  });

  it('deletes with a canDelete key (204, no body), refuses other keys (403), then answers 404', async () => {
    const notification = (await call<Page>({ method: 'GET', path: N })).body.items[0]!.id as string;
    const event = (await call<Page>({ method: 'GET', path: E })).body.items[0]!.id as string;
    for (const [path, params] of [
      [`${N}/{notificationId}`, { notificationId: notification }],
      [`${E}/{eventId}`, { eventId: event }],
    ] as const) {
      const refused = await call({ method: 'DELETE', path, params });
      expect(refused).toMatchObject({ status: 403, body: { permission: { action: 'delete', targetScopeId: SCOPE } } });
      const otherScope = await call({ method: 'DELETE', path, params, key: keys.other });
      expect(otherScope).toMatchObject({ status: 403, body: { permission: { action: 'read', targetScopeId: SCOPE } } });
      expect((await call({ method: 'DELETE', path, params, key: keys.deleter })).status).toBe(204);
      expect((await call({ method: 'GET', path, params })).status).toBe(404);
      expect((await call({ method: 'DELETE', path, params, key: keys.deleter })).status).toBe(404);
    }
    expect((await call({ method: 'POST', path: `${N}/_count` })).body).toEqual({ count: 2 });
    expect((await call({ method: 'POST', path: `${E}/_count` })).body).toEqual({ count: 4 });
  });

  it('produced every response the document declares, on every route', () => {
    const declared = declaredOperations().flatMap(({ method, path }) => Object.keys(operationOf(path, method).responses).map((s) => `${method} ${path} ${s}`));
    expect(declared.filter((d) => !seen.has(d))).toEqual([]);
  });
});
