import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, Node } from 'constructs';
import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SECRET_CACHE_TTL_SECONDS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOKEN_HEADER,
} from '../shared/config';
import { DEFAULT_THINGSPACE_BASE_URL } from '../shared/reregister/config';
import { registrationsSchema, type RegistrationsConfig } from '../shared/reregister/job';
import { AUTHORIZER_ID, FUNCTIONS, type FunctionDefinition } from '../shared/routes';
import { TABLE } from '../shared/store/table';
import { GatewayFunction, type GatewayFunctionSettings } from './gateway-function';

/** The deployment settings: what the functions receive, plus how often scheduled functions run. */
export interface GatewaySettings extends GatewayFunctionSettings {
  /** Minutes between two runs of the re-registration job. */
  reregisterRateMinutes: number;
}

/** Stack props: the deployment settings, plus the usual StackProps. */
export interface IotCallbackGatewayStackProps extends StackProps, GatewaySettings {
  /** Functions (and their routes) to deploy; defaults to the shared function table. */
  functions?: readonly FunctionDefinition[];
}

/** Settings used when neither cdk.json nor `-c` gives a value. */
export const DEFAULT_SETTINGS: GatewaySettings = {
  secretPrefix: 'iot-gateway/',
  retentionDays: DEFAULT_RETENTION_DAYS,
  signatureHeaders: [],
  tokenHeader: DEFAULT_TOKEN_HEADER,
  secretCacheTtlSeconds: DEFAULT_SECRET_CACHE_TTL_SECONDS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  sensoroNonceWindowSeconds: 300,
  sensoroPublicBaseUrl: '',
  queryMaxLimit: 500,
  apiKeyCacheTtlSeconds: 30,
  logRetentionDays: logs.RetentionDays.ONE_MONTH,
  registrations: [],
  thingspaceBaseUrl: DEFAULT_THINGSPACE_BASE_URL,
  publicBaseUrl: '',
  reregisterRateMinutes: 60,
  reregisterGraceMinutes: 60,
  credentialMaxAgeDays: 30,
};

/**
 * The gateway: one table, one HTTP API, one function per entry of the function table with one API
 * route per route of it, and one API key authorizer in front of the routes of authorized functions.
 */
