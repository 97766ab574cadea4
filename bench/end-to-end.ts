import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, startGateway } from '../local/gateway';
import { createDynamoClient } from '../shared/aws/clients';
import { CallbackStore } from '../shared/store/callback-store';
import { eventPk, notificationPk, TABLE } from '../shared/store/table';
import { fmt, latencyOf, loadSeconds, ratio, ROOT, target, withTimeout, type GroupResult, type Latency } from './lib';
import type { LoadResult, LoadSpec } from './load-client';
import { profileWhile } from './profile';
import { bareBaseline, coreServer, listen } from './servers';

const GROUP = 'end-to-end';
/** The target: the gateway serves at least 80 % of what a bare HMAC + PutItem server does. */
const TARGET_RATIO = 0.8;
const CONNECTIONS = [1, 16] as const;
const PROFILE_SECONDS = 3;
/** Timed runs per server and concurrency, merged. */
const PARTS = 4;

// One scope per server, so each one's records are counted in partitions of their own.
const ACCOUNT = '0212312345-00001';
const BASELINE_SCOPE = 'bench-baseline';
const CORE_ACCOUNT = '0212312345-00002';
const DEVICES = Array.from({ length: 8 }, (_, i) => `99001390783${5570 + i}`);
const PATH = `/webhooks/thingspace/${ACCOUNT}/diagnostics`;

/** The warning Powertools' logMetrics writes to stderr on every invocation (see the notes). */
const EMPTY_METRICS_WARNING = 'No application metrics to publish';

type Server = 'gateway' | 'baseline' | 'core';

/** Several load runs of one server at one concurrency, merged. */
interface Merged {
  ok: number;
  elapsedMs: number;
  rps: number;
  latencyMs: Latency;
  parts: Omit<LoadResult, 'latencies'>[];
}

function merge(parts: LoadResult[]): Merged {
  const ok = parts.reduce((n, p) => n + p.ok, 0);
  const elapsedMs = parts.reduce((n, p) => n + p.elapsedMs, 0);
  return {
    ok,
    elapsedMs,
    rps: (ok * 1000) / elapsedMs,
    latencyMs: latencyOf(parts.flatMap((p) => p.latencies)),
    parts: parts.map(({ latencies: _latencies, ...rest }) => rest),
  };
}

/** One load run in a child process, bounded in time; on timeout the child is ended by its own pid. */
function load(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(join(__dirname, 'load-client.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (m: { result?: LoadResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
    child.once('exit', (code) => reject(new Error(`load client exited with ${code}`)));
    child.once('error', reject);
  });
  child.send(spec);
  return withTimeout(done, 60_000 + spec.amount * 10, 'load run').finally(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid);
  });
}

/** Items under the device partitions of one scope, by Query with Select COUNT (paged). */
async function countUnder(db: DynamoDBDocumentClient, tableName: string, pk: (device: string) => string): Promise<number> {
  let total = 0;
  for (const device of DEVICES) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': pk(device) },
          Select: 'COUNT',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return total;
}

/**
 * Drops (and counts) the one warning line the metrics middleware writes per request, so a run's
 * output stays readable; everything else still reaches stderr. Returns the restore function.
 */
function filterStderr(counter: { lines: number }): () => void {
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).includes(EMPTY_METRICS_WARNING)) {
      counter.lines++;
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return () => {
    process.stderr.write = original;
  };
}

