import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SERVICE_NAME } from '../../infra/gateway-function';
import { DIMENSIONS, METRIC_NAMESPACE, SERVER_ERROR_MIN_REQUESTS } from '../../infra/monitoring';
import { settingsFromContext } from '../../infra/context';
import { IotCallbackGatewayStack } from '../../infra/stack';
import { emit, METRIC } from '../../shared/metrics';
import { ARCHIVER_ID, FUNCTIONS, PUBLISHER_ID, REREGISTER_ID } from '../../shared/routes';
import { buildStack, logicalIdOf, queueIdOf, type Json } from './support';

const idOf = (stack: IotCallbackGatewayStack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

/** The alarms by the construct id the monitoring construct gave them. */
function alarmsOf(stack: IotCallbackGatewayStack, template: Template): Record<string, Json> {
  const resources = template.toJSON().Resources;
  return Object.fromEntries(stack.monitoring.alarms.map((alarm) => [alarm.node.id, resources[idOf(stack, alarm)].Properties]));
}

/** The dashboard body as JSON, references shown as `${LogicalId}`. */
function dashboardOf(template: Template): Json {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part: Json) => (typeof part === 'string' ? part : `\${${part.Ref ?? part['Fn::GetAtt']?.join('.')}}`)).join('');
  return JSON.parse(text);
}

