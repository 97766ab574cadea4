import { FUNCTIONS, type RouteDefinition } from '../routes';
import type { Collection, CollectionName } from './collections';

/** What a route of the query API does. */
export type RouteTarget =
  | { kind: 'openapi' }
  | { kind: 'operations' }
  | { kind: 'list'; collection: CollectionName; from: 'query' | 'body' }
  | { kind: 'count'; collection: CollectionName }
  | { kind: 'get' | 'delete'; collection: CollectionName; idParam: string };

/** Id of the query function in the route table (shared/routes.ts). */
export const QUERY_FUNCTION_ID = 'query';

const OPENAPI_PATH = '/v1/openapi';
const OPERATIONS_PATH = '/v1/{scopeId}/devices/{deviceId}/operations';

/** The path of each collection: its list; `/_query`, `/_count` and `/{id}` below it. */
const COLLECTION_PATHS: Readonly<Record<CollectionName, string>> = {
  notifications: `${OPERATIONS_PATH}/{operationId}/notifications`,
  events: '/v1/{scopeId}/devices/{deviceId}/events',
  devices: '/v1/{scopeId}/devices',
  registrations: '/v1/{scopeId}/registrations',
  rejections: '/v1/{scopeId}/rejections',
};

/** What one route of the table does; throws for a route the query API has no answer for. */
function targetOf(route: RouteDefinition): RouteTarget {
  // A `.json` / `.xml` suffix only chooses the media type.
  const path = route.path.replace(/\.(json|xml)$/, '');
  if (path === OPENAPI_PATH && route.method === 'GET') return { kind: 'openapi' };
  if (path === OPERATIONS_PATH && route.method === 'GET') return { kind: 'operations' };
  for (const [collection, base] of Object.entries(COLLECTION_PATHS) as [CollectionName, string][]) {
    if (path === base && route.method === 'GET') return { kind: 'list', collection, from: 'query' };
    if (!path.startsWith(`${base}/`)) continue;
    const rest = path.slice(base.length + 1);
    if (rest === '_query' && route.method === 'POST') return { kind: 'list', collection, from: 'body' };
    if (rest === '_count' && route.method === 'POST') return { kind: 'count', collection };
    const id = /^\{(\w+)\}$/.exec(rest)?.[1];
    if (id && route.method === 'GET') return { kind: 'get', collection, idParam: id };
    if (id && route.method === 'DELETE') return { kind: 'delete', collection, idParam: id };
  }
  throw new Error(`The query API has no answer for the route ${route.method} ${route.path}`);
}

/**
 * The query API's dispatch table: each route key (`METHOD /path`, as API Gateway and the local
 * server name the route matched) of the query function in shared/routes.ts, with what it does.
 * A route the API cannot answer, or a verb its collection does not have, fails here, at load.
 */
export function queryRouteTable(collections: Readonly<Record<CollectionName, Collection>>): ReadonlyMap<string, RouteTarget> {
  const fn = FUNCTIONS.find((f) => f.id === QUERY_FUNCTION_ID);
  if (!fn) throw new Error(`No function ${QUERY_FUNCTION_ID} in the route table`);
  const table = new Map<string, RouteTarget>();
  for (const route of fn.routes) {
    const target = targetOf(route);
    if ((target.kind === 'count' || target.kind === 'get' || target.kind === 'delete') && !collections[target.collection][target.kind]) {
      throw new Error(`The ${target.collection} collection has no ${target.kind}, routed by ${route.method} ${route.path}`);
    }
    table.set(`${route.method} ${route.path}`, target);
  }
  return table;
}
