import * as path from 'node:path';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sourceAllowList as parseSourceAllowList } from '../shared/http/source';
import type { RegistrationsConfig } from '../shared/reregister/config';
import { BODY_PK_PREFIXES } from '../shared/events/contract';
import { channelOfService, type FunctionDefinition } from '../shared/routes';
import { API_KEY_PK, CALLBACK_PK_PREFIXES, DELETABLE_PK_PREFIXES, KEPT_BODY_PK_PREFIX, RECEIPT_PK_PREFIX, REGISTRATION_PK_PREFIX, WEBHOOK_PK_PREFIXES } from '../shared/store/table';

/** Repository root: function entries and the lock file are relative to it. */
const REPO_ROOT = path.resolve(__dirname, '..');

/** POWERTOOLS_SERVICE_NAME of every function: Powertools adds it as the `service` dimension of every metric. */
export const SERVICE_NAME = 'iot-callback-gateway';

/**
 * The channel of a webhook function, as `sourceAllowList` names it: the function id without
 * `thingspace-` (diagnostics, location, device-location, connectivity, soap) or `sensoro`.
 * Undefined for functions that receive no provider callbacks.
 */
export function webhookChannel(definition: FunctionDefinition): string | undefined {
  return definition.provider ? definition.id.replace(/^thingspace-/, '') : undefined;
}

/** Lambda allows 4 KB of environment in all; the rest of a webhook's variables take well under 1 KB. */
export const MAX_ALLOWED_SOURCE_IPS_CHARS = 2_048;

/**
 * The ALLOWED_SOURCE_IPS value of one channel's list, checked with the parser the function itself
 * runs at cold start: a list it would refuse (and so crash on every request) is refused at synth.
 */
export function allowedSourceIps(channel: string, entries: readonly string[]): string {
  const where = `sourceAllowList.${channel}`;
  if (!Array.isArray(entries)) throw new Error(`Context ${where} must be an array of addresses or CIDR ranges`);
  if (entries.length === 0) throw new Error(`Context ${where} is empty: leave the channel out to accept every source`);
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry.includes(',') || entry.trim() === '') {
      throw new Error(`Context ${where}: ${JSON.stringify(entry)} is not one address or CIDR range`);
    }
  }
  const value = entries.map((entry) => entry.trim()).join(',');
  try {
    parseSourceAllowList(value);
  } catch (error) {
    throw new Error(`Context ${where}: ${(error as Error).message}`);
  }
  if (value.length > MAX_ALLOWED_SOURCE_IPS_CHARS) {
    throw new Error(`Context ${where} is longer than ${MAX_ALLOWED_SOURCE_IPS_CHARS} characters (Lambda's 4 KB environment limit)`);
  }
  return value;
}

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
  /** The ThingSpace accounts and services the re-registration job keeps registered; its secret grants follow them. */
  registrations: RegistrationsConfig;
  /** Where ThingSpace's APIs are (the job sends the account's API credentials there). */
  thingspaceBaseUrl: string;
  /** The legacy UWS (SOAP) services, for accounts registered with `api: soap`; empty: the job's own (unpublished, guessed) default. */
  uwsBaseUrl: string;
  /** The SOAPAction pattern UWS wants (`{service}`, `{operation}`); empty: the job's WCF-style default. */
  uwsSoapAction: string;
  /**
   * The scheme://host[/prefix] ThingSpace is told to call (`{base}/webhooks/thingspace/...`). Empty in
   * settings means the HTTP API's own endpoint, which the stack fills in before building the functions.
   */
  publicBaseUrl: string;
  /** How long a replaced credential keeps verifying after the job rotated it. */
  reregisterGraceMinutes: number;
  /** Credentials older than this are rotated even when nothing drifted. */
  credentialMaxAgeDays: number;
  /** Concurrent executions reserved for (and capping) each webhook function; 0 reserves none. */
  webhookReservedConcurrency: number;
  /** Concurrent executions reserved for (and capping) the query API; 0 reserves none. */
  queryReservedConcurrency: number;
  /**
   * Per webhook channel (see `webhookChannel`), the source addresses or CIDR ranges allowed to call
   * it; a channel not named accepts every source. The function answers 403 to any other caller.
   */
  sourceAllowList: Readonly<Record<string, readonly string[]>>;
  /** Refused requests kept per scope in the rejected-request log. */
  rejectionLogCap: number;
  /** How long a refused request stays in the rejected-request log. */
  rejectionLogTtlHours: number;
}

export interface GatewayFunctionProps {
  definition: FunctionDefinition;
  table: dynamodb.ITable;
  settings: GatewayFunctionSettings;
  /** The bus a stream function publishes to (required for one, unused by the others). */
  eventBus?: events.IEventBus;
}

