import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, ArnFormat } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { settingsFromContext } from '../../infra/context';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../infra/settings';
import { IotCallbackGatewayStack } from '../../infra/stack';
import { jobConfig } from '../../shared/reregister/config';
import type { RegistrationsConfig } from '../../shared/reregister/config';
import { BODY_PK_PREFIXES } from '../../shared/store/table';
import { ARCHIVER_ID, AUTHORIZER_ID, channelOfService, FUNCTIONS, PUBLISHER_ID, REREGISTER_ID, ROUTES } from '../../shared/routes';
import {
  API_KEY_PK,
  CALLBACK_PK_PREFIXES,
  DELETABLE_PK_PREFIXES,
  KEPT_BODY_PK_PREFIX,
  REGISTRATION_PK_PREFIX,
  TABLE,
  WEBHOOK_PK_PREFIXES,
} from '../../shared/store/table';
import { buildStack, logicalIdOf, queueIdOf, type Json } from './support';

const SETTINGS: GatewaySettings = { ...DEFAULT_SETTINGS, secretPrefix: 'iot-gateway/' };
const ACCOUNT = '0212312345-00001';
const SECRET_ARN_PREFIX = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';

/** Renders an intrinsic (Ref, GetAtt, Join) as a string with `${...}` placeholders. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.Ref) return `\${${value.Ref}}`;
  if (value?.['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM string matching: `*` is any run of characters (slashes included), `?` exactly one. */
function iamMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

/** The ARN a real secret of this name would have (Secrets Manager appends `-` and 6 characters). */
const realSecretArn = (name: string) => `${SECRET_ARN_PREFIX}${SETTINGS.secretPrefix}${name}-AbC123`;
const sampleName = (pattern: string) => pattern.replace(/\*/g, ACCOUNT);

/** Sample partition keys of every kind of item the table holds. */
const SAMPLE_PKS = {
  event: `EV#s1#${ACCOUNT}`,
  notification: `NO#s1#${ACCOUNT}`,
  sharedBody: `MB#s1#${ACCOUNT}`,
  receipt: `RC#s1#${ACCOUNT}`,
  rejection: `REJ#s1`,
  registration: `REG#${ACCOUNT}`,
  apiKey: API_KEY_PK,
};
const CALLBACK_PKS = [SAMPLE_PKS.event, SAMPLE_PKS.notification];

interface Statement {
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string[]>>;
}

const definitionOf = (fnId: string) => FUNCTIONS.find((f) => f.id === fnId)!;

/** The table's ARN as `render` prints it. */
const tableArnOf = (template: Template) => `\${${Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]}.Arn}`;
/** The properties of the policy of the queue `queueId`. */
function queuePolicyOf(template: Template, queueId: string): Json {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).map((p) => p.Properties);
  const [policy, ...more] = policies.filter((p) => JSON.stringify(p.Queues) === JSON.stringify([{ Ref: queueId }]));
  expect(more).toEqual([]);
  return policy;
}

/** The table's stream ARN as `render` prints it. */
const streamArnOf = (template: Template) => `\${${Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]}.StreamArn}`;

/** `METHOD path` -> the logical id of the function behind it, followed through Route -> Integration -> Function. */
function functionsByRouteKey(template: Template): Record<string, string> {
  const routes = template.findResources('AWS::ApiGatewayV2::Route');
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const out: Record<string, string> = {};
  for (const route of Object.values(routes)) {
    const integrationId = render(route.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, '$1');
    const uri = integrations[integrationId].Properties.IntegrationUri;
    out[route.Properties.RouteKey] = uri['Fn::GetAtt'][0];
  }
  return out;
}

/**
 * The policy documents attached to a function's role: inline policies, AWS::IAM::Policy resources and
 * the stack's own managed policies (where the CDK moves statements that overflow the inline policy).
 */
function policiesOf(template: Template, functionId: string): { inline: Json[]; managed: Json[] } {
  const fn = template.toJSON().Resources[functionId];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const role = template.toJSON().Resources[roleId];
  const attached = (type: string) =>
    Object.values(template.findResources(type))
      .filter((policy) => list(policy.Properties.Roles).some((r: Json) => r.Ref === roleId))
      .map((policy) => policy.Properties.PolicyDocument);
  return {
    inline: [...list(role.Properties.Policies).map((p: Json) => p.PolicyDocument), ...attached('AWS::IAM::Policy')],
    managed: attached('AWS::IAM::ManagedPolicy'),
  };
}

/** Every IAM statement attached to a function's role, wherever the CDK put it. */
function statementsOf(template: Template, functionId: string): Statement[] {
  const { inline, managed } = policiesOf(template, functionId);
  return [...inline, ...managed]
    .flatMap((d) => d.Statement)
    .map((s: Json) => {
      expect(s.Effect).toBe('Allow');
      expect(s.NotAction).toBeUndefined();
      expect(s.NotResource).toBeUndefined();
      const conditions = s.Condition
        ? Object.fromEntries(
            Object.entries<Json>(s.Condition).map(([op, keys]) => [op, Object.fromEntries(Object.entries<Json>(keys).map(([k, v]) => [k, list<string>(v)]))]),
          )
        : undefined;
      return { actions: list(s.Action), resources: list(s.Resource).map(render), conditions };
    });
}

/**
 * Whether one condition block lets a request whose only leading key is `pk` through. Knows the
 * operators the stack uses; any other operator counts as "not understood" and fails the test.
 */
function conditionAllows(conditions: Statement['conditions'], pk: string, returnValues = 'NONE'): boolean {
  if (conditions === undefined) return true;
  return Object.entries(conditions).every(([op, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      if (op === 'StringEqualsIfExists' && key === 'dynamodb:ReturnValues') return values.includes(returnValues);
      expect({ op, key }).toEqual({ op: expect.stringMatching(/^ForAllValues:String(Like|Equals)$/), key: 'dynamodb:LeadingKeys' });
      return op === 'ForAllValues:StringLike' ? values.some((v) => iamMatches(v, pk)) : values.includes(pk);
    }),
  );
}

/** What the statements really allow: `action` on `resource` for an item (or query) in partition `pk`. */
function canAccess(statements: Statement[], action: string, resource: string, pk: string, returnValues = 'NONE'): boolean {
  return statements.some(
    (s) => s.actions.some((a) => iamMatches(a, action)) && s.resources.some((r) => iamMatches(r, resource)) && conditionAllows(s.conditions, pk, returnValues),
  );
}

/** Whether the statements allow `action` on the real secret named `name` (after the prefix). */
const allowsOnSecret = (statements: Statement[], action: string, name: string) =>
  statements.some((s) => s.actions.some((a) => iamMatches(a, action)) && s.resources.some((r) => iamMatches(r, realSecretArn(name))));

const GET = 'secretsmanager:GetSecretValue';
const PUT = 'secretsmanager:PutSecretValue';
const CREATE = 'secretsmanager:CreateSecret';

/**
 * The secret names (after the prefix; `*` = one path segment) a function is meant to read and to
 * write: a webhook its own patterns, read only; the re-registration job the `api` secret of each
 * configured account (read) and the channels of its configured services (read and write).
 */
