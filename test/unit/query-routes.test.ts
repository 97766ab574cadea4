import { createQueryApi } from '../../shared/query/api';
import { collections } from '../../shared/query/collections';
import { queryRouteTable, QUERY_FUNCTION_ID } from '../../shared/query/route-table';
import { logger } from '../../shared/log';
import { FUNCTIONS } from '../../shared/routes';
import type { CallbackRecords } from '../../shared/store/callback-records';

// The query API's dispatch: a table of the query function's route keys (shared/routes.ts). A
// store that answers every read with an empty page: a route served by mistake would answer 200.

const routes = FUNCTIONS.find((f) => f.id === QUERY_FUNCTION_ID)!.routes;
const nothing = new Proxy({}, { get: () => () => Promise.resolve({ items: [], limitExceeded: false }) }) as unknown as CallbackRecords;

describe('the query route table', () => {
  it('answers every query route of shared/routes.ts, and only those', () => {
    const table = queryRouteTable(collections(nothing, async () => (() => undefined) as never));
    expect([...table.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    expect(table.get('GET /v1/{scopeId}/rejections')).toEqual({ kind: 'list', collection: 'rejections', from: 'query' });
    expect(table.get('POST /v1/{scopeId}/devices/{deviceId}/events/_count.xml')).toEqual({ kind: 'count', collection: 'events' });
    expect(table.get('DELETE /v1/{scopeId}/devices/{deviceId}/operations/{operationId}/notifications/{notificationId}')).toEqual({
      kind: 'delete',
      collection: 'notifications',
      idParam: 'notificationId',
    });
    expect(table.get('GET /v1/{scopeId}/devices/{deviceId}/operations.json')).toEqual({ kind: 'operations' });
    // Devices: list, one, _query and _count (each with its suffixes); never a DELETE.
    expect(table.get('GET /v1/{scopeId}/devices')).toEqual({ kind: 'list', collection: 'devices', from: 'query' });
    expect(table.get('GET /v1/{scopeId}/devices.xml')).toEqual({ kind: 'list', collection: 'devices', from: 'query' });
    expect(table.get('GET /v1/{scopeId}/devices/{deviceId}')).toEqual({ kind: 'get', collection: 'devices', idParam: 'deviceId' });
    expect(table.get('POST /v1/{scopeId}/devices/_query.json')).toEqual({ kind: 'list', collection: 'devices', from: 'body' });
    expect(table.get('POST /v1/{scopeId}/devices/_count')).toEqual({ kind: 'count', collection: 'devices' });
    expect(
      [...table.keys()].filter((k) => k.startsWith('DELETE /v1/{scopeId}/devices/{deviceId}') && !k.includes('/events/') && !k.includes('/notifications/')),
    ).toEqual([]);
  });

  it('serves an unknown route key as an error, logged, never as another collection', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const query = createQueryApi(nothing, 500);
      const res = await query({
        routeKey: 'GET /v1/{scopeId}/devices/{deviceId}/other',
        rawPath: '/v1/A/devices/d/other',
        pathParameters: { scopeId: 'A', deviceId: 'd' },
        headers: {},
        requestContext: { authorizer: { lambda: { authenticated: true, scopes: 'A', canDelete: false } } },
      } as never);
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(String(res.body))).toMatchObject({ kapuaErrorCode: 'INTERNAL_ERROR' });
      expect(logged).toHaveBeenCalledWith('route not served by the query API', { routeKey: 'GET /v1/{scopeId}/devices/{deviceId}/other' });
    } finally {
      logged.mockRestore();
    }
  });
});

describe('a list sorted at query time past its bound', () => {
  it('is refused naming the sortParam the caller sent, not the attribute the store sorts on', async () => {
    const { TooManyToSortError } = await import('../../shared/store/errors');
    const refusing = new Proxy({}, { get: () => () => Promise.reject(new TooManyToSortError('r', 2)) }) as unknown as CallbackRecords;
    const query = createQueryApi(refusing, 500);
    const res = await query({
      routeKey: 'GET /v1/{scopeId}/devices/{deviceId}/events',
      rawPath: '/v1/A/devices/d/events',
      pathParameters: { scopeId: 'A', deviceId: 'd' },
      queryStringParameters: { sortParam: 'receivedOn' },
      headers: {},
      requestContext: { authorizer: { lambda: { authenticated: true, scopes: 'A', canDelete: false } } },
    } as never);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(String(res.body))).toMatchObject({ argumentName: 'sortParam', argumentValue: 'receivedOn' });
  });

  it("names the devices' default order when the caller named none, and clientId as the order that pages any size", async () => {
    const { TooManyToSortError } = await import('../../shared/store/errors');
    const refusing = new Proxy({}, { get: () => () => Promise.reject(new TooManyToSortError('l', 2000)) }) as unknown as CallbackRecords;
    const res = await createQueryApi(
      refusing,
      500,
    )({
      routeKey: 'GET /v1/{scopeId}/devices',
      rawPath: '/v1/A/devices',
      pathParameters: { scopeId: 'A' },
      headers: {},
      requestContext: { authorizer: { lambda: { authenticated: true, scopes: 'A', canDelete: false } } },
    } as never);
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(String(res.body)) as { argumentName: string; argumentValue: string; message: string };
    expect(body).toMatchObject({ argumentName: 'sortParam', argumentValue: 'lastEventOn' });
    expect(body.message).toContain('for up to 2000 records');
    expect(body.message).toContain('sort by clientId');
  });
});

describe('scope-only collections with a media suffix', () => {
  it.each(['registrations', 'rejections', 'devices'])(
    'GET /v1/{scopeId}/%s.json and .xml answer their list (the suffix chooses the media type)',
    async (name) => {
      const query = createQueryApi(nothing, 500);
      for (const suffix of ['json', 'xml']) {
        const res = await query({
          routeKey: `GET /v1/{scopeId}/${name}.${suffix}`,
          rawPath: `/v1/A/${name}.${suffix}`,
          pathParameters: { scopeId: 'A' },
          headers: {},
          requestContext: { authorizer: { lambda: { authenticated: true, scopes: 'A', canDelete: false } } },
        } as never);
        expect({ suffix, status: res.statusCode, type: res.headers?.['content-type'] }).toMatchObject({
          suffix,
          status: 200,
          type: expect.stringContaining(suffix),
        });
      }
    },
  );
});
