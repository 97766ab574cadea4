import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** The page's sources: index.html, style.css and main.ts with its modules. */
const SOURCE = resolve(__dirname, '..', '..', 'console');

/** The built console: index.html and the assets it names (file name → text). */
export interface ConsoleFiles {
  index: string;
  assets: Record<string, string>;
}

/** A file name that changes with its content, so an asset can be cached for good. */
const hashed = (name: string, ext: string, text: string) => `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`;

/**
 * The console as served files, built in memory: main.ts bundled and minified (uPlot inside),
 * style.css with uPlot's stylesheet, both under content-hashed names, and index.html pointing at them.
 */
export async function buildConsole(): Promise<ConsoleFiles> {
  const result = await build({
    entryPoints: [join(SOURCE, 'main.ts'), join(SOURCE, 'style.css')],
    bundle: true,
    minify: true,
    write: false,
    outdir: 'out',
    format: 'iife',
    target: ['chrome120', 'firefox121'],
    // The page has no source maps on purpose: the bundle is what it is, and small.
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))!.text;
  const script = hashed('main', 'js', js);
  const style = hashed('style', 'css', css);
  const index = readFileSync(join(SOURCE, 'index.html'), 'utf8').replace('main.js', `/console/${script}`).replace('style.css', `/console/${style}`);
  return { index, assets: { [script]: js, [style]: css } };
}
