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

/** How often local mode tries to archive an item (one try a flush) before it gives up on it, logged. */
export const LOCAL_ARCHIVE_TRIES = 3;

/**
 * The store listener of local mode's archive (onStoredItems, as the local event publisher): the
 * items just made durable are buffered and archived every `flushSeconds` and on close, through the
 * same path as the stream archiver (archiveItems), so a local archive has the layout, and the
 * batching, of the deployed one. An item that could not be archived (a full disk, the engine not
 * answering a shared body's read) is tried again at the next flush, up to LOCAL_ARCHIVE_TRIES times
 * in all, then logged by its ids (archiveItems; it stays in the table); the webhook never waits for
 * any of it.
 */
export class LocalArchiver {
  private buffer: StoredItem[] = [];
  private readonly tries = new Map<StoredItem, number>();
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

  /** Archives what is buffered (one flush at a time, in order); what failed waits for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const items = this.buffer;
      this.buffer = [];
      if (items.length === 0) return;
      let outcomes: readonly string[];
      try {
        // Loaded on the first flush, as the local publisher loads its builder: every channel's parser.
        const { archiveItems } = await import('./archive');
        outcomes = await archiveItems(items, this.readBody, this.sink);
      } catch (error) {
        // archiveItems never rejects: this is the module failing to load.
        logger.error('local archive flush failed', { items: items.length, cause: (error as Error)?.name });
        outcomes = items.map(() => 'failed');
      }
      const again: StoredItem[] = [];
      items.forEach((item, i) => {
        if (outcomes[i] !== 'failed') return this.tries.delete(item);
        const tried = (this.tries.get(item) ?? 0) + 1;
        if (tried < LOCAL_ARCHIVE_TRIES) {
          this.tries.set(item, tried);
          again.push(item);
        } else {
          this.tries.delete(item);
          logger.error('local archive gave up on an item', { tries: tried });
        }
      });
      this.buffer.unshift(...again);
    });
    return this.flushing;
  }

  /** Stops the timer and archives what is left (each item given its remaining tries). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (let i = 0; i < LOCAL_ARCHIVE_TRIES && (i === 0 || this.buffer.length > 0); i++) await this.flush();
  }
}
