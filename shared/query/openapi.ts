/**
 * The OpenAPI 3.1 description of the /v1 query API (served at GET /v1/openapi.json).
 *
 * Plain data, no imports: the integration test (test/integration/openapi.test.ts) calls every
 * route over HTTP and validates each answer against the schema declared here, and checks that the
 * paths are exactly the `query` function's routes in shared/routes.ts. The Kapua objects say
 * `additionalProperties: false`, so a field the API starts returning fails that test until it is
 * described here.
 */

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const parameter = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
/** Every answer with a body comes as JSON or as Kapua's XML (Accept, or a `.json` / `.xml` suffix on the path). */
const json = (body: object) => ({ content: { 'application/json': { schema: body }, 'application/xml': { schema: body } } });

/** The errors every route under a scope can answer. */
const ERRORS = {
  '400': response('BadRequest'),
  '401': response('Unauthorized'),
  '403': response('Forbidden'),
  '406': response('NotAcceptable'),
  '500': response('InternalError'),
};

/** Query parameters of a list, with the collection's own sortParam (devices have no resource to filter on). */
const listParameters = (sortParam: string) => [
  ...(sortParam === 'eventSortParam' ? [parameter('startDate'), parameter('endDate')] : []),
  parameter('offset'),
  parameter('limit'),
  parameter('askTotalCount'),
  parameter(sortParam),
  parameter('sortDir'),
  ...(sortParam === 'deviceSortParam' ? [] : [parameter('resource')]),
  parameter('cursor'),
];

/**
 * The five Kapua verbs of a collection (as `kapuaVerbs` in shared/routes.ts): list, get, delete,
 * `_query` and `_count`, each path item carrying its path parameters.
 */
function collectionPaths(c: {
  path: string;
  pathParameters: object[];
  idParameter: string;
  tag: string;
  /** Plural noun for summaries. */
  noun: string;
  operationNoun: string;
  sortParam: string;
  query: string;
  list: string;
  item: string;
  single: string;
  /** False for a collection with no DELETE (devices). */
  deletable?: boolean;
  /** What `_count` counts. */
  countDescription?: string;
}) {
  const id = parameter(c.idParameter);
  return {
    [c.path]: {
      parameters: c.pathParameters,
      get: {
        tags: [c.tag],
        operationId: `list${c.operationNoun}s`,
        summary: `List ${c.noun}`,
        parameters: listParameters(c.sortParam),
        responses: { '200': { description: `A page of ${c.noun}.`, ...json(schema(c.list)) }, ...ERRORS },
      },
    },
    [`${c.path}/{${c.idParameter}}`]: {
      parameters: [...c.pathParameters, id],
      get: {
        tags: [c.tag],
        operationId: `get${c.operationNoun}`,
        summary: `Get one of the ${c.noun}`,
        responses: { '200': { description: 'The record.', ...json(schema(c.single)) }, ...ERRORS, '404': response('NotFound') },
      },
      ...(c.deletable === false
        ? {}
        : {
            delete: {
              tags: [c.tag],
              operationId: `delete${c.operationNoun}`,
              summary: `Delete one of the ${c.noun}`,
              description: 'Needs a key created with canDelete (403 otherwise). Answers 204 with no body.',
              responses: { '204': response('Deleted'), ...ERRORS, '404': response('NotFound') },
            },
          }),
    },
    [`${c.path}/_query`]: {
      parameters: c.pathParameters,
      post: {
        tags: [c.tag],
        operationId: `query${c.operationNoun}s`,
        summary: `Query ${c.noun} (the list's parameters in a JSON body)`,
        requestBody: { required: false, ...json(schema(c.query)) },
        responses: { '200': { description: `A page of ${c.noun}.`, ...json(schema(c.list)) }, ...ERRORS },
      },
    },
    [`${c.path}/_count`]: {
      parameters: c.pathParameters,
      post: {
        tags: [c.tag],
        operationId: `count${c.operationNoun}s`,
        summary: `Count ${c.noun}`,
        description:
          c.countDescription ??
          'Counts the whole collection, or one `resource` of it (device events: within `startDate` / `endDate` too, as `_query` lists them); as in Kapua, the paging and order fields are ignored.',
        requestBody: { required: false, ...json(schema(c.query)) },
        responses: { '200': { description: `How many ${c.noun} there are.`, ...json(schema('CountResult')) }, ...ERRORS },
      },
    },
  };
}