/** The EMF lines `emit` writes (Powertools prints them to stdout at once for a single metric). */
function emitted(run: () => void): Json[] {
  const lines: Json[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const disabled = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (!text.includes('"_aws"')) return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    for (const line of text.split('\n').filter((l) => l.includes('"_aws"'))) lines.push(JSON.parse(line));
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = write;
    if (disabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = disabled;
  }
  return lines;
}

describe('the metric dimension sets the stack queries are the ones the code emits', () => {
  const cases: [string, string, Record<string, string>, readonly string[]][] = [
    ['accepted', METRIC.accepted, { channel: 'location' }, DIMENSIONS.channel],
    ['rejected', METRIC.rejected, { channel: 'soap', reason: 'UNAUTHORIZED' }, DIMENSIONS.rejected],
    ['registration failures', METRIC.registrationFailures, {}, DIMENSIONS.registration],
  ];
  test.each(cases)('%s', (_, name, dimensions, queried) => {
    const [line, ...more] = emitted(() => emit(name, dimensions));
    expect(more).toEqual([]);
    const [definition] = line._aws.CloudWatchMetrics;
    expect(definition.Namespace).toBe(METRIC_NAMESPACE);
    expect(definition.Metrics.map((m: Json) => m.Name)).toEqual([name]);
    expect(definition.Dimensions.map((set: string[]) => [...set].sort())).toEqual([[...queried].sort()]);
    expect(line.service).toBe(SERVICE_NAME);
  });
});

describe('alarms', () => {
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const alarms = alarmsOf(stack, template);

  test('one per concern: API 5xx rate, rejections, registration failures, the dead-letter queues, errors and throttles per function', () => {
    const perFunction = FUNCTIONS.flatMap((f) => {
      const id = f.id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
      return [`${id}Errors`, `${id}Throttles`];
    });
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'ApiServerErrorRate',
        'CallbackRejections',
        'RegistrationFailures',
        'ReregisterDeadLetters',
        'PublisherDeadLetters',
        'ArchiverDeadLetters',
        ...perFunction,
      ].sort(),
    );
    template.resourceCountIs('AWS::CloudWatch::Alarm', Object.keys(alarms).length);
    for (const [id, alarm] of Object.entries(alarms)) {
      expect({ id, missing: alarm.TreatMissingData, periods: alarm.EvaluationPeriods }).toEqual({ id, missing: 'notBreaching', periods: 1 });
      expect(alarm.AlarmDescription).toEqual(expect.any(String));
    }
  });

  test('API 5xx rate: 5xx / Count over 5 minutes above 1 %, ignoring periods with too few requests', () => {
    const alarm = alarms.ApiServerErrorRate;
    const apiId = idOf(stack, stack.api);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' });
    const [expression, ...metrics] = alarm.Metrics;
    expect(expression).toMatchObject({ Expression: `IF(requests >= ${SERVER_ERROR_MIN_REQUESTS}, 100 * errors / requests, 0)`, ReturnData: true });
    const stat = (name: string) => ({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: name, Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
      Period: 300,
      Stat: 'Sum',
    });
    expect(metrics).toEqual(
      expect.arrayContaining([
        { Id: 'requests', MetricStat: stat('Count'), ReturnData: false },
        { Id: 'errors', MetricStat: stat('5xx'), ReturnData: false },
      ]),
    );
    expect(SERVER_ERROR_MIN_REQUESTS).toBeGreaterThan(1);
  });

  test('rejections: CallbackRejected summed over every channel and reason (Metrics Insights), above 100 in 5 minutes', () => {
    const alarm = alarms.CallbackRejections;
    expect(alarm).toMatchObject({ Threshold: 100, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm.Metrics).toHaveLength(1);
    const [query] = alarm.Metrics;
    expect(query).toMatchObject({ Period: 300, ReturnData: true });
    // A query (not SEARCH, which alarms refuse) over the exact dimension set CallbackRejected is emitted with.
    expect(query.Expression).toBe(
      `SELECT SUM(CallbackRejected) FROM SCHEMA("IotCallbackGateway", ${DIMENSIONS.rejected.join(', ')}) WHERE service = 'iot-callback-gateway'`,
    );
    expect(query.Expression).not.toMatch(/SEARCH/);
  });

  test("registration failures: any failure in one run (the period is the schedule's rate)", () => {
    expect(alarms.RegistrationFailures).toMatchObject({
      Namespace: 'IotCallbackGateway',
      MetricName: 'RegistrationFailures',
      Dimensions: [{ Name: 'service', Value: 'iot-callback-gateway' }],
      Statistic: 'Sum',
      Period: 3_600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const every90 = Template.fromStack(buildStack({ reregisterRateMinutes: 90 }));
    every90.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RegistrationFailures', Period: 5_400 });
  });

  test.each([
    ['ReregisterDeadLetters', REREGISTER_ID],
    ['PublisherDeadLetters', PUBLISHER_ID],
  ])('dead-letter queue (%s): one message waiting is enough', (alarmId, fnId) => {
    expect(alarms[alarmId]).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueIdOf(stack, fnId), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test.each(FUNCTIONS.map((f) => [f.id]))('%s: an errors and a throttles alarm on its own function', (fnId) => {
    const id = fnId.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarms[`${id}${metric}`]).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, fnId) } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  test('without alarmEmail: no topic, no key, alarms without actions', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    for (const alarm of Object.values(alarms)) expect([alarm.AlarmActions, alarm.OKActions]).toEqual([undefined, undefined]);
    expect(Object.keys(template.findOutputs('AlarmTopicArn'))).toEqual([]);
  });

  test('the rejection threshold comes from context', () => {
    const configured = buildStack(settingsFromContext(new App({ context: { rejectionAlarmThreshold: '7' } }).node));
    expect(alarmsOf(configured, Template.fromStack(configured)).CallbackRejections.Threshold).toBe(7);
  });
});

describe('alarms with alarmEmail', () => {
  const stack = buildStack(settingsFromContext(new App({ context: { alarmEmail: 'ops@example.com' } }).node));
  const template = Template.fromStack(stack);
  const topicId = idOf(stack, stack.monitoring.topic!);
  const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));

  test('every alarm notifies the topic when it fires and when it clears', () => {
    for (const [id, alarm] of Object.entries(alarmsOf(stack, template))) {
      expect({ id, alarm: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({ id, alarm: [{ Ref: topicId }], ok: [{ Ref: topicId }] });
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  test('the topic is encrypted with a rotated key CloudWatch may use, and refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const key = template.toJSON().Resources[keyId!].Properties;
    expect(key.EnableKeyRotation).toBe(true);
    // Not the AWS managed alias/aws/sns: CloudWatch could not use it, and alarms would never be delivered.
    expect(JSON.stringify(template.findResources('AWS::SNS::Topic'))).not.toContain('alias/aws/sns');
    expect(key.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy')).map((p) => p.Properties.PolicyDocument.Statement);
    expect(policy).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allow = policy.find((s: Json) => s.Effect === 'Allow');
    expect(allow).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: topicId } });
    expect(JSON.stringify(allow.Condition)).toContain(':alarm:*');
  });

  test('an invalid alarmEmail is refused', () => {
    expect(() => settingsFromContext(new App({ context: { alarmEmail: 'not-an-address' } }).node)).toThrow(/alarmEmail/);
  });
});

describe('dashboard', () => {
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const body = dashboardOf(template);
  const widgets: Json[] = body.widgets;
  const byTitle = (title: string) => {
    const found = widgets.filter((w) => w.properties.title === title);
    expect({ title, found: found.length }).toEqual({ title, found: 1 });
    return found[0].properties;
  };
  const expressions = (title: string): string[] =>
    byTitle(title)
      .metrics.flat()
      .filter((m: Json) => m?.expression)
      .map((m: Json) => m.expression);

  test('one dashboard, named in the outputs', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasOutput('DashboardName', { Value: { Ref: idOf(stack, stack.monitoring.dashboard) } });
  });

  test('callbacks accepted, duplicate and rejected by channel: SEARCH over the emitted dimension sets', () => {
    expect(expressions('Callbacks accepted by channel')).toEqual([`SEARCH('{IotCallbackGateway,channel,service} MetricName="CallbackAccepted"', 'Sum', 300)`]);
    expect(expressions('Duplicate callbacks by channel')).toEqual([
      `SEARCH('{IotCallbackGateway,channel,service} MetricName="CallbackDuplicate"', 'Sum', 300)`,
    ]);
    expect(expressions('Callbacks rejected by channel and reason')).toEqual([
      `SEARCH('{IotCallbackGateway,channel,reason,service} MetricName="CallbackRejected"', 'Sum', 300)`,
    ]);
  });

  test('latency p50 and p99, store failures', () => {
    expect(expressions('Callback latency p50 / p99 (ms)')).toEqual([
      `SEARCH('{IotCallbackGateway,channel,service} MetricName="CallbackLatency"', 'p50', 300)`,
      `SEARCH('{IotCallbackGateway,channel,service} MetricName="CallbackLatency"', 'p99', 300)`,
    ]);
    expect(expressions('Store failures by channel')).toEqual([`SEARCH('{IotCallbackGateway,channel,service} MetricName="StoreFailure"', 'Sum', 300)`]);
  });

  test('API requests, 4xx and 5xx', () => {
    const apiId = idOf(stack, stack.api);
    const names = byTitle('API requests, 4xx and 5xx').metrics.map((m: Json[]) => m.slice(0, 4));
    expect(names).toEqual(['Count', '4xx', '5xx'].map((name) => ['AWS/ApiGateway', name, 'ApiId', `\${${apiId}}`]));
  });

  test('Lambda duration, errors and throttles of every function', () => {
    for (const [title, metric] of [
      ['Lambda duration p99 (ms)', 'Duration'],
      ['Lambda errors', 'Errors'],
      ['Lambda throttles', 'Throttles'],
    ] as const) {
      const lines = byTitle(title).metrics as Json[][];
      expect(lines.map((m) => m.slice(0, 2))).toEqual(FUNCTIONS.map(() => ['AWS/Lambda', metric]));
      expect(lines.map((m) => m[3])).toEqual(FUNCTIONS.map((f) => `\${${logicalIdOf(stack, f.id)}}`));
    }
  });

  test("registration changes and failures, dead-letter queue depth, and every alarm's state", () => {
    const registrations = byTitle('Registration changes / failures (per run)').metrics as Json[][];
    expect(registrations.map((m) => m.slice(0, 4))).toEqual([
      ['IotCallbackGateway', 'RegistrationChanges', 'service', 'iot-callback-gateway'],
      ['IotCallbackGateway', 'RegistrationFailures', 'service', 'iot-callback-gateway'],
    ]);
    expect(registrations.every((m) => m[4].period === 3_600 && m[4].stat === 'Sum')).toBe(true);
    const depth = byTitle('Dead-letter queue depth').metrics as Json[][];
    expect(depth.map((m) => m.slice(0, 2))).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
    ]);
    expect(depth.map((m) => m[3])).toEqual([REREGISTER_ID, PUBLISHER_ID, ARCHIVER_ID].map((id) => `\${${queueIdOf(stack, id)}.QueueName}`));
    expect(byTitle('Alarms').alarms).toHaveLength(stack.monitoring.alarms.length);
  });
});