function intendedSecrets(fnId: string, registrations: RegistrationsConfig): { read: string[]; write: string[] } {
  const definition = definitionOf(fnId);
  if (definition.table !== 'write-registrations') return { read: definition.secrets, write: [] };
  const channels = registrations.flatMap((r) => r.services.map((service) => `thingspace/${r.account}/${channelOfService(service)}`));
  const write = [...new Set(channels)];
  return { read: [...new Set([...registrations.map((r) => `thingspace/${r.account}/api`), ...write])], write };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `name` is one of `patterns`, `*` standing for exactly one path segment (as in the function table). */
const namedBy = (patterns: string[], name: string) => patterns.some((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('[^/]+')}$`).test(name));

/** The last segment of every ThingSpace secret name: the four channels and the account's API credentials. */
const CHANNEL_NAMES = ['diagnostics', 'location', 'device-location', 'connectivity', 'api'];

/**
 * The safety rules for one function's grants; throws (via expect) on any breach. Kept as a function
 * so a test can prove it rejects a stack with a wildcard or an unconditioned grant. `registrations`
 * is the context the stack was built with (the job's secret grants follow it).
 */
function assertNarrowGrants(template: Template, functionId: string, fnId: string, registrations: RegistrationsConfig = []): void {
  const definition = definitionOf(fnId);
  const statements = statementsOf(template, functionId);
  const tableArn = tableArnOf(template);

  for (const s of statements) {
    const touchesData = s.actions.some((a) => /^(secretsmanager|dynamodb|kms):/i.test(a) || a === '*');
    // The one exception: dynamodb:ListStreams has no resource type, so IAM matches it against "*" only.
    const listStreamsOnly = s.actions.length === 1 && s.actions[0] === 'dynamodb:ListStreams';
    if (touchesData && !listStreamsOnly) expect(s.resources).not.toContain('*');
    expect(s.actions.filter((a) => a.includes('*'))).toEqual([]);
  }

  // Secrets: exactly the intended names, each action on exactly its resources; no statement at all without any.
  const intended = intendedSecrets(fnId, registrations);
  const secretStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
  const arnOf = (name: string) => `${SECRET_ARN_PREFIX}${SETTINGS.secretPrefix}${name}-??????`;
  // A secret the job writes is also granted by its bare name (how a not-yet-existing secret is authorized).
  const bareArnOf = (name: string) => `${SECRET_ARN_PREFIX}${SETTINGS.secretPrefix}${name}`;
  const resourcesOf = (action: string) => [...new Set(secretStatements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources))].sort();
  const expectedActions = [...(intended.read.length > 0 ? [GET] : []), ...(intended.write.length > 0 ? [CREATE, PUT] : [])];
  expect([...new Set(secretStatements.flatMap((s) => s.actions))].sort()).toEqual(expectedActions.sort());
  // A webhook's channel pattern is granted by its bare name too: an unknown account's missing secret is then
  // ResourceNotFound (the 401 of a bad signature), not AccessDenied (a 503).
  expect(resourcesOf(GET)).toEqual([...new Set([...intended.read.map(arnOf), ...definition.secrets.map(bareArnOf), ...intended.write.map(bareArnOf)])].sort());
  for (const action of [PUT, CREATE]) expect(resourcesOf(action)).toEqual(intended.write.flatMap((n) => [arnOf(n), bareArnOf(n)]).sort());

  // What the patterns really allow, checked against concrete secret ARNs of every channel of several accounts.
  const maySecret = (action: string, name: string) => allowsOnSecret(secretStatements, action, name);
  const accounts = [ACCOUNT, ...registrations.map((r) => r.account), 'another-account'];
  const names = new Set([
    ...FUNCTIONS.flatMap((f) => f.secrets.map(sampleName)),
    ...intended.read.map(sampleName),
    ...accounts.flatMap((account) => CHANNEL_NAMES.map((channel) => `thingspace/${account}/${channel}`)),
    `sensoro/${ACCOUNT}`,
  ]);
  for (const name of names) {
    const readable = namedBy(intended.read, name);
    const writable = namedBy(intended.write, name);
    expect({ name, read: maySecret(GET, name), put: maySecret(PUT, name), create: maySecret(CREATE, name) }).toEqual({
      name,
      read: readable,
      put: writable,
      create: writable,
    });
  }

  // Table: exactly the statements of the function's access kind.
  const tableStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
  const may = (action: string, pk: string, resource = tableArn, returnValues = 'NONE') =>
    canAccess(tableStatements, `dynamodb:${action}`, resource, pk, returnValues);
  // The table has no index: no statement names one; only the stream functions' name the table's stream.
  const tableResources = definition.stream ? [tableArn, streamArnOf(template), '*'] : [tableArn];
  expect(tableStatements.flatMap((s) => s.resources).every((r) => tableResources.includes(r))).toBe(true);
  switch (definition.table) {
    case 'write-callbacks':
      // Conditional puts of its records, shared bodies, receipts and rejections, and a receipt read back:
      // in those partitions only, never asking for old values.
      expect(tableStatements).toEqual([
        {
          actions: ['dynamodb:PutItem'],
          resources: [tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': WEBHOOK_PK_PREFIXES.map((p) => `${p}*`) },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
          },
        },
        {
          actions: ['dynamodb:GetItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RC#*'] } },
        },
        {
          actions: ['dynamodb:UpdateItem'],
          resources: [tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DV#*'] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
          },
        },
      ]);
      // It reads back receipts only: never a stored callback body of any account.
      expect(may('GetItem', SAMPLE_PKS.receipt)).toBe(true);
      for (const pk of [...CALLBACK_PKS, SAMPLE_PKS.rejection]) expect({ pk, read: may('GetItem', pk) }).toEqual({ pk, read: false });
      for (const pk of [...CALLBACK_PKS, SAMPLE_PKS.receipt, SAMPLE_PKS.rejection]) {
        expect({ pk, ok: may('PutItem', pk) }).toEqual({ pk, ok: true });
        expect({ pk, oldValues: may('PutItem', pk, tableArn, 'ALL_OLD') }).toEqual({ pk, oldValues: false });
      }
      // A compromised webhook can neither mint an API key nor rewrite the job's status, nor update, delete or scan.
      for (const pk of [SAMPLE_PKS.apiKey, SAMPLE_PKS.registration, SAMPLE_PKS.sharedBody]) {
        for (const action of ['PutItem', 'GetItem']) expect({ action, pk, ok: may(action, pk) }).toEqual({ action, pk, ok: false });
      }
      for (const action of ['UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchWriteItem'])
        expect({ action, ok: may(action, SAMPLE_PKS.event) }).toEqual({ action, ok: false });
      // Its device items: updated (first sight, last seen), never put over, read or deleted.
      expect({ update: may('UpdateItem', `DV#${ACCOUNT}`), put: may('PutItem', `DV#${ACCOUNT}`), get: may('GetItem', `DV#${ACCOUNT}`) }).toEqual({
        update: true,
        put: false,
        get: false,
      });
      break;
    case 'read-callbacks':
      expect(tableStatements).toEqual([
        {
          actions: ['dynamodb:Query', 'dynamodb:GetItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CALLBACK_PK_PREFIXES.map((p) => `${p}*`) } },
        },
        {
          actions: ['dynamodb:DeleteItem'],
          resources: [tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': DELETABLE_PK_PREFIXES.map((p) => `${p}*`) },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
          },
        },
        {
          actions: ['dynamodb:PutItem'],
          resources: [tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEPT_BODY_PK_PREFIX}*`] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
          },
        },
      ]);
      // What that really allows: events and notifications read and deleted, kept bodies read, kept and removed, never the API keys.
      for (const pk of CALLBACK_PKS) {
        for (const action of ['Query', 'GetItem', 'DeleteItem']) expect({ action, pk, ok: may(action, pk) }).toEqual({ action, pk, ok: true });
      }
      expect(may('GetItem', SAMPLE_PKS.sharedBody)).toBe(true);
      expect(may('PutItem', SAMPLE_PKS.sharedBody)).toBe(true);
      // A kept body goes with the last event that references it.
      expect(may('DeleteItem', SAMPLE_PKS.sharedBody)).toBe(true);
      for (const pk of [...CALLBACK_PKS, SAMPLE_PKS.apiKey, SAMPLE_PKS.registration, SAMPLE_PKS.receipt])
        expect({ pk, put: may('PutItem', pk) }).toEqual({ pk, put: false });
      for (const action of ['Query', 'GetItem', 'DeleteItem', 'PutItem']) expect(may(action, SAMPLE_PKS.apiKey)).toBe(false);
      expect(may('GetItem', SAMPLE_PKS.receipt)).toBe(false);
      // The registration status records and rejections: listed and read, never deleted or written.
      for (const pk of [SAMPLE_PKS.registration, SAMPLE_PKS.rejection]) {
        for (const action of ['Query', 'GetItem']) expect(may(action, pk)).toBe(true);
        for (const action of ['DeleteItem', 'PutItem']) expect(may(action, pk)).toBe(false);
      }
      for (const action of ['PutItem', 'UpdateItem', 'Scan', 'BatchGetItem']) expect(may(action, SAMPLE_PKS.event)).toBe(false);
      break;
    case 'read-apikeys':
      expect(tableStatements).toEqual([
        {
          actions: ['dynamodb:GetItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [API_KEY_PK] } },
        },
      ]);
      expect(may('GetItem', SAMPLE_PKS.apiKey)).toBe(true);
      for (const pk of [...CALLBACK_PKS, SAMPLE_PKS.registration]) expect(may('GetItem', pk)).toBe(false);
      expect(may('Query', SAMPLE_PKS.apiKey)).toBe(false);
      break;
    case 'write-registrations':
      expect(tableStatements).toEqual([
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REGISTRATION_PK_PREFIX}*`] } },
        },
      ]);
      // Its own status records, nothing else: no callback, no API key, no index, no other action.
      for (const action of ['GetItem', 'PutItem']) {
        expect(may(action, SAMPLE_PKS.registration)).toBe(true);
        for (const pk of [...CALLBACK_PKS, SAMPLE_PKS.apiKey]) expect({ action, pk, ok: may(action, pk) }).toEqual({ action, pk, ok: false });
      }
      for (const action of ['Query', 'UpdateItem', 'DeleteItem', 'Scan', 'BatchWriteItem']) {
        expect({ action, ok: may(action, SAMPLE_PKS.registration) }).toEqual({ action, ok: false });
      }
      break;
    case 'publish-events':
    case 'archive-events':
      expect(tableStatements).toEqual([
        {
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [streamArnOf(template)],
          conditions: undefined,
        },
        // ListStreams has no resource type: IAM matches it against "*" only.
        { actions: ['dynamodb:ListStreams'], resources: ['*'], conditions: undefined },
        {
          actions: ['dynamodb:GetItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': BODY_PK_PREFIXES.map((p) => `${p}*`) } },
        },
      ]);
      // A shared body from an event or a kept body; never a notification, a receipt, a key, a status record; never a write.
      for (const pk of [SAMPLE_PKS.event, SAMPLE_PKS.sharedBody]) expect({ pk, ok: may('GetItem', pk) }).toEqual({ pk, ok: true });
      for (const pk of [SAMPLE_PKS.notification, SAMPLE_PKS.receipt, SAMPLE_PKS.rejection, SAMPLE_PKS.registration, SAMPLE_PKS.apiKey]) {
        expect({ pk, ok: may('GetItem', pk) }).toEqual({ pk, ok: false });
      }
      for (const action of ['PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem'])
        expect({ action, ok: may(action, SAMPLE_PKS.event) }).toEqual({ action, ok: false });
      // The stream actions name this table's stream only: not the table, not another table's stream.
      expect(may('GetRecords', SAMPLE_PKS.event, tableArn)).toBe(false);
      expect(may('GetRecords', SAMPLE_PKS.event, 'arn:aws:dynamodb:eu-west-1:111111111111:table/Other/stream/2026-01-01T00:00:00.000')).toBe(false);
      break;
  }
}

