import { App, ArnFormat } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_SETTINGS, IotCallbackGatewayStack, settingsFromContext } from '../../infra/stack';
import type { WebhookFunctionSettings } from '../../infra/webhook-function';
import { ROUTES } from '../../shared/routes';
import { TABLE } from '../../shared/store/table';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SETTINGS: WebhookFunctionSettings = { ...DEFAULT_SETTINGS, secretPrefix: 'iot-gateway/' };
const ACCOUNT = '0212312345-00001';
const SECRET_ARN_PREFIX = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';

/** A stack built without bundling (the context key makes NodejsFunction skip esbuild). */
function buildStack(settings: Partial<WebhookFunctionSettings> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new IotCallbackGatewayStack(app, 'IotCallbackGateway', { ...SETTINGS, ...settings });
}

/** Renders an intrinsic (Ref, GetAtt, Join) as a string with `${...}` placeholders. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.Ref) return `\${${value.Ref}}`;
  if (value?.['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM resource matching: `*` is any run of characters (slashes included), `?` exactly one. */
function iamMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(arn);
}

/** The ARN a real secret of this name would have (Secrets Manager appends `-` and 6 characters). */
const realSecretArn = (name: string) => `${SECRET_ARN_PREFIX}${SETTINGS.secretPrefix}${name}-AbC123`;
const sampleName = (pattern: string) => pattern.replace(/\*/g, ACCOUNT);

interface Statement {
  actions: string[];
  resources: string[];
}

/** Route id -> the logical id of the function behind it, followed through Route -> Integration -> Function. */
function functionsByRoute(template: Template): Record<string, string> {
  const routes = template.findResources('AWS::ApiGatewayV2::Route');
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const out: Record<string, string> = {};
  for (const route of ROUTES) {
    const [, apiRoute] = Object.entries(routes).find(
      ([, r]) => r.Properties.RouteKey === `${route.method} ${route.path}`,
    ) ?? [undefined, undefined];
    if (!apiRoute) throw new Error(`No API route for ${route.method} ${route.path}`);
    const integrationId = render(apiRoute.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, '$1');
    const uri = integrations[integrationId].Properties.IntegrationUri;
    out[route.id] = uri['Fn::GetAtt'][0];
  }
  return out;
}

/** Every IAM statement attached to a function's role (inline policies and AWS::IAM::Policy resources). */
function statementsOf(template: Template, functionId: string): Statement[] {
  const fn = template.toJSON().Resources[functionId];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const role = template.toJSON().Resources[roleId];
  const documents: Json[] = list(role.Properties.Policies).map((p: Json) => p.PolicyDocument);
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (list(policy.Properties.Roles).some((r: Json) => r.Ref === roleId)) documents.push(policy.Properties.PolicyDocument);
  }
  return documents
    .flatMap((d) => d.Statement)
    .map((s: Json) => {
      expect(s.Effect).toBe('Allow');
      expect(s.NotAction).toBeUndefined();
      expect(s.NotResource).toBeUndefined();
      return { actions: list(s.Action), resources: list(s.Resource).map(render) };
    });
}

/**
 * The safety rules for one function's grants; throws (via expect) on any breach. Kept as a function
 * so a test can prove it rejects a stack with a wildcard grant.
 */
function assertNarrowGrants(template: Template, routeId: string): void {
  const route = ROUTES.find((r) => r.id === routeId)!;
  const functionId = functionsByRoute(template)[routeId];
  const statements = statementsOf(template, functionId);
  const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];

  for (const s of statements) {
    const touchesData = s.actions.some((a) => /^(secretsmanager|dynamodb|kms):/i.test(a) || a === '*');
    if (touchesData) expect(s.resources).not.toContain('*');
    expect(s.actions.filter((a) => a.includes('*'))).toEqual([]);
  }

  const secretStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
  const secretResources = secretStatements.flatMap((s) => s.resources);
  expect(secretStatements.flatMap((s) => s.actions)).toEqual(
    secretStatements.length > 0 ? ['secretsmanager:GetSecretValue'] : [],
  );
  expect(secretResources.sort()).toEqual(
    route.secrets.map((p) => `${SECRET_ARN_PREFIX}${SETTINGS.secretPrefix}${p}-??????`).sort(),
  );

  // What the patterns really allow, checked against concrete secret ARNs.
  const canRead = (name: string) => secretResources.some((pattern) => iamMatches(pattern, realSecretArn(name)));
  for (const own of route.secrets) expect(canRead(sampleName(own))).toBe(true);
  const own = route.secrets.map(sampleName);
  const foreign = [
    ...ROUTES.flatMap((r) => r.secrets.map(sampleName)),
    `thingspace/${ACCOUNT}/api`,
    `thingspace/${ACCOUNT}/connectivity`,
    `sensoro/${ACCOUNT}`,
  ].filter((name) => !own.includes(name));
  for (const name of foreign) expect({ name, readable: canRead(name) }).toEqual({ name, readable: false });

  const tableStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
  if (route.writesTable) {
    expect(tableStatements.flatMap((s) => s.actions).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(tableStatements.flatMap((s) => s.resources)).toEqual(tableStatements.map(() => `\${${tableId}.Arn}`));
  } else {
    expect(tableStatements).toEqual([]);
  }
}

