import { illegalArgument } from './kapua';
import type { ListOptions } from '../store/partition-reader';

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

/** As JAX-RS reads a Boolean (`Boolean.valueOf`): true for `true` in any case, false for anything else; never an error. */
function bool(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** A date parameter (ISO 8601, as Kapua's DateParam takes), as epoch milliseconds. */
function date(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? Date.parse(value.trim()) : NaN;
  if (!Number.isFinite(ms)) throw illegalArgument(name, value, 'A date is yyyy-MM-ddTHH:mm:ss.SSSZ (ISO 8601).');
  return ms;
}

function text(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw illegalArgument(name, value);
  return value;
}

/** What a collection adds to the common list options. */
export interface ListDefaults {
  /** Newest first unless sortDir says otherwise (Kapua's device events); a list names the sortParams that default to it. */
  descending?: boolean | readonly string[];
  /** Whether `startDate` / `endDate` filter the list (device events). */
  dates?: boolean;
}

/** The sortParam a request names (the collection's default when it names none). */
export const sortParamOf = (source: Record<string, unknown>, defaultSort: string): string => text('sortParam', source.sortParam, 64) ?? defaultSort;

/**
 * List options from a query string (GET) or a `_query`/`_count` body, parsed as Kapua's JAX-RS
 * resources parse them: offset 0, limit 50 (capped at `maxLimit`; 0 is a page of nothing),
 * askTotalCount true only for `true` in any case (never an error), sortDir ASCENDING or DESCENDING
 * in any case (a bad one is reported as `sortOrder`, as Kapua does), the collection's default sort.
 */
export function listOptions(
  source: Record<string, unknown>,
  sortParams: SortParams,
  defaultSort: string,
  maxLimit: number,
  defaults: ListDefaults = {},
): ListOptions {
  const sortParam = sortParamOf(source, defaultSort);
  if (!Object.hasOwn(sortParams, sortParam)) throw illegalArgument('sortParam', sortParam, `Sortable by: ${Object.keys(sortParams).join(', ')}.`);
  const descendingByDefault = Array.isArray(defaults.descending) ? defaults.descending.includes(sortParam) : defaults.descending === true;
  const sortDir = (text('sortOrder', source.sortDir, 16) ?? (descendingByDefault ? 'DESCENDING' : 'ASCENDING')).toUpperCase();
  if (sortDir !== 'ASCENDING' && sortDir !== 'DESCENDING') throw illegalArgument('sortOrder', source.sortDir);
  const startDate = defaults.dates ? date('startDate', source.startDate) : undefined;
  const endDate = defaults.dates ? date('endDate', source.endDate) : undefined;
  return {
    offset: int('offset', source.offset, 0, 0, 1_000_000),
    limit: int('limit', source.limit, DEFAULT_LIMIT, 0, maxLimit, `The limit is at most ${maxLimit}.`),
    askTotalCount: bool(source.askTotalCount),
    order: sortParams[sortParam]!,
    descending: sortDir === 'DESCENDING',
    ...(startDate !== undefined ? { startDate } : {}),
    ...(endDate !== undefined ? { endDate } : {}),
    ...(text('resource', source.resource, 128) !== undefined ? { resource: source.resource as string } : {}),
    ...(text('cursor', source.cursor, 8_192) !== undefined ? { cursor: source.cursor as string } : {}),
  };
}
