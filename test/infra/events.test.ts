import { Template } from 'aws-cdk-lib/assertions';
import type { CfnEventBus } from 'aws-cdk-lib/aws-events';
import type { IotCallbackGatewayStack } from '../../infra/stack';
import { BODY_PK_PREFIXES, PUBLISHED_PK_PREFIXES } from '../../shared/store/table';
import { ARCHIVER_ID, FUNCTIONS, PUBLISHER_ID } from '../../shared/routes';
import { TABLE } from '../../shared/store/table';
import { buildStack, logicalIdOf, queueIdOf, type Json } from './support';

// Issue 14: every stored event and notification is published to an EventBridge bus from the
// table's stream, by one small function with a filtered event source mapping, batch item failures,
// bisection, retries and a dead-letter queue with an alarm; least privilege throughout.

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `{"Ref": X}` -> `${X}`, `{"Fn::GetAtt": [X, A]}` -> `${X.A}`; anything else (a joined ARN) as its JSON. */
function render(v: Json): string {
  if (typeof v === 'string') return v;
  if (v.Ref) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt']) return `\${${v['Fn::GetAtt'].join('.')}}`;
  return JSON.stringify(v);
}

/** Every statement of every role's policies, with the role it belongs to. */
function statementsByRole(template: Template): { role: string; actions: string[]; resources: string[]; condition?: Json }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    list<Json>(policy.Properties.Roles).flatMap((role) =>
      policy.Properties.PolicyDocument.Statement.map((s: Json) => ({
        role: role.Ref as string,
        actions: list<string>(s.Action),
        resources: list<Json>(s.Resource).map(render),
        condition: s.Condition,
      })),
    ),
  );
}

/**
 * Whether a Lambda event filter pattern matches a record: exact values (a list of them) and
 * `{"prefix": ...}`, the only operators the stack uses (anything else fails the test).
 */
function matches(pattern: Json, value: Json): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) => {
      if (typeof p !== 'object') return p === value;
      expect(Object.keys(p)).toEqual(['prefix']);
      return typeof value === 'string' && value.startsWith(p.prefix);
    });
  }
  return Object.entries<Json>(pattern).every(([key, sub]) => value?.[key] !== undefined && matches(sub, value[key]));
}

