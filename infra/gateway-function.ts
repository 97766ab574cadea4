import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionDefinition } from '../shared/routes';
import { API_KEY_PK, CALLBACK_PK_PREFIXES } from '../shared/store/table';

/** Repository root: function entries and the lock file are relative to it. */
const REPO_ROOT = path.resolve(__dirname, '..');

/** Settings the functions get as environment variables (names and limits, never secret values). */
export interface GatewayFunctionSettings {
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
  /** Largest page the query API returns, whatever `limit` a client asks for. */
  queryMaxLimit: number;
  /** How long the authorizer remembers a checked API key (its own in-memory cache). */
  apiKeyCacheTtlSeconds: number;
  /** Must be one of the values CloudWatch Logs accepts (see `logs.RetentionDays`). */
  logRetentionDays: logs.RetentionDays;
}

export interface GatewayFunctionProps {
  definition: FunctionDefinition;
  table: dynamodb.ITable;
  settings: GatewayFunctionSettings;
}

/**
 * One Lambda of the function table with the defaults every function shares, its own log group, and
 * IAM grants narrowed to the function's own secrets and to the table access its `table` kind names.
 */
export class GatewayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, { definition, table, settings }: GatewayFunctionProps) {
    super(scope, id);

    // An explicit log group sets retention without the CDK's custom-resource log-retention helper Lambda.
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: settings.logRetentionDays });

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, definition.entry),
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
        ...providerEnvironment(definition, settings),
        ...accessEnvironment(definition, settings),
        POWERTOOLS_SERVICE_NAME: 'iot-callback-gateway',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    if (definition.secrets.length > 0) {
      // Only this function's own channel secrets: a leaked location function must not read diagnostics keys.
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: definition.secrets.map((pattern) => secretArn(this, settings.secretPrefix, pattern)),
        }),
      );
    }

    for (const statement of tableStatements(definition, table)) this.function.addToRolePolicy(statement);
  }
}

/**
 * The table statements of one access kind. `ForAllValues` holds on an empty key set (a Scan names no
 * partition), so the LeadingKeys-conditioned statements must never list Scan or a batch/PartiQL action.
 */
export function tableStatements(definition: FunctionDefinition, table: dynamodb.ITable): iam.PolicyStatement[] {
  switch (definition.table) {
    case 'write-callbacks':
      return [
        // Exactly the two writes CallbackStore makes (conditional put, summary update); no reads, scans or deletes.
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table.tableArn] }),
      ];
    case 'read-callbacks': {
      // Callback partitions only: the query API can never read (or delete) the API key partition.
      // On the byResource* indexes the leading key is `resourceKey` = `{pk}#{resource}`, same prefixes.
      const callbacksOnly = {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CALLBACK_PK_PREFIXES.map((prefix) => `${prefix}*`) },
      };
      return [
        // Reads of the table and its indexes (LSIs and GSIs live under `<table ARN>/index/`).
        new iam.PolicyStatement({
          actions: ['dynamodb:Query', 'dynamodb:GetItem'],
          resources: [table.tableArn, `${table.tableArn}/index/*`],
          conditions: callbacksOnly,
        }),
        // DELETE of one event or notification; no Put/Update: the query API never writes a callback.
        new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [table.tableArn], conditions: callbacksOnly }),
      ];
    }
    case 'read-apikeys':
      return [
        // One GetItem by key hash in the API key partition: no Query (no listing keys), no callbacks.
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [API_KEY_PK] } },
        }),
      ];
  }
}

/** The settings of the function's provider only: a ThingSpace function has no SENSORO variables and back. */
function providerEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  switch (definition.provider) {
    case 'sensoro':
      return {
        SENSORO_NONCE_WINDOW_SECONDS: String(settings.sensoroNonceWindowSeconds),
        ...(settings.sensoroPublicBaseUrl ? { SENSORO_PUBLIC_BASE_URL: settings.sensoroPublicBaseUrl } : {}),
      };
    case 'thingspace':
      return {
        // Unset means the handler's own default list (shared/config.ts), so only pass a real override.
        ...(settings.signatureHeaders.length > 0
          ? { THINGSPACE_SIGNATURE_HEADERS: settings.signatureHeaders.join(',') }
          : {}),
        THINGSPACE_TOKEN_HEADER: settings.tokenHeader,
      };
    default:
      return {};
  }
}

/** The settings of the query API and of the authorizer, each to its own function only. */
function accessEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  switch (definition.table) {
    case 'read-callbacks':
      return { QUERY_MAX_LIMIT: String(settings.queryMaxLimit) };
    case 'read-apikeys':
      return { API_KEY_CACHE_TTL_SECONDS: String(settings.apiKeyCacheTtlSeconds) };
    default:
      return {};
  }
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
