import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { settingsFromContext } from '../../infra/context';
import { webhookChannel } from '../../infra/source-allow-list';
import { IotCallbackGatewayStack } from '../../infra/stack';
import { sourceAllowList } from '../../shared/http/source';
import { AUTHORIZER_ID, FUNCTIONS, ROUTES } from '../../shared/routes';
import { buildStack, logicalIdOf, type Json } from './support';

const lambdaOf = (stack: IotCallbackGatewayStack, template: Template, fnId: string) => template.toJSON().Resources[logicalIdOf(stack, fnId)].Properties;
const stageOf = (template: Template) => {
  const stages = Object.entries(template.findResources('AWS::ApiGatewayV2::Stage'));
  expect(stages).toHaveLength(1);
  return { id: stages[0]![0], stage: stages[0]![1] as Json };
};
const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

/** ThingSpace's published source addresses (PROVIDERS.md §1.3), as a deployment would configure them. */
const CONNECTIVITY = ['3.87.163.45', '3.91.119.203', '54.197.62.209', '35.165.205.14', '54.200.43.232', '34.216.81.234', '137.117.33.109', '168.62.173.153'];
const THINGSPACE_ALLOW_LIST = { connectivity: CONNECTIVITY, soap: CONNECTIVITY, 'device-location': ['68.128.212.217'] };

