import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addSecurityChecks } from '../../infra/checks';
import { DEFAULT_SETTINGS } from '../../infra/settings';
import { IotCallbackGatewayStack, type IotCallbackGatewayStackProps } from '../../infra/stack';
import { ARCHIVER_ID, CONSOLE_ID, FUNCTIONS, PUBLISHER_ID } from '../../shared/routes';

interface Finding {
  rule: string;
  severity: string;
  path: string;
}

const STACK = 'IotCallbackGateway';
const ACCOUNT = '0212312345-00001';

/** The stack as the app builds it, without bundling; `tamper` changes it before synthesis. */
function build(settings: Partial<IotCallbackGatewayStackProps> = {}, tamper?: (stack: IotCallbackGatewayStack) => void) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'iot-gateway-nag-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new IotCallbackGatewayStack(app, STACK, { ...DEFAULT_SETTINGS, ...settings });
  tamper?.(stack);
  return { app, stack, outdir };
}

/**
 * Every AwsSolutions finding, errors and warnings alike, after synthesis (aspects and lazy values
 * done). `acknowledged: false` shows the findings the acknowledgements hide.
 */
function findings(app: App, { acknowledged = true } = {}): Finding[] {
  app.synth();
  const pack = new AwsSolutionsChecks();
  // The pack's own acknowledgement lookup, switched off: the raw findings under the acknowledgements.
  if (!acknowledged) (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, severity: v.severity ?? '', path: r.constructPath ?? '' })));
}

/** The findings of a stack changed by `tamper`, minus those of the untampered stack. */
function newFindings(tamper: (stack: IotCallbackGatewayStack) => void): Finding[] {
  const { app, outdir } = build({}, tamper);
  try {
    return findings(app);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every acknowledgement in the tree: where it sits, its rule id and its reason. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
        ),
    );
}

const WEBHOOKS = FUNCTIONS.filter((f) => f.provider);

