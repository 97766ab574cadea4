import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
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
import { ROUTES, type RouteDefinition } from '../shared/routes';
import { TABLE } from '../shared/store/table';
import { WebhookFunction, type WebhookFunctionSettings } from './webhook-function';

/** Stack props: the deployment settings every function receives, plus the usual StackProps. */
export interface IotCallbackGatewayStackProps extends StackProps, WebhookFunctionSettings {
  /** Routes to deploy; defaults to the shared route table. */
  routes?: readonly RouteDefinition[];
}

/** Settings used when neither cdk.json nor `-c` gives a value. */
export const DEFAULT_SETTINGS: WebhookFunctionSettings = {
  secretPrefix: 'iot-gateway/',
  retentionDays: DEFAULT_RETENTION_DAYS,
  signatureHeaders: [],
  tokenHeader: DEFAULT_TOKEN_HEADER,
  secretCacheTtlSeconds: DEFAULT_SECRET_CACHE_TTL_SECONDS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  sensoroNonceWindowSeconds: 300,
  sensoroPublicBaseUrl: '',
  logRetentionDays: logs.RetentionDays.ONE_MONTH,
};

/**
 * The gateway: one table, one HTTP API, and one function + route per entry of the route table.
 */
export class IotCallbackGatewayStack extends Stack {
  readonly table: dynamodb.Table;
  readonly api: HttpApi;
  readonly functions: Record<string, WebhookFunction> = {};

  constructor(scope: Construct, id: string, props: IotCallbackGatewayStackProps) {
    super(scope, id, props);
    const { routes = ROUTES, ...settings } = props;

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

    this.api = new HttpApi(this, 'Api', { createDefaultStage: true });

    for (const route of routes) {
      const fn = new WebhookFunction(this, route.id, { route, table: this.table, settings });
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}-integration`, fn.function),
      });
      this.functions[route.id] = fn;
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}

/**
 * Reads the settings from CDK context (cdk.json or `-c key=value`, where everything arrives as a
 * string), falling back to DEFAULT_SETTINGS; throws on a value that would deploy something wrong.
 */
export function settingsFromContext(node: Node): WebhookFunctionSettings {
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