describe('IotCallbackGatewayStack', () => {
  // Prepare
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const lambdas = template.findResources('AWS::Lambda::Function');
  const fnIds = FUNCTIONS.map((f) => [f.id]);
  const apiRoutes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
  const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');

  test('one Lambda function per function definition, and no CDK helper functions', () => {
    expect(FUNCTIONS).toHaveLength(12);
    expect(Object.keys(lambdas)).toHaveLength(FUNCTIONS.length);
    expect(Object.keys(lambdas).sort()).toEqual(FUNCTIONS.map((f) => logicalIdOf(stack, f.id)).sort());
    expect(Object.keys(template.findResources('Custom::LogRetention'))).toHaveLength(0);
  });

  test.each(fnIds)('%s: runtime, limits, log group and environment', (fnId) => {
    const fn = lambdas[logicalIdOf(stack, fnId)].Properties;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.MemorySize).toBe(512);
    const definition = definitionOf(fnId);
    // Behind API Gateway: 10 s. The scheduled job: 5 minutes, one run at a time. The publisher: a minute per stream
    // batch; the archiver 5 minutes per batch of up to 10,000 records.
    expect(fn.Timeout).toBe(definition.scheduled || definition.table === 'archive-events' ? 300 : definition.stream ? 60 : 10);
    // Reserved: 50 per webhook, 20 for the query API, 1 for the job; the authorizer shares the account pool.
    const reserved = definition.scheduled ? 1 : definition.provider ? 50 : definition.table === 'read-callbacks' ? 20 : undefined;
    expect(fn.ReservedConcurrentExecutions).toBe(reserved);
    expect(fn.Handler).toBe('index.handler');

    const logGroupId = fn.LoggingConfig.LogGroup.Ref;
    template.templateMatches({
      Resources: { [logGroupId]: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } } },
    });

    const env: Record<string, Json> = fn.Environment.Variables;
    expect(env.TABLE_NAME).toEqual({ Ref: Object.keys(template.findResources('AWS::DynamoDB::Table'))[0] });
    expect(env.SECRET_PREFIX).toBe('iot-gateway/');
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'iot-callback-gateway',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // The settings of request handling go to the functions behind API Gateway, not to the scheduled job.
    const requestSettings = { RETENTION_DAYS: '365', SECRET_CACHE_TTL_SECONDS: '300', MAX_BODY_BYTES: '262144' };
    for (const [name, value] of Object.entries(requestSettings)) {
      expect({ name, value: env[name] }).toEqual({ name, value: definition.scheduled || definition.stream ? undefined : value });
    }
    // Each webhook gets its own provider's settings and none of the other's; the job its own ThingSpace
    // settings; the rest get neither.
    const isJob = definition.table === 'write-registrations';
    const prefixed = (prefix: string) => Object.keys(env).filter((k) => k.startsWith(prefix));
    if (definition.provider === 'sensoro') {
      expect(env).toMatchObject({ SENSORO_NONCE_WINDOW_SECONDS: '300' });
      expect(prefixed('THINGSPACE_')).toEqual([]);
    } else if (definition.provider === 'thingspace') {
      expect(env).toMatchObject({ THINGSPACE_TOKEN_HEADER: 'x-callback-token' });
      expect(prefixed('SENSORO_')).toEqual([]);
    } else if (isJob) {
      expect(prefixed('THINGSPACE_').sort()).toEqual(['THINGSPACE_BASE_URL', 'THINGSPACE_TOKEN_HEADER']);
      expect(prefixed('SENSORO_')).toEqual([]);
    } else {
      expect([...prefixed('THINGSPACE_'), ...prefixed('SENSORO_')]).toEqual([]);
    }
    // The query limit goes to the query API only, the key cache lifetime to the authorizer only.
    expect(env.QUERY_MAX_LIMIT).toBe(definition.table === 'read-callbacks' ? '500' : undefined);
    expect(env.API_KEY_CACHE_TTL_SECONDS).toBe(definition.table === 'read-apikeys' ? '30' : undefined);
    // The job's configuration goes to the job only; by default ThingSpace calls the API's own endpoint.
    const apiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0];
    const jobSettings = {
      REGISTRATIONS: '[]',
      THINGSPACE_BASE_URL: 'https://thingspace.verizon.com',
      PUBLIC_BASE_URL: `\${${apiId}.ApiEndpoint}`,
      REREGISTER_GRACE_MINUTES: '60',
      CREDENTIAL_MAX_AGE_DAYS: '30',
    };
    for (const [name, value] of Object.entries(jobSettings)) {
      expect({ name, value: env[name] === undefined ? undefined : render(env[name]) }).toEqual({ name, value: isJob ? value : undefined });
    }
    if (isJob) expect(env.THINGSPACE_TOKEN_HEADER).toBe('x-callback-token');
    // The rejected-request log's limits go to the webhooks, which write it; no allow-list unless configured.
    expect({ cap: env.REJECTION_LOG_CAP, ttl: env.REJECTION_LOG_TTL_HOURS }).toEqual(
      definition.provider ? { cap: '500', ttl: '24' } : { cap: undefined, ttl: undefined },
    );
    expect(env).not.toHaveProperty('ALLOWED_SOURCE_IPS');
    // The URL SENSORO signs is the API's own by default, and only the SENSORO function gets it: never the request's Host.
    expect(env.SENSORO_PUBLIC_BASE_URL === undefined ? undefined : render(env.SENSORO_PUBLIC_BASE_URL)).toBe(
      definition.provider === 'sensoro' ? `\${${apiId}.ApiEndpoint}` : undefined,
    );
    // Empty setting: the handler keeps its own default list.
    expect(env).not.toHaveProperty('THINGSPACE_SIGNATURE_HEADERS');
    // Names and limits only: nothing named or shaped like a key, password or token value.
    for (const [name, value] of Object.entries(env)) {
      expect(name).not.toMatch(/(KEY|SECRET|PASSWORD|TOKEN|CREDENTIALS?)$/);
      // Only the table name, the API's own URL (the job's, SENSORO's), the bus and the archive bucket are references, resolved at deploy time.
      if (!['TABLE_NAME', 'PUBLIC_BASE_URL', 'SENSORO_PUBLIC_BASE_URL', 'EVENT_BUS_NAME', 'ARCHIVE_BUCKET'].includes(name)) expect(typeof value).toBe('string');
      // Key-shaped: a long unbroken base64/hex run with digits in it.
      if (typeof value === 'string') expect(/^[A-Za-z0-9+/=]{20,}$/.test(value) && /\d/.test(value)).toBe(false);
    }
  });

  test('every route has an API Gateway route integrated with its own function', () => {
    const byRouteKey = functionsByRouteKey(template);
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      expect({ key, fn: byRouteKey[key] }).toEqual({ key, fn: logicalIdOf(stack, route.fn.id) });
    }
    expect(apiRoutes).toHaveLength(ROUTES.length);
    expect(Object.keys(byRouteKey)).toHaveLength(ROUTES.length);
    // A function without routes (the authorizer, the scheduled job) is reachable through no route.
    for (const fn of FUNCTIONS.filter((f) => f.routes.length === 0)) {
      expect(Object.values(byRouteKey)).not.toContain(logicalIdOf(stack, fn.id));
    }
    expect(
      FUNCTIONS.filter((f) => f.routes.length === 0)
        .map((f) => f.id)
        .sort(),
    ).toEqual([AUTHORIZER_ID, REREGISTER_ID, PUBLISHER_ID, ARCHIVER_ID].sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
  });

  test('one API key authorizer: Lambda, simple responses, payload 2.0, no identity source, no cache', () => {
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizer] = Object.values(authorizers).map((a) => a.Properties);
    expect(authorizer).toMatchObject({
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 0,
    });
    // With an identity source API Gateway would answer a request lacking it (401 with a body) itself.
    expect(list(authorizer.IdentitySource)).toEqual([]);
    expect(render(authorizer.AuthorizerUri)).toBe(
      `arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${logicalIdOf(stack, AUTHORIZER_ID)}.Arn}/invocations`,
    );
    // API Gateway may invoke the authorizer function, through this authorizer only.
    const [authorizerId] = Object.keys(authorizers);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.FunctionName['Fn::GetAtt']?.[0] === logicalIdOf(stack, AUTHORIZER_ID),
    );
    expect(permissions.map((p) => [p.Properties.Principal, render(p.Properties.SourceArn)])).toEqual([
      [
        'apigateway.amazonaws.com',
        `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0]}}/authorizers/\${${authorizerId}}`,
      ],
    ]);
  });

  test("every /v1 route sits behind the one authorizer; webhook routes and the console's page have none", () => {
    const [authorizerId] = Object.keys(authorizers);
    const v1 = apiRoutes.filter((r) => r.Properties.RouteKey.split(' ')[1].startsWith('/v1/'));
    const rest = apiRoutes.filter((r) => !v1.includes(r));
    expect(v1).toHaveLength(ROUTES.filter((r) => r.path.startsWith('/v1/')).length);
    expect(v1.length).toBeGreaterThan(0);
    for (const route of v1) {
      const { RouteKey, AuthorizationType, AuthorizerId } = route.Properties;
      expect({ RouteKey, AuthorizationType, AuthorizerId }).toEqual({
        RouteKey,
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    expect(
      rest
        .map((r) => r.Properties.RouteKey)
        .filter((k: string) => !k.startsWith('POST /webhooks/'))
        .sort(),
    ).toEqual(['GET /console', 'GET /console/{proxy+}']);
    for (const route of rest) {
      const { RouteKey, AuthorizationType, AuthorizerId } = route.Properties;
      expect({ RouteKey, AuthorizationType, AuthorizerId }).toEqual({ RouteKey, AuthorizationType: 'NONE', AuthorizerId: undefined });
    }
    // The flag in the function table agrees with the paths.
    for (const route of ROUTES) expect(route.fn.authorized).toBe(route.path.startsWith('/v1/'));
  });

  test('the table: keys, LSIs, GSIs, PITR, TTL, encryption, retained', () => {
    const keySchema = (hash: string, range: string) => [
      { AttributeName: hash, KeyType: 'HASH' },
      { AttributeName: range, KeyType: 'RANGE' },
    ];
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema(TABLE.partitionKey, TABLE.sortKey),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    // No secondary index: nothing is written twice, and no device has a 10 GB ceiling.
    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    const keyNames = [TABLE.partitionKey, TABLE.sortKey];
    expect([...table.Properties.AttributeDefinitions].sort((a: Json, b: Json) => a.AttributeName.localeCompare(b.AttributeName))).toEqual(
      [...new Set(keyNames)].sort().map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    );
  });

  test("outputs the API URL, the table name and the URL of the job's dead-letter queue", () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', {});
    template.hasOutput('ReregisterDeadLetterQueueUrl', { Value: { Ref: queueIdOf(stack, REREGISTER_ID) } });
  });

  test('the job: async invocations retried twice, then its dead-letter queue (SSE, TLS only, 14 days)', () => {
    const jobId = logicalIdOf(stack, REREGISTER_ID);
    const queueId = queueIdOf(stack, REREGISTER_ID);
    expect(lambdas[jobId].Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    // One async invocation config, the job's; no other function has retries changed or a queue.
    expect(Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties)).toEqual([
      { FunctionName: { Ref: jobId }, Qualifier: '$LATEST', MaximumRetryAttempts: 2 },
    ]);
    for (const fn of FUNCTIONS.filter((f) => !f.scheduled)) {
      const { DeadLetterConfig } = lambdas[logicalIdOf(stack, fn.id)].Properties;
      expect({ id: fn.id, DeadLetterConfig }).toEqual({ id: fn.id });
    }

    // Its queue, and the stream functions' (test/infra/events.test.ts, test/infra/archive.test.ts): no other.
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).sort()).toEqual([queueId, queueIdOf(stack, PUBLISHER_ID), queueIdOf(stack, ARCHIVER_ID)].sort());
    expect(queues[queueId].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const queuePolicy = queuePolicyOf(template, queueId);
    expect(queuePolicy.PolicyDocument.Statement).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // The job may send its failed events there, and the job only (the publisher sends to its own queue only).
    const sends = (fnId: string) => statementsOf(template, logicalIdOf(stack, fnId)).filter((s) => s.actions.some((a) => a.startsWith('sqs:')));
    expect(sends(REREGISTER_ID)).toEqual([{ actions: ['sqs:SendMessage'], resources: [`\${${queueId}.Arn}`], conditions: undefined }]);
    expect(sends(PUBLISHER_ID).flatMap((s) => s.resources)).toEqual([`\${${queueIdOf(stack, PUBLISHER_ID)}.Arn}`]);
    for (const fn of FUNCTIONS.filter((f) => !f.scheduled && !f.stream)) expect({ id: fn.id, sends: sends(fn.id) }).toEqual({ id: fn.id, sends: [] });
  });

  test('an EventBridge rule runs the job every hour, with retries, a maximum age and the same dead-letter queue', () => {
    const jobId = logicalIdOf(stack, REREGISTER_ID);
    const queueId = queueIdOf(stack, REREGISTER_ID);
    const rules = Object.entries(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const [[ruleId, rule]] = rules;
    // CDK writes 60 minutes as `rate(1 hour)`; EventBridge reads both the same.
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [jobId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3_600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      },
    ]);
    // EventBridge may invoke the job from this rule only, and send to the queue from this rule only.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) => p.Properties.FunctionName['Fn::GetAtt']?.[0] === jobId);
    expect(permissions.map((p) => [p.Properties.Action, p.Properties.Principal, render(p.Properties.SourceArn)])).toEqual([
      ['lambda:InvokeFunction', 'events.amazonaws.com', `\${${ruleId}.Arn}`],
    ]);
    const allows = queuePolicyOf(template, queueId).PolicyDocument.Statement.filter((s: Json) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }),
    ]);
  });

  test('with no registrations configured the job has no secrets statement at all', () => {
    const statements = statementsOf(template, logicalIdOf(stack, REREGISTER_ID));
    expect(statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')))).toEqual([]);
  });

  test.each(fnIds)('%s: reads only its own secrets and touches the table only as its access kind allows', (fnId) => {
    assertNarrowGrants(template, logicalIdOf(stack, fnId), fnId);
  });

  test('diagnostics can read thingspace/*/diagnostics and not the location channels', () => {
    const statements = statementsOf(template, logicalIdOf(stack, 'thingspace-diagnostics'));
    const text = JSON.stringify(statements.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')));
    expect(text).toContain('secret:iot-gateway/thingspace/*/diagnostics-??????');
    expect(text).not.toContain('/location-');
    expect(text).not.toContain('/device-location-');
  });

  test('the job reads and writes its status records only: GetItem/PutItem under REG#', () => {
    const statements = statementsOf(template, logicalIdOf(stack, REREGISTER_ID));
    expect(statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))).toEqual([
      {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [tableArnOf(template)],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REG#*'] } },
      },
    ]);
  });

  test('the query API and the authorizer have no secrets statement at all', () => {
    for (const fnId of ['query', AUTHORIZER_ID]) {
      const statements = statementsOf(template, logicalIdOf(stack, fnId));
      expect(statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')))).toEqual([]);
    }
  });

  test('no IAM statement anywhere grants secretsmanager or dynamodb on "*"', () => {
    const all = [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))].flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    for (const s of all) {
      const data = list<string>(s.Action).some((a) => /^(secretsmanager|dynamodb):/.test(a));
      // The one exception, alone in its statement: dynamodb:ListStreams, which has no resource type.
      const listStreamsOnly = list<string>(s.Action).length === 1 && list<string>(s.Action)[0] === 'dynamodb:ListStreams';
      if (data && !listStreamsOnly) expect(list(s.Resource)).not.toContain('*');
    }
    // No AWS managed policy (AWSLambdaBasicExecutionRole writes logs on `*`): each role is the function's own.
    const roles = template.findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(FUNCTIONS.length);
    for (const role of Object.values(roles)) {
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });

  test.each(fnIds)('%s: writes its own log group and no other', (fnId) => {
    const fnLogicalId = logicalIdOf(stack, fnId);
    const logGroupId = lambdas[fnLogicalId].Properties.LoggingConfig.LogGroup.Ref;
    const logs = statementsOf(template, fnLogicalId).filter((s) => s.actions.some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([{ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`\${${logGroupId}.Arn}`], conditions: undefined }]);
  });

  /** Runs the grant checks of `fnId` on a stack changed by `tamper`. */
  const checkTampered = (fnId: string, tamper: (bad: IotCallbackGatewayStack) => void) => {
    const bad = buildStack();
    tamper(bad);
    return () => assertNarrowGrants(Template.fromStack(bad), logicalIdOf(bad, fnId), fnId);
  };
  const grantTo = (fnId: string, statement: iam.PolicyStatement) => (bad: IotCallbackGatewayStack) => bad.functions[fnId].function.addToRolePolicy(statement);

  test('the grant checks fail on a wildcard secret grant', () => {
    // Prepare: the same stack with one over-broad grant added.
    const wildcard = grantTo('thingspace-location', new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }));
    // Act / Assess
    expect(checkTampered('thingspace-location', wildcard)).toThrow();
    expect(checkTampered('thingspace-diagnostics', wildcard)).not.toThrow();
  });

  test('the grant checks fail when one function can read a sibling channel', () => {
    const sibling = (bad: IotCallbackGatewayStack) =>
      bad.functions['thingspace-location'].function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [
            bad.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: 'iot-gateway/thingspace/*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
    expect(checkTampered('thingspace-location', sibling)).toThrow();
  });

  test('the grant checks fail when the query API or the authorizer gets a secret', () => {
    for (const fnId of ['query', AUTHORIZER_ID]) {
      const secret = (bad: IotCallbackGatewayStack) =>
        bad.functions[fnId].function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [
              bad.formatArn({
                service: 'secretsmanager',
                resource: 'secret',
                resourceName: `iot-gateway/sensoro/${ACCOUNT}-??????`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ],
          }),
        );
      expect(checkTampered(fnId, secret)).toThrow();
    }
  });

  test('the grant checks fail on a table Scan or a wildcard table grant', () => {
    const scan = (bad: IotCallbackGatewayStack) => bad.table.grant(bad.functions['thingspace-diagnostics'].function, 'dynamodb:Scan');
    expect(checkTampered('thingspace-diagnostics', scan)).toThrow();
    const wildcard = grantTo('thingspace-diagnostics', new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: ['*'] }));
    expect(checkTampered('thingspace-diagnostics', wildcard)).toThrow();
  });

  test('the grant checks fail when the query API could reach the API keys or write', () => {
    const callbacksOnly = {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CALLBACK_PK_PREFIXES.map((p) => `${p}*`) },
    };
    const tampers: Record<string, (bad: IotCallbackGatewayStack) => void> = {
      // A read without the LeadingKeys condition reaches every partition, the API keys included.
      unconditioned: (bad) => bad.table.grant(bad.functions.query.function, 'dynamodb:GetItem'),
      // One more allowed prefix: `AP*` covers APIKEY.
      widerPrefixes: (bad) =>
        bad.functions.query.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: [bad.table.tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EV#*', 'NO#*', 'OP#*', 'AP*'] } },
          }),
        ),
      // ForAllValues holds on a Scan's empty key set: the condition does not stop it.
      scan: (bad) =>
        bad.functions.query.function.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [bad.table.tableArn], conditions: callbacksOnly }),
        ),
      put: (bad) =>
        bad.functions.query.function.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [bad.table.tableArn], conditions: callbacksOnly }),
        ),
      deleteOnIndex: (bad) =>
        bad.functions.query.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:DeleteItem'],
            resources: [`${bad.table.tableArn}/index/*`],
            conditions: callbacksOnly,
          }),
        ),
    };
    for (const [name, tamper] of Object.entries(tampers)) {
      expect({ name, threw: throws(checkTampered('query', tamper)) }).toEqual({ name, threw: true });
    }
  });

  test('the grant checks fail when the authorizer could list keys or read callbacks', () => {
    const tampers: Record<string, (bad: IotCallbackGatewayStack) => void> = {
      query: (bad) =>
        bad.functions[AUTHORIZER_ID].function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: [bad.table.tableArn],
            conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [API_KEY_PK] } },
          }),
        ),
      callbacks: (bad) =>
        bad.functions[AUTHORIZER_ID].function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:GetItem'],
            resources: [bad.table.tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EV#*'] } },
          }),
        ),
      unconditioned: (bad) => bad.table.grant(bad.functions[AUTHORIZER_ID].function, 'dynamodb:GetItem'),
    };
    for (const [name, tamper] of Object.entries(tampers)) {
      expect({ name, threw: throws(checkTampered(AUTHORIZER_ID, tamper)) }).toEqual({ name, threw: true });
    }
    // The untampered stack passes, so the throws above come from the tampering.
    expect(checkTampered(AUTHORIZER_ID, () => undefined)).not.toThrow();
    expect(checkTampered('query', () => undefined)).not.toThrow();
  });

  test('the grant checks fail when the job could touch more than its status records', () => {
    const grant = (actions: string[], resources: (bad: IotCallbackGatewayStack) => string[], prefixes?: string[]) => (bad: IotCallbackGatewayStack) =>
      bad.functions[REREGISTER_ID].function.addToRolePolicy(
        new iam.PolicyStatement({
          actions,
          resources: resources(bad),
          conditions: prefixes ? { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } } : undefined,
        }),
      );
    const table = (bad: IotCallbackGatewayStack) => [bad.table.tableArn];
    const tampers: Record<string, (bad: IotCallbackGatewayStack) => void> = {
      // Without the LeadingKeys condition a PutItem could overwrite any callback or API key.
      unconditioned: grant(['dynamodb:PutItem'], table),
      widerPrefixes: grant(['dynamodb:PutItem'], table, ['REG#*', 'EV#*']),
      query: grant(['dynamodb:Query'], table, ['REG#*']),
      delete: grant(['dynamodb:DeleteItem'], table, ['REG#*']),
      index: grant(['dynamodb:GetItem'], (bad) => [`${bad.table.tableArn}/index/*`], ['REG#*']),
      secret: grant([GET], (bad) => [secretArnIn(bad, 'sensoro/*')]),
    };
    for (const [name, tamper] of Object.entries(tampers)) {
      expect({ name, threw: throws(checkTampered(REREGISTER_ID, tamper)) }).toEqual({ name, threw: true });
    }
    expect(checkTampered(REREGISTER_ID, () => undefined)).not.toThrow();
  });
});

