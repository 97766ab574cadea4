import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../shared/log';
import { createPublisher } from '../../shared/wiring/publisher';

const publish = createPublisher();

/**
 * The table's stream (INSERTs of events and notifications only, filtered by the event source
 * mapping) -> the event bus. Partial failures are reported per record (ReportBatchItemFailures).
 */
export const handler = middy(publish).use(injectLambdaContext(logger, { resetKeys: true }));
