// Quiet, metric-free handlers before any shared module builds its logger (imports run in order).
import './quiet';
import { relative } from 'node:path';
import { runColdStart } from './cold-start';
import { runArchiveCost } from './archive-cost';
import { runCost } from './cost';
import { runEndToEnd } from './end-to-end';
import { runHotPath } from './hot-path';
import { fmt, machine, markdownTable, ratio, ROOT, verdict, writeResults, type GroupResult, type Target } from './lib';
import { runPaging } from './paging';

/**
 * `npm run bench [-- <group>...]`: runs the groups in order (all by default), prints each table,
 * writes bench/results/<group>.json, and ends with every target and whether it holds.
 */
const GROUPS: Record<string, { aliases: string[]; run: () => Promise<GroupResult> }> = {
  'hot-path': { aliases: ['hot'], run: runHotPath },
  'end-to-end': { aliases: ['e2e'], run: runEndToEnd },
  'cold-start': { aliases: ['cold'], run: runColdStart },
  paging: { aliases: ['page'], run: runPaging },
  cost: { aliases: ['wru', 'dynamodb'], run: runCost },
  // Reads the cost group's DynamoDB figures (bench/results/cost.json): `cost` runs it right after.
  'archive-cost': { aliases: ['archive'], run: runArchiveCost },
};

function selected(args: string[]): string[] {
  if (args.length === 0) return Object.keys(GROUPS);
  return args.flatMap((arg) => {
    const name = Object.keys(GROUPS).find((g) => g === arg || GROUPS[g]!.aliases.includes(arg));
    if (!name) {
      console.error(
        `unknown group "${arg}"; groups: ${Object.entries(GROUPS)
          .map(([g, d]) => [g, ...d.aliases].join('|'))
          .join(', ')}`,
      );
      process.exit(2);
    }
    return name === 'cost' && !args.some((a) => ['archive-cost', 'archive'].includes(a)) ? [name, 'archive-cost'] : [name];
  });
}

const shown = (t: Target) => (t.figure.includes('ratio') || t.figure.includes('/') ? ratio(t.value) : fmt(t.value, 3));

async function main(): Promise<void> {
  const groups = selected(process.argv.slice(2));
  const started = Date.now();
  const targets: Target[] = [];
  const first = machine();
  console.log(`bench on ${first.cpu}, ${first.cores} cores, ${first.os}, Node ${first.node}, load ${first.loadAverage}\n`);
  for (const name of groups) {
    const at = machine();
    const t0 = Date.now();
    console.log(`## ${name} …`);
    const result = await GROUPS[name]!.run();
    const file = writeResults(result, at);
    console.log(`${result.title} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    console.log(markdownTable(result.headers, result.rows));
    for (const note of result.notes) console.log(`- ${note}`);
    for (const extra of result.extraTables ?? []) console.log(`\n${extra.title}\n\n${markdownTable(extra.headers, extra.rows)}`);
    console.log(`→ ${relative(ROOT, file)}\n`);
    targets.push(...result.targets);
  }
  console.log(`## Summary (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  console.log(
    markdownTable(
      ['group', 'figure', 'measured', 'target', 'verdict'],
      targets.map((t) => [t.group, t.figure, shown(t), `${t.comparison} ${t.limit}`, verdict(t)]),
    ),
  );
}

main().then(
  // Keep-alive sockets of SDK clients and child processes are closed by the groups; exit regardless.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