describe('events out: the bus, the stream and the publisher', () => {
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources;
  const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
  const publisherId = logicalIdOf(stack, PUBLISHER_ID);
  const publisherRole = resources[publisherId].Properties.Role['Fn::GetAtt'][0];
  const queueId = queueIdOf(stack, PUBLISHER_ID);
  const busId = stack.getLogicalId(stack.eventBus!.node.defaultChild as CfnEventBus);
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);

  test('the table has a stream of new images (no old images: only inserts are published)', () => {
    expect(resources[tableId].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  test("one custom bus, named in the outputs, with no rule of the gateway's own", () => {
    expect(Object.keys(template.findResources('AWS::Events::EventBus'))).toEqual([busId]);
    expect(resources[busId].Properties.Name).toEqual(expect.any(String));
    template.hasOutput('EventBusName', { Value: { Ref: busId } });
    template.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
    const rulesOnBus = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.EventBusName !== undefined);
    expect(rulesOnBus).toEqual([]);
  });

  test('the publisher: a function of the table, told its bus, a minute per batch, no reserved concurrency', () => {
    expect(FUNCTIONS.find((f) => f.id === PUBLISHER_ID)).toMatchObject({ stream: true, table: 'publish-events', routes: [], secrets: [] });
    const fn = resources[publisherId].Properties;
    expect(fn.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    expect(fn.Timeout).toBe(60);
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    // No other function knows the bus.
    for (const f of FUNCTIONS.filter((f) => f.id !== PUBLISHER_ID)) {
      expect({ id: f.id, bus: resources[logicalIdOf(stack, f.id)].Properties.Environment.Variables.EVENT_BUS_NAME }).toEqual({ id: f.id, bus: undefined });
    }
  });

  test("the publisher's event source mapping: the table's stream to the publisher, batch item failures, bisection, retries, on-failure queue", () => {
    // The other one is the archiver's (test/infra/archive.test.ts).
    expect(mappings).toHaveLength(2);
    const mapping = mappings.find((m) => m.FunctionName.Ref === publisherId);
    expect(mapping).toEqual({
      FunctionName: { Ref: publisherId },
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: expect.any(String) }] },
    });
    // The mapping is created after the role may read the stream (the function waits for its policy).
    expect(resources[publisherId].DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^publisherRoleDefaultPolicy/)]));
  });

  test('the filter lets exactly the inserts of events and notifications through', () => {
    const pattern = JSON.parse(mappings[0]!.FilterCriteria.Filters[0].Pattern);
    expect(pattern).toEqual({
      eventName: ['INSERT'],
      dynamodb: { Keys: { [TABLE.partitionKey]: { S: PUBLISHED_PK_PREFIXES.map((prefix) => ({ prefix })) } } },
    });
    const record = (eventName: string, pk: string) => ({ eventName, dynamodb: { Keys: { pk: { S: pk }, sk: { S: 'x' } } } });
    const cases: [string, string, boolean][] = [
      ['INSERT', 'EV#0212312345-00001#990013907835001', true],
      ['INSERT', 'NO#0212312345-00001#990013907835001', true],
      // A deletion (query API, TTL), a rewrite, or any other kind of item: never published.
      ['REMOVE', 'EV#0212312345-00001#990013907835001', false],
      ['MODIFY', 'NO#0212312345-00001#990013907835001', false],
      ['INSERT', 'MB#0212312345-00001#990013907835001', false],
      ['INSERT', 'RC#0212312345-00001#990013907835001', false],
      ['INSERT', 'REJ#0212312345-00001', false],
      ['INSERT', 'REG#0212312345-00001', false],
      ['INSERT', 'APIKEY', false],
    ];
    for (const [eventName, pk, published] of cases)
      expect({ eventName, pk, published: matches(pattern, record(eventName, pk)) }).toEqual({ eventName, pk, published });
  });

  test("the publisher's role: its log group, this stream, shared bodies, its bus and its queue; nothing else", () => {
    const mine = statementsByRole(template).filter((s) => s.role === publisherRole);
    const logGroupId = resources[publisherId].Properties.LoggingConfig.LogGroup.Ref;
    expect(mine.map(({ actions, resources: r, condition }) => ({ actions, resources: r, condition }))).toEqual([
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`\${${logGroupId}.Arn}`], condition: undefined },
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [`\${${tableId}.StreamArn}`],
        condition: undefined,
      },
      // ListStreams has no resource type: IAM matches it against "*" only.
      { actions: ['dynamodb:ListStreams'], resources: ['*'], condition: undefined },
      {
        actions: ['dynamodb:GetItem'],
        resources: [`\${${tableId}.Arn}`],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': BODY_PK_PREFIXES.map((p) => `${p}*`) } },
      },
      { actions: ['events:PutEvents'], resources: [`\${${busId}.Arn}`], condition: undefined },
      { actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: [`\${${queueId}.Arn}`], condition: undefined },
    ]);
    expect(BODY_PK_PREFIXES).toEqual(['EV#', 'MB#']);
    const role = resources[publisherRole].Properties;
    expect([role.Policies, role.ManagedPolicyArns]).toEqual([undefined, undefined]);
  });

  test("no other role may put events, read the stream (but the archiver) or use the publisher's queue", () => {
    const archiverRole = resources[logicalIdOf(stack, ARCHIVER_ID)].Properties.Role['Fn::GetAtt'][0];
    for (const s of statementsByRole(template).filter((s) => s.role !== publisherRole)) {
      expect({ role: s.role, events: s.actions.filter((a) => a.startsWith('events:')) }).toEqual({ role: s.role, events: [] });
      const streamRead = s.role === archiverRole ? [] : s.resources.filter((r) => r.includes('StreamArn'));
      expect({ role: s.role, stream: [...streamRead, ...s.resources.filter((r) => r.includes(busId) || r.includes(queueId))] }).toEqual({
        role: s.role,
        stream: [],
      });
    }
  });

  test('its dead-letter queue: SSE, TLS only, 14 days, in the outputs, with an alarm at one message', () => {
    expect(resources[queueId].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const [policy] = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    template.hasOutput('PublisherDeadLetterQueueUrl', { Value: { Ref: queueId } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
    });
  });
});

describe('a stack without the publisher (and without the archive)', () => {
  const stack: IotCallbackGatewayStack = buildStack(
    { archive: false },
    FUNCTIONS.filter((f) => f.id !== PUBLISHER_ID),
  );
  const template = Template.fromStack(stack);

  test('has no stream, no bus, no mapping', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table!.Properties.StreamSpecification).toBeUndefined();
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(stack.eventBus).toBeUndefined();
  });
});
