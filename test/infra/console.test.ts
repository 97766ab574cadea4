import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_PAGE_HOOKS } from '../../infra/gateway-function';
import { CONSOLE_ID, FUNCTIONS } from '../../shared/routes';
import { buildStack, logicalIdOf, type Json } from './support';

// The console in the stack: its two public routes on the one function, and a role that can write
// its own logs and nothing else (no table, no secret, no bus).
const stack = buildStack();
const template = Template.fromStack(stack);
const consoleFn = logicalIdOf(stack, CONSOLE_ID);

describe('the console in the stack', () => {
  test('GET /console and GET /console/{proxy+} reach the console function, without the authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Json>).filter((r) =>
      String(r.Properties.RouteKey).includes('/console'),
    );
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(['GET /console', 'GET /console/{proxy+}']);
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Record<string, Json>;
    for (const route of routes) {
      expect(route.Properties.AuthorizationType).toBe('NONE');
      expect(route.Properties.AuthorizerId).toBeUndefined();
      const integrationId = (route.Properties.Target['Fn::Join'][1] as Json[]).find((part) => part.Ref)!.Ref;
      expect(JSON.stringify(integrations[integrationId].Properties.IntegrationUri)).toContain(consoleFn);
    }
  });

  test('its role may write its own log group and nothing else', () => {
    const role = stack.getLogicalId(stack.functions[CONSOLE_ID].role.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Json>).filter((p) =>
      (p.Properties.Roles as Json[]).some((r) => r.Ref === role),
    );
    const actions = policies.flatMap((p) => [p.Properties.PolicyDocument.Statement].flat().flatMap((s: Json) => [s.Action].flat()));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a: string) => !a.startsWith('logs:'))).toEqual([]);
  });
});

test("the stack's bundling hook puts the built page beside the bundle, and the bundled handler serves it without esbuild", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-asset-'));
  try {
    // Prepare: the function bundled as the stack bundles it, then the hook's command, as CDK runs it.
    const root = join(__dirname, '..', '..');
    await build({
      entryPoints: [join(root, FUNCTIONS.find((f) => f.id === CONSOLE_ID)!.entry)],
      outfile: join(dir, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: true,
      logLevel: 'silent',
    });
    for (const command of CONSOLE_PAGE_HOOKS.afterBundling(root, dir)) execFileSync('bash', ['-c', command], { stdio: 'pipe' });
    // Act: a fresh Node.js process loads the bundle from the asset directory and answers GET /console.
    const script = `require(${JSON.stringify(join(dir, 'index.js'))}).handler({ headers: {} }).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const res = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } })) as Json;
    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<script defer src="\/console\/main-[0-9a-f]{12}\.js"><\/script>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