export class IotCallbackGatewayStack extends Stack {
  readonly table: dynamodb.Table;
  readonly api: HttpApi;
  readonly functions: Record<string, GatewayFunction> = {};
  /** Present when some function's routes are authorized. */
  readonly authorizer?: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: IotCallbackGatewayStackProps) {
    super(scope, id, props);
    const { functions = FUNCTIONS, reregisterRateMinutes, ...configured } = props;

    this.table = new dynamodb.Table(this, 'Callbacks', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The table holds the callbacks providers will not send again: never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, sortKey] of Object.entries(TABLE.indexes)) {
      this.table.addLocalSecondaryIndex({
        indexName,
        sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // An update of an existing table can add only one GSI per deploy (DynamoDB UpdateTable limit).
    for (const [indexName, keys] of Object.entries(TABLE.globalIndexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.api = new HttpApi(this, 'Api', { createDefaultStage: true });
    // Unless a custom domain is configured, ThingSpace is told to call the API's own endpoint ($default stage: no path prefix).
    const settings = { ...configured, publicBaseUrl: configured.publicBaseUrl || this.api.apiEndpoint };

    for (const definition of functions) {
      this.functions[definition.id] = new GatewayFunction(this, definition.id, {
        definition,
        table: this.table,
        settings,
      });
    }

    if (functions.some((definition) => definition.authorized && definition.routes.length > 0)) {
      const authorizerFunction = this.functions[AUTHORIZER_ID];
      if (!authorizerFunction) throw new Error(`Authorized routes need the "${AUTHORIZER_ID}" function`);
      this.authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFunction.function, {
        authorizerName: 'api-key',
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        // No identity source: API Gateway would answer a request without the header itself (401 with a
        // body); empty, every request reaches the authorizer, which answers 401 without one.
        identitySource: [],
        // An empty identity source allows no gateway cache; the authorizer caches keys itself.
        resultsCacheTtl: Duration.seconds(0),
      });
    }

    for (const definition of functions) {
      if (definition.routes.length === 0) continue;
      // One integration per function, shared by its routes (each route still gets its own invoke permission).
      const integration = new HttpLambdaIntegration(
        `${definition.id}-integration`,
        this.functions[definition.id].function,
      );
      for (const route of definition.routes) {
        this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: definition.authorized ? this.authorizer : undefined,
        });
      }
    }

    for (const definition of functions) {
      if (!definition.scheduled) continue;
      const scheduled = this.functions[definition.id];
      const deadLetterQueue = scheduled.deadLetterQueue!;
      new events.Rule(this, `${definition.id}-schedule`, {
        schedule: events.Schedule.rate(Duration.minutes(reregisterRateMinutes)),
        targets: [
          new targets.LambdaFunction(scheduled.function, {
            // Retries of a failed delivery (throttling, service errors); a run older than an hour is stale.
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
            // The function's own queue: one place to look for runs that never happened or kept failing.
            deadLetterQueue,
          }),
        ],
      });
      new CfnOutput(this, `${pascalCase(definition.id)}DeadLetterQueueUrl`, { value: deadLetterQueue.queueUrl });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}

/**
 * Reads the settings from CDK context (cdk.json or `-c key=value`, where everything arrives as a
 * string), falling back to DEFAULT_SETTINGS; throws on a value that would deploy something wrong.
 */
export function settingsFromContext(node: Node): GatewaySettings {
  const get = (key: string): unknown => node.tryGetContext(key);
  const secretPrefix = stringContext(get('secretPrefix'), DEFAULT_SETTINGS.secretPrefix);
  // The prefix goes into IAM resource ARNs: a `*` or `?` in it would widen every grant.
  if (!/^[A-Za-z0-9/_+=.@-]*$/.test(secretPrefix)) {
    throw new Error(`Context secretPrefix "${secretPrefix}" may only hold characters valid in a secret name`);
  }
  const logRetentionDays = intContext('logRetentionDays', get('logRetentionDays'), DEFAULT_SETTINGS.logRetentionDays);
  if (!(Object.values(logs.RetentionDays) as number[]).includes(logRetentionDays)) {
    throw new Error(`Context logRetentionDays ${logRetentionDays} is not a retention CloudWatch Logs accepts`);
  }
  return {
    secretPrefix,
    retentionDays: intContext('retentionDays', get('retentionDays'), DEFAULT_SETTINGS.retentionDays, 0, 36_500),
    signatureHeaders: listContext(get('signatureHeaders')),
    tokenHeader: stringContext(get('tokenHeader'), DEFAULT_SETTINGS.tokenHeader) || DEFAULT_SETTINGS.tokenHeader,
    secretCacheTtlSeconds: intContext(
      'secretCacheTtlSeconds',
      get('secretCacheTtlSeconds'),
      DEFAULT_SETTINGS.secretCacheTtlSeconds,
      0,
      86_400,
    ),
    maxBodyBytes: intContext('maxBodyBytes', get('maxBodyBytes'), DEFAULT_SETTINGS.maxBodyBytes, 1),
    sensoroNonceWindowSeconds: intContext(
      'sensoroNonceWindowSeconds',
      get('sensoroNonceWindowSeconds'),
      DEFAULT_SETTINGS.sensoroNonceWindowSeconds,
      1,
      86_400,
    ),
    sensoroPublicBaseUrl: baseUrl('sensoroPublicBaseUrl', stringContext(get('sensoroPublicBaseUrl'), '')),
    queryMaxLimit: intContext('queryMaxLimit', get('queryMaxLimit'), DEFAULT_SETTINGS.queryMaxLimit, 1, 10_000),
    apiKeyCacheTtlSeconds: intContext(
      'apiKeyCacheTtlSeconds',
      get('apiKeyCacheTtlSeconds'),
      DEFAULT_SETTINGS.apiKeyCacheTtlSeconds,
      0,
      3_600,
    ),
    logRetentionDays: logRetentionDays as logs.RetentionDays,
    registrations: registrationsContext(get('registrations')),
    // The job sends the accounts' API credentials there, and ThingSpace sends callback credentials to
    // the public base: both https only.
    thingspaceBaseUrl: baseUrl(
      'thingspaceBaseUrl',
      stringContext(get('thingspaceBaseUrl'), DEFAULT_SETTINGS.thingspaceBaseUrl) || DEFAULT_SETTINGS.thingspaceBaseUrl,
      true,
    ),
    publicBaseUrl: baseUrl('publicBaseUrl', stringContext(get('publicBaseUrl'), ''), true),
    reregisterRateMinutes: intContext(
      'reregisterRateMinutes',
      get('reregisterRateMinutes'),
      DEFAULT_SETTINGS.reregisterRateMinutes,
      1,
      1_440,
    ),
    // Limits of the job's own configuration (shared/reregister/config.ts): refused here, not at the first run.
    reregisterGraceMinutes: intContext(
      'reregisterGraceMinutes',
      get('reregisterGraceMinutes'),
      DEFAULT_SETTINGS.reregisterGraceMinutes,
      1,
      10_080,
    ),
    credentialMaxAgeDays: intContext(
      'credentialMaxAgeDays',
      get('credentialMaxAgeDays'),
      DEFAULT_SETTINGS.credentialMaxAgeDays,
      1,
      3_650,
    ),
  };
}

/**
 * A base URL the functions build URLs under (signatures cover them): an absolute http(s) URL, https
 * only when `httpsOnly`, without query or fragment; the trailing slash dropped. Empty stays empty.
 */
function baseUrl(key: string, value: string, httpsOnly = false): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Context ${key} "${value}" is not a URL`);
  }
  if (!(httpsOnly ? /^https:$/ : /^https?:$/).test(url.protocol) || url.search || url.hash || /\s/.test(value)) {
    const scheme = httpsOnly ? 'https' : 'http(s)';
    throw new Error(`Context ${key} "${value}" must be ${scheme}://host[/prefix] without query or fragment`);
  }
  return value.replace(/\/+$/, '');
}

