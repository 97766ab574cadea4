import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, type HttpRoute, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, Node } from 'constructs';
import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SECRET_CACHE_TTL_SECONDS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOKEN_HEADER,
} from '../shared/config';
import { PUBLISHED_PK_PREFIXES } from '../shared/events/contract';
import { DEFAULT_THINGSPACE_BASE_URL, registrationsSchema, type RegistrationsConfig } from '../shared/reregister/config';
import { AUTHORIZER_ID, FUNCTIONS, type FunctionDefinition } from '../shared/routes';
import { TABLE } from '../shared/store/table';
import { allowedSourceIps, GatewayFunction, type GatewayFunctionSettings, webhookChannel } from './gateway-function';
import { GatewayMonitoring } from './monitoring';

/** API Gateway throttling of one route: steady requests per second and the bucket of a burst. */
export interface RouteThrottle {
  rate: number;
  burst: number;
}

/** The deployment settings: what the functions receive, plus the API's limits, the schedule and the alarms. */
export interface GatewaySettings extends GatewayFunctionSettings {
  /** Minutes between two runs of the re-registration job. */
  reregisterRateMinutes: number;
  /** Throttling of each webhook route (each route has its own bucket). */
  webhookThrottle: RouteThrottle;
  /** Throttling of each query API route. */
  queryThrottle: RouteThrottle;
  /** Where alarm notifications are mailed; empty: no topic, alarms without actions. */
  alarmEmail: string;
  /** Rejected callbacks in 5 minutes (all channels and reasons) above which the rejection alarm fires. */
  rejectionAlarmThreshold: number;
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
  uwsBaseUrl: '',
  uwsSoapAction: '',
  publicBaseUrl: '',
  reregisterRateMinutes: 60,
  reregisterGraceMinutes: 60,
  credentialMaxAgeDays: 30,
  webhookReservedConcurrency: 50,
  queryReservedConcurrency: 20,
  sourceAllowList: {},
  rejectionLogCap: 500,
  rejectionLogTtlHours: 24,
  webhookThrottle: { rate: 200, burst: 400 },
  queryThrottle: { rate: 50, burst: 100 },
  alarmEmail: '',
  rejectionAlarmThreshold: 100,
};

/**
 * The gateway: one table, one HTTP API, one function per entry of the function table with one API
 * route per route of it, and one API key authorizer in front of the routes of authorized functions.
 * With a stream function (the event publisher), the table's stream and the event bus it publishes
 * every stored event and notification to.
 */
export class IotCallbackGatewayStack extends Stack {
  readonly table: dynamodb.Table;
  readonly api: HttpApi;
  /** Present when some function runs on the table's stream: where stored events and notifications are published. */
  readonly eventBus?: events.EventBus;
  readonly functions: Record<string, GatewayFunction> = {};
  /** Present when some function's routes are authorized. */
  readonly authorizer?: HttpLambdaAuthorizer;
  /** The `$default` stage: access logs and per-route throttling. */
  readonly stage: HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly monitoring: GatewayMonitoring;

