import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../shared/log';
import { createArchiver } from '../../shared/wiring/archiver';

const archive = createArchiver();

/**
 * The table's stream (INSERTs of events only, filtered by the event source mapping) -> the archive
 * bucket, one gzipped JSON-lines object per scope and day of a batch. Partial failures are reported
 * per record (ReportBatchItemFailures).
 */
export const handler = middy(archive).use(injectLambdaContext(logger, { resetKeys: true }));
