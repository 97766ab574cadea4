import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, release, type } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (bench/ sits directly under it). */
export const ROOT = resolve(__dirname, '..');

/** Where each group writes its JSON (committed alongside the code, so a change shows in review). */
export const RESULTS_DIR = join(__dirname, 'results');

/** The machine a result was measured on: numbers from two machines are not comparable. */
export interface Machine {
  os: string;
  cpu: string;
  cores: number;
  node: string;
  date: string;
  /** 1-minute load average when the group started: anything else running skews the figures. */
  loadAverage: number;
}

export function machine(): Machine {
  return {
    os: `${type()} ${release()} ${arch()}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** A target of the issue, evaluated on one measured figure. */
export interface Target {
  group: string;
  figure: string;
  value: number;
  comparison: '<=' | '>=';
  limit: number;
  holds: boolean;
}

export function target(group: string, figure: string, value: number, comparison: '<=' | '>=', limit: number): Target {
  return { group, figure, value, comparison, limit, holds: comparison === '<=' ? value <= limit : value >= limit };
}

/** What one group hands back to run.ts: its printed table, its targets, and the data for its JSON file. */
export interface GroupResult {
  group: string;
  title: string;
  headers: string[];
  rows: string[][];
  targets: Target[];
  /** Lines printed after the table: diagnoses, checks, caveats. */
  notes: string[];
  /** Further tables printed after the notes (breakdowns that explain a figure). */
  extraTables?: ExtraTable[];
  data: Record<string, unknown>;
}

export interface ExtraTable {
  title: string;
  headers: string[];
  rows: string[][];
}

/** The file bench/results/<group>.json: stable key order, two-space indent, trailing newline. */
export function writeResults(result: GroupResult, started: Machine): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${result.group}.json`);
  const body = {
    group: result.group,
    title: result.title,
    machine: started,
    targets: result.targets.map(({ group: _group, ...t }) => t),
    table: { headers: result.headers, rows: result.rows },
    notes: result.notes,
    extraTables: result.extraTables ?? [],
    data: result.data,
  };
  // Four decimals are plenty for a benchmark and keep the committed diff small.
  const round = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(4)) : value);
  writeFileSync(path, JSON.stringify(body, round, 2) + '\n');
  return path;
}

/** A Markdown table (readable in a terminal, pasteable into the README as it is). */
export function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** p50 and p99 (nearest rank), mean and max of latencies in ms. */
export function latencyOf(values: readonly number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  return {
    p50: rank(50),
    p99: rank(99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** Fixed decimals, or a thousands-grouped integer for large values. */
export function fmt(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10_000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(decimals);
}

export const ratio = (value: number) => `${fmt(value, 2)}×`;

export const verdict = (t: Target) => (t.holds ? 'holds' : 'FAILS');

// Results land here so the optimiser cannot drop a loop body whose value is never used.
let sink: unknown;
/** The last value a timed loop produced (only so that it is observable). */
export const lastResult = () => sink;

/** Nanoseconds per call of `fn` over `iterations` back-to-back calls (process.hrtime.bigint). */
export function nsPerOp(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Iterations of `fn` that take about `ms` (at least 100), measured after `fn` has run a while. */
export function iterationsFor(fn: () => unknown, ms: number): number {
  let n = 100;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = fn();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsed >= ms / 4) return Math.max(100, Math.round((n * ms) / elapsed));
    n *= 4;
  }
}

/** Rejects after `ms`: every wait on another process or server in the bench is bounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Seconds of timed load per server and concurrency (BENCH_SECONDS, default 6): the whole bench stays near three minutes. */
export function loadSeconds(): number {
  const value = Number(process.env.BENCH_SECONDS ?? 6);
  return Number.isFinite(value) && value >= 1 && value <= 60 ? value : 6;
}
