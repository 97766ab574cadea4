/** The OpenAPI 3.1 description of the /v1 query API (served at GET /v1/openapi.json). */
export const OPENAPI: Record<string, unknown> = { openapi: '3.1.0', info: { title: 'IoT callback gateway query API', version: '1' }, paths: {} };
