import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONSOLE_ID, type FunctionDefinition } from '../shared/routes';
import { accessEnvironment, providerEnvironment, requestEnvironment, reservedConcurrency, webhookEnvironment } from './function-environment';
import { archiveStatements, grantChannelSecrets, registrationSecretStatements, tableStatements } from './grants';
import type { GatewayFunctionSettings } from './settings';

/** Repository root: function entries and the lock file are relative to it. */
const REPO_ROOT = path.resolve(__dirname, '..');

/** POWERTOOLS_SERVICE_NAME of every function: Powertools adds it as the `service` dimension of every metric. */
export const SERVICE_NAME = 'iot-callback-gateway';

export interface GatewayFunctionProps {
  definition: FunctionDefinition;
  table: dynamodb.ITable;
  settings: GatewayFunctionSettings;
  /** The bus the publisher publishes to (required for it, unused by the others). */
  eventBus?: events.IEventBus;
  /** The bucket the archiver writes to (required for it, unused by the others). */
  archiveBucket?: s3.IBucket;
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

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    const { definition, settings, archiveBucket, eventBus } = props;
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

    if (definition.table === 'publish-events' && !eventBus) throw new Error(`Function "${definition.id}" publishes events and needs the event bus`);
    if (definition.table === 'archive-events' && !archiveBucket) throw new Error(`Function "${definition.id}" archives events and needs the archive bucket`);
    this.deadLetterQueue = deadLetterQueueOf(this, definition);
    this.function = new NodejsFunction(this, 'Function', functionProps(props, this.role, this.logGroup, this.deadLetterQueue));
    this.grant(props);
  }

  /** The function's IAM: its own secrets, the job's account secrets, its table access, and its bus. */
  private grant({ definition, table, settings, eventBus, archiveBucket }: GatewayFunctionProps): void {
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The runtime is pinned to nodejs22.x on purpose: the bundle targets node22 and the toolchain was verified on it; ' +
        'Node 22 is a supported Lambda runtime (LTS until April 2027). Moving to a newer runtime is a tested upgrade, not a synth-time drift.',
    });

    grantChannelSecrets(this, this.function, this.role, definition, settings);
    for (const statement of registrationSecretStatements(this, definition, settings)) this.function.addToRolePolicy(statement);
    for (const statement of tableStatements(definition, table)) this.function.addToRolePolicy(statement);
    if (definition.stream) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams has no resource type: IAM matches it against "*" only (AWS documents it among the permissions of a ' +
          "Lambda reading a DynamoDB stream). It lists stream ARNs; the stream reads themselves are granted on this table's stream only.",
      });
    }
    // events:PutEvents on its own bus, nothing else of EventBridge.
    if (definition.table === 'publish-events') eventBus!.grantPutEventsTo(this.function);
    if (definition.table === 'archive-events')
      for (const statement of archiveStatements(this, this.role, archiveBucket!)) this.function.addToRolePolicy(statement);
  }
}

/**
 * The console function serves a page that esbuild builds (shared/console/build.ts): built on the
 * synth machine right after the function's bundle, into the same asset, so the Lambda only reads it.
 */
export const CONSOLE_PAGE_HOOKS = {
  beforeBundling: (): string[] => [],
  beforeInstall: (): string[] => [],
  afterBundling: (_inputDir: string, outputDir: string): string[] => [
    `cd "${REPO_ROOT}" && "${process.execPath}" --import tsx shared/console/cli.ts "${outputDir}"`,
  ],
};

/** Scheduled and stream functions: a dead-letter queue `DeadLetters` for what still fails after the retries. */
function deadLetterQueueOf(scope: Construct, definition: FunctionDefinition): sqs.Queue | undefined {
  if (!definition.scheduled && !definition.stream) return undefined;
  const queue = new sqs.Queue(scope, 'DeadLetters', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // The longest SQS keeps a message: time to notice a failed run and look at its event.
    retentionPeriod: Duration.days(14),
  });
  if (definition.stream) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is a dead-letter queue: the on-failure destination of a stream function's event source mapping, which " +
        'cdk-nag does not recognise (it looks for redrive policies and function DeadLetterConfig only). It receives the description ' +
        'of stream batches that failed after their retries; a queue behind it would add nothing.',
    });
  }
  return queue;
}

/** The Lambda of a definition: runtime, limits, bundling and environment (only its own settings). */
function functionProps(
  { definition, table, settings, eventBus, archiveBucket }: GatewayFunctionProps,
  role: iam.IRole,
  logGroup: logs.ILogGroup,
  deadLetterQueue: sqs.IQueue | undefined,
): NodejsFunctionProps {
  return {
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
    // The publisher neither: a minute covers a batch's PutEvents calls with their resends. The
    // archiver's batches are up to 10,000 records (a few shared-body reads, a few PUTs): 5 minutes.
    timeout:
      definition.scheduled || definition.table === 'archive-events' ? Duration.minutes(5) : definition.stream ? Duration.minutes(1) : Duration.seconds(10),
    // A cap and a guarantee per function, so a burst on one channel cannot exhaust the account (see the helper).
    reservedConcurrentExecutions: reservedConcurrency(definition, settings),
    // The narrow role above, instead of the CDK's default one with the AWS managed execution policy.
    role,
    // Scheduled runs are async invocations: two retries of a crash, then the dead-letter queue.
    ...(definition.scheduled ? { retryAttempts: 2, deadLetterQueue } : {}),
    logGroup,
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
      ...(definition.id === CONSOLE_ID ? { commandHooks: CONSOLE_PAGE_HOOKS } : {}),
    },
    environment: {
      TABLE_NAME: table.tableName,
      SECRET_PREFIX: settings.secretPrefix,
      ...requestEnvironment(definition, settings),
      ...providerEnvironment(definition, settings),
      ...accessEnvironment(definition, settings),
      ...webhookEnvironment(definition, settings),
      ...(definition.table === 'publish-events' ? { EVENT_BUS_NAME: eventBus!.eventBusName } : {}),
      ...(definition.table === 'archive-events' ? { ARCHIVE_BUCKET: archiveBucket!.bucketName } : {}),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    },
  };
}