/** A list result of Kapua: the page, whether more exist, and the optional total and cursor. */
const listResult = (type: string, item: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'limitExceeded', 'size', 'items'],
  properties: {
    type: { const: type },
    limitExceeded: {
      type: 'boolean',
      description:
        'True when more items may exist past this page: limit+1 were read, or (with a `resource` filter) the request reached its bound of reads before the page was full, in which case the page may even be empty: go on with nextCursor.',
    },
    size: { type: 'integer', minimum: 0, description: 'The number of items in this page.' },
    items: { type: 'array', items: schema(item) },
    totalCount: { type: 'integer', minimum: 0, description: 'Only when askTotalCount is true: every item of the list (or of the resource).' },
    nextCursor: {
      type: 'string',
      description: 'Only when limitExceeded: pass it as `cursor` for the next page (on a page of items, always; with limit=0, never).',
    },
  },
  allOf: [
    { if: { properties: { limitExceeded: { const: true }, size: { type: 'integer', minimum: 1 } } }, then: { required: ['nextCursor'] } },
    { if: { properties: { limitExceeded: { const: false } } }, then: { not: { required: ['nextCursor'] } } },
  ],
});

/** The fields common to Kapua's error bodies. */
const errorInfo = (type: string, httpErrorCode: number, kapuaErrorCode: string, extra: Record<string, object> = {}) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'httpErrorCode', 'message', 'kapuaErrorCode', ...Object.keys(extra)],
  properties: {
    type: { const: type },
    httpErrorCode: { const: httpErrorCode },
    message: { type: 'string' },
    kapuaErrorCode: { const: kapuaErrorCode },
    ...extra,
  },
});

/** A device event's fields; `rawBody` is added on a single GET only. */
const DEVICE_EVENT_PROPERTIES = {
  type: { const: 'deviceEvent' },
  id: schema('Id'),
  scopeId: schema('ScopeId'),
  deviceId: schema('DeviceId'),
  createdOn: { ...schema('KapuaDate'), description: 'When the gateway received the callback (= receivedOn).' },
  createdBy: { ...schema('Provider'), description: 'The provider that sent the callback.' },
  receivedOn: schema('KapuaDate'),
  sentOn: { ...schema('KapuaDate'), description: "The provider's own time of the callback, or receivedOn when it gives none." },
  resource: schema('Resource'),
  action: {
    ...schema('KapuaMethod'),
    description: 'Kapua\'s KapuaMethod for the kind of callback (README "Kapua compatibility"); the finer word is callbackAction.',
  },
  callbackAction: {
    type: 'string',
    description: "What happened, in the gateway's words: observation, location-result, report-status, callback, text, event, ...",
  },
  position: schema('KapuaPosition'),
  responseCode: { const: 'ACCEPTED' },
  eventMessage: { type: 'string', description: 'A one-line summary: provider, channel, action and operation.' },
  provider: schema('Provider'),
  channel: { type: 'string', description: 'The webhook route it arrived on: diagnostics, location, connectivity, ...' },
  deviceKind: { type: 'string', description: 'The kind of device id the provider gave (imei, mdn, iccid, sn, ...); `account` when it named no device.' },
  operationId: { ...schema('OperationId'), description: 'The operation the callback belongs to, when it belongs to one.' },
  payload: { type: 'object', description: "The callback's normalised fields for this device (free-form, per channel); absent with bodyError." },
  bodyError: {
    const: 'undecodable',
    description:
      'Present only when the stored body of this event cannot be decoded (damaged in storage): the event is shown from its stored fields, without payload, callbackAction and rawBody (a single GET keeps rawBody when only the decrypted content of a SENSORO safe-mode push is damaged). The record is logged by its ids.',
  },
} as const;
const DEVICE_EVENT_REQUIRED = [
  'type',
  'id',
  'scopeId',
  'deviceId',
  'createdOn',
  'createdBy',
  'receivedOn',
  'sentOn',
  'resource',
  'action',
  'responseCode',
  'eventMessage',
  'provider',
  'channel',
  'deviceKind',
];
/** An event with bodyError has no payload; any other has its payload and callbackAction (and, single, its rawBody). */
const deviceEventRule = (withRawBody: boolean) => ({
  if: { required: ['bodyError'] },
  then: { not: { anyOf: [{ required: ['payload'] }, { required: ['callbackAction'] }] } },
  else: { required: ['callbackAction', 'payload', ...(withRawBody ? ['rawBody'] : [])] },
});

/** The `_query` / `_count` body: the list's query parameters as JSON fields (devices: no resource). */
const queryBody = (sortParam: string, extra: Record<string, object> = {}) => ({
  type: 'object',
  description: 'Every field is optional; fields Kapua has and this API does not (predicate, fetchAttributes, ...) are ignored.',
  properties: {
    ...extra,
    offset: schema('Offset'),
    limit: schema('Limit'),
    askTotalCount: schema('AskTotalCount'),
    sortParam: schema(sortParam),
    sortDir: schema('SortDir'),
    ...(sortParam === 'DeviceSortParam' ? {} : { resource: schema('Resource') }),
    cursor: schema('Cursor'),
  },
});

