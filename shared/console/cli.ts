import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConsole } from './build';
import { BUILT_FILE } from './files';

/**
 * `tsx shared/console/cli.ts <dir>`: writes the built console into `dir` as BUILT_FILE. The stack
 * runs it after bundling the console function, so the Lambda serves prebuilt files (it has no esbuild).
 */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx shared/console/cli.ts <output directory>');
  writeFileSync(join(dir, BUILT_FILE), JSON.stringify(await buildConsole()));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
