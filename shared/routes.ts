import type { ChannelDefinition } from './channels/definition';
import { CHANNELS } from './channels';
import type { Provider } from './model';

/**
 * Every function and HTTP route of the gateway, once: the CDK stack makes one Lambda of each
 * function and one API route of each of its routes, and the local server serves the same table
 * by importing the same handler modules.
 */
export interface RouteDefinition {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path with `{param}` placeholders; a last `{name+}` takes the rest of the path. */
  path: string;
}

/**
 * What a function may do with the table (the table has no index): webhooks write callbacks and
 * rejection records (conditional PutItem), read receipts back (GetItem on `RC#`) and note a
 * device's first and last sight (UpdateItem on `DV#`); the query
 * API reads callbacks (Query/GetItem), deletes single ones and keeps a deleted holder's shared
 * body (PutItem on `MB#`); the authorizer reads API keys (GetItem on the key partition only); the re-registration
 * job reads and writes its status records (GetItem/PutItem on the `REG#` partitions only); the
 * event publisher reads the table's stream, and a shared body (GetItem on `EV#`/`MB#` partitions
 * only); the archiver the same (it puts objects in the archive bucket, not events on the bus); the
 * console serves static files and touches no item (`none`). shared/store/ holds every key and
 * command; infra/ grants these.
 */
export type TableAccess = 'write-callbacks' | 'read-callbacks' | 'read-apikeys' | 'write-registrations' | 'publish-events' | 'archive-events' | 'none';

export interface FunctionDefinition {
  /** Function id: also the folder under `functions/`. */
  id: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  /** For webhooks: whose callbacks it receives, which decides the provider settings it gets. */
  provider?: Provider;
  /** Secret names (after the prefix) the function may read, `*` standing for one path segment. */
  secrets: string[];
  table: TableAccess;
  /** The routes it serves (none for the authorizer). */
  routes: RouteDefinition[];
  /** True when its routes sit behind the API key authorizer. */
  authorized: boolean;
  /** Run on a schedule (the re-registration job) rather than by a route. */
  scheduled?: boolean;
  /** Run by the table's stream (the event publisher, the archiver) rather than by a route. */
  stream?: boolean;
}

/** A channel's webhook function (shared/channels.ts): its route, and the secrets of any scope of it. */
const webhook = (channel: ChannelDefinition): FunctionDefinition => ({
  id: channel.functionId,
  entry: `functions/${channel.functionId}/handler.ts`,
  provider: channel.provider,
  secrets: [channel.secretName('*')],
  table: 'write-callbacks',
  routes: [{ method: 'POST', path: channel.route }],
  authorized: false,
});

/** A function run by the table's stream: no route, no secret. */
const streamFunction = (id: string, table: TableAccess): FunctionDefinition => ({
  id,
  entry: `functions/${id}/handler.ts`,
  secrets: [],
  table,
  routes: [],
  authorized: false,
  stream: true,
});

/** The five Kapua verbs under a collection path. */
const kapuaVerbs = (collection: string, idParam: string): RouteDefinition[] => [
  { method: 'GET', path: collection },
  { method: 'GET', path: `${collection}/{${idParam}}` },
  { method: 'DELETE', path: `${collection}/{${idParam}}` },
  { method: 'POST', path: `${collection}/_query` },
  { method: 'POST', path: `${collection}/_count` },
];

const DEVICE = '/v1/{scopeId}/devices/{deviceId}';

/**
 * Kapua's resources answer JSON or XML by `Accept` or by a `.json` / `.xml` suffix on the path. A
 * suffix on an id is the id's route already; a path ending in a fixed segment (`…/events`,
 * `…/_count`) needs its own route for each suffix.
 */
const withMediaSuffixes = (routes: RouteDefinition[]): RouteDefinition[] => [
  ...routes,
  ...routes
    .filter((r) => !r.path.endsWith('}') && !r.path.endsWith('.json'))
    .flatMap((r) => ['.json', '.xml'].map((suffix) => ({ ...r, path: `${r.path}${suffix}` }))),
];

/** Id of the function that checks API keys for every authorized route. */
export const AUTHORIZER_ID = 'authorizer';

/** Id of the scheduled re-registration job. */
export const REREGISTER_ID = 'reregister';

/** Id of the function that publishes stored events and notifications from the table's stream to the event bus. */
export const PUBLISHER_ID = 'publisher';

/** Id of the function that serves the operator console (a static page calling the query API). */
export const CONSOLE_ID = 'console';

/** Id of the function that archives every stored event from the table's stream to the archive bucket. */
export const ARCHIVER_ID = 'archiver';

/** The webhook channel (route and secret) a ThingSpace service is registered to. */
export function channelOfService(service: string): 'diagnostics' | 'location' | 'device-location' | 'connectivity' {
  if (service === 'Diagnostics') return 'diagnostics';
  if (service === 'Location') return 'location';
  if (service === 'DeviceLocation') return 'device-location';
  return 'connectivity';
}

export const FUNCTIONS: readonly FunctionDefinition[] = [
  ...Object.values(CHANNELS).map(webhook),
  {
    id: 'query',
    entry: 'functions/query/handler.ts',
    secrets: [],
    table: 'read-callbacks',
    routes: withMediaSuffixes([
      ...kapuaVerbs(`${DEVICE}/operations/{operationId}/notifications`, 'notificationId'),
      ...kapuaVerbs(`${DEVICE}/events`, 'eventId'),
      // A scope's devices: listed, read and counted; never deleted (a webhook writes them again).
      ...kapuaVerbs('/v1/{scopeId}/devices', 'deviceId').filter((r) => r.method !== 'DELETE'),
      { method: 'GET', path: `${DEVICE}/operations` },
      { method: 'GET', path: '/v1/{scopeId}/registrations' },
      { method: 'GET', path: '/v1/{scopeId}/rejections' },
      { method: 'GET', path: '/v1/openapi.json' },
    ]),
    authorized: true,
  },
  {
    id: AUTHORIZER_ID,
    entry: 'functions/authorizer/handler.ts',
    secrets: [],
    table: 'read-apikeys',
    routes: [],
    authorized: false,
  },
  {
    id: REREGISTER_ID,
    entry: 'functions/reregister/handler.ts',
    // Its secrets depend on the configured accounts: the stack grants them from the `registrations` context.
    secrets: [],
    table: 'write-registrations',
    routes: [],
    authorized: false,
    scheduled: true,
  },
  streamFunction(PUBLISHER_ID, 'publish-events'),
  {
    id: CONSOLE_ID,
    entry: 'functions/console/handler.ts',
    secrets: [],
    table: 'none',
    // The page and its assets are public (no data in them); the page sends the user's key to `/v1` itself.
    routes: [
      { method: 'GET', path: '/console' },
      { method: 'GET', path: '/console/{proxy+}' },
    ],
    authorized: false,
  },
  streamFunction(ARCHIVER_ID, 'archive-events'),
];

/** One served route with the function behind it. */
export interface BoundRoute extends RouteDefinition {
  fn: FunctionDefinition;
}

/** Every (method, path) of every function. */
export const ROUTES: readonly BoundRoute[] = FUNCTIONS.flatMap((fn) => fn.routes.map((route) => ({ ...route, fn })));