/**
 * One Lambda of the function table with the defaults every function shares, its own log group, and
 * IAM grants narrowed to the function's own secrets and to the table access its `table` kind names.
 * A scheduled function also gets its run limits and a dead-letter queue for failed invocations; a
 * stream function (the event publisher) a dead-letter queue for the stream batches it could not
 * publish, its bus, and the right to put events on that bus only.
 */
export class GatewayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** The function's own role: its log group, its secrets and its table access only. */
  readonly role: iam.Role;
  /** Scheduled and stream functions only: where invocations (stream batches) that still fail after their retries end up. */
  readonly deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, { definition, table, settings, eventBus }: GatewayFunctionProps) {
    super(scope, id);

    // An explicit log group sets retention without the CDK's custom-resource log-retention helper Lambda.
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: settings.logRetentionDays });

    // An explicit role instead of AWSLambdaBasicExecutionRole (log writes on `*`, every log group of the
    // account): this function may write its own log group and nothing else; the grants below add the rest.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${definition.id} function of the IoT callback gateway`,
    });
    this.logGroup.grantWrite(this.role);

    if (definition.stream && !eventBus) throw new Error(`Function "${definition.id}" runs on the table's stream and needs the event bus`);
    if (definition.scheduled || definition.stream) {
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The longest SQS keeps a message: time to notice a failed run and look at its event.
        retentionPeriod: Duration.days(14),
      });
    }
    if (definition.stream) {
      Validations.of(this.deadLetterQueue!).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is a dead-letter queue: the on-failure destination of the publisher\'s stream event source mapping, which ' +
          'cdk-nag does not recognise (it looks for redrive policies and function DeadLetterConfig only). It receives the description ' +
          'of stream batches that failed after their retries; a queue behind it would add nothing.',
      });
    }

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
      // A scheduled job is behind no gateway: 5 minutes covers logins, listings and registrations of
      // every configured account, each ThingSpace and AWS call bounded by its own client timeout.
      // The publisher neither: a minute covers a batch's PutEvents calls with their resends.
      timeout: definition.scheduled ? Duration.minutes(5) : definition.stream ? Duration.minutes(1) : Duration.seconds(10),
      // A cap and a guarantee per function, so a burst on one channel cannot exhaust the account (see the helper).
      reservedConcurrentExecutions: reservedConcurrency(definition, settings),
      // The narrow role above, instead of the CDK's default one with the AWS managed execution policy.
      role: this.role,
      // Scheduled runs are async invocations: two retries of a crash, then the dead-letter queue.
      ...(definition.scheduled ? { retryAttempts: 2, deadLetterQueue: this.deadLetterQueue } : {}),
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
        // Problems only: a synth should not print every bundle's size (esbuild's default).
        logLevel: LogLevel.WARNING,
      },
      environment: {
        TABLE_NAME: table.tableName,
        SECRET_PREFIX: settings.secretPrefix,
        ...requestEnvironment(definition, settings),
        ...providerEnvironment(definition, settings),
        ...accessEnvironment(definition, settings),
        ...webhookEnvironment(definition, settings),
        ...(definition.stream ? { EVENT_BUS_NAME: eventBus!.eventBusName } : {}),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The runtime is pinned to nodejs22.x on purpose: the bundle targets node22 and the toolchain was verified on it; ' +
        'Node 22 is a supported Lambda runtime (LTS until April 2027). Moving to a newer runtime is a tested upgrade, not a synth-time drift.',
    });

    if (definition.secrets.length > 0) {
      // Only this function's own channel secrets: a leaked location function must not read diagnostics keys.
      // Each pattern twice: with the 6-character suffix of an existing secret, and by its bare name, which
      // is what Secrets Manager authorizes for a secret that does not exist (an unknown account): without
      // it that request is AccessDenied (a 503, and an account oracle) instead of ResourceNotFound (the 401
      // of a bad signature). The bare name reads nothing: no secret has an ARN without its suffix.
      const resources = definition.secrets.flatMap((pattern) => [secretArn(this, settings.secretPrefix, pattern), secretNameArn(this, settings.secretPrefix, pattern)]);
      this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources }));
      for (const resource of resources.filter((arn) => flattenArn(this, arn).includes('*'))) {
        Validations.of(this.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${flattenArn(this, resource)}]`,
          reason:
            'One function serves every account or application of its channel (the account or appId is in the URL path), so the ' +
            'secret name has a wildcard in that one segment only: the prefix, the channel and (for existing secrets) the 6-character ' +
            'suffix are fixed, so no other channel\'s secret matches; the bare-name form only lets a missing secret answer ' +
            'ResourceNotFound (a secret ARN always has its suffix), and the action is GetSecretValue only.',
        });
      }
    }

    for (const statement of registrationSecretStatements(this, definition, settings)) this.function.addToRolePolicy(statement);
    for (const statement of tableStatements(definition, table)) this.function.addToRolePolicy(statement);
    if (definition.stream) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams has no resource type: IAM matches it against "*" only (AWS documents it among the permissions of a ' +
          'Lambda reading a DynamoDB stream). It lists stream ARNs; the stream reads themselves are granted on this table\'s stream only.',
      });
    }
    // events:PutEvents on its own bus, nothing else of EventBridge.
    if (definition.stream) eventBus!.grantPutEventsTo(this.function);
  }
}

/**
 * A resource ARN as cdk-nag prints it in a finding id (`Fn::Join` flattened, `Ref`/`GetAtt` as
 * `<Name>`/`<Name.Attr>`): the id of an acknowledgement must be exactly that string.
 */
export function flattenArn(scope: Construct, arn: string): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (value.Ref !== undefined) return `<${visit(value.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(arn));
}

/**
 * Reserved concurrency caps a function and keeps that much of the account for it: a burst on one
 * webhook can neither starve the others nor the rest of the account.
 */
function reservedConcurrency(definition: FunctionDefinition, settings: GatewayFunctionSettings): number | undefined {
  // One run at a time: two overlapping runs would rotate the same credentials against each other.
  if (definition.scheduled) return 1;
  if (definition.provider) return settings.webhookReservedConcurrency || undefined;
  if (definition.table === 'read-callbacks') return settings.queryReservedConcurrency || undefined;
  // The authorizer scales with the query API in front of which it sits, under its throttle; the
  // publisher runs one invocation per stream shard at a time.
  return undefined;
}

/** The settings of webhook functions only: the rejected-request log and the channel's source allow-list. */
function webhookEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  const channel = webhookChannel(definition);
  if (channel === undefined) return {};
  const allowList = settings.sourceAllowList[channel];
  return {
    REJECTION_LOG_CAP: String(settings.rejectionLogCap),
    REJECTION_LOG_TTL_HOURS: String(settings.rejectionLogTtlHours),
    // Unset: every source is allowed (the function's default). Only the named channel's own list.
    ...(allowList !== undefined ? { ALLOWED_SOURCE_IPS: allowedSourceIps(channel, allowList) } : {}),
  };
}

