import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC } from '../shared/metrics';
import type { FunctionDefinition } from '../shared/routes';
import { type GatewayFunction, SERVICE_NAME } from './gateway-function';

/** CloudWatch namespace of the gateway's own metrics (shared/metrics.ts). */
export const METRIC_NAMESPACE = 'IotCallbackGateway';

/**
 * The dimension sets the code emits (Powertools adds `service` to each): the queries below name them
 * exactly, since a CloudWatch metric is found only under its complete dimension set.
 */
export const DIMENSIONS = {
  /** CallbackAccepted, CallbackDuplicate, CallbackLatency, StoreFailure. */
  channel: ['channel', 'service'],
  /** CallbackRejected. */
  rejected: ['channel', 'reason', 'service'],
  /** RegistrationChanges, RegistrationFailures. */
  registration: ['service'],
} as const;

/** The 5xx rate alarm ignores a period with fewer requests than this: two errors in ten calls is no outage. */
export const SERVER_ERROR_MIN_REQUESTS = 20;
/** Percent of requests answered 5xx in five minutes above which the API is failing. */
export const SERVER_ERROR_RATE_PERCENT = 1;

const FIVE_MINUTES = Duration.minutes(5);

export interface GatewayMonitoringProps {
  api: HttpApi;
  functions: readonly { definition: FunctionDefinition; gateway: GatewayFunction }[];
  /** Minutes between two runs of the scheduled job: its failure metric is summed over one run. */
  reregisterRateMinutes: number;
  /** CallbackRejected over five minutes, all channels and reasons, above which the rejection alarm fires. */
  rejectionAlarmThreshold: number;
  /** Where alarm notifications are mailed; empty: alarms without actions (watch them in the console). */
  alarmEmail: string;
}

/**
 * The gateway's alarms (treat missing data as fine: no traffic is no failure), an optional encrypted
 * SNS topic with an email subscription they notify, and one dashboard with the same metrics.
 */
