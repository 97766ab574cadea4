/**
 * What a read of callback records refuses, in the store's own words: the query layer
 * (shared/query/errors.ts) turns each into Kapua's answer.
 */

/** A cursor that was not made by this same query (another partition, filter, order or direction), or is malformed. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('The cursor does not belong to this query.');
    this.name = 'InvalidCursorError';
  }
}

/** An order sorted in memory, asked of a collection larger than the store sorts. */
export class TooManyToSortError extends Error {
  constructor(
    /** The order asked (as the store names it). */
    readonly order: string,
    readonly limit: number,
  ) {
    super(`More than ${limit} records to sort`);
    this.name = 'TooManyToSortError';
  }
}

/** An offset into a device's operations deeper than the store skips (one query per operation skipped). */
export class OffsetTooDeepError extends Error {
  constructor(
    readonly offset: number,
    readonly limit: number,
  ) {
    super(`Offset past ${limit}`);
    this.name = 'OffsetTooDeepError';
  }
}

/** A count of a device's operations asked of a device with more than the store counts (one query per operation). */
export class TooManyToCountError extends Error {
  constructor(readonly limit: number) {
    super(`More than ${limit} to count`);
    this.name = 'TooManyToCountError';
  }
}
