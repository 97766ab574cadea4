import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ArchiveSink } from './objects';

/** Local mode's archive: the same keys as files under a directory (DATA_DIR/archive), so DuckDB reads the same layout Athena does. */
export class LocalArchiveSink implements ArchiveSink {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = resolve(join(this.root, key));
    // Keys are built by objectsOf (encoded scope, fixed day format): a key leaving the root is a bug.
    if (!path.startsWith(this.root + sep)) throw new Error('archive key outside the archive directory');
    await mkdir(dirname(path), { recursive: true });
    // Written aside, then renamed: a reader never sees half an object (a .gz cut short fails a whole query).
    const partial = `${path}.partial`;
    await writeFile(partial, body);
    await rename(partial, path);
  }
}