/**
 * The re-registration job's secret grants, from the configured accounts only (no account wildcard):
 * none at all when no account is configured or for any other function.
 */
export function registrationSecretStatements(
  scope: Construct,
  definition: FunctionDefinition,
  settings: GatewayFunctionSettings,
): iam.PolicyStatement[] {
  if (definition.table !== 'write-registrations' || settings.registrations.length === 0) return [];
  const accounts = [...new Set(settings.registrations.map((r) => r.account))];
  const channelSecrets = [
    ...new Set(settings.registrations.flatMap((r) => r.services.map((service) => `thingspace/${r.account}/${channelOfService(service)}`))),
  ];
  // Bounded statements: the CDK moves whole statements into overflow managed policies (6,144 characters
  // each) once the role's inline policy is full, so no single statement may outgrow one of them.
  const arns = (names: string[]) => chunks(names.map((name) => secretArn(scope, settings.secretPrefix, name)), SECRETS_PER_STATEMENT);
  return [
    // The account's API credentials, to log in: read only, the job never changes them.
    ...arns(accounts.map((a) => `thingspace/${a}/api`)).map(
      (resources) => new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources }),
    ),
    // The channels of the configured services only: it rotates their credentials and creates a missing secret.
    // A secret that does not exist yet is authorized against its bare name (no random suffix), so
    // the bare-name ARN is granted too: otherwise the first run would meet AccessDenied, not NotFound.
    ...chunks(
      channelSecrets.flatMap((name) => [secretArn(scope, settings.secretPrefix, name), secretNameArn(scope, settings.secretPrefix, name)]),
      SECRETS_PER_STATEMENT,
    ).map(
      (resources) =>
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'],
          resources,
        }),
    ),
  ];
}

/** About 40 × 130 characters of resolved ARN: most of one managed policy (6,144), so few policies are needed. */
const SECRETS_PER_STATEMENT = 40;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The table statements of one access kind. `ForAllValues` holds on an empty key set (a Scan names no
 * partition), so the LeadingKeys-conditioned statements must never list Scan or a batch/PartiQL action.
 */
