import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { FUNCTIONS as ALL_FUNCTIONS, PUBLISHER_ID, REREGISTER_ID } from '../shared/routes';

// The stream publisher answers no request (its latency is the stream's batching): not measured here.
const FUNCTIONS = ALL_FUNCTIONS.filter((fn) => fn.id !== PUBLISHER_ID);
import { fmt, median, ratio, ROOT, target, type ExtraTable, type GroupResult, type Target } from './lib';

const GROUP = 'cold-start';
/** The issue's target: loading a function's bundle takes at most 1.3 times loading its SDK clients alone. */
const TARGET_RATIO = 1.3;
/** Fresh processes per bundle; the first round is a warm-up (page cache) and is not counted. */
const RUNS = 13;

const run = promisify(execFile);

/**
 * As infra/gateway-function.ts has NodejsFunction bundle (minify, CJS, the AWS SDK bundled too),
 * but for the Node.js this runs on, and without the source map so the size is the code's own.
 */
const BUNDLE: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'silent',
};

const SECRETS_MANAGER = '@aws-sdk/client-secrets-manager';

/** A bundle of the SDK clients a function builds at init, and nothing else. */
function sdkOnlySource(secretsManager: boolean): string {
  return [
    `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';`,
    `import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';`,
    ...(secretsManager ? [`import { SecretsManagerClient } from '${SECRETS_MANAGER}';`] : []),
    `const clients: unknown[] = [DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }), { marshallOptions: { removeUndefinedValues: true } })];`,
    ...(secretsManager ? [`clients.push(new SecretsManagerClient({ maxAttempts: 3 }));`] : []),
    `export const handler = async () => clients.length;`,
  ].join('\n');
}

/** The function taken apart and rebuilt in the what-if: the busiest channel. */
const REPRESENTATIVE = 'thingspace-diagnostics';
const ZOD_NAMED_IMPORT = /import \{ z \} from 'zod';/;

