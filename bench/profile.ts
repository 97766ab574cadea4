import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib';

/** The parts of a V8 CPU profile this reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

// The embedded DynamoDB engine and the storage it runs on.
const ENGINE = new Set([
  'dynalite',
  'level',
  'classic-level',
  'abstract-level',
  'memory-level',
  'browser-level',
  'level-supports',
  'level-transcoder',
  'big.js',
  'async',
  'lazy',
  'lock',
  'once',
  'buffer-crc32',
  'module-error',
  'maybe-combine-errors',
  'napi-macros',
]);

/**
 * Where a frame's time belongs: a package, a file of this repository, or (for frames with no file
 * of their own: builtins, node: internals) the nearest caller that has one. Frames reached from no
 * such caller keep a name of their own (incoming HTTP parsing, GC, idle).
 */
function ownerOf(url: string, functionName: string): string | undefined {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8 (program)';
    return undefined;
  }
  if (url.startsWith('node:')) return undefined;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
  if (pkg) {
    if (ENGINE.has(pkg)) return 'engine: dynalite + LevelDB';
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/') || pkg === 'tslib') return 'AWS SDK client';
    if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools (logger, metrics)';
    if (pkg.startsWith('@middy/')) return 'middy';
    return pkg;
  }
  return relative(ROOT, path);
}

/** Frames without an owner and without an owning caller: node's own event-loop, HTTP and socket work. */
function unowned(url: string): string {
  if (url.includes('http') || url.includes('_http')) return 'node: http (parse, write)';
  if (url.includes('net') || url.includes('stream')) return 'node: net + streams';
  return 'node: other internals';
}

/** Milliseconds of CPU time per owner over the profile (sampled). */
export function attribute(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The owner of a frame, or '' when neither it nor any caller has one.
  const owner = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const result = ownerOf(node.callFrame.url, node.callFrame.functionName) ?? (up !== undefined ? resolve(up) : '');
    owner.set(id, result);
    return result;
  };
  const ms = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const key = resolve(id) || unowned(byId.get(id)!.callFrame.url);
    ms.set(key, (ms.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  return ms;
}

/** Runs `during` under V8's sampling profiler (this process) and returns CPU ms per owner. */
export async function profileWhile<T>(during: () => Promise<T>): Promise<{ value: T; wallMs: number; msByOwner: Map<string, number> }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
    const started = performance.now();
    const value = await during();
    const wallMs = performance.now() - started;
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    return { value, wallMs, msByOwner: attribute(profile) };
  } finally {
    session.disconnect();
  }
}
