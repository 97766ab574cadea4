import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../shared/routes';

/** Repository root: route entries and the lock file are relative to it. */
const REPO_ROOT = path.resolve(__dirname, '..');

/** Settings every webhook function gets as environment variables (names and limits, never secret values). */
export interface WebhookFunctionSettings {
  /** Prefix of every Secrets Manager secret name, e.g. `iot-gateway/`. */
  secretPrefix: string;
  /** Days a stored callback is kept (DynamoDB TTL); 0 keeps forever. */
  retentionDays: number;
  /** Accepted signature header names; empty leaves the handler's default list. */
  signatureHeaders: readonly string[];
  /** Header carrying the token registered for Diagnostics callbacks. */
  tokenHeader: string;
  secretCacheTtlSeconds: number;
  maxBodyBytes: number;
  /** Accepted distance of a SENSORO nonce from now, either side. */
  sensoroNonceWindowSeconds: number;
  /** The public scheme://host[/prefix] SENSORO calls (signatures cover it); empty: the request's host. */
  sensoroPublicBaseUrl: string;
  /** Must be one of the values CloudWatch Logs accepts (see `logs.RetentionDays`). */
  logRetentionDays: logs.RetentionDays;
}

export interface WebhookFunctionProps {
  route: RouteDefinition;
  table: dynamodb.ITable;
  settings: WebhookFunctionSettings;
}

/**
 * One Lambda of the route table with the defaults every function shares, its own log group, and
 * IAM grants narrowed to the route's own secrets and (when it writes) PutItem/UpdateItem on the table.
 */
export class WebhookFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, { route, table, settings }: WebhookFunctionProps) {
    super(scope, id);

    // An explicit log group sets retention without the CDK's custom-resource log-retention helper Lambda.
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: settings.logRetentionDays });

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, route.entry),
      handler: 'handler',
      // NodejsFunction's default runtime lags behind; pin the one the bundle targets.
      runtime: lambda.Runtime.NODEJS_22_X,
      // Graviton: cheaper per GB-second, and the code has no native modules.
      architecture: lambda.Architecture.ARM_64,
      // HMAC and JSON parsing are CPU-bound; 512 MB buys CPU for a low-latency answer.
      memorySize: 512,
      // Far under API Gateway's 30 s integration limit, so the function, not the gateway, answers on a stall.
      timeout: Duration.seconds(10),
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        // With NODE_OPTIONS=--enable-source-maps, stack traces point at the TypeScript sources.
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // Run the SDK version the tests ran (package-lock), not whatever the runtime ships.
        bundleAwsSDK: true,
        // Bundle with the locally installed esbuild: no Docker on build machines.
        forceDockerBundling: false,
      },
      environment: {
        TABLE_NAME: table.tableName,
        SECRET_PREFIX: settings.secretPrefix,
        RETENTION_DAYS: String(settings.retentionDays),
        SECRET_CACHE_TTL_SECONDS: String(settings.secretCacheTtlSeconds),
        MAX_BODY_BYTES: String(settings.maxBodyBytes),
        ...providerEnvironment(route, settings),
        POWERTOOLS_SERVICE_NAME: 'iot-callback-gateway',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    if (route.secrets.length > 0) {
      // Only this route's own channel secrets: a leaked location function must not read diagnostics keys.
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: route.secrets.map((pattern) => secretArn(this, settings.secretPrefix, pattern)),
        }),
      );
    }

    if (route.writesTable) {
      // Exactly the two writes CallbackStore makes (conditional put, summary update); no reads, scans or deletes.
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [table.tableArn],
        }),
      );
    }
  }
}

/** The settings of the route's provider only: a ThingSpace function has no SENSORO variables and back. */
function providerEnvironment(route: RouteDefinition, settings: WebhookFunctionSettings): Record<string, string> {
  if (route.provider === 'sensoro') {
    return {
      SENSORO_NONCE_WINDOW_SECONDS: String(settings.sensoroNonceWindowSeconds),
      ...(settings.sensoroPublicBaseUrl ? { SENSORO_PUBLIC_BASE_URL: settings.sensoroPublicBaseUrl } : {}),
    };
  }
  return {
    // Unset means the handler's own default list (shared/config.ts), so only pass a real override.
    ...(settings.signatureHeaders.length > 0 ? { THINGSPACE_SIGNATURE_HEADERS: settings.signatureHeaders.join(',') } : {}),
    THINGSPACE_TOKEN_HEADER: settings.tokenHeader,
  };
}

/**
 * ARN pattern of the secrets named `${prefix}${pattern}`; `-??????` matches the 6-character suffix
 * Secrets Manager appends to every secret ARN, so a name cannot be widened by a longer neighbour.
 */
export function secretArn(scope: Construct, prefix: string, pattern: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}${pattern}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
