// Summarises `npx eslint . -f json -o eslint.json`: problems per rule and per top-level folder, and with
// --list every problem as `rule | file:line`. Usage: node scripts/eslint-summary.mjs eslint.json [--list]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file, flag] = process.argv.slice(2);
const results = JSON.parse(readFileSync(file, 'utf8'));
const byRule = new Map();
const byFolder = new Map();
const list = [];
for (const result of results) {
  const rel = relative(process.cwd(), result.filePath);
  const folder = rel.includes('/') ? rel.split('/')[0] : '(root)';
  for (const m of result.messages) {
    const rule = `${m.ruleId ?? 'parse error'}${m.severity === 2 ? '' : ' (warning)'}`;
    const folders = byRule.get(rule) ?? new Map();
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
    byRule.set(rule, folders);
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
    list.push(`${rule} | ${rel}:${m.line}`);
  }
}
const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
console.log(`${list.length} problems in ${results.filter((r) => r.messages.length > 0).length} of ${results.length} files`);
console.log(`by folder: ${[...byFolder].map(([f, n]) => `${f} ${n}`).join(', ')}`);
for (const [rule, folders] of [...byRule].sort((a, b) => total(b[1]) - total(a[1]))) {
  console.log(`${String(total(folders)).padStart(5)} ${rule}  (${[...folders].map(([f, n]) => `${f} ${n}`).join(', ')})`);
}
if (flag === '--list') for (const line of list.sort()) console.log(line);