const DESCRIPTION = `
Read the callbacks the gateway stored, in the shapes of Eclipse Kapua's device management
notification API: a device's operations, the notifications of each operation, and the device's
events (every callback, operation or not). Every route needs \`Authorization: Bearer <api key>\`;
a missing, malformed, unknown or revoked key is answered 401 \`{"message":"Unauthorized"}\`, as API Gateway answers a refused key. A key reads the scopes
(ThingSpace accounts, SENSORO AppIDs) it was created for; \`_\` as scopeId is the key's own scope
when it has exactly one (400 otherwise), and another scope is 403.

## Paging
- \`offset\` (default 0) and \`limit\` (default 50) as in Kapua. A page reads limit+1 records:
  \`limitExceeded\` is true when more exist past it, and \`size\` is the number of items returned.
- \`limit\` is capped by the deployment's QUERY_MAX_LIMIT (500 unless set otherwise); a larger
  limit is a 400 that names the cap.
- \`askTotalCount=true\` adds \`totalCount\`, which costs a count of the whole list.
- A \`resource\` filter reads the records it discards, in pages of 100 after the first, at most
  QUERY_FILTER_MAX_CALLS (10) DynamoDB queries per request: a request that reaches that bound
  before its page is full answers what it found (possibly nothing) with \`limitExceeded\` and a
  \`nextCursor\` from where it stopped (an \`offset\` not yet skipped travels in the cursor).
  Follow the cursor to go on.
- Every page with \`limitExceeded\` also carries \`nextCursor\`: passing it back as \`cursor\` (query
  parameter, or field of the \`_query\` body), with the same sort and resource, returns the next
  page without re-reading the skipped records, whereas a large \`offset\` reads past every record
  before it. A cursor wins over \`offset\`; a cursor of another list, sort or resource is a 400.
- Lists sort by the collection's \`sortParam\` (notifications: sentOn, createdOn; events: sentOn,
  receivedOn, createdOn; operations: startedOn, lastSentOn; devices: lastEventOn, clientId,
  displayName, createdOn), \`sortDir\` ASCENDING (default) or DESCENDING. A bad \`sortDir\` is
  reported as argument \`sortOrder\`, as Kapua does.

## Devices
\`/v1/{scopeId}/devices\` lists every device a webhook of the scope has heard of, in Kapua's
\`device\` shape: the device id is its \`id\`, \`clientId\` and \`displayName\`; \`createdOn\` is when
the gateway first heard of it. \`lastEventOn\` (receive time), \`lastEventType\` (resource) and
\`lastEventId\` are read from the device's newest event at query time, one query per device of the
page: they are exact. The default order, most recently heard first (\`sortParam=lastEventOn\`,
DESCENDING), uses instead the device item's last-seen time, which each webhook container refreshes
at most once per DEVICE_SEEN_REFRESH_SECONDS (one hour): two devices heard within that interval of
each other may be listed in either order. That order (and createdOn) is sorted at query time, for
scopes of up to 2,000 devices (a 400 naming sortParam above); \`clientId\` is the stored order and
pages any number. Devices are not deleted through the API: a device's item expires with its records
(the retention, from its last-seen time).

## Differences from Kapua
- \`resource\` filters lists and counts (Kapua's server ignores it on GET).
- A notification is only found under its own device and operation (Kapua never checks deviceId).
- DELETE answers 204 with no body, and needs a key created with canDelete.
- The cursor (\`cursor\` / \`nextCursor\`) and the limit cap are this API's own.
- The devices resource carries only what callbacks tell (no connection, model or firmware fields);
  \`status\` is always ENABLED, and \`deviceKind\` is the gateway's own field (imei, imsi and iccid
  also fill Kapua's field of that name).
- Device events, the event routes and the operation summaries (the status of each operation:
  terminal once any notification is, else the latest's) are this API's own, in Kapua's \`deviceEvent\` and \`deviceManagementOperation\` shapes with the
  gateway's fields (provider, channel, deviceKind, payload, ...). A single event carries the
  callback's \`rawBody\`; list pages leave it out. An event whose stored body cannot be decoded
  is shown with \`bodyError: "undecodable"\` and without payload, callbackAction and rawBody; the
  rest of its page is unaffected.
- Dates are \`yyyy-MM-ddTHH:mm:ss.SSSZ\` in UTC; absent (null) fields are left out, as Kapua does.

## JSON and XML
Every answer with a body comes as JSON (the default) or as Kapua's XML (\`Accept: application/xml\`,
or a \`.xml\` suffix on the last path segment: \`…/events.xml\`, \`…/events/{eventId}.xml\`;
\`.json\` likewise), errors included; a suffix wins over Accept. An Accept that names neither is
answered 406 with no body. XML elements are Kapua's JAXB names: the root is the \`type\`, lists are
\`<items><item>…</item></items>\`; the gateway's free-form \`payload\` travels as its JSON text.

Errors are Kapua's \`*ExceptionInfo\` bodies. Routes that do not exist, and failures before the
API runs (such as the key store being unreachable), are answered by the gateway itself with
\`{"message": "..."}\`.
`.trim();

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'IoT callback gateway query API',
    version: '1',
    description: DESCRIPTION,
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/' }],
  security: [{ bearerAuth: [] }],
  tags: [
    { name: 'Devices', description: "Kapua's device: every device a webhook of the scope heard of, most recently heard first." },
    { name: 'Notifications', description: "Kapua's managementOperationNotification: one per callback of an operation and device." },
    { name: 'Events', description: 'One deviceEvent per callback and device, whether or not it belongs to an operation.' },
    { name: 'Operations', description: 'The status of each operation of a device: terminal once any of its notifications is, else its latest.' },
    { name: 'Registrations', description: 'What the re-registration job last found and did for each (account, service).' },
    { name: 'Rejections', description: 'Why recent webhook requests were refused.' },
    { name: 'API', description: 'This description.' },
  ],
  paths: {
    ...collectionPaths({
      path: '/v1/{scopeId}/devices/{deviceId}/operations/{operationId}/notifications',
      pathParameters: [parameter('scopeId'), parameter('deviceId'), parameter('operationId')],
      idParameter: 'notificationId',
      tag: 'Notifications',
      noun: "an operation's notifications",
      operationNoun: 'Notification',
      sortParam: 'notificationSortParam',
      query: 'NotificationQuery',
      list: 'ManagementOperationNotificationListResult',
      item: 'ManagementOperationNotification',
      single: 'ManagementOperationNotification',
    }),
    ...collectionPaths({
      path: '/v1/{scopeId}/devices/{deviceId}/events',
      pathParameters: [parameter('scopeId'), parameter('deviceId')],
      idParameter: 'eventId',
      tag: 'Events',
      noun: "a device's events",
      operationNoun: 'Event',
      sortParam: 'eventSortParam',
      query: 'DeviceEventQuery',
      list: 'DeviceEventListResult',
      item: 'DeviceEvent',
      single: 'DeviceEventWithRawBody',
    }),
    ...collectionPaths({
      path: '/v1/{scopeId}/devices',
      pathParameters: [parameter('scopeId')],
      idParameter: 'deviceId',
      tag: 'Devices',
      noun: "a scope's devices",
      operationNoun: 'Device',
      sortParam: 'deviceSortParam',
      query: 'DeviceQuery',
      list: 'DeviceListResult',
      item: 'Device',
      single: 'Device',
      deletable: false,
      countDescription: "Counts the scope's devices (a `resource` is refused: devices have none); as in Kapua, the paging and order fields are ignored.",
    }),
    '/v1/{scopeId}/devices/{deviceId}/operations': {
      parameters: [parameter('scopeId'), parameter('deviceId')],
      get: {
        tags: ['Operations'],
        operationId: 'listOperations',
        summary: "List a device's operations",
        parameters: listParameters('operationSortParam'),
        responses: { '200': { description: "A page of the device's operations.", ...json(schema('DeviceManagementOperationListResult')) }, ...ERRORS },
      },
    },
    '/v1/{scopeId}/registrations': {
      parameters: [parameter('scopeId')],
      get: {
        tags: ['Registrations'],
        operationId: 'listRegistrations',
        summary: "The re-registration job's status of each ThingSpace callback registration of the scope",
        parameters: [
          parameter('offset'),
          parameter('limit'),
          parameter('askTotalCount'),
          parameter('registrationSortParam'),
          parameter('sortDir'),
          parameter('cursor'),
        ],
        responses: { '200': { description: 'A page of registration status records.', ...json(schema('CallbackRegistrationListResult')) }, ...ERRORS },
      },
    },
    '/v1/{scopeId}/rejections': {
      parameters: [parameter('scopeId')],
      get: {
        tags: ['Rejections'],
        operationId: 'listRejections',
        summary: 'Recently refused webhook requests of the scope (why, from where, which header names)',
        description:
          'A short-lived, capped log: each scope keeps at most REJECTION_LOG_CAP records (500), each for REJECTION_LOG_TTL_HOURS (24). Never a header value or a body byte.',
        parameters: [
          parameter('offset'),
          parameter('limit'),
          parameter('askTotalCount'),
          parameter('rejectionSortParam'),
          parameter('sortDir'),
          parameter('cursor'),
        ],
        responses: { '200': { description: 'A page of rejected requests.', ...json(schema('RejectedRequestListResult')) }, ...ERRORS },
      },
    },
    '/v1/openapi.json': {
      get: {
        tags: ['API'],
        operationId: 'getOpenApi',
        summary: 'This document',
        description: 'Needs a known key, of any scope.',
        responses: {
          '200': { description: 'The OpenAPI 3.1 document.', ...json(schema('OpenApiDocument')) },
          '401': response('Unauthorized'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (`igw_...`) made with `npm run apikey`.' },
    },
    parameters: {
      scopeId: {
        name: 'scopeId',
        in: 'path',
        required: true,
        description: "The ThingSpace account or SENSORO AppID; `_` is the key's own scope when it has exactly one.",
        schema: { oneOf: [{ const: '_' }, schema('ScopeId')] },
      },
      deviceId: { name: 'deviceId', in: 'path', required: true, description: 'The device id as the provider gave it.', schema: schema('DeviceId') },
      operationId: { name: 'operationId', in: 'path', required: true, description: "The provider's transaction id.", schema: schema('OperationId') },
      notificationId: { name: 'notificationId', in: 'path', required: true, schema: schema('Id') },
      eventId: { name: 'eventId', in: 'path', required: true, schema: schema('Id') },
      offset: { name: 'offset', in: 'query', description: 'Records to skip (ignored with a cursor).', schema: schema('Offset') },
      limit: { name: 'limit', in: 'query', description: 'Page size, at most QUERY_MAX_LIMIT (500 by default).', schema: schema('Limit') },
      askTotalCount: { name: 'askTotalCount', in: 'query', schema: schema('AskTotalCount') },
      notificationSortParam: { name: 'sortParam', in: 'query', schema: schema('NotificationSortParam') },
      eventSortParam: { name: 'sortParam', in: 'query', schema: schema('EventSortParam') },
      operationSortParam: { name: 'sortParam', in: 'query', schema: schema('OperationSortParam') },
      registrationSortParam: { name: 'sortParam', in: 'query', schema: schema('RegistrationSortParam') },
      rejectionSortParam: { name: 'sortParam', in: 'query', schema: schema('RejectionSortParam') },
      deviceSortParam: { name: 'sortParam', in: 'query', schema: schema('DeviceSortParam') },
      sortDir: { name: 'sortDir', in: 'query', schema: schema('SortDir') },
      startDate: { name: 'startDate', in: 'query', description: 'Only events sent at or after this time.', schema: schema('DateParam') },
      endDate: { name: 'endDate', in: 'query', description: 'Only events sent at or before this time.', schema: schema('DateParam') },
      resource: { name: 'resource', in: 'query', description: 'Only the records of this resource.', schema: schema('Resource') },
      cursor: { name: 'cursor', in: 'query', description: 'The `nextCursor` of the previous page.', schema: schema('Cursor') },
    },
    responses: {
      Deleted: { description: 'Deleted; no body.' },
      BadRequest: { description: 'An illegal argument (path, query parameter or body field).', ...json(schema('IllegalArgumentExceptionInfo')) },
      Unauthorized: {
        description: "No key, or a malformed, unknown or revoked one: API Gateway's words, in JSON whatever the Accept header asks.",
        content: {
          'application/json': {
            schema: { type: 'object', required: ['message'], additionalProperties: false, properties: { message: { const: 'Unauthorized' } } },
          },
        },
      },
      NotAcceptable: { description: 'Accept names no type this API produces (it makes application/json and application/xml): no body.' },
      Forbidden: { description: 'The key may not read this scope, or may not delete.', ...json(schema('SubjectUnauthorizedExceptionInfo')) },
      NotFound: {
        description:
          'No such record under this path (entityType `device` for a device no webhook has heard of, and on the event routes of a device that has no event, as in Kapua).',
        ...json(schema('EntityNotFoundExceptionInfo')),
      },
      InternalError: { description: 'The store failed; nothing of the cause is shown.', ...json(schema('ExceptionInfo')) },
    },
    schemas: {
      KapuaDate: {
        type: 'string',
        format: 'date-time',
        pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
        description: '`yyyy-MM-ddTHH:mm:ss.SSSZ`, UTC.',
      },
      Id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,256}$', description: 'A short base64url id.' },
      ScopeId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
      DeviceId: { type: 'string', pattern: '^[!-~]{1,256}$', description: 'Printable ASCII, no spaces.' },
      OperationId: { type: 'string', pattern: '^[!-~]{1,256}$', description: "The provider's transaction id." },
      Resource: { type: 'string', minLength: 1, maxLength: 128, description: 'What a callback is about: diagnostics, location, CarrierService, ...' },
      Provider: { enum: ['thingspace', 'sensoro'] },
      OperationStatus: { enum: ['RUNNING', 'COMPLETED', 'FAILED', 'STALE'] },
      Progress: { type: 'integer', minimum: 0, maximum: 100 },

      Offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
      Limit: {
        type: 'integer',
        minimum: 0,
        default: 50,
        description: 'At most QUERY_MAX_LIMIT (500 by default); 0 answers no items with limitExceeded true, as Kapua does.',
      },
      AskTotalCount: {
        anyOf: [{ type: 'boolean' }, { type: 'string' }],
        default: false,
        description: 'True for `true` in any case; any other value is false, as JAX-RS reads a Boolean.',
      },
      SortDir: {
        type: 'string',
        default: 'ASCENDING',
        description:
          'ASCENDING or DESCENDING, in any case (device events default to DESCENDING: newest first; devices too when sorted by lastEventOn, their default).',
      },
      DateParam: {
        type: 'string',
        format: 'date-time',
        description: 'ISO 8601; device events are filtered on sentOn, the key of their order (Kapua filters on receivedOn).',
      },
      KapuaMethod: { enum: ['READ', 'CREATE', 'WRITE', 'DELETE', 'OPTIONS', 'EXECUTE', 'SUBMIT', 'CANCEL', 'SENT'] },
      KapuaPosition: {
        type: 'object',
        additionalProperties: false,
        required: ['latitude', 'longitude'],
        description: "Kapua's KapuaPosition, on location events (DeviceLocation results; SENSORO lonlat readings).",
        properties: {
          latitude: { type: 'number' },
          longitude: { type: 'number' },
          precision: { type: 'number', description: 'The radius of the fix, in metres.' },
          timestamp: schema('KapuaDate'),
        },
      },
      Permission: {
        type: 'object',
        additionalProperties: false,
        required: ['domain', 'action', 'targetScopeId', 'forwardable'],
        description: "Kapua's permission object.",
        properties: {
          domain: { enum: ['device', 'device_event', 'device_management', 'callback_registration', 'rejected_request'] },
          action: { enum: ['read', 'delete'] },
          targetScopeId: { type: 'string' },
          groupId: { type: 'string' },
          forwardable: { type: 'boolean' },
        },
      },
      Cursor: { type: 'string', minLength: 1, maxLength: 8192 },
      NotificationSortParam: {
        enum: ['sentOn', 'createdOn'],
        default: 'sentOn',
        description:
          'sentOn is the stored order and pages any number; createdOn (receive time) is sorted at query time, for operations of up to 2,000 notifications.',
      },
      EventSortParam: {
        enum: ['sentOn', 'receivedOn', 'createdOn'],
        default: 'sentOn',
        description: 'sentOn is the stored order and pages any number; receivedOn (= createdOn) is sorted at query time, for devices of up to 2,000 events.',
      },
      OperationSortParam: {
        enum: ['operationId', 'startedOn', 'lastSentOn'],
        default: 'operationId',
        description: 'operationId pages any number of operations; startedOn and lastSentOn are sorted at query time, for devices of up to 2,000 operations.',
      },
      RegistrationSortParam: { enum: ['service', 'lastCheckedOn'], default: 'service' },
      RejectionSortParam: { enum: ['receivedOn'], default: 'receivedOn' },
      DeviceSortParam: {
        enum: ['lastEventOn', 'clientId', 'displayName', 'createdOn'],
        default: 'lastEventOn',
        description:
          'lastEventOn (DESCENDING unless sortDir says otherwise: most recently heard first) orders by the last-seen time each webhook container refreshes at most once per DEVICE_SEEN_REFRESH_SECONDS (an hour), and createdOn by the first-seen time: both are sorted at query time, for scopes of up to 2,000 devices. clientId (= displayName) is the stored order and pages any number (ASCENDING by default).',
      },
      DeviceQuery: queryBody('DeviceSortParam'),
      NotificationQuery: queryBody('NotificationSortParam'),
      DeviceEventQuery: queryBody('EventSortParam', { startDate: schema('DateParam'), endDate: schema('DateParam') }),

      ManagementOperationNotification: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id', 'scopeId', 'createdOn', 'createdBy', 'operationId', 'progress', 'resource', 'sentOn', 'status'],
        properties: {
          type: { const: 'managementOperationNotification' },
          id: schema('Id'),
          scopeId: schema('ScopeId'),
          createdOn: { ...schema('KapuaDate'), description: 'When the gateway received the callback.' },
          createdBy: { ...schema('Provider'), description: 'The provider that sent the callback.' },
          operationId: schema('OperationId'),
          progress: schema('Progress'),
          resource: schema('Resource'),
          sentOn: { ...schema('KapuaDate'), description: "The provider's own time of the callback, or createdOn when it gives none." },
          status: schema('OperationStatus'),
          message: { type: 'string' },
        },
      },
      DeviceEvent: {
        type: 'object',
        additionalProperties: false,
        required: DEVICE_EVENT_REQUIRED,
        properties: DEVICE_EVENT_PROPERTIES,
        ...deviceEventRule(false),
      },
      DeviceEventWithRawBody: {
        type: 'object',
        additionalProperties: false,
        required: DEVICE_EVENT_REQUIRED,
        properties: {
          ...DEVICE_EVENT_PROPERTIES,
          rawBody: { type: 'string', description: 'The callback body exactly as received (UTF-8); absent with bodyError.' },
        },
        ...deviceEventRule(true),
      },
      DeviceManagementOperation: {
        type: 'object',
        additionalProperties: false,
        required: [
          'type',
          'id',
          'scopeId',
          'deviceId',
          'operationId',
          'startedOn',
          'status',
          'progress',
          'resource',
          'lastNotificationId',
          'lastSentOn',
          'provider',
          'channel',
        ],
        properties: {
          type: { const: 'deviceManagementOperation' },
          id: { ...schema('OperationId'), description: 'The operation id (= operationId).' },
          scopeId: schema('ScopeId'),
          deviceId: schema('DeviceId'),
          operationId: schema('OperationId'),
          createdOn: { ...schema('KapuaDate'), description: 'When its first notification was received (our clock).' },
          createdBy: schema('Provider'),
          modifiedOn: { ...schema('KapuaDate'), description: 'When its latest notification was received (our clock).' },
          startedOn: { ...schema('KapuaDate'), description: "The sentOn of its first notification (the provider's clock, as endedOn)." },
          endedOn: {
            ...schema('KapuaDate'),
            description: 'Only once final (COMPLETED, FAILED, STALE): the sentOn of the notification that decided the status.',
          },
          status: {
            ...schema('OperationStatus'),
            description:
              'COMPLETED or FAILED once any of its notifications is: the latest such notification in the stored (sentOn) order decides, and no RUNNING after it (the same millisecond, a later stamp, a redelivery) undoes it; otherwise the status of its latest notification.',
          },
          progress: { ...schema('Progress'), description: 'Of the notification that decided the status.' },
          resource: schema('Resource'),
          lastNotificationId: { ...schema('Id'), description: 'Its latest notification (which need not be the one that decided the status).' },
          lastSentOn: { ...schema('KapuaDate'), description: 'The sentOn of its latest notification.' },
          provider: schema('Provider'),
          channel: { type: 'string' },
        },
        if: { properties: { status: { const: 'RUNNING' } } },
        then: { not: { required: ['endedOn'] } },
        else: { required: ['endedOn'] },
      },
      Device: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id', 'scopeId', 'clientId', 'displayName', 'status', 'createdOn', 'deviceKind'],
        properties: {
          type: { const: 'device' },
          id: { ...schema('DeviceId'), description: 'The device id (= clientId = displayName).' },
          scopeId: schema('ScopeId'),
          clientId: schema('DeviceId'),
          displayName: schema('DeviceId'),
          status: { const: 'ENABLED' },
          createdOn: { ...schema('KapuaDate'), description: 'When a webhook first heard of the device (within the retention).' },
          lastEventOn: {
            ...schema('KapuaDate'),
            description: 'When the gateway received the newest of its events (in their sentOn order), read at query time: exact. Absent once it has no event.',
          },
          lastEventType: { ...schema('Resource'), description: 'The resource of that event (diagnostics, location, CarrierService, ...).' },
          lastEventId: { ...schema('Id'), description: 'The id of that event (GET …/devices/{deviceId}/events/{eventId}).' },
          imei: { ...schema('DeviceId'), description: 'The device id, when the provider named it as an IMEI.' },
          imsi: { ...schema('DeviceId'), description: 'The device id, when the provider named it as an IMSI.' },
          iccid: { ...schema('DeviceId'), description: 'The device id, when the provider named it as an ICCID.' },
          deviceKind: {
            type: 'string',
            description: 'The kind of device id the provider gave (imei, mdn, iccid, sn, ...; `account` for callbacks that named no device), as on its events.',
          },
        },
        dependentRequired: { lastEventOn: ['lastEventType', 'lastEventId'] },
      },
      DeviceListResult: listResult('deviceListResult', 'Device'),
      ManagementOperationNotificationListResult: listResult('managementOperationNotificationListResult', 'ManagementOperationNotification'),
      DeviceEventListResult: listResult('deviceEventListResult', 'DeviceEvent'),
      DeviceManagementOperationListResult: listResult('deviceManagementOperationListResult', 'DeviceManagementOperation'),
      CallbackRegistration: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'scopeId', 'service', 'status', 'lastCheckedOn'],
        properties: {
          type: { const: 'callbackRegistration' },
          scopeId: schema('ScopeId'),
          service: { type: 'string', description: 'A ThingSpace service (Diagnostics, Location, CarrierService, ...) or `_login` for the session login.' },
          endpoint: { type: 'string', description: 'The webhook URL it is registered to.' },
          status: { enum: ['REGISTERED', 'ERROR'] },
          lastCheckedOn: schema('KapuaDate'),
          lastChangedOn: schema('KapuaDate'),
          lastError: { type: 'string', description: "ThingSpace's errorCode and the step that failed; never a secret." },
          needsRegistration: { type: 'boolean', description: 'The last run could not finish a change; the next one registers again.' },
          consecutiveFailures: { type: 'integer', minimum: 0, description: '`_login` only: failed logins in a row.' },
        },
      },
      CallbackRegistrationListResult: listResult('callbackRegistrationListResult', 'CallbackRegistration'),
      RejectedRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'scopeId', 'receivedOn', 'provider', 'channel', 'httpStatus', 'errorCode', 'reason', 'headerNames', 'bodyBytes'],
        properties: {
          type: { const: 'rejectedRequest' },
          scopeId: schema('ScopeId'),
          receivedOn: schema('KapuaDate'),
          provider: schema('Provider'),
          channel: { type: 'string' },
          httpStatus: { type: 'integer', minimum: 400, maximum: 599 },
          errorCode: {
            type: 'string',
            description: 'UNAUTHORIZED, BAD_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, FORBIDDEN, TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE, ...',
          },
          reason: { type: 'string', description: "The gateway's own message, e.g. Missing signature header." },
          sourceIp: { type: 'string' },
          fromPublishedSource: {
            type: 'boolean',
            description:
              "Whether the source address is one ThingSpace publishes for its callbacks (absent for SENSORO, which publishes none). A request from elsewhere is a stranger's, whatever its headers say.",
          },
          headerNames: {
            type: 'array',
            maxItems: 20,
            items: { type: 'string', maxLength: 40 },
            description:
              "Names the channel knows (all of them from a provider's published address), lower case, sorted: never a value. At most 20, 40 characters each, 300 bytes together; others are counted in moreHeaderNames.",
          },
          moreHeaderNames: { type: 'integer', minimum: 1, description: 'How many header names the request had beyond those listed.' },
          bodyBytes: { type: 'integer', minimum: 0 },
          notRecordedBefore: {
            type: 'integer',
            minimum: 1,
            description: 'Refused requests of this scope not recorded since the previous record (at most REJECTION_LOG_PER_MINUTE are written per minute).',
          },
        },
      },
      RejectedRequestListResult: listResult('rejectedRequestListResult', 'RejectedRequest'),
      CountResult: {
        type: 'object',
        additionalProperties: false,
        required: ['count'],
        properties: { count: { type: 'integer', minimum: 0 } },
      },

      IllegalArgumentExceptionInfo: errorInfo('illegalArgumentExceptionInfo', 400, 'ILLEGAL_ARGUMENT', {
        argumentName: { type: 'string', description: 'scopeId, deviceId, offset, limit, sortParam, sortOrder, cursor, body, ...' },
        argumentValue: { type: 'string', maxLength: 100 },
      }),
      EntityNotFoundExceptionInfo: errorInfo('entityNotFoundExceptionInfo', 404, 'ENTITY_NOT_FOUND', {
        entityType: { enum: ['managementOperationNotification', 'deviceEvent', 'device'] },
        entityId: { type: 'string', maxLength: 100 },
      }),
      SubjectUnauthorizedExceptionInfo: errorInfo('subjectUnauthorizedExceptionInfo', 403, 'SUBJECT_UNAUTHORIZED', {
        permission: schema('Permission'),
      }),
      ExceptionInfo: errorInfo('exceptionInfo', 500, 'INTERNAL_ERROR'),

      OpenApiDocument: {
        type: 'object',
        required: ['openapi', 'info', 'paths'],
        properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } },
      },
    },
  },
};