describe('timeouts', () => {
  const stack = buildStack();
  const template = Template.fromStack(stack);

  test('every function API Gateway waits for (routes and the authorizer) times out far under its 30 s limit', () => {
    const behindGateway = FUNCTIONS.filter((f) => f.routes.length > 0 || f.id === AUTHORIZER_ID);
    // All but the scheduled job and the stream functions (the publisher, the archiver).
    expect(behindGateway.length).toBe(FUNCTIONS.length - 3);
    for (const { id } of behindGateway) {
      const timeout = lambdaOf(stack, template, id).Timeout as number;
      expect({ id, timeout }).toEqual({ id, timeout: 10 });
    }
    // No integration raises API Gateway's own wait above its 30 s default, or lowers it under the function's.
    for (const integration of Object.values(template.findResources('AWS::ApiGatewayV2::Integration'))) {
      expect(integration.Properties.TimeoutInMillis ?? 30_000).toBeGreaterThanOrEqual(10_000 + 5_000);
      expect(integration.Properties.TimeoutInMillis ?? 30_000).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('API Gateway throttling per route', () => {
  test('every route has its own route setting on the default stage: webhooks 200/400, query API 50/100', () => {
    const template = Template.fromStack(buildStack());
    const { stage } = stageOf(template);
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual([...routeKeys].sort());
    expect(routeKeys).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      const expected = route.fn.provider ? { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 } : { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 };
      expect({ key, settings: stage.Properties.RouteSettings[key] }).toEqual({ key, settings: expected });
    }
    expect(ROUTES.some((r) => r.fn.provider) && ROUTES.some((r) => !r.fn.provider)).toBe(true);
  });

  test('the stage is created after every route it names (CloudFormation refuses settings of a missing route)', () => {
    const template = Template.fromStack(buildStack());
    const { stage } = stageOf(template);
    const routeIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect([...(stage.DependsOn as string[])].sort()).toEqual(expect.arrayContaining(routeIds.sort()));
  });

  test('webhookThrottle and queryThrottle from context reach the route settings', () => {
    const settings = settingsFromContext(contextOf({ webhookThrottle: '{"rate":12.5,"burst":30}', queryThrottle: { rate: 3, burst: 6 } }));
    const { stage } = stageOf(Template.fromStack(buildStack(settings)));
    const values = Object.entries<Json>(stage.Properties.RouteSettings);
    for (const [key, value] of values) {
      const webhook = key.startsWith('POST /webhooks/');
      expect({ key, value }).toEqual({
        key,
        value: webhook ? { ThrottlingRateLimit: 12.5, ThrottlingBurstLimit: 30 } : { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 },
      });
    }
  });

  test("access logs: one JSON line per request to a log group with the functions' retention, no headers or bodies", () => {
    const stack = buildStack();
    const template = Template.fromStack(stack);
    const { stage } = stageOf(template);
    const logGroupId = stack.getLogicalId(stack.accessLogs.node.defaultChild as never);
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      sourceIp: '$context.identity.sourceIp',
    });
    expect(Object.values(format).every((v) => typeof v === 'string' && /^\$context\.[a-zA-Z.]+$/.test(v))).toBe(true);
    expect(JSON.stringify(format)).not.toMatch(/header|body|path/i);
    template.hasOutput('ApiAccessLogGroup', { Value: { Ref: logGroupId } });
  });
});

describe('reserved concurrency', () => {
  test('defaults: 50 per webhook, 20 for the query API, 1 for the job, none for the authorizer', () => {
    const stack = buildStack();
    const template = Template.fromStack(stack);
    for (const fn of FUNCTIONS) {
      const reserved = lambdaOf(stack, template, fn.id).ReservedConcurrentExecutions;
      const expected = fn.scheduled ? 1 : fn.provider ? 50 : fn.id === 'query' ? 20 : undefined;
      expect({ id: fn.id, reserved }).toEqual({ id: fn.id, reserved: expected });
    }
  });

  test('configured from context; 0 reserves none (the job keeps its 1: two runs must never overlap)', () => {
    const configured = settingsFromContext(contextOf({ webhookReservedConcurrency: '10', queryReservedConcurrency: '0' }));
    const stack = buildStack(configured);
    const template = Template.fromStack(stack);
    for (const fn of FUNCTIONS) {
      const reserved = lambdaOf(stack, template, fn.id).ReservedConcurrentExecutions;
      const expected = fn.scheduled ? 1 : fn.provider ? 10 : undefined;
      expect({ id: fn.id, reserved }).toEqual({ id: fn.id, reserved: expected });
    }
    const none = buildStack({ webhookReservedConcurrency: 0 });
    const noneTemplate = Template.fromStack(none);
    for (const fn of FUNCTIONS.filter((f) => f.provider)) expect(lambdaOf(none, noneTemplate, fn.id).ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('source allow-list', () => {
  test('the channels are the webhook function ids without "thingspace-"', () => {
    expect(FUNCTIONS.map(webhookChannel).filter(Boolean)).toEqual(['diagnostics', 'location', 'device-location', 'connectivity', 'soap', 'sensoro']);
  });

  test("ThingSpace's published addresses reach the connectivity, SOAP and Device Location functions only, as the functions parse them", () => {
    // Prepare: as cdk.json would hold it, and as `-c` passes it.
    for (const value of [THINGSPACE_ALLOW_LIST, JSON.stringify(THINGSPACE_ALLOW_LIST)]) {
      const settings = settingsFromContext(contextOf({ sourceAllowList: value }));
      const stack = buildStack(settings);
      const template = Template.fromStack(stack);
      for (const fn of FUNCTIONS) {
        const env = lambdaOf(stack, template, fn.id).Environment.Variables;
        const channel = webhookChannel(fn) as keyof typeof THINGSPACE_ALLOW_LIST | undefined;
        const expected = channel !== undefined && THINGSPACE_ALLOW_LIST[channel] ? THINGSPACE_ALLOW_LIST[channel].join(',') : undefined;
        expect({ id: fn.id, allowList: env.ALLOWED_SOURCE_IPS }).toEqual({ id: fn.id, allowList: expected });
      }
      // What the function does with it: the listed address passes, a neighbour does not.
      const env = lambdaOf(stack, template, 'thingspace-device-location').Environment.Variables;
      const list = sourceAllowList(env.ALLOWED_SOURCE_IPS)!;
      expect(list.check('68.128.212.217', 'ipv4')).toBe(true);
      expect(list.check('68.128.212.218', 'ipv4')).toBe(false);
    }
  });

  test('CIDR ranges and IPv6 are accepted; only the named function gets them', () => {
    const stack = buildStack(settingsFromContext(contextOf({ sourceAllowList: { sensoro: ['10.0.0.0/8', ' 2001:db8::/32'] } })));
    const template = Template.fromStack(stack);
    const lists = FUNCTIONS.map((fn) => [fn.id, lambdaOf(stack, template, fn.id).Environment.Variables.ALLOWED_SOURCE_IPS]).filter(([, v]) => v !== undefined);
    expect(lists).toEqual([['sensoro', '10.0.0.0/8,2001:db8::/32']]);
  });

  test.each([
    ['an octet over 255', { connectivity: ['3.87.163.4500'] }, /not an address/],
    ['a host name', { connectivity: ['example.com'] }, /not an address/],
    ['an IPv4 prefix over 32', { connectivity: ['10.0.0.0/33'] }, /bad prefix/],
    ['an IPv6 prefix over 128', { connectivity: ['2001:db8::/129'] }, /bad prefix/],
    ['two addresses in one entry', { connectivity: ['10.0.0.1,10.0.0.2'] }, /not one address/],
    ['an empty entry', { connectivity: [''] }, /not one address/],
    ['a number', { connectivity: [42] }, /not one address/],
    ['an empty list (which would allow every source)', { connectivity: [] }, /empty/],
    ['a string instead of a list', { connectivity: '3.87.163.45' }, /array/],
    ['a function id instead of a channel', { 'thingspace-connectivity': ['3.87.163.45'] }, /not one of the webhook channels/],
    ['a function that is no webhook', { query: ['3.87.163.45'] }, /not one of the webhook channels/],
    ['a list without channels', ['3.87.163.45'], /JSON object/],
    ["a list too long for Lambda's environment", { sensoro: Array.from({ length: 200 }, (_, i) => `2001:db8::${i.toString(16)}`) }, /4 KB/],
  ])('refused at synth: %s', (_, allowList, message) => {
    // From context (cdk.json or `-c`) ...
    expect(() => settingsFromContext(contextOf({ sourceAllowList: allowList }))).toThrow(message);
    expect(() => settingsFromContext(contextOf({ sourceAllowList: JSON.stringify(allowList) }))).toThrow(message);
    // ... and from stack props given directly.
    if (!Array.isArray(allowList)) expect(() => buildStack({ sourceAllowList: allowList as Record<string, string[]> })).toThrow(/sourceAllowList/);
  });

  test('not JSON from `-c`: refused', () => {
    expect(() => settingsFromContext(contextOf({ sourceAllowList: '{connectivity:[1.2.3.4]}' }))).toThrow(/sourceAllowList is not JSON/);
  });
});

describe('rejected-request log', () => {
  test('rejectionLogCap and rejectionLogTtlHours reach the webhooks (which write the log) and nothing else', () => {
    const stack = buildStack(settingsFromContext(contextOf({ rejectionLogCap: '42', rejectionLogTtlHours: '6' })));
    const template = Template.fromStack(stack);
    for (const fn of FUNCTIONS) {
      const env = lambdaOf(stack, template, fn.id).Environment.Variables;
      const expected = fn.provider ? { cap: '42', ttl: '6' } : { cap: undefined, ttl: undefined };
      expect({ id: fn.id, cap: env.REJECTION_LOG_CAP, ttl: env.REJECTION_LOG_TTL_HOURS }).toEqual({ id: fn.id, ...expected });
    }
  });
});