/** Bundles the repository's files with `import * as z from 'zod'`, which lets esbuild drop what zod's `z` object would keep. */
const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(b) {
    b.onLoad({ filter: /\/shared\/.*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(ZOD_NAMED_IMPORT, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/** What a function needs at init so that loading it does not throw (the stack sets these in AWS). */
function environment(id: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    TABLE_NAME: 'iot-gateway',
    SECRET_PREFIX: 'iot-gateway/',
    POWERTOOLS_SERVICE_NAME: 'iot-callback-gateway',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...(id === REREGISTER_ID ? { PUBLIC_BASE_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com', REGISTRATIONS: '[]' } : {}),
  };
}

/** Nanoseconds a fresh Node.js process takes to `require` the bundle (module load and init only). */
async function loadNs(bundle: string, env: NodeJS.ProcessEnv): Promise<{ ns: number; cpuNs: number }> {
  // Wall time as the issue asks; the process's CPU time beside it, which a busy neighbour does not inflate.
  const script = `const c=process.cpuUsage(),t=process.hrtime.bigint();require(${JSON.stringify(bundle)});const w=process.hrtime.bigint()-t,u=process.cpuUsage(c);console.log(Number(w),(u.user+u.system)*1000)`;
  const { stdout } = await run(process.execPath, ['-e', script], { env, timeout: 20_000 });
  const [ns, cpuNs] = stdout.trim().split('\n').pop()!.split(' ').map(Number);
  if (!Number.isFinite(ns) || !Number.isFinite(cpuNs)) throw new Error(`no load time from ${bundle}: ${stdout}`);
  return { ns: ns!, cpuNs: cpuNs! };
}

interface Bundle {
  name: string;
  file: string;
  env: NodeJS.ProcessEnv;
  metafile: Metafile;
  samples: number[];
  /** CPU time of the same loads (all threads of the process). */
  cpuSamples: number[];
}

async function bundle(name: string, file: string, env: NodeJS.ProcessEnv, options: BuildOptions): Promise<Bundle> {
  const result = await build({ ...BUNDLE, ...options, outfile: file });
  return { name, file, env, metafile: result.metafile!, samples: [], cpuSamples: [] };
}

/** One sample of something a round measures (a bundle's load, a chain of parts); `keep` is false in the warm-up round. */
type Task = (keep: boolean) => Promise<void>;

/**
 * Every task once per round, in an order that rotates from round to round, so no task always runs
 * right after another and a burst of load from elsewhere lands on one round of many tasks.
 */
async function rounds(tasks: Task[]): Promise<void> {
  for (let round = 0; round <= RUNS; round++) {
    for (let i = 0; i < tasks.length; i++) await tasks[(i + round) % tasks.length]!(round > 0);
  }
}

const loadTask =
  (b: Bundle): Task =>
  async (keep) => {
    const { ns, cpuNs } = await loadNs(b.file, b.env);
    if (keep) {
      b.samples.push(ns);
      b.cpuSamples.push(cpuNs);
    }
  };

/** Runs `script` in a fresh process; it prints numbers (ns) separated by spaces, one list per run. */
const scriptTask =
  (script: string, env: NodeJS.ProcessEnv, samples: number[][]): Task =>
  async (keep) => {
    const { stdout } = await run(process.execPath, ['-e', script], { env, timeout: 20_000 });
    const values = stdout.trim().split('\n').pop()!.split(' ').map(Number);
    if (keep) values.forEach((ns, i) => samples[i]!.push(ns));
  };

const APP = 'app';
const SDK = 'AWS SDK';

const npmPackage = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];

/** The input files that made it into a bundle's output, with their bytes there. */
const outputInputs = (metafile: Metafile) => Object.entries(Object.values(metafile.outputs)[0]!.inputs).filter(([, i]) => i.bytesInOutput > 0);

/**
 * The part of a bundle an input file belongs to: the SDK (every package the SDK-only bundle also
 * carries, its own dependencies included), the repository's own files (`app`), or its package.
 */
function partOf(path: string, sdk: ReadonlySet<string>): string {
  const pkg = npmPackage(path);
  if (!pkg) return APP;
  return sdk.has(pkg) ? SDK : pkg;
}

/** Bytes of the bundle per part. */
function bytesByPart(metafile: Metafile, sdk: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [path, { bytesInOutput }] of outputInputs(metafile)) out.set(partOf(path, sdk), (out.get(partOf(path, sdk)) ?? 0) + bytesInOutput);
  return out;
}

/** The input files of the bundle per part (paths relative to the repository). */
function filesByPart(metafile: Metafile, sdk: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [path] of outputInputs(metafile)) out.set(partOf(path, sdk), [...(out.get(partOf(path, sdk)) ?? []), path]);
  return out;
}

const ms = (ns: number) => fmt(ns / 1e6, 1);
const kb = (bytes: number) => fmt(bytes / 1024, 0);

/** Group 3: each function's bundle size and fresh-process load time against a bundle of its SDK clients alone. */
export async function runColdStart(): Promise<GroupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cold-'));
  try {
    const functions = await Promise.all(
      FUNCTIONS.map((fn) => bundle(fn.id, join(dir, fn.id, 'index.js'), environment(fn.id), { entryPoints: [join(ROOT, fn.entry)] })),
    );
    // The SDK clients a function uses, read from its own bundle: DynamoDB always, Secrets Manager when its
    // code made it into the output (a module only imported, never used, is tree-shaken to nothing).
    const usesSecretsManager = (b: Bundle) => outputInputs(b.metafile).some(([p]) => p.includes(`node_modules/${SECRETS_MANAGER}/`));
    const sdkOnly = new Map<boolean, Bundle>();
    for (const sm of [false, true]) {
      const name = sm ? 'sdk: dynamodb + lib-dynamodb + secrets-manager' : 'sdk: dynamodb + lib-dynamodb';
      sdkOnly.set(
        sm,
        await bundle(name, join(dir, `sdk-only-${sm ? 'sm' : 'ddb'}.js`), environment(''), {
          stdin: { contents: sdkOnlySource(sm), resolveDir: ROOT, sourcefile: 'sdk-only.ts', loader: 'ts' },
        }),
      );
    }
    const baseOf = (b: Bundle) => sdkOnly.get(usesSecretsManager(b))!;
    // Every package the SDK-only bundles carry counts as the SDK (its own dependencies included).
    const sdk = new Set([...sdkOnly.values()].flatMap((b) => outputInputs(b.metafile).flatMap(([path]) => npmPackage(path) ?? [])));

    // The representative webhook, taken apart. What if: built with `import * as z from 'zod'` in place of
    // `import { z } from 'zod'` (the source rewritten while bundling; no file changes).
    const representative = functions.find((f) => f.name === REPRESENTATIVE)!;
    const whatIf = await bundle(`${REPRESENTATIVE} (import * as z)`, join(dir, 'what-if.js'), representative.env, {
      entryPoints: [join(ROOT, FUNCTIONS.find((f) => f.id === REPRESENTATIVE)!.entry)],
      plugins: [zodNamespaceImport],
    });
    // Why: its parts required one after another in one fresh process (its SDK clients, exactly the files it
    // takes from zod, then from every other package), and the app's own init alone: its code bundled with
    // every package external, required once those packages are loaded, so that only the app's code runs.
    const files = filesByPart(representative.metafile, sdk);
    const bytes = bytesByPart(representative.metafile, sdk);
    const others = [...files.keys()].filter((pkg) => pkg !== SDK && pkg !== APP && pkg !== 'zod');
    const part = async (name: string, paths: string[]) => {
      const outfile = join(dir, `part-${name}.js`);
      const contents = paths.map((p, i) => `import * as m${i} from ${JSON.stringify(join(ROOT, p))};\nexport const p${i} = m${i};`).join('\n');
      await build({ ...BUNDLE, stdin: { contents, resolveDir: ROOT, sourcefile: `${name}.ts`, loader: 'ts' }, outfile });
      return outfile;
    };
    const parts = [
      { name: `SDK clients (${baseOf(representative).name.slice(5)})`, file: baseOf(representative).file, bytes: bytes.get(SDK) ?? 0 },
      { name: 'zod', file: await part('zod', files.get('zod') ?? []), bytes: bytes.get('zod') ?? 0 },
      {
        name: `other dependencies (${others.length} packages)`,
        file: await part(
          'others',
          others.flatMap((pkg) => files.get(pkg)!),
        ),
        bytes: others.reduce((n, pkg) => n + (bytes.get(pkg) ?? 0), 0),
      },
    ];
    const partSamples = parts.map(() => [] as number[]);
    const chain = `const o=[];for(const f of ${JSON.stringify(parts.map((p) => p.file))}){const t=process.hrtime.bigint();require(f);o.push(Number(process.hrtime.bigint()-t))}console.log(o.join(' '))`;
    const appFile = join(dir, 'app-only.js');
    const appBuild = await build({
      ...BUNDLE,
      entryPoints: [join(ROOT, FUNCTIONS.find((f) => f.id === REPRESENTATIVE)!.entry)],
      packages: 'external',
      outfile: appFile,
    });
    const specifiers = [
      ...new Set(
        Object.values(appBuild.metafile!.outputs)[0]!
          .imports.filter((i) => i.external && !i.path.startsWith('node:'))
          .map((i) => i.path),
      ),
    ];
    const appSamples = [[] as number[]];
    const appInit = `for(const s of ${JSON.stringify(specifiers)})require(s);const t=process.hrtime.bigint();require(${JSON.stringify(appFile)});console.log(Number(process.hrtime.bigint()-t))`;

    await rounds([
      ...[...functions, ...sdkOnly.values(), whatIf].map(loadTask),
      scriptTask(chain, representative.env, partSamples),
      scriptTask(appInit, { ...representative.env, NODE_PATH: join(ROOT, 'node_modules') }, appSamples),
    ]);

    const rows: string[][] = [];
    const targets: Target[] = [];
    const data: Record<string, unknown>[] = [];
    for (const fn of functions) {
      const base = baseOf(fn);
      const ours = median(fn.samples);
      const theirs = median(base.samples);
      const cpuRatio = median(fn.cpuSamples) / median(base.cpuSamples);
      const size = statSync(fn.file).size;
      const baseSize = statSync(base.file).size;
      rows.push([fn.name, kb(size), ms(ours), usesSecretsManager(fn) ? 'ddb + sm' : 'ddb', kb(baseSize), ms(theirs), ratio(ours / theirs), ratio(cpuRatio)]);
      targets.push(target(GROUP, `${fn.name}: load / SDK-only load`, ours / theirs, '<=', TARGET_RATIO));
      data.push({
        function: fn.name,
        bundleBytes: size,
        loadMs: ours / 1e6,
        samplesMs: fn.samples.map((ns) => ns / 1e6),
        sdkOnly: base.name,
        sdkOnlyBytes: baseSize,
        sdkOnlyLoadMs: theirs / 1e6,
        ratio: ours / theirs,
        cpuMs: median(fn.cpuSamples) / 1e6,
        sdkOnlyCpuMs: median(base.cpuSamples) / 1e6,
        cpuRatio,
        bytesByPart: Object.fromEntries(bytesByPart(fn.metafile, sdk)),
      });
    }

    const partNs = partSamples.map(median);
    const appInitNs = median(appSamples[0]!);
    const totalNs = median(representative.samples);
    const restNs = totalNs - partNs.reduce((a, b) => a + b, 0) - appInitNs;
    const locales = outputInputs(representative.metafile)
      .filter(([path]) => path.includes('node_modules/zod/') && path.includes('/locales/'))
      .reduce((n, [, v]) => n + v.bytesInOutput, 0);
    const base = baseOf(representative);
    const whatIfResult = {
      bundleBytes: statSync(whatIf.file).size,
      zodBytes: bytesByPart(whatIf.metafile, sdk).get('zod') ?? 0,
      loadMs: median(whatIf.samples) / 1e6,
      ratio: median(whatIf.samples) / median(base.samples),
      cpuRatio: median(whatIf.cpuSamples) / median(base.cpuSamples),
    };
    const worst = targets.reduce((a, b) => (b.value > a.value ? b : a));
    const notes = [
      `esbuild bundle, platform node, target node20, cjs, minify, AWS SDK bundled, no source map; load = median of ${RUNS} fresh \`node -e "require(bundle)"\` processes (process start not included), after one warm-up round; every round loads every bundle (and the parts below) in a rotating order. CPU-time ratio: the same loads' process CPU time, a cross-check that load from elsewhere on the machine does not inflate.`,
      `Highest ratio: ${worst.figure.split(':')[0]} ${ratio(worst.value)}.`,
      `zod is ${kb(bytes.get('zod') ?? 0)} KB of the ${REPRESENTATIVE} bundle, ${kb(locales)} KB of it the error-message locales of every language: \`import { z } from 'zod'\` (the classic namespace) keeps them all.`,
      `What if (${REPRESENTATIVE}, built with \`import * as z from 'zod'\` in shared/, measured in the same rounds): ${kb(statSync(representative.file).size)} → ${kb(whatIfResult.bundleBytes)} KB (zod ${kb(bytes.get('zod') ?? 0)} → ${kb(whatIfResult.zodBytes)} KB), load ${ms(totalNs)} → ${ms(median(whatIf.samples))} ms, ratio ${ratio(totalNs / median(base.samples))} → ${ratio(whatIfResult.ratio)} (CPU time ${ratio(median(representative.cpuSamples) / median(base.cpuSamples))} → ${ratio(whatIfResult.cpuRatio)}).`,
      `Other dependencies of ${REPRESENTATIVE}: ${[...others]
        .sort((a, b) => (bytes.get(b) ?? 0) - (bytes.get(a) ?? 0))
        .map((pkg) => `${pkg} ${kb(bytes.get(pkg) ?? 0)} KB`)
        .join(', ')}.`,
    ];
    const whyTable: ExtraTable = {
      title: `Why (cold start): ${REPRESENTATIVE}, its ${ms(totalNs)} ms load by part (parts required in turn in one fresh process; the app's init with its packages already loaded; medians of ${RUNS}, in the same rounds)`,
      headers: ['part', 'load ms', 'KB in bundle'],
      rows: [
        ...parts.map((p, i) => [p.name, ms(partNs[i]!), kb(p.bytes)]),
        ['app: functions/ + shared/ module init (clients, logger, metrics, zod schemas)', ms(appInitNs), kb(bytes.get(APP) ?? 0)],
        ['rest: the whole against the sum of the parts (negative: loading parts apart costs more)', ms(restNs), ''],
      ],
    };

    return {
      group: GROUP,
      title: 'Cold start: bundle size and fresh-process module load (init included) against a bundle of the same SDK clients alone',
      headers: ['function', 'bundle KB', 'load ms', 'SDK-only', 'SDK KB', 'SDK load ms', 'ratio (target ≤ 1.3×)', 'CPU-time ratio'],
      rows,
      targets,
      notes,
      extraTables: [whyTable],
      data: {
        runs: RUNS,
        esbuild: { ...BUNDLE, metafile: undefined },
        functions: data,
        whatIfZodNamespaceImport: { function: REPRESENTATIVE, ...whatIfResult },
        why: {
          function: REPRESENTATIVE,
          totalLoadMs: totalNs / 1e6,
          parts: Object.fromEntries<{ loadMs: number; bytes?: number }>([
            ...parts.map((p, i): [string, { loadMs: number; bytes: number }] => [p.name, { loadMs: partNs[i]! / 1e6, bytes: p.bytes }]),
            ['app init', { loadMs: appInitNs / 1e6, bytes: bytes.get(APP) ?? 0 }],
            ['rest', { loadMs: restNs / 1e6 }],
          ]),
          zodLocaleBytes: locales,
        },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
