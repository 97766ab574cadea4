import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTIONS } from '../../shared/routes';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

// The real CLI, offline (cdk.json: notices false, cli-telemetry false; no version check), with the
// real esbuild bundling: proves `cdk synth` works on a machine without Docker or AWS credentials.
test('cdk synth bundles one function per function definition', () => {
  // Prepare
  const outDir = mkdtempSync(path.join(tmpdir(), 'iot-gateway-synth-'));
  try {
    // Act
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', outDir], {
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
    const functions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
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
    // Each function is bundled from its own entry: the assets differ.
    expect(new Set(functions.map((fn) => fn.Metadata['aws:asset:path'])).size).toBe(FUNCTIONS.length);
    // The authorizer made it through synth with no identity source and no gateway cache.
    const authorizers = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers.map((a) => [a.Properties.IdentitySource ?? [], a.Properties.AuthorizerResultTtlInSeconds])).toEqual([[[], 0]]);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}, 180_000);