/** Group 2: autocannon against the local gateway and a bare HMAC + PutItem server on the same engine. */
export async function runEndToEnd(): Promise<GroupResult> {
  const seconds = loadSeconds();
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const key = randomUUID();
  const token = randomBytes(24).toString('base64url');
  const secretsFile = join(dir, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify({ [`thingspace/${ACCOUNT}/diagnostics`]: { current: { key, token } } }), { mode: 0o600 });
  // As test/support/gateway.ts sets them, minus the proxy: the handlers reach the engine directly.
  delete process.env.DYNAMODB_ENDPOINT;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: `bench-${randomUUID().slice(0, 8)}`,
    SECRETS_FILE: secretsFile,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const warnings = { lines: 0 };
  const restoreStderr = filterStderr(warnings);
  const gateway = await startGateway({ port: 0, dataDir: dir, archive: false });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: gateway.dynamoEndpoint }));
  const storeClient = createDynamoClient(process.env);
  const store = new CallbackStore(storeClient, { tableName: gateway.tableName, retentionDays: 365 });
  const baselineServer = bareBaseline(db, gateway.tableName, key, BASELINE_SCOPE);
  const core = coreServer(store, key, token, CORE_ACCOUNT);
  const urls: Record<Server, string> = { gateway: gateway.url, baseline: await listen(baselineServer), core: await listen(core) };
  const scopes: Record<Server, string> = { gateway: ACCOUNT, baseline: BASELINE_SCOPE, core: CORE_ACCOUNT };
  const answered: Record<Server, number> = { gateway: 0, baseline: 0, core: 0 };
  let runs = 0;

  const send = async (server: Server, connections: number, amount: number): Promise<LoadResult> => {
    const result = await load({
      url: urls[server],
      path: PATH,
      connections,
      amount: Math.max(amount, connections),
      key,
      token,
      account: scopes[server],
      devices: DEVICES,
      tag: `${server.slice(0, 2)}${String(runs++).padStart(3, '0')}`,
    });
    answered[server] += result.ok;
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${server} at ${connections} connections: ${result.non2xx} non-2xx, ${result.errors} errors (${JSON.stringify(result.statusCodes)})`);
    }
    return result;
  };

  try {
    const results: Record<string, Merged> = {};
    for (const connections of CONNECTIONS) {
      const servers: Server[] = connections === 16 ? ['gateway', 'baseline', 'core'] : ['gateway', 'baseline'];
      // A warm-up run per server warms the JIT, the handler modules and the connections, and sizes the timed
      // runs: each a fixed amount (every request sent is answered before the counts are compared).
      const amounts = new Map<Server, number>();
      for (const s of servers) amounts.set(s, Math.round(((await send(s, connections, connections === 1 ? 300 : 1_000)).rps * seconds) / PARTS));
      // PARTS runs each, in mirrored order (A B C C B A A B C …), so a drift over time (the engine's data
      // growing) or a burst of load from elsewhere weighs on every server alike.
      const parts = new Map<Server, LoadResult[]>(servers.map((s) => [s, []]));
      const order = Array.from({ length: PARTS }, (_, i) => (i % 2 === 0 ? servers : [...servers].reverse())).flat();
      for (const s of order) parts.get(s)!.push(await send(s, connections, amounts.get(s)!));
      for (const s of servers) results[`${s}@${connections}`] = merge(parts.get(s)!);
    }

    // Where the server process's CPU goes at 16 connections (the engine runs in this process too).
    const profiles: Record<string, { requests: number; wallMs: number; msByOwner: Map<string, number> }> = {};
    for (const s of ['gateway', 'baseline'] as const) {
      const p = await profileWhile(() => send(s, 16, Math.round(results[`${s}@16`]!.rps * PROFILE_SECONDS)));
      profiles[s] = { requests: p.value.ok, wallMs: p.wallMs, msByOwner: p.msByOwner };
    }

    const stored = {
      gatewayEvents: await countUnder(db, gateway.tableName, (d) => eventPk(ACCOUNT, d)),
      gatewayNotifications: await countUnder(db, gateway.tableName, (d) => notificationPk(ACCOUNT, d)),
      baselineEvents: await countUnder(db, gateway.tableName, (d) => eventPk(BASELINE_SCOPE, d)),
      coreEvents: await countUnder(db, gateway.tableName, (d) => eventPk(CORE_ACCOUNT, d)),
    };
    const exact =
      stored.gatewayEvents === answered.gateway &&
      stored.gatewayNotifications === answered.gateway &&
      stored.baselineEvents === answered.baseline &&
      stored.coreEvents === answered.core;
    if (!exact) throw new Error(`stored records differ from 2xx answers: ${JSON.stringify({ answered, stored })}`);

    const rows: string[][] = [];
    const targets = [];
    for (const c of CONNECTIONS) {
      const g = results[`gateway@${c}`]!;
      const b = results[`baseline@${c}`]!;
      const row = [
        String(c),
        fmt(g.rps, 0),
        fmt(g.latencyMs.p50),
        fmt(g.latencyMs.p99),
        fmt(b.rps, 0),
        fmt(b.latencyMs.p50),
        fmt(b.latencyMs.p99),
        ratio(g.rps / b.rps),
      ];
      rows.push(row);
      targets.push(target(GROUP, `${c} connection${c > 1 ? 's' : ''}: gateway / baseline req/s`, g.rps / b.rps, '>=', TARGET_RATIO));
    }
    const [g16, b16, c16] = (['gateway', 'baseline', 'core'] as const).map((s) => results[`${s}@16`]!);

    // Main-thread µs per answered request by owner (sampled wall time of the thread); the harness (forking the load client, stopping the profiler) left out.
    const harness = (owner: string) => owner.startsWith('bench/') && owner !== 'bench/servers.ts';
    const owners = new Set([...profiles.gateway!.msByOwner.keys(), ...profiles.baseline!.msByOwner.keys()]);
    const perRequest = (s: string, owner: string) => ((profiles[s]!.msByOwner.get(owner) ?? 0) * 1000) / profiles[s]!.requests;
    const breakdown = [...owners]
      .filter((o) => o !== 'idle' && !harness(o))
      .map((o) => ({ owner: o, gatewayUs: perRequest('gateway', o), baselineUs: perRequest('baseline', o) }))
      .sort((a, b) => b.gatewayUs - b.baselineUs - (a.gatewayUs - a.baselineUs));
    const busy = (s: 'gateway' | 'baseline') => breakdown.reduce((sum, o) => sum + (s === 'gateway' ? o.gatewayUs : o.baselineUs), 0);
    const idle = (s: string) => (profiles[s]!.msByOwner.get('idle') ?? 0) / profiles[s]!.wallMs;
    const storage = (s: 'gatewayUs' | 'baselineUs') =>
      breakdown.filter((o) => o.owner.startsWith('engine') || o.owner === 'AWS SDK client').reduce((sum, o) => sum + o[s], 0);

    const notes = [
      `Timed runs: per server a warm-up, then a fixed amount sized to ~${seconds} s in ${PARTS} runs (order A B C C B A …); unique signed Diagnostics bodies over ${DEVICES.length} devices; load from a child process (autocannon), the servers and the engine share this process. req/s = 2xx / (first request → last answer).`,
      `Stored = answered (exact): gateway ${answered.gateway} 2xx → ${stored.gatewayEvents} events, ${stored.gatewayNotifications} notifications; baseline ${answered.baseline} → ${stored.baselineEvents}; core ${answered.core} → ${stored.coreEvents}. No non-2xx, no errors.`,
      `Decomposition at 16 connections: baseline ${fmt(b16.rps, 0)} req/s → core = verify + parse + map + toRecords + CallbackStore (2 PutItem: event + notification) without the shell: ${fmt(c16.rps, 0)} req/s (${ratio(c16.rps / b16.rps)}) → gateway = core + local adapter + middy + Powertools + secret cache: ${fmt(g16.rps, 0)} req/s (${ratio(g16.rps / b16.rps)}).`,
      `Server main thread per request at 16 connections (V8 sampling profile; time on the thread, so a busy machine inflates it): gateway ${fmt(busy('gateway'), 0)} µs (idle ${fmt(idle('gateway') * 100, 0)} %), baseline ${fmt(busy('baseline'), 0)} µs (idle ${fmt(idle('baseline') * 100, 0)} %); of which engine + SDK client (two DynamoDB requests against one): ${fmt(storage('gatewayUs'), 0)} µs against ${fmt(storage('baselineUs'), 0)} µs.`,
      ...(warnings.lines > 0
        ? [`Powertools wrote "${EMPTY_METRICS_WARNING}…" to stderr ${warnings.lines} times during the run; the bench dropped those lines.`]
        : []),
    ];
    return {
      group: GROUP,
      title: 'Local end to end: the gateway (npm start, in-process) against a bare HMAC + PutItem server on the same engine',
      headers: ['conns', 'gateway req/s', 'p50 ms', 'p99 ms', 'baseline req/s', 'p50 ms', 'p99 ms', 'ratio (target ≥ 0.8)'],
      rows,
      targets,
      notes,
      extraTables: [
        {
          title:
            'Why (end to end): server main-thread µs per request at 16 connections, by owner (largest differences first; builtins and node: internals count to their caller; the engine runs in this process)',
          headers: ['owner', 'gateway µs/req', 'baseline µs/req', 'difference'],
          rows: breakdown.slice(0, 14).map((o) => [o.owner, fmt(o.gatewayUs, 1), fmt(o.baselineUs, 1), fmt(o.gatewayUs - o.baselineUs, 1)]),
        },
      ],
      data: {
        seconds,
        devices: DEVICES.length,
        results,
        answered,
        stored,
        storedEqualsAnswered: exact,
        emptyMetricsWarnings: warnings.lines,
        mainThreadUsPerRequest: Object.fromEntries(breakdown.map((o) => [o.owner, { gateway: o.gatewayUs, baseline: o.baselineUs }])),
        idleShare: { gateway: idle('gateway'), baseline: idle('baseline') },
      },
    };
  } finally {
    db.destroy();
    storeClient.destroy();
    await closeServer(baselineServer);
    await closeServer(core);
    await gateway.close();
    restoreStderr();
    rmSync(dir, { recursive: true, force: true });
  }
}