describe('cdk-nag AwsSolutions', () => {
  const configurations: [string, Partial<IotCallbackGatewayStackProps>][] = [
    ['the defaults', {}],
    // With a CLI profile the ARNs hold the account and region: the acknowledgements follow them.
    ['a concrete account and region', { env: { account: '111111111111', region: 'eu-west-1' } }],
    [
      'everything configured: accounts, alarm email, allow-lists, no reserved concurrency',
      {
        registrations: [{ account: ACCOUNT, services: ['Diagnostics', 'Location', 'DeviceLocation', 'CarrierService'] }],
        alarmEmail: 'ops@example.com',
        sourceAllowList: { connectivity: ['3.87.163.45'], sensoro: ['10.0.0.0/8'] },
        webhookReservedConcurrency: 0,
        queryReservedConcurrency: 0,
      },
    ],
  ];

  test.each(configurations)('%s: no unacknowledged finding, error or warning', (_, settings) => {
    // Prepare
    const { app, outdir } = build(settings);
    try {
      // Act
      const all = findings(app);
      // Assess
      expect(all).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('plugged in the way infra/app.ts plugs it, synthesis passes and the report lists no violation', () => {
    const { app, outdir } = build({ alarmEmail: 'ops@example.com' });
    try {
      addSecurityChecks(app);
      const assembly = app.synth();
      const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('infra/app.ts plugs the checks into the app it synthesizes', () => {
    const source = readFileSync(path.join(__dirname, '..', '..', 'infra', 'app.ts'), 'utf8');
    expect(source).toMatch(/addSecurityChecks\(app\);\s*app\.synth\(\);/);
  });

  describe('the checks fail when', () => {
    test('a function is granted an action on "*" (and synthesis with the checks plugged in throws)', () => {
      const wildcard = (stack: IotCallbackGatewayStack) =>
        stack.functions.query.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }));
      expect(newFindings(wildcard)).toEqual([
        { rule: 'AwsSolutions-IAM5[Resource::*]', severity: 'error', path: `${STACK}/query/Role/DefaultPolicy/Resource` },
      ]);

      const { app, outdir } = build({}, wildcard);
      try {
        addSecurityChecks(app);
        expect(() => app.synth()).toThrow(/IAM entity contains wildcard permissions[\s\S]*query\/Role\/DefaultPolicy/);
        const report = readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
        expect(report).toContain('AwsSolutions-IAM5[Resource::*]');
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    test('a wildcard secret grant is added next to an acknowledged one', () => {
      // The acknowledgement names the exact ARN pattern: a wider one on the same role is still reported.
      const wider = (stack: IotCallbackGatewayStack) =>
        stack.functions['thingspace-location'].function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [`arn:aws:secretsmanager:eu-west-1:111111111111:secret:iot-gateway/*`],
          }),
        );
      expect(newFindings(wider).map((f) => f.rule)).toEqual([
        'AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:iot-gateway/*]',
      ]);
    });

    test('an unencrypted queue without TLS enforcement is added', () => {
      const queue = (stack: IotCallbackGatewayStack) => new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      const rules = newFindings(queue).map((f) => f.rule);
      expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS4']));
    });

    test('the access logs are switched off', () => {
      const noLogs = (stack: IotCallbackGatewayStack) => {
        (stack.stage.node.defaultChild as CfnStage).accessLogSettings = undefined;
      };
      expect(newFindings(noLogs)).toEqual([{ rule: 'AwsSolutions-APIG1', severity: 'error', path: `${STACK}/Api/DefaultStage/Resource` }]);
    });

    test('a route without authorization is added outside the webhooks', () => {
      // APIG4 is acknowledged on each provider callback route, not on the API: a new open route is reported.
      const open = (stack: IotCallbackGatewayStack) =>
        stack.api.addRoutes({ path: '/v1/open', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('open', stack.functions.query.function) });
      expect(newFindings(open)).toEqual([{ rule: 'AwsSolutions-APIG4', severity: 'error', path: `${STACK}/Api/GET--v1--open/Resource` }]);
    });

    test('a function of the table that is no provider webhook is routed without the authorizer', () => {
      const query = FUNCTIONS.find((f) => f.id === 'query')!;
      const open = { ...query, id: 'open-query', routes: [{ method: 'GET' as const, path: '/open' }], authorized: false };
      const { app, outdir } = build({ functions: [...FUNCTIONS, open] });
      try {
        expect(findings(app).filter((f) => f.rule === 'AwsSolutions-APIG4')).toEqual([
          { rule: 'AwsSolutions-APIG4', severity: 'error', path: `${STACK}/Api/GET--open/Resource` },
        ]);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    test('a function with the default role (AWS managed execution policy) and a runtime older than the latest is added, unacknowledged', () => {
      const plain = (stack: IotCallbackGatewayStack) =>
        new lambda.Function(stack, 'Plain', {
          runtime: lambda.Runtime.NODEJS_22_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler=1'),
        });
      const rules = newFindings(plain).map((f) => f.rule);
      expect(rules).toEqual(
        expect.arrayContaining(['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-L1']),
      );
    });
  });

  describe('acknowledgements', () => {
    const { app, outdir } = build({ alarmEmail: 'ops@example.com' });
    const raw = findings(app, { acknowledged: false });
    const acks = acknowledgements(app);
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    test("exactly these rules, each next to its resource: APIG4 per webhook and console route, L1 per function, IAM5 per wildcard secret grant, SQS3 on the publisher's dead-letter queue", () => {
      const byRule = (rule: RegExp) =>
        acks
          .filter((a) => rule.test(a.id))
          .map((a) => a.path)
          .sort();
      expect(byRule(/^AwsSolutions-APIG4$/)).toEqual(
        [...WEBHOOKS, FUNCTIONS.find((f) => f.id === CONSOLE_ID)!]
          .flatMap((f) => f.routes.map((r) => `${STACK}/Api/${r.method}${r.path.replace(/\//g, '--')}`))
          .sort(),
      );
      expect(byRule(/^AwsSolutions-L1$/)).toEqual(FUNCTIONS.map((f) => `${STACK}/${f.id}/Function`).sort());
      // The webhooks' one-segment secret patterns (suffixed and bare name, two each); the stream functions' ListStreams
      // (no resource type); the archiver's object keys under callbacks/; the table has no index, so no index wildcard anywhere.
      expect(byRule(/^AwsSolutions-IAM5\[/)).toEqual(
        [
          ...WEBHOOKS.flatMap((f) => [`${STACK}/${f.id}/Role`, `${STACK}/${f.id}/Role`]),
          `${STACK}/${PUBLISHER_ID}/Role`,
          `${STACK}/${ARCHIVER_ID}/Role`,
          `${STACK}/${ARCHIVER_ID}/Role`,
        ].sort(),
      );
      // The stream mappings' on-failure queues, which cdk-nag does not recognise as dead-letter queues.
      expect(byRule(/^AwsSolutions-SQS3$/)).toEqual([`${STACK}/${ARCHIVER_ID}/DeadLetters`, `${STACK}/${PUBLISHER_ID}/DeadLetters`]);
      expect(acks.filter((a) => !/^AwsSolutions-(APIG4|L1|SQS3|IAM5\[Resource::.+\])$/.test(a.id))).toEqual([]);
      // Never on the app or the stack, where one acknowledgement would hide every later finding of its rule.
      expect(acks.filter((a) => a.path === '' || a.path === STACK)).toEqual([]);
    });

    test('the IAM5 acknowledgements name the exact wildcard resource, "*" itself only for the stream functions\' ListStreams', () => {
      const named = (a: { id: string }) => a.id.replace(/^AwsSolutions-IAM5\[Resource::(.*)\]$/, '$1');
      const iam5 = acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
      const secret = (f: (typeof WEBHOOKS)[number]) => `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:iot-gateway/${f.secrets[0]}`;
      expect(
        iam5
          .filter((a) => named(a) !== '*')
          .map(named)
          .sort(),
      ).toEqual([...WEBHOOKS.flatMap((f) => [`${secret(f)}-??????`, secret(f)]), '<ArchiveBucket49F1AC64.Arn>/callbacks/*'].sort());
      expect(
        iam5
          .filter((a) => named(a) === '*')
          .map((a) => a.path)
          .sort(),
      ).toEqual([`${STACK}/${ARCHIVER_ID}/Role`, `${STACK}/${PUBLISHER_ID}/Role`]);
    });

    test('every acknowledgement has a reason a reviewer can check', () => {
      for (const { path: where, id, reason } of acks) expect({ where, id, long: reason.length >= 120 }).toEqual({ where, id, long: true });
    });

    test('every acknowledgement hides a real finding under it (none is stale)', () => {
      for (const { path: where, id } of acks) {
        const hidden = raw.filter((f) => f.rule === id && (f.path === where || f.path.startsWith(`${where}/`)));
        expect({ where, id, hides: hidden.length > 0 }).toEqual({ where, id, hides: true });
      }
    });

    test('every raw finding is acknowledged where it occurs', () => {
      for (const f of raw) {
        const covering = acks.filter((a) => a.id === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
        expect({ ...f, acknowledged: covering.length > 0 }).toEqual({ ...f, acknowledged: true });
      }
    });
  });
});