  constructor(scope: Construct, id: string, props: IotCallbackGatewayStackProps) {
    super(scope, id, props);
    const {
      functions = FUNCTIONS,
      reregisterRateMinutes,
      webhookThrottle,
      queryThrottle,
      alarmEmail,
      rejectionAlarmThreshold,
      ...configured
    } = props;

    // An allow-list for a channel no function serves is a typo that would silently protect nothing.
    const channels = functions.map(webhookChannel).filter((c): c is string => c !== undefined);
    for (const [channel, entries] of Object.entries(configured.sourceAllowList)) {
      if (!channels.includes(channel)) throw new Error(`Context sourceAllowList names "${channel}", not one of the webhook channels: ${channels.join(', ')}`);
      allowedSourceIps(channel, entries);
    }

    // `CallbackRecords`, not the first layout's `Callbacks`: the lean layout (shared/store/table.ts) is a new table.
    // It has no secondary index at all, local or global: every index entry would be written again on every
    // callback, and a local index would cap each device at 10 GB. Every query reads the table's own keys.
    this.table = new dynamodb.Table(this, 'CallbackRecords', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The table holds the callbacks providers will not send again: never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // New items only, for the publisher: a stream costs no write units, and a record is in it only
      // once it is durable (and only when it was written: a duplicate's refused put writes nothing).
      ...(functions.some((definition) => definition.stream) ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
    });
    if (this.table.tableStreamArn) {
      // Consumers add their own rules to it (README "Events out"); the gateway adds none.
      this.eventBus = new events.EventBus(this, 'Events', { description: 'Every event and notification the IoT callback gateway stores, once each' });
    }

    // The default stage is made below, with the settings HttpApi's own one cannot take.
    this.api = new HttpApi(this, 'Api', { createDefaultStage: false });
    // Access logs (cdk-nag APIG1): who called which route, the answer and why it failed, kept as long as the function logs.
    this.accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: configured.logRetentionDays });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });
    // Unless a custom domain is configured, ThingSpace is told to call the API's own endpoint ($default stage: no path prefix).
    // SENSORO signs the URL it calls: the API's own endpoint unless a custom domain fronts it (never a client's Host header).
    const settings = {
      ...configured,
      publicBaseUrl: configured.publicBaseUrl || this.api.apiEndpoint,
      sensoroPublicBaseUrl: configured.sensoroPublicBaseUrl || this.api.apiEndpoint,
    };

    for (const definition of functions) {
      this.functions[definition.id] = new GatewayFunction(this, definition.id, {
        definition,
        table: this.table,
        settings,
        eventBus: this.eventBus,
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

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const definition of functions) {
      if (definition.routes.length === 0) continue;
      // One integration per function, shared by its routes (each route still gets its own invoke permission).
      const integration = new HttpLambdaIntegration(
        `${definition.id}-integration`,
        this.functions[definition.id].function,
      );
      // Webhooks take provider bursts (retries after an outage); the query API serves a few clients.
      const throttle = definition.provider ? webhookThrottle : queryThrottle;
      for (const route of definition.routes) {
        const [httpRoute] = this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: definition.authorized ? this.authorizer : undefined,
        });
        routeSettings[`${route.method} ${route.path}`] = { ThrottlingRateLimit: throttle.rate, ThrottlingBurstLimit: throttle.burst };
        // A stage's route settings name existing routes: create the routes first.
        this.stage.node.addDependency(httpRoute);
        // Only provider callbacks may go without the authorizer: any other open route stays a finding.
        if (definition.provider && !definition.authorized) acknowledgeUnauthorizedRoute(httpRoute, definition);
      }
    }
    // Per route, so a flood on one channel cannot use up the others' share of the account's API Gateway limit.
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;

    this.monitoring = new GatewayMonitoring(this, 'Monitoring', {
      api: this.api,
      functions: functions.map((definition) => ({ definition, gateway: this.functions[definition.id] })),
      reregisterRateMinutes,
      rejectionAlarmThreshold,
      alarmEmail,
    });

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

    for (const definition of functions) {
      if (!definition.stream) continue;
      const publisher = this.functions[definition.id];
      new lambda.EventSourceMapping(this, `${definition.id}-stream`, {
        target: publisher.function,
        eventSourceArn: this.table.tableStreamArn!,
        // On creation, from the oldest record the stream still holds: nothing stored since the stream began is skipped.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // Only the records that are published reach the function (and are billed): new events and notifications.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { [TABLE.partitionKey]: { S: PUBLISHED_PK_PREFIXES.flatMap((prefix) => lambda.FilterRule.beginsWith(prefix)) } } },
          }),
        ],
        batchSize: 100,
        // Up to a second more latency for far fewer invocations when devices report in bursts.
        maxBatchingWindow: Duration.seconds(1),
        // The function names the records it could not publish; the batch is split around a failure and
        // retried, then described in the dead-letter queue (the records stay in the table: npm run replay).
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        // The stream keeps a record 24 hours: past that it is gone from the stream anyway.
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(publisher.deadLetterQueue!),
      });
      new CfnOutput(this, `${pascalCase(definition.id)}DeadLetterQueueUrl`, { value: publisher.deadLetterQueue!.queueUrl });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (this.eventBus) {
      new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
      new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    }
    new CfnOutput(this, 'ApiAccessLogGroup', { value: this.accessLogs.logGroupName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.monitoring.topic) new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}

