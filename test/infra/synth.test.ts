import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CONSOLE_ID, FUNCTIONS, REREGISTER_ID } from '../../shared/routes';
import type { Json } from './support';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

// The real CLI, offline (cdk.json: notices false, cli-telemetry false; no version check), with the
// real esbuild bundling: proves `cdk synth` works on a machine without Docker or AWS credentials.
// `registrations` is passed as `-c` passes it, a JSON string, to prove that path through the real CLI.
const ACCOUNT = '0212312345-00001';
const REGISTRATIONS = JSON.stringify([{ account: ACCOUNT, services: ['Diagnostics', 'CarrierService'] }]);

test('cdk synth bundles one function per function definition, schedules the re-registration job and passes cdk-nag', () => {
  // Prepare
  const outDir = mkdtempSync(path.join(tmpdir(), 'iot-gateway-synth-'));
  try {
    // Act
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', outDir, '-c', `registrations=${REGISTRATIONS}`], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (result.status !== 0) {
      throw new Error(`cdk synth exited ${result.status}: ${result.error ?? ''}\n${result.stderr}\n${result.stdout}`);
    }

    // Assess
    const template = JSON.parse(readFileSync(path.join(outDir, 'IotCallbackGateway.template.json'), 'utf8'));
    const functions = Object.values<Json>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Metadata['aws:asset:property']).toBe('Code');
      const assetDir = path.join(outDir, fn.Metadata['aws:asset:path']);
      const bundle = path.join(assetDir, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      expect(statSync(bundle).size).toBeGreaterThan(0);
      expect(existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
      // A CommonJS bundle that exports the handler the function is configured with.
      expect(readFileSync(bundle, 'utf8')).toMatch(/module\.exports/);
    }
    // The console's asset carries its built page beside the bundle (the bundling hook of infra/gateway-function.ts).
    const consoleFn = functions.find((fn) => fn.Metadata['aws:cdk:path'].includes(`/${CONSOLE_ID}/Function/`))!;
    expect(JSON.parse(readFileSync(path.join(outDir, consoleFn.Metadata['aws:asset:path'], 'console.json'), 'utf8')).index).toContain(
      '<title>IoT callback gateway</title>',
    );
    // Each function is bundled from its own entry: the assets differ.
    expect(new Set(functions.map((fn) => fn.Metadata['aws:asset:path'])).size).toBe(FUNCTIONS.length);
    // The authorizer made it through synth with no identity source and no gateway cache.
    const authorizers = Object.values<Json>(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers.map((a) => [a.Properties.IdentitySource ?? [], a.Properties.AuthorizerResultTtlInSeconds])).toEqual([[[], 0]]);

    // One schedule, targeting the re-registration job (whose log group path names its construct id).
    const resources = Object.entries<Json>(template.Resources);
    const rules = resources.filter(([, r]) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    const [target] = rule.Properties.Targets;
    const jobId: string = target.Arn['Fn::GetAtt'][0];
    expect(template.Resources[jobId].Metadata['aws:cdk:path']).toContain(`/${REREGISTER_ID}/Function/`);
    const job = template.Resources[jobId].Properties;
    expect(JSON.parse(job.Environment.Variables.REGISTRATIONS)).toEqual(JSON.parse(REGISTRATIONS));
    // The `-c` registrations reached the grants: the configured account's channel, written.
    const jobPolicies = resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: Json) => role.Ref === job.Role['Fn::GetAtt'][0]))
      .map(([, r]) => JSON.stringify(r.Properties.PolicyDocument));
    expect(jobPolicies.join()).toContain(`thingspace/${ACCOUNT}/diagnostics-??????`);
    expect(jobPolicies.join()).toContain('secretsmanager:PutSecretValue');

    // infra/app.ts ran the cdk-nag AwsSolutions checks, and they found nothing unacknowledged.
    const report = JSON.parse(readFileSync(path.join(outDir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: Json) => r.violations)).toEqual([]);
    // The production hardening made it through the CLI: throttled routes, access logs, alarms, a dashboard.
    const [stage] = resources.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage').map(([, r]) => r.Properties);
    expect(Object.keys(stage.RouteSettings).length).toBeGreaterThan(0);
    expect(stage.AccessLogSettings.DestinationArn).toBeDefined();
    expect(resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').length).toBeGreaterThan(FUNCTIONS.length);
    expect(resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}, 180_000);
