import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDynamoClient } from '../../shared/aws/clients';
import { requireEnv } from '../../shared/config';
import { tableBodyReader } from '../../shared/events/build';
import { createEventBridgeClient } from '../../shared/aws/clients';
import { EventBridgeSink } from '../../shared/events/eventbridge';
import { createStreamPublisher } from '../../shared/events/stream';
import { logger } from '../../shared/log';

const publish = createStreamPublisher(
  tableBodyReader(createDynamoClient(), requireEnv('TABLE_NAME')),
  new EventBridgeSink(createEventBridgeClient(), requireEnv('EVENT_BUS_NAME')),
);

/**
 * The table's stream (INSERTs of events and notifications only, filtered by the event source
 * mapping) -> the event bus. Partial failures are reported per record (ReportBatchItemFailures).
 */
export const handler = middy(publish).use(injectLambdaContext(logger, { resetKeys: true }));