/**
 * One JSON line per request: the route (not the path, which carries device ids), the answer, and
 * why the gateway or the integration failed. No header or body: signatures and credentials stay out.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    sourceIp: '$context.identity.sourceIp',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integration.error',
    authorizerError: '$context.authorizer.error',
    errorMessage: '$context.error.message',
  }),
);

/** cdk-nag APIG4, acknowledged on each provider callback route (and only there). */
function acknowledgeUnauthorizedRoute(route: HttpRoute, definition: FunctionDefinition): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      `A ${definition.provider} callback route: the provider cannot send an API key or SigV4, so API Gateway cannot authorize it. ` +
      'The function authenticates every request before storing anything (HMAC signature or the registered credentials, checked ' +
      'in constant time against the channel\'s secret; optionally a source address allow-list), and the route is throttled.',
  });
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
    // Accounts on the legacy SOAP platform: where UWS is and the SOAPAction it wants (neither is published).
    uwsBaseUrl: baseUrl('uwsBaseUrl', stringContext(get('uwsBaseUrl'), ''), true),
    uwsSoapAction: stringContext(get('uwsSoapAction'), ''),
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
    // Lambda refuses a reservation that leaves the account fewer than 100 unreserved executions: on an
    // account with a low concurrency quota, set these to 0.
    webhookReservedConcurrency: intContext(
      'webhookReservedConcurrency',
      get('webhookReservedConcurrency'),
      DEFAULT_SETTINGS.webhookReservedConcurrency,
      0,
      1_000,
    ),
    queryReservedConcurrency: intContext(
      'queryReservedConcurrency',
      get('queryReservedConcurrency'),
      DEFAULT_SETTINGS.queryReservedConcurrency,
      0,
      1_000,
    ),
    sourceAllowList: sourceAllowListContext(get('sourceAllowList')),
    // The limits the functions' own configuration (shared/wiring/webhook.ts) accepts.
    rejectionLogCap: intContext('rejectionLogCap', get('rejectionLogCap'), DEFAULT_SETTINGS.rejectionLogCap, 1, 100_000),
    rejectionLogTtlHours: intContext('rejectionLogTtlHours', get('rejectionLogTtlHours'), DEFAULT_SETTINGS.rejectionLogTtlHours, 1, 720),
    webhookThrottle: throttleContext('webhookThrottle', get('webhookThrottle'), DEFAULT_SETTINGS.webhookThrottle),
    queryThrottle: throttleContext('queryThrottle', get('queryThrottle'), DEFAULT_SETTINGS.queryThrottle),
    alarmEmail: emailContext(stringContext(get('alarmEmail'), '')),
    rejectionAlarmThreshold: intContext(
      'rejectionAlarmThreshold',
      get('rejectionAlarmThreshold'),
      DEFAULT_SETTINGS.rejectionAlarmThreshold,
      1,
      1_000_000,
    ),
  };
}

/** A context value that is a JSON object in cdk.json, or the same object as a JSON string from `-c`. */
function jsonObjectContext(key: string, value: unknown, example: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`Context ${key} is not JSON: ${example}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Context ${key} must be a JSON object: ${example}`);
  return parsed as Record<string, unknown>;
}

/** API Gateway's default account quotas (per region): 10,000 requests per second, bursts of 5,000. */
const MAX_THROTTLE = { rate: 10_000, burst: 5_000 };

/** `{"rate": 200, "burst": 400}`: requests per second (may be fractional) and the burst bucket. */
function throttleContext(key: string, value: unknown, fallback: RouteThrottle): RouteThrottle {
  const example = '{"rate":200,"burst":400}';
  const parsed = jsonObjectContext(key, value, example);
  if (parsed === undefined) return fallback;
  const { rate, burst, ...rest } = parsed;
  const validRate = typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && rate <= MAX_THROTTLE.rate;
  const validBurst = typeof burst === 'number' && Number.isInteger(burst) && burst >= 1 && burst <= MAX_THROTTLE.burst;
  if (!validRate || !validBurst || Object.keys(rest).length > 0) {
    throw new Error(
      `Context ${key} must be ${example} with 0 < rate <= ${MAX_THROTTLE.rate} and burst an integer in [1, ${MAX_THROTTLE.burst}], got ${JSON.stringify(parsed)}`,
    );
  }
  return { rate: rate as number, burst: burst as number };
}

/**
 * `sourceAllowList`: per webhook channel (diagnostics, location, device-location, connectivity, soap,
 * sensoro) the addresses or CIDR ranges allowed to call it; each list goes to that channel's function
 * only, as ALLOWED_SOURCE_IPS. No default: a channel left out accepts every source. ThingSpace's
 * published source addresses (PROVIDERS.md §1.3; check them with Verizon before relying on them):
 *
 *   {"connectivity": ["3.87.163.45", "3.91.119.203", "54.197.62.209", "35.165.205.14",
 *                     "54.200.43.232", "34.216.81.234", "137.117.33.109", "168.62.173.153"],
 *    "soap":         [the same eight],
 *    "device-location": ["68.128.212.217"]}
 */
function sourceAllowListContext(value: unknown): Record<string, string[]> {
  const example = '{"connectivity":["3.87.163.45","54.200.0.0/16"],...}';
  const parsed = jsonObjectContext('sourceAllowList', value, example);
  if (parsed === undefined) return {};
  const channels = FUNCTIONS.map(webhookChannel).filter((c): c is string => c !== undefined);
  const out: Record<string, string[]> = {};
  for (const [channel, entries] of Object.entries(parsed)) {
    if (!channels.includes(channel)) throw new Error(`Context sourceAllowList names "${channel}", not one of the webhook channels: ${channels.join(', ')}`);
    if (!Array.isArray(entries)) throw new Error(`Context sourceAllowList.${channel} must be an array of addresses or CIDR ranges: ${example}`);
    // The same check the function runs on its ALLOWED_SOURCE_IPS: refused here, not on the first request.
    out[channel] = allowedSourceIps(channel, entries as string[]).split(',');
  }
  return out;
}

/** An address SNS can mail, or empty for none. */
function emailContext(value: string): string {
  if (value !== '' && !/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(value)) throw new Error(`Context alarmEmail "${value}" is not an email address`);
  return value;
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
