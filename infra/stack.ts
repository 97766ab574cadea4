import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, Node } from 'constructs';
import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SECRET_CACHE_TTL_SECONDS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOKEN_HEADER,
} from '../shared/config';
import { AUTHORIZER_ID, FUNCTIONS, type FunctionDefinition } from '../shared/routes';
import { TABLE } from '../shared/store/table';
import { GatewayFunction, type GatewayFunctionSettings } from './gateway-function';

/** Stack props: the deployment settings the functions receive, plus the usual StackProps. */
export interface IotCallbackGatewayStackProps extends StackProps, GatewayFunctionSettings {
  /** Functions (and their routes) to deploy; defaults to the shared function table. */
  functions?: readonly FunctionDefinition[];
}

/** Settings used when neither cdk.json nor `-c` gives a value. */
export const DEFAULT_SETTINGS: GatewayFunctionSettings = {
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
    const { functions = FUNCTIONS, ...settings } = props;

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

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}

/**
 * Reads the settings from CDK context (cdk.json or `-c key=value`, where everything arrives as a
 * string), falling back to DEFAULT_SETTINGS; throws on a value that would deploy something wrong.
 */
export function settingsFromContext(node: Node): GatewayFunctionSettings {
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
    sensoroPublicBaseUrl: publicBaseUrl(stringContext(get('sensoroPublicBaseUrl'), '')),
    queryMaxLimit: intContext('queryMaxLimit', get('queryMaxLimit'), DEFAULT_SETTINGS.queryMaxLimit, 1, 10_000),
    apiKeyCacheTtlSeconds: intContext(
      'apiKeyCacheTtlSeconds',
      get('apiKeyCacheTtlSeconds'),
      DEFAULT_SETTINGS.apiKeyCacheTtlSeconds,
      0,
      3_600,
    ),
    logRetentionDays: logRetentionDays as logs.RetentionDays,
  };
}

/** SENSORO signs the URL it called: a base must be an absolute http(s) URL without query or fragment. */
function publicBaseUrl(value: string): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Context sensoroPublicBaseUrl "${value}" is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash) {
    throw new Error(`Context sensoroPublicBaseUrl "${value}" must be http(s)://host[/prefix] without query or fragment`);
  }
  return value.replace(/\/+$/, '');
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