/** Lambda allows 4 KB of environment variables in all; the rest of the job's take well under 1 KB. */
const MAX_REGISTRATIONS_JSON = 3_072;

/**
 * The `registrations` context: a JSON array from cdk.json, or the same array as a JSON string from
 * `-c registrations='[...]'`. Account names go into IAM resource ARNs, so the schema's account
 * pattern (no `*` or `?`) is what keeps the job's secret grants to the configured accounts.
 */
function registrationsContext(value: unknown): RegistrationsConfig {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return [];
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('Context registrations is not JSON: [{"account":"…","services":["Diagnostics",…]}]');
    }
  }
  const result = registrationsSchema.safeParse(parsed);
  if (!result.success) {
    const where = result.error.issues.map((issue) => issue.path.map(String).join('.') || '(root)').join(', ');
    throw new Error(`Context registrations must be [{"account":"…","services":["Diagnostics",…]}] (invalid at ${where})`);
  }
  if (JSON.stringify(result.data).length > MAX_REGISTRATIONS_JSON) {
    throw new Error(`Context registrations is longer than ${MAX_REGISTRATIONS_JSON} characters as JSON (Lambda's 4 KB environment limit)`);
  }
  return result.data;
}

/** `reregister` -> `Reregister`, `device-location` -> `DeviceLocation`: an output id from a function id. */
function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function stringContext(value: unknown, fallback: string): string {
  return value === undefined || value === null ? fallback : String(value).trim();
}

function intContext(key: string, value: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === null || String(value).trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`Context ${key} must be an integer in [${min}, ${max}], got "${String(value)}"`);
  }
  return n;
}

function listContext(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : String(value ?? '').split(',');
  return items.map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
}
