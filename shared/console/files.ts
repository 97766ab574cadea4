import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleFiles } from './build';

/** Where the stack's bundling writes the built console, beside the function's index.js. */
export const BUILT_FILE = 'console.json';

/**
 * The built console: in AWS, the file the stack wrote beside the bundle at synth time (the Lambda
 * has no esbuild); locally, built from the sources on first use, so an edit shows after a restart.
 */
export async function loadConsoleFiles(dir = __dirname): Promise<ConsoleFiles> {
  const built = join(dir, BUILT_FILE);
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8')) as ConsoleFiles;
  // A specifier in a variable: the Lambda bundler must not follow it into esbuild (a native binary).
  const builder = './build';
  const { buildConsole } = (await import(builder)) as typeof import('./build');
  return buildConsole();
}