/** The ARN pattern of `{prefix}{name}-??????` in `stack`, as the stack itself would write it. */
function secretArnIn(stack: IotCallbackGatewayStack, name: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${SETTINGS.secretPrefix}${name}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

describe('the re-registration job with two accounts configured', () => {
  // Prepare: A registers Diagnostics and a connectivity service, B Location only.
  const A = '0212312345-00001';
  const B = '0212312345-00002';
  const registrations: RegistrationsConfig = [
    { account: A, services: ['Diagnostics', 'CarrierService'] },
    { account: B, services: ['Location'] },
  ];
  const build = () => buildStack({ registrations });
  const stack = build();
  const template = Template.fromStack(stack);
  const job = statementsOf(template, logicalIdOf(stack, REREGISTER_ID));

  test('it writes the channels of the configured services only, and reads but never writes the api secrets', () => {
    const cases: [name: string, read: boolean, write: boolean][] = [
      [`thingspace/${A}/diagnostics`, true, true],
      [`thingspace/${A}/connectivity`, true, true],
      [`thingspace/${A}/api`, true, false],
      [`thingspace/${A}/location`, false, false],
      [`thingspace/${A}/device-location`, false, false],
      [`thingspace/${B}/location`, true, true],
      [`thingspace/${B}/api`, true, false],
      [`thingspace/${B}/diagnostics`, false, false],
      [`thingspace/${B}/connectivity`, false, false],
      ['thingspace/0212312345-00003/api', false, false],
      ['thingspace/0212312345-00003/diagnostics', false, false],
      [`sensoro/${A}`, false, false],
      ['sensoro/app-1', false, false],
      // Longer neighbours of a granted name are not covered by its `-??????` suffix.
      [`thingspace/${A}/diagnostics/extra`, false, false],
      [`thingspace/${A}/diagnostics-backup`, false, false],
      [`thingspace/${A}0/diagnostics`, false, false],
    ];
    for (const [name, read, write] of cases) {
      expect({ name, read: allowsOnSecret(job, GET, name), put: allowsOnSecret(job, PUT, name), create: allowsOnSecret(job, CREATE, name) }).toEqual({
        name,
        read,
        put: write,
        create: write,
      });
    }
  });

  test('its secret grants name each account: no wildcard but the 6-character suffix', () => {
    const resources = job.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:'))).flatMap((s) => s.resources);
    expect(resources).toHaveLength(2 + 3 * 2); // two api secrets, three channel secrets by pattern and by bare name
    for (const r of resources) {
      const name = r.endsWith('-??????') ? r.slice(0, -'-??????'.length) : r;
      expect({ r, wildcard: /[*?]/.test(name) }).toEqual({ r, wildcard: false });
    }
    expect(
      resources
        .filter((r) => !r.endsWith('-??????'))
        .map((r) => r.split(':secret:')[1])
        .sort(),
    ).toEqual(
      ['thingspace/0212312345-00001/connectivity', 'thingspace/0212312345-00001/diagnostics', 'thingspace/0212312345-00002/location'].map(
        (n) => `iot-gateway/${n}`,
      ),
    );
  });

  test.each(FUNCTIONS.map((f) => [f.id]))('%s: the grant checks hold with registrations configured', (fnId) => {
    assertNarrowGrants(template, logicalIdOf(stack, fnId), fnId, registrations);
  });

  test('no other function gained secrets write rights', () => {
    for (const fn of FUNCTIONS.filter((f) => f.id !== REREGISTER_ID)) {
      const statements = statementsOf(template, logicalIdOf(stack, fn.id));
      const writes = statements.flatMap((s) => s.actions).filter((a) => /^secretsmanager:(Put|Create|Update|Delete|Restore|Rotate)/.test(a));
      expect({ id: fn.id, writes }).toEqual({ id: fn.id, writes: [] });
      for (const name of [`thingspace/${A}/diagnostics`, `thingspace/${B}/location`, `thingspace/${A}/api`]) {
        expect({ id: fn.id, name, put: allowsOnSecret(statements, PUT, name) }).toEqual({ id: fn.id, name, put: false });
      }
    }
  });

  test('the grant checks fail when the job could write an api secret, an unconfigured channel or any account', () => {
    const write = (name: string) => (bad: IotCallbackGatewayStack) =>
      bad.functions[REREGISTER_ID].function.addToRolePolicy(new iam.PolicyStatement({ actions: [PUT], resources: [secretArnIn(bad, name)] }));
    const tampers: Record<string, (bad: IotCallbackGatewayStack) => void> = {
      api: write(`thingspace/${A}/api`),
      unconfiguredChannel: write(`thingspace/${A}/location`),
      anyAccount: write('thingspace/*/diagnostics'),
      readOtherAccount: (bad) =>
        bad.functions[REREGISTER_ID].function.addToRolePolicy(
          new iam.PolicyStatement({ actions: [GET], resources: [secretArnIn(bad, 'thingspace/0212312345-00003/api')] }),
        ),
      webhookWrites: (bad) =>
        bad.functions['thingspace-diagnostics'].function.addToRolePolicy(
          new iam.PolicyStatement({ actions: [PUT], resources: [secretArnIn(bad, 'thingspace/*/diagnostics')] }),
        ),
    };
    for (const [name, tamper] of Object.entries(tampers)) {
      const bad = build();
      tamper(bad);
      const badTemplate = Template.fromStack(bad);
      const threw = throws(() => {
        for (const fn of FUNCTIONS) assertNarrowGrants(badTemplate, logicalIdOf(bad, fn.id), fn.id, registrations);
      });
      expect({ name, threw }).toEqual({ name, threw: true });
    }
  });

  test('the job gets the registrations as JSON its own configuration reads back', () => {
    const env = Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, REREGISTER_ID)].Properties.Environment.Variables;
    expect(JSON.parse(env.REGISTRATIONS)).toEqual(registrations);
    // Everything but the two deploy-time references, as the Lambda would see it.
    const literal = Object.fromEntries(Object.entries<Json>(env).filter(([, v]) => typeof v === 'string'));
    const config = jobConfig({ ...literal, PUBLIC_BASE_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com', TABLE_NAME: 't' });
    expect(config).toMatchObject({
      registrations,
      thingspaceBaseUrl: 'https://thingspace.verizon.com',
      graceMs: 60 * 60_000,
      maxAgeMs: 30 * 86_400_000,
      tokenHeader: 'x-callback-token',
    });
  });
});

describe('the legacy SOAP (UWS) settings of the re-registration job', () => {
  test('reach the job only when set, and its configuration reads them back', () => {
    const withUws = buildStack({ uwsBaseUrl: 'https://uws.example.com/api/v2', uwsSoapAction: 'urn:{service}/{operation}' });
    const env = Template.fromStack(withUws).toJSON().Resources[logicalIdOf(withUws, REREGISTER_ID)].Properties.Environment.Variables;
    expect({ base: env.UWS_BASE_URL, action: env.UWS_SOAP_ACTION }).toEqual({ base: 'https://uws.example.com/api/v2', action: 'urn:{service}/{operation}' });
    const plain = buildStack({});
    const defaults = Template.fromStack(plain).toJSON().Resources[logicalIdOf(plain, REREGISTER_ID)].Properties.Environment.Variables;
    expect(Object.keys(defaults).filter((k) => k.startsWith('UWS_'))).toEqual([]);
    expect(() => settingsFromContext(new App({ context: { uwsBaseUrl: 'http://uws.example.com' } }).node)).toThrow(/https/);
  });
});

/** True when `fn` throws (an `expect` failure included). */
function throws(fn: () => void): boolean {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
}

/** A policy document as IAM measures it once deployed: tokens replaced by the longest values they take. */
function resolvedSize(document: Json): number {
  const resolve = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      if (v['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
      if (v.Ref === 'AWS::Partition') return 'aws-us-gov';
      if (v.Ref === 'AWS::Region') return 'ap-southeast-4';
      if (v.Ref === 'AWS::AccountId') return '123456789012';
      // A table or queue ARN with a generated name.
      if (v['Fn::GetAtt'] || v.Ref) return 'x'.repeat(160);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return JSON.stringify(resolve(document)).length;
}

describe('the re-registration job with as many accounts as its environment holds', () => {
  // Prepare: the most accounts (all four services each) whose REGISTRATIONS still fit the context limit.
  const registrations: RegistrationsConfig = Array.from({ length: 29 }, (_, i) => ({
    account: `0212312345-${String(i).padStart(5, '0')}`,
    services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'],
  }));
  const stack = buildStack({ registrations });
  const template = Template.fromStack(stack);
  const jobId = logicalIdOf(stack, REREGISTER_ID);

  test('the settings accept them, and one more account is refused', () => {
    const contextOf = (value: unknown) => new App({ context: { registrations: JSON.stringify(value) } }).node;
    expect(settingsFromContext(contextOf(registrations)).registrations).toHaveLength(registrations.length);
    const more = [...registrations, { account: '0212312345-99999', services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'] }];
    expect(() => settingsFromContext(contextOf(more))).toThrow(/4 KB/);
  });

  test("every policy of its role fits IAM's limits (10,240 inline, 6,144 per managed policy, 10 managed)", () => {
    const { inline, managed } = policiesOf(template, jobId);
    expect(inline.map(resolvedSize).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_240);
    for (const document of managed) expect(resolvedSize(document)).toBeLessThanOrEqual(6_144);
    const role = template.toJSON().Resources[lambdas()[jobId].Properties.Role['Fn::GetAtt'][0]];
    expect(list(role.Properties.ManagedPolicyArns).length + managed.length).toBeLessThanOrEqual(10);
  });

  test('its grants are still exactly those of the configured accounts', () => {
    assertNarrowGrants(template, jobId, REREGISTER_ID, registrations);
  });

  test('the size check fails on one statement holding every channel secret', () => {
    const bad = buildStack({ registrations });
    const everything = registrations.flatMap((r) => CHANNEL_NAMES.filter((c) => c !== 'api').map((c) => secretArnIn(bad, `thingspace/${r.account}/${c}`)));
    bad.functions[REREGISTER_ID].function.addToRolePolicy(new iam.PolicyStatement({ actions: [GET], resources: everything }));
    const { inline, managed } = policiesOf(Template.fromStack(bad), logicalIdOf(bad, REREGISTER_ID));
    const sizes = [...inline, ...managed].map(resolvedSize);
    expect(sizes.some((size) => size > 6_144)).toBe(true);
  });

  const lambdas = () => template.findResources('AWS::Lambda::Function');
});

describe('settings', () => {
  test('signature headers override reaches every ThingSpace function, normalised', () => {
    const template = Template.fromStack(buildStack({ signatureHeaders: ['x-signature', 'x-vz-signature'] }));
    const lambdas = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(lambdas).toHaveLength(FUNCTIONS.length);
    const withOverride = lambdas.filter((fn) => fn.Properties.Environment.Variables.THINGSPACE_SIGNATURE_HEADERS === 'x-signature,x-vz-signature');
    expect(withOverride).toHaveLength(FUNCTIONS.filter((f) => f.provider === 'thingspace').length);
    expect(withOverride.length).toBeGreaterThan(0);
  });

  test('the query limit reaches the query API only, the key cache lifetime the authorizer only', () => {
    const stack = buildStack({ queryMaxLimit: 200, apiKeyCacheTtlSeconds: 0 });
    const lambdas = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const envOf = (fnId: string) => lambdas[logicalIdOf(stack, fnId)].Properties.Environment.Variables;
    for (const { id, table } of FUNCTIONS) {
      expect({ id, limit: envOf(id).QUERY_MAX_LIMIT }).toEqual({ id, limit: table === 'read-callbacks' ? '200' : undefined });
      expect({ id, ttl: envOf(id).API_KEY_CACHE_TTL_SECONDS }).toEqual({ id, ttl: table === 'read-apikeys' ? '0' : undefined });
    }
    expect(envOf('query').QUERY_MAX_LIMIT).toBe('200');
    expect(envOf(AUTHORIZER_ID).API_KEY_CACHE_TTL_SECONDS).toBe('0');
  });

  test('the SENSORO public base URL reaches the SENSORO function only; a malformed one is refused', () => {
    const template = Template.fromStack(buildStack({ sensoroPublicBaseUrl: 'https://hooks.example.com/iot' }));
    const bases = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment.Variables.SENSORO_PUBLIC_BASE_URL);
    expect(bases.filter((b) => b !== undefined)).toEqual(['https://hooks.example.com/iot']);
    expect(() => settingsFromContext(contextOf({ sensoroPublicBaseUrl: 'hooks.example.com' }))).toThrow(/not a URL/);
    expect(() => settingsFromContext(contextOf({ sensoroPublicBaseUrl: 'https://h.example/?a=1' }))).toThrow(/without query/);
  });

  test('a different secret prefix moves both the environment and the grants', () => {
    const registrations = [{ account: ACCOUNT, services: ['Diagnostics'] }];
    const template = Template.fromStack(buildStack({ secretPrefix: 'prod/gw/', registrations }));
    const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(text).toContain('secret:prod/gw/thingspace/*/diagnostics-??????');
    expect(text).toContain(`secret:prod/gw/thingspace/${ACCOUNT}/api-??????`);
    expect(text).toContain(`secret:prod/gw/thingspace/${ACCOUNT}/diagnostics-??????`);
    expect(text).not.toContain('iot-gateway/');
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SECRET_PREFIX: 'prod/gw/' }) },
    });
  });

  test('the public base URL override reaches the job only; the schedule follows the configured rate', () => {
    const stack = buildStack({ publicBaseUrl: 'https://hooks.example.com/iot', reregisterRateMinutes: 90 });
    const template = Template.fromStack(stack);
    const lambdas = template.findResources('AWS::Lambda::Function');
    for (const { id } of FUNCTIONS) {
      const base = lambdas[logicalIdOf(stack, id)].Properties.Environment.Variables.PUBLIC_BASE_URL;
      expect({ id, base }).toEqual({ id, base: id === REREGISTER_ID ? 'https://hooks.example.com/iot' : undefined });
    }
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(90 minutes)' });
    const daily = Template.fromStack(buildStack({ reregisterRateMinutes: 1_440 }));
    daily.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
  });

  const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

  test('settingsFromContext: defaults when the context is empty', () => {
    expect(settingsFromContext(contextOf({}))).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      queryMaxLimit: 500,
      apiKeyCacheTtlSeconds: 30,
      registrations: [],
      thingspaceBaseUrl: 'https://thingspace.verizon.com',
      publicBaseUrl: '',
      reregisterRateMinutes: 60,
      reregisterGraceMinutes: 60,
      credentialMaxAgeDays: 30,
    });
  });

  test('settingsFromContext: the defaults in cdk.json are the defaults of the code', () => {
    const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
    expect(settingsFromContext(contextOf(context))).toEqual(DEFAULT_SETTINGS);
  });

  test('settingsFromContext: registrations as a JSON array (cdk.json) or a JSON string (`-c`)', () => {
    const registrations = [
      { account: ACCOUNT, services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'] },
      { account: '0212312345-00002', services: ['Location'] },
    ];
    expect(settingsFromContext(contextOf({ registrations })).registrations).toEqual(registrations);
    expect(settingsFromContext(contextOf({ registrations: JSON.stringify(registrations) })).registrations).toEqual(registrations);
    expect(settingsFromContext(contextOf({ registrations: ' ' })).registrations).toEqual([]);
  });

  test('settingsFromContext: parses `-c key=value` strings', () => {
    expect(
      settingsFromContext(
        contextOf({
          secretPrefix: 'prod/',
          retentionDays: '90',
          signatureHeaders: ' X-Signature , ,x-vz-signature',
          tokenHeader: 'x-my-token',
          secretCacheTtlSeconds: '60',
          maxBodyBytes: '1024',
          logRetentionDays: '14',
          sensoroNonceWindowSeconds: '120',
          sensoroPublicBaseUrl: 'https://hooks.example.com/',
          queryMaxLimit: '200',
          apiKeyCacheTtlSeconds: '0',
          registrations: `[{"account":"${ACCOUNT}","services":["Diagnostics","CarrierService"]}]`,
          thingspaceBaseUrl: 'https://thingspace.example.com/',
          uwsBaseUrl: 'https://uws.example.com/api/v2/',
          uwsSoapAction: ' urn:{service}#{operation} ',
          publicBaseUrl: 'https://hooks.example.com/iot/',
          reregisterRateMinutes: '15',
          reregisterGraceMinutes: '120',
          credentialMaxAgeDays: '7',
          webhookReservedConcurrency: '0',
          queryReservedConcurrency: '5',
          sourceAllowList: '{"device-location":["68.128.212.217"],"sensoro":[" 10.0.0.0/8 ","2001:db8::/32"]}',
          rejectionLogCap: '50',
          rejectionLogTtlHours: '2',
          webhookThrottle: '{"rate":12.5,"burst":25}',
          queryThrottle: '{"rate":5,"burst":10}',
          alarmEmail: ' ops@example.com ',
          rejectionAlarmThreshold: '1000',
          archive: 'false',
          archiveRetentionDays: '3650',
          archiveColdAfterDays: '30',
          archiveObjectLockDays: '365',
          archiveScanLimitMb: '1024',
        }),
      ),
    ).toEqual({
      secretPrefix: 'prod/',
      retentionDays: 90,
      signatureHeaders: ['x-signature', 'x-vz-signature'],
      tokenHeader: 'x-my-token',
      secretCacheTtlSeconds: 60,
      maxBodyBytes: 1024,
      sensoroNonceWindowSeconds: 120,
      sensoroPublicBaseUrl: 'https://hooks.example.com',
      queryMaxLimit: 200,
      apiKeyCacheTtlSeconds: 0,
      logRetentionDays: logs.RetentionDays.TWO_WEEKS,
      registrations: [{ account: ACCOUNT, services: ['Diagnostics', 'CarrierService'] }],
      thingspaceBaseUrl: 'https://thingspace.example.com',
      uwsBaseUrl: 'https://uws.example.com/api/v2',
      uwsSoapAction: 'urn:{service}#{operation}',
      publicBaseUrl: 'https://hooks.example.com/iot',
      reregisterRateMinutes: 15,
      reregisterGraceMinutes: 120,
      credentialMaxAgeDays: 7,
      webhookReservedConcurrency: 0,
      queryReservedConcurrency: 5,
      sourceAllowList: { 'device-location': ['68.128.212.217'], sensoro: ['10.0.0.0/8', '2001:db8::/32'] },
      rejectionLogCap: 50,
      rejectionLogTtlHours: 2,
      webhookThrottle: { rate: 12.5, burst: 25 },
      queryThrottle: { rate: 5, burst: 10 },
      alarmEmail: 'ops@example.com',
      rejectionAlarmThreshold: 1000,
      archive: false,
      archiveRetentionDays: 3650,
      archiveColdAfterDays: 30,
      archiveObjectLockDays: 365,
      archiveScanLimitMb: 1024,
    });
  });

  test.each([
    [{ retentionDays: 'ninety' }],
    [{ archive: 'yes' }],
    [{ archiveScanLimitMb: '5' }],
    [{ retentionDays: '-1' }],
    [{ maxBodyBytes: '0' }],
    [{ secretCacheTtlSeconds: '1.5' }],
    [{ logRetentionDays: '31' }],
    [{ secretPrefix: 'iot-*' }],
    [{ secretPrefix: 'a?b/' }],
    [{ queryMaxLimit: '0' }],
    [{ queryMaxLimit: 'all' }],
    [{ queryMaxLimit: '10001' }],
    [{ apiKeyCacheTtlSeconds: '-1' }],
    [{ apiKeyCacheTtlSeconds: '3601' }],
    [{ registrations: '[{"account":"a"' }],
    [{ registrations: '{"account":"a","services":["Location"]}' }],
    [{ registrations: '[{"account":"*","services":["Location"]}]' }],
    [{ registrations: '[{"account":"0212312345-0000?","services":["Location"]}]' }],
    [{ registrations: '[{"account":"acme/other","services":["Location"]}]' }],
    [{ registrations: '[{"account":"a","services":[]}]' }],
    [{ registrations: [{ account: 'a' }] }],
    [
      {
        registrations: JSON.stringify(
          Array.from({ length: 60 }, (_, i) => ({ account: `0212312345-${String(i).padStart(5, '0')}`, services: ['Diagnostics', 'Location'] })),
        ),
      },
    ],
    [{ thingspaceBaseUrl: 'http://thingspace.verizon.com' }],
    [{ thingspaceBaseUrl: 'thingspace.verizon.com' }],
    [{ publicBaseUrl: 'hooks.example.com' }],
    [{ publicBaseUrl: 'http://hooks.example.com' }],
    [{ publicBaseUrl: 'https://hooks.example.com/?a=1' }],
    [{ reregisterRateMinutes: '0' }],
    [{ reregisterRateMinutes: '1441' }],
    [{ reregisterRateMinutes: 'hourly' }],
    [{ reregisterGraceMinutes: '0' }],
    [{ credentialMaxAgeDays: '0' }],
    [{ credentialMaxAgeDays: '3651' }],
    [{ webhookReservedConcurrency: '-1' }],
    [{ webhookReservedConcurrency: 'lots' }],
    [{ queryReservedConcurrency: '1001' }],
    [{ rejectionLogCap: '0' }],
    [{ rejectionLogCap: '100001' }],
    [{ rejectionLogTtlHours: '0' }],
    [{ rejectionLogTtlHours: '721' }],
    [{ webhookThrottle: '200' }],
    [{ webhookThrottle: '{"rate":200}' }],
    [{ webhookThrottle: '{"rate":0,"burst":400}' }],
    [{ webhookThrottle: '{"rate":200,"burst":4.5}' }],
    [{ webhookThrottle: '{"rate":200,"burst":400,"burstLimit":1}' }],
    [{ queryThrottle: { rate: 10_001, burst: 100 } }],
    [{ queryThrottle: { rate: 50, burst: 5_001 } }],
    [{ queryThrottle: '[50,100]' }],
    [{ alarmEmail: 'ops' }],
    [{ alarmEmail: 'ops@example.com,boss@example.com' }],
    [{ rejectionAlarmThreshold: '0' }],
  ])('settingsFromContext rejects %j', (context) => {
    expect(() => settingsFromContext(contextOf(context))).toThrow(/Context/);
  });
});
