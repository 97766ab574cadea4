import { logger } from '../log';
import { factsOf } from '../query/derive';
import { publishedRecordsOf, sortKeyOf, type BodyReader, type ItemOutcome } from '../store/published';
import type { StoredItem } from '../store/records';
import { objectsOf, type ArchiveSink } from './objects';
import { archiveRowOf, type ArchiveRow } from './row';

/**
 * THE path from stored items to the archive, the same for the stream archiver and `npm start`'s
 * local hook: each event becomes a row (the record the query API shows, with its stored body; a
 * further device's shared body read as the publisher reads it), rows are grouped into one object
 * per scope and day and written through `sink`. Never rejects: an item whose row cannot be built,
 * or whose object could not be written, is `failed` (logged by ids, never a body), so the stream
 * retries it and, past the retries, dead-letters it.
 */
export async function archiveItems(items: readonly StoredItem[], readBody: BodyReader, sink: ArchiveSink): Promise<ItemOutcome[]> {
  const records = await publishedRecordsOf(items, readBody, factsOf);
  const outcomes: ItemOutcome[] = [];
  const rows: (ArchiveRow | undefined)[] = records.map((result, i) => {
    try {
      if (result.status === 'rejected') throw result.reason;
      const row = result.value && archiveRowOf(result.value);
      outcomes.push(row ? 'done' : 'skipped');
      return row;
    } catch (error) {
      const cause = error as Error | undefined;
      logger.error('stored record not archived', { sortKey: sortKeyOf(items[i]!), cause: `${cause?.name}: ${cause?.message}` });
      outcomes.push('failed');
      return undefined;
    }
  });
  await Promise.all(
    objectsOf(rows).map(async (object) => {
      try {
        await sink.put(object.key, object.body);
      } catch (error) {
        logger.error('archive object not written', { key: object.key, rows: object.rows.length, cause: (error as Error)?.name });
        for (const i of object.rows) outcomes[i] = 'failed';
      }
    }),
  );
  return outcomes;
}
