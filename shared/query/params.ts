import { illegalArgument } from './kapua';
import type { ListOptions } from './reader';

/** Kapua's default page size. */
export const DEFAULT_LIMIT = 50;

/** How a collection may be sorted: Kapua sort parameter → `key` (the sort key's order) or the stored attribute sorted on. */
export type SortParams = Record<string, ListOptions['order']>;

function int(name: string, value: unknown, fallback: number, min: number, max: number, detail?: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,12}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw illegalArgument(name, value, detail);
  return n;
}

function bool(name: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw illegalArgument(name, value);
}

function text(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw illegalArgument(name, value);
  return value;
}

/**
 * List options from a query string (GET) or a `_query`/`_count` body, with Kapua's defaults and
 * argument names: offset 0, limit 50 (capped at `maxLimit`), askTotalCount false, the collection's
 * default sort ascending. A bad `sortDir` is reported as `sortOrder`, as Kapua does.
 */
export function listOptions(source: Record<string, unknown>, sortParams: SortParams, defaultSort: string, maxLimit: number): ListOptions {
  const sortParam = text('sortParam', source.sortParam, 64) ?? defaultSort;
  if (!Object.hasOwn(sortParams, sortParam)) throw illegalArgument('sortParam', sortParam, `Sortable by: ${Object.keys(sortParams).join(', ')}.`);
  const sortDir = text('sortOrder', source.sortDir, 16) ?? 'ASCENDING';
  if (sortDir !== 'ASCENDING' && sortDir !== 'DESCENDING') throw illegalArgument('sortOrder', sortDir);
  return {
    offset: int('offset', source.offset, 0, 0, 1_000_000),
    limit: int('limit', source.limit, DEFAULT_LIMIT, 1, maxLimit, `The limit is at most ${maxLimit}.`),
    askTotalCount: bool('askTotalCount', source.askTotalCount),
    order: sortParams[sortParam]!,
    descending: sortDir === 'DESCENDING',
    ...(text('resource', source.resource, 128) !== undefined ? { resource: source.resource as string } : {}),
    ...(text('cursor', source.cursor, 8_192) !== undefined ? { cursor: source.cursor as string } : {}),
  };
}