export function tableStatements(definition: FunctionDefinition, table: dynamodb.ITable): iam.PolicyStatement[] {
  switch (definition.table) {
    case 'write-callbacks':
      return [
        // Exactly what a webhook does: conditional puts of its callback records, shared bodies, receipts and
        // rejection records, and reading a receipt back, in those partitions only (never an API key or the job's
        // status), and never asking for old values back.
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': WEBHOOK_PK_PREFIXES.map((prefix) => `${prefix}*`) },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
          },
        }),
        // Its one read: a receipt (a redelivery's first receive time), never a stored callback.
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECEIPT_PK_PREFIX}*`] } },
        }),
      ];
    case 'read-callbacks':
      return [
        // Callback (and registration status) partitions only: the query API can never read or delete the API keys.
        // The table has no index, so the table itself is the only resource.
        new iam.PolicyStatement({
          actions: ['dynamodb:Query', 'dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CALLBACK_PK_PREFIXES.map((prefix) => `${prefix}*`) } },
        }),
        // DELETE of one event or notification. Never in the job's status partitions: it reads them, and
        // deleting `_login` would reset the login lockout.
        new iam.PolicyStatement({
          actions: ['dynamodb:DeleteItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': DELETABLE_PK_PREFIXES.map((prefix) => `${prefix}*`) },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
          },
        }),
        // Its one write: deleting the event that holds a body other devices share keeps that body first,
        // in a kept-body partition; never a callback record, an API key or a status record.
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEPT_BODY_PK_PREFIX}*`] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
          },
        }),
      ];
    case 'read-apikeys':
      return [
        // One GetItem by key hash in the API key partition: no Query (no listing keys), no callbacks.
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [API_KEY_PK] } },
        }),
      ];
    case 'publish-events':
      if (!table.tableStreamArn) throw new Error(`Function "${definition.id}" reads the table's stream: the table needs one`);
      return [
        // The event source mapping reads this table's one stream (the actions AWS documents for a Lambda
        // stream consumer), on its exact ARN: no other table's stream, no `*`.
        new iam.PolicyStatement({
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [table.tableStreamArn],
        }),
        // ListStreams has no resource type: IAM only ever matches it against `*` (a stream ARN here never
        // matches). It lists stream ARNs and reads nothing.
        new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }),
        // The body a further device's event shares, from the first device's event or a kept body: GetItem
        // in those partitions only (never a notification, a receipt, an API key or a status record).
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': BODY_PK_PREFIXES.map((prefix) => `${prefix}*`) } },
        }),
      ];
    case 'write-registrations':
      return [
        // Exactly what RegistrationStatusStore does (get and put one status record), in `REG#` partitions only:
        // the job can neither read nor overwrite a callback or an API key.
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REGISTRATION_PK_PREFIX}*`] } },
        }),
      ];
  }
}

/** The settings of functions that answer requests or callbacks; the scheduled job and the publisher use none of them. */
function requestEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  if (definition.scheduled || definition.stream) return {};
  return {
    RETENTION_DAYS: String(settings.retentionDays),
    SECRET_CACHE_TTL_SECONDS: String(settings.secretCacheTtlSeconds),
    MAX_BODY_BYTES: String(settings.maxBodyBytes),
  };
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

/** The settings of the query API, of the authorizer and of the re-registration job, each to its own function only. */
function accessEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  switch (definition.table) {
    case 'read-callbacks':
      return { QUERY_MAX_LIMIT: String(settings.queryMaxLimit) };
    case 'read-apikeys':
      return { API_KEY_CACHE_TTL_SECONDS: String(settings.apiKeyCacheTtlSeconds) };
    case 'write-registrations':
      if (!settings.publicBaseUrl) throw new Error(`Function "${definition.id}" needs publicBaseUrl (the stack defaults it to the API's URL)`);
      return {
        REGISTRATIONS: JSON.stringify(settings.registrations),
        THINGSPACE_BASE_URL: settings.thingspaceBaseUrl,
        ...(settings.uwsBaseUrl ? { UWS_BASE_URL: settings.uwsBaseUrl } : {}),
        ...(settings.uwsSoapAction ? { UWS_SOAP_ACTION: settings.uwsSoapAction } : {}),
        PUBLIC_BASE_URL: settings.publicBaseUrl,
        REREGISTER_GRACE_MINUTES: String(settings.reregisterGraceMinutes),
        CREDENTIAL_MAX_AGE_DAYS: String(settings.credentialMaxAgeDays),
        // The header it asks ThingSpace to send with Diagnostics callbacks: the one the webhook checks.
        THINGSPACE_TOKEN_HEADER: settings.tokenHeader,
      };
    default:
      return {};
  }
}

/** The ARN of a secret by its bare name, as Secrets Manager authorizes a request for a secret that does not exist yet. */
export function secretNameArn(scope: Construct, prefix: string, name: string): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${prefix}${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
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
