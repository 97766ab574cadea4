import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { logger } from '../log';
import type { BodyReader } from '../store/published';
import type { StoredItem } from '../store/records';
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

/**
 * The store listener of local mode's archive (onStoredItems, as the local event publisher): the
 * items just made durable are buffered and archived every `flushSeconds` and on close, through the
 * same path as the stream archiver (archiveItems), so a local archive has the layout, and the
 * batching, of the deployed one. An item that could not be archived is logged by its ids
 * (archiveItems; it stays in the table); the webhook never waits for any of it.
 */
export class LocalArchiver {
  private buffer: StoredItem[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly sink: LocalArchiveSink;

  constructor(
    readonly dir: string,
    private readonly readBody: BodyReader,
    flushSeconds: number,
  ) {
    this.sink = new LocalArchiveSink(dir);
    this.timer = setInterval(() => void this.flush(), flushSeconds * 1000);
    // A pending flush never keeps the process alive: close() flushes what is left.
    this.timer.unref();
  }

  /** The onStoredItems listener: returns at once. */
  readonly listener = (items: StoredItem[]): void => {
    this.buffer.push(...items);
  };

  /** Archives what is buffered (one flush at a time, in order). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const items = this.buffer;
      this.buffer = [];
      if (items.length === 0) return;
      try {
        // Loaded on the first flush, as the local publisher loads its builder: every channel's parser.
        const { archiveItems } = await import('./archive');
        await archiveItems(items, this.readBody, this.sink);
      } catch (error) {
        // archiveItems never rejects: this is the module failing to load.
        logger.error('local archive flush failed', { items: items.length, cause: (error as Error)?.name });
      }
    });
    return this.flushing;
  }

  /** Stops the timer and archives what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