describe('IotCallbackGatewayStack', () => {
  // Prepare
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const lambdas = template.findResources('AWS::Lambda::Function');

  test('one Lambda function per route, and no CDK helper functions', () => {
    expect(Object.keys(lambdas)).toHaveLength(ROUTES.length);
    expect(Object.keys(template.findResources('Custom::LogRetention'))).toHaveLength(0);
  });

  test.each(ROUTES.map((r) => [r.id]))('%s: runtime, limits, log group and environment', (routeId) => {
    const fn = lambdas[functionsByRoute(template)[routeId]].Properties;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Timeout).toBeLessThanOrEqual(15);
    expect(fn.Handler).toBe('index.handler');

    const logGroupId = fn.LoggingConfig.LogGroup.Ref;
    template.templateMatches({
      Resources: { [logGroupId]: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } } },
    });

    const env: Record<string, Json> = fn.Environment.Variables;
    expect(env.TABLE_NAME).toEqual({ Ref: Object.keys(template.findResources('AWS::DynamoDB::Table'))[0] });
    expect(env.SECRET_PREFIX).toBe('iot-gateway/');
    expect(env).toMatchObject({
      RETENTION_DAYS: '365',
      SECRET_CACHE_TTL_SECONDS: '300',
      MAX_BODY_BYTES: '262144',
      POWERTOOLS_SERVICE_NAME: 'iot-callback-gateway',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // Each function gets its own provider's settings and none of the other's.
    const route = ROUTES.find((r) => r.id === routeId)!;
    if (route.provider === 'sensoro') {
      expect(env).toMatchObject({ SENSORO_NONCE_WINDOW_SECONDS: '300' });
      expect(Object.keys(env).filter((k) => k.startsWith('THINGSPACE_'))).toEqual([]);
    } else {
      expect(env).toMatchObject({ THINGSPACE_TOKEN_HEADER: 'x-callback-token' });
      expect(Object.keys(env).filter((k) => k.startsWith('SENSORO_'))).toEqual([]);
    }
    // Unset: the SENSORO channel rebuilds the URL from the request's host.
    expect(env).not.toHaveProperty('SENSORO_PUBLIC_BASE_URL');
    // Empty setting: the handler keeps its own default list.
    expect(env).not.toHaveProperty('THINGSPACE_SIGNATURE_HEADERS');
    // Names and limits only: nothing named or shaped like a key, password or token value.
    for (const [name, value] of Object.entries(env)) {
      expect(name).not.toMatch(/(KEY|SECRET|PASSWORD|TOKEN|CREDENTIALS?)$/);
      if (name !== 'TABLE_NAME') expect(typeof value).toBe('string');
      // Key-shaped: a long unbroken base64/hex run with digits in it.
      if (typeof value === 'string') expect(/^[A-Za-z0-9+/=]{20,}$/.test(value) && /\d/.test(value)).toBe(false);
    }
  });

  test('every route has an API Gateway route with the same method and path', () => {
    for (const route of ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${route.method} ${route.path}` });
    }
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(ROUTES.length);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
  });

  test('the table: keys, LSIs, PITR, TTL, encryption, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        LocalSecondaryIndexes: Match.arrayWith(
          Object.entries(TABLE.indexes).map(([indexName, sortKey]) => ({
            IndexName: indexName,
            KeySchema: [
              { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
              { AttributeName: sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        ),
        AttributeDefinitions: Match.arrayWith(
          [TABLE.partitionKey, TABLE.sortKey, ...Object.values(TABLE.indexes)].map((name) => ({
            AttributeName: name,
            AttributeType: 'S',
          })),
        ),
      },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table.Properties.LocalSecondaryIndexes).toHaveLength(Object.keys(TABLE.indexes).length);
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  test('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', {});
  });

  test.each(ROUTES.map((r) => [r.id]))('%s: reads only its own secrets and writes only Put/Update on the table', (routeId) => {
    assertNarrowGrants(template, routeId);
  });

  test('diagnostics can read thingspace/*/diagnostics and not the location channels', () => {
    const statements = statementsOf(template, functionsByRoute(template)['thingspace-diagnostics']);
    const text = JSON.stringify(statements.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')));
    expect(text).toContain('secret:iot-gateway/thingspace/*/diagnostics-??????');
    expect(text).not.toContain('/location-');
    expect(text).not.toContain('/device-location-');
  });

  test('no IAM statement anywhere grants secretsmanager or dynamodb on "*"', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    for (const s of all) {
      const data = list<string>(s.Action).some((a) => /^(secretsmanager|dynamodb):/.test(a));
      if (data) expect(list(s.Resource)).not.toContain('*');
    }
    // Roles carry only the basic execution policy (CloudWatch Logs), nothing broader.
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.Policies).toBeUndefined();
      expect(list(role.Properties.ManagedPolicyArns).map(render)).toEqual([
        'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      ]);
    }
  });

  test('the grant checks fail on a wildcard secret grant', () => {
    // Prepare: the same stack with one over-broad grant added.
    const bad = buildStack();
    bad.functions['thingspace-location'].function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }),
    );
    // Act / Assess
    expect(() => assertNarrowGrants(Template.fromStack(bad), 'thingspace-location')).toThrow();
    expect(() => assertNarrowGrants(Template.fromStack(bad), 'thingspace-diagnostics')).not.toThrow();
  });

  test('the grant checks fail when one function can read a sibling channel', () => {
    const bad = buildStack();
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
    expect(() => assertNarrowGrants(Template.fromStack(bad), 'thingspace-location')).toThrow();
  });

  test('the grant checks fail on a table Scan or a wildcard table grant', () => {
    const scan = buildStack();
    scan.table.grant(scan.functions['thingspace-diagnostics'].function, 'dynamodb:Scan');
    expect(() => assertNarrowGrants(Template.fromStack(scan), 'thingspace-diagnostics')).toThrow();

    const wildcard = buildStack();
    wildcard.functions['thingspace-diagnostics'].function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: ['*'] }),
    );
    expect(() => assertNarrowGrants(Template.fromStack(wildcard), 'thingspace-diagnostics')).toThrow();
  });
});

describe('settings', () => {
  test('signature headers override reaches every ThingSpace function, normalised', () => {
    const template = Template.fromStack(buildStack({ signatureHeaders: ['x-signature', 'x-vz-signature'] }));
    const lambdas = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(lambdas).toHaveLength(ROUTES.length);
    const withOverride = lambdas.filter((fn) => fn.Properties.Environment.Variables.THINGSPACE_SIGNATURE_HEADERS === 'x-signature,x-vz-signature');
    expect(withOverride).toHaveLength(ROUTES.filter((r) => r.provider === 'thingspace').length);
  });

  test('the SENSORO public base URL reaches the SENSORO function only; a malformed one is refused', () => {
    const template = Template.fromStack(buildStack({ sensoroPublicBaseUrl: 'https://hooks.example.com/iot' }));
    const bases = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment.Variables.SENSORO_PUBLIC_BASE_URL,
    );
    expect(bases.filter((b) => b !== undefined)).toEqual(['https://hooks.example.com/iot']);
    expect(() => settingsFromContext(contextOf({ sensoroPublicBaseUrl: 'hooks.example.com' }))).toThrow(/not a URL/);
    expect(() => settingsFromContext(contextOf({ sensoroPublicBaseUrl: 'https://h.example/?a=1' }))).toThrow(/without query/);
  });

  test('a different secret prefix moves both the environment and the grants', () => {
    const template = Template.fromStack(buildStack({ secretPrefix: 'prod/gw/' }));
    const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(text).toContain('secret:prod/gw/thingspace/*/diagnostics-??????');
    expect(text).not.toContain('iot-gateway/');
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SECRET_PREFIX: 'prod/gw/' }) },
    });
  });

  const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

  test('settingsFromContext: defaults when the context is empty', () => {
    expect(settingsFromContext(contextOf({}))).toEqual(DEFAULT_SETTINGS);
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
      logRetentionDays: logs.RetentionDays.TWO_WEEKS,
    });
  });

  test.each([
    [{ retentionDays: 'ninety' }],
    [{ retentionDays: '-1' }],
    [{ maxBodyBytes: '0' }],
    [{ secretCacheTtlSeconds: '1.5' }],
    [{ logRetentionDays: '31' }],
    [{ secretPrefix: 'iot-*' }],
    [{ secretPrefix: 'a?b/' }],
  ])('settingsFromContext rejects %j', (context) => {
    expect(() => settingsFromContext(contextOf(context))).toThrow(/Context/);
  });
});