export class GatewayMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /** Present when an alarm email is configured. */
  readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: GatewayMonitoringProps) {
    super(scope, id);
    if (props.alarmEmail) this.topic = alarmTopic(this, props.alarmEmail);
    this.apiAlarms(props);
    this.jobAlarms(props);
    this.functionAlarms(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
      widgets: dashboardRows(props, this.alarms),
    });
  }

  /** The API's 5xx rate and the callbacks refused, all channels and reasons. */
  private apiAlarms({ api, rejectionAlarmThreshold }: GatewayMonitoringProps): void {
    const requests = api.metricCount({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });
    const serverErrors = api.metricServerError({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });
    this.alarm(
      'ApiServerErrorRate',
      `More than ${SERVER_ERROR_RATE_PERCENT} % of API requests answered 5xx in 5 minutes (periods with at least ${SERVER_ERROR_MIN_REQUESTS} requests)`,
      new cloudwatch.MathExpression({
        expression: `IF(requests >= ${SERVER_ERROR_MIN_REQUESTS}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        period: FIVE_MINUTES,
        label: '5xx rate (%)',
      }),
      SERVER_ERROR_RATE_PERCENT,
      ABOVE,
    );

    // A Metrics Insights query sums every (channel, reason) series, present and future; CloudWatch
    // alarms cannot watch a SEARCH expression, even wrapped in SUM().
    this.alarm(
      'CallbackRejections',
      `More than ${rejectionAlarmThreshold} callbacks refused in 5 minutes, all channels and reasons (forged, misconfigured or flooding senders)`,
      new cloudwatch.MathExpression({
        expression: insightsSum(METRIC.rejected, DIMENSIONS.rejected),
        usingMetrics: {},
        period: FIVE_MINUTES,
        label: 'Callbacks rejected',
      }),
      rejectionAlarmThreshold,
      ABOVE,
    );
  }

  /** The job's failed registrations, and every dead-letter queue that holds a message. */
  private jobAlarms({ functions, reregisterRateMinutes }: GatewayMonitoringProps): void {
    const scheduled = functions.filter((f) => f.definition.scheduled);
    const withDeadLetters = functions.filter((f) => f.gateway.deadLetterQueue);
    const jobRate = Duration.minutes(reregisterRateMinutes);
    if (scheduled.length > 0) {
      this.alarm(
        'RegistrationFailures',
        'The re-registration job failed to keep at least one ThingSpace callback registration or credential up to date',
        // One period per scheduled run: each run's count is judged, and the next good run clears it.
        registrationMetric(METRIC.registrationFailures, jobRate),
        1,
        AT_LEAST,
      );
    }
    for (const { definition, gateway } of withDeadLetters) {
      this.alarm(
        `${pascalCase(definition.id)}DeadLetters`,
        definition.table === 'archive-events'
          ? `Stored events ${definition.id} could not archive after its retries: their stream batches are described in its dead-letter queue (the records stay in the table for its retention)`
          : definition.stream
            ? `Stored records ${definition.id} could not publish after its retries: their stream batches are described in its dead-letter queue (publish them again with npm run replay)`
            : `Runs of ${definition.id} failed after their retries (or were never delivered): their events wait in its dead-letter queue`,
        gateway.deadLetterQueue!.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: FIVE_MINUTES }),
        1,
        AT_LEAST,
      );
    }
  }

  /** Every function's crashes, timeouts and throttles. */
  private functionAlarms(functions: GatewayMonitoringProps['functions']): void {
    for (const { definition, gateway } of functions) {
      // Handled refusals are answers, not errors: Errors counts crashes and timeouts only.
      this.alarm(
        `${pascalCase(definition.id)}Errors`,
        `The ${definition.id} function crashed or timed out`,
        gateway.function.metricErrors({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
        1,
        AT_LEAST,
      );
      this.alarm(
        `${pascalCase(definition.id)}Throttles`,
        `The ${definition.id} function was throttled (reserved or account concurrency exhausted): callers got errors`,
        gateway.function.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
        1,
        AT_LEAST,
      );
    }
  }

  private alarm(
    alarmId: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    comparison: cloudwatch.ComparisonOperator,
  ): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: comparison,
      evaluationPeriods: 1,
      // No data means no traffic (or no run): nothing failed.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) {
      created.addAlarmAction(new SnsAction(this.topic));
      // The all-clear too, so a mailbox shows when the problem ended.
      created.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(created);
    return created;
  }
}

const ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
const AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/** The SNS topic alarms notify: TLS only, encrypted with a key CloudWatch may use. */
function alarmTopic(scope: Construct, email: string): sns.Topic {
  // A customer managed key, not alias/aws/sns: the AWS managed key's policy cannot be changed to let
  // CloudWatch use it, so alarms could never publish to a topic encrypted with it.
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'Encrypts the IoT callback gateway alarm notifications',
    // Yearly rotation of the key material (cdk-nag KMS5).
    enableKeyRotation: true,
    // It only protects notifications in flight: nothing to keep once the stack is gone.
    removalPolicy: RemovalPolicy.DESTROY,
    // The shortest wait before deletion: nothing is stored under it.
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    displayName: 'IoT callback gateway alarms',
    masterKey: key,
    // A Deny on every request without TLS (cdk-nag SNS3).
    enforceSSL: true,
  });
  // The topic policy enforceSSL creates replaces SNS's default one: let this account's alarms publish.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowThisAccountsAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': Stack.of(scope).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        },
      },
    }),
  );
  topic.addSubscription(new EmailSubscription(email));
  return topic;
}

/** `SELECT SUM(name) FROM SCHEMA("ns", dims...)`: one series summed over every value of the dimensions. */
export function insightsSum(metricName: string, dimensions: readonly string[]): string {
  return `SELECT SUM(${metricName}) FROM SCHEMA("${METRIC_NAMESPACE}", ${dimensions.join(', ')}) WHERE service = '${SERVICE_NAME}'`;
}

/** A SEARCH over the exact dimension set (`{namespace,dims}`): one series per channel (and reason). */
export function search(metricName: string, dimensions: readonly string[], statistic: string, period = FIVE_MINUTES): string {
  return `SEARCH('{${METRIC_NAMESPACE},${dimensions.join(',')}} MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`;
}

/** A dynamic label: each series of a SEARCH named by its own dimension values. */
const byChannel = "${PROP('Dim.channel')}";
const byChannelAndReason = "${PROP('Dim.channel')} ${PROP('Dim.reason')}";

/** A registration metric: the job emits it with the `service` dimension only. */
function registrationMetric(metricName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

function searchGraph(title: string, expressions: Record<string, string>, props: Partial<cloudwatch.GraphWidgetProps> = {}) {
  return new cloudwatch.GraphWidget({
    title,
    width: 8,
    left: Object.entries(expressions).map(
      ([label, expression]) => new cloudwatch.MathExpression({ expression, label, usingMetrics: {}, period: FIVE_MINUTES }),
    ),
    ...props,
  });
}

function dashboardRows(props: GatewayMonitoringProps, alarms: cloudwatch.Alarm[]): cloudwatch.IWidget[][] {
  const { api, functions } = props;
  const perFunction = (title: string, metric: (f: GatewayFunction) => cloudwatch.Metric) =>
    new cloudwatch.GraphWidget({
      title,
      width: 8,
      left: functions.map(({ definition, gateway }) => metric(gateway).with({ label: definition.id, period: FIVE_MINUTES })),
    });
  const sum = { statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES };
  const jobRate = Duration.minutes(props.reregisterRateMinutes);
  const withDeadLetters = functions.filter((f) => f.gateway.deadLetterQueue);
  return [
    [
      searchGraph('Callbacks accepted by channel', { [byChannel]: search(METRIC.accepted, DIMENSIONS.channel, 'Sum') }),
      searchGraph('Duplicate callbacks by channel', { [byChannel]: search(METRIC.duplicate, DIMENSIONS.channel, 'Sum') }),
      searchGraph('Callbacks rejected by channel and reason', { [byChannelAndReason]: search(METRIC.rejected, DIMENSIONS.rejected, 'Sum') }),
    ],
    [
      searchGraph('Callback latency p50 / p99 (ms)', {
        [`p50 ${byChannel}`]: search(METRIC.latency, DIMENSIONS.channel, 'p50'),
        [`p99 ${byChannel}`]: search(METRIC.latency, DIMENSIONS.channel, 'p99'),
      }),
      searchGraph('Store failures by channel', { [byChannel]: search(METRIC.storeFailure, DIMENSIONS.channel, 'Sum') }),
      new cloudwatch.GraphWidget({
        title: 'API requests, 4xx and 5xx',
        width: 8,
        left: [api.metricCount({ ...sum, label: 'requests' })],
        right: [api.metricClientError({ ...sum, label: '4xx' }), api.metricServerError({ ...sum, label: '5xx' })],
      }),
    ],
    [
      perFunction('Lambda duration p99 (ms)', (f) => f.function.metricDuration({ statistic: 'p99' })),
      perFunction('Lambda errors', (f) => f.function.metricErrors(sum)),
      perFunction('Lambda throttles', (f) => f.function.metricThrottles(sum)),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Registration changes / failures (per run)',
        width: 8,
        left: [
          registrationMetric(METRIC.registrationChanges, jobRate).with({ label: 'changes' }),
          registrationMetric(METRIC.registrationFailures, jobRate).with({ label: 'failures' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        width: 8,
        left: withDeadLetters.map(({ definition, gateway }) =>
          gateway.deadLetterQueue!.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: definition.id,
          }),
        ),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 8, height: 6, alarms }),
    ],
  ];
}

/** `thingspace-device-location` -> `ThingspaceDeviceLocation`: a construct id from a function id. */
function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
