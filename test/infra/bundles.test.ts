import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FUNCTIONS, REREGISTER_ID } from '../../shared/routes';

// Every Lambda bundled as the stack bundles it (esbuild, minified CJS, the SDK inside) must load in a
// fresh Node.js process. The other tests run the TypeScript sources, which hides a dependency
// esbuild cannot follow (a UMD `main` whose require calls it cannot see: the bundle would then fail
// in AWS at its first cold start, "Cannot find module").

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bundles-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a function reads at init (the stack sets these in AWS). */
const environment = (id: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TABLE_NAME: 'iot-gateway',
  SECRET_PREFIX: 'iot-gateway/',
  EVENT_BUS_NAME: 'iot-gateway',
  ARCHIVE_BUCKET: 'iot-gateway-archive',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
  ...(id === REREGISTER_ID ? { PUBLIC_BASE_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com', REGISTRATIONS: '[]' } : {}),
});

describe('the Lambda bundles', () => {
  it.each(FUNCTIONS.map((f) => [f.id, f.entry] as const))(
    '%s bundles and loads, exporting its handler',
    async (id, entry) => {
      const outfile = join(dir, id, 'index.js');
      await build({
        entryPoints: [join(ROOT, entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        logLevel: 'silent',
      });
      const { stdout } = await run(process.execPath, ['-e', `const m = require(${JSON.stringify(outfile)}); console.log(typeof m.handler)`], {
        env: environment(id),
        timeout: 20_000,
      });
      expect(stdout.trim()).toBe('function');
    },
    30_000,
  );
});
