import { InvalidCursorError, OffsetTooDeepError, TooManyToCountError, TooManyToSortError } from '../store/errors';
import { illegalArgument } from './kapua';

/**
 * The store's refusals (shared/store/errors.ts) in Kapua's words: each is a 400 naming the
 * argument the caller can change. Any other error is returned as it is (a KapuaError keeps its
 * shape, anything else answers 500).
 */
/** A 400 naming the sortParam the caller asked for, whose order is sorted in memory up to `limit` records; `keyOrder` pages any size. */
export function tooManyToSort(sortParam: string, limit: number, keyOrder = 'sentOn') {
  return illegalArgument(
    'sortParam',
    sortParam,
    `This order is sorted at query time, for up to ${limit} records; this collection has more: sort by ${keyOrder}, the stored order, which pages any size.`,
  );
}

export function kapuaErrorOf(error: unknown): unknown {
  if (error instanceof InvalidCursorError) return illegalArgument('cursor', error.cursor, 'The cursor does not belong to this query.');
  if (error instanceof TooManyToSortError) return tooManyToSort(error.order, error.limit);
  if (error instanceof OffsetTooDeepError)
    return illegalArgument('offset', error.offset, `Operations are skipped one query each, up to ${error.limit}: page with the cursor instead.`);
  if (error instanceof TooManyToCountError)
    return illegalArgument('askTotalCount', 'true', `Operations are counted one query each, up to ${error.limit}; this device has more.`);
  return error;
}
