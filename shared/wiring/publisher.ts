import { createDynamoClient, createEventBridgeClient } from '../aws/clients';
import { requireEnv } from '../config';
import { tableBodyReader } from '../store/published';
import { EventBridgeSink } from '../events/eventbridge';
import { createStreamPublisher } from '../events/stream';

/** The stream publisher: bodies read from TABLE_NAME, events put on EVENT_BUS_NAME. */
export function createPublisher(env: NodeJS.ProcessEnv = process.env) {
  return createStreamPublisher(
    tableBodyReader(createDynamoClient(env), requireEnv('TABLE_NAME', env)),
    new EventBridgeSink(createEventBridgeClient(env), requireEnv('EVENT_BUS_NAME', env)),
  );
}
