import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { handleStreamBatch } from '../store/published';
import type { BodyReader } from '../store/published';
import { publishItems } from './build';
import type { EventSink } from './contract';

/**
 * The stream publisher: every record of the batch that inserted an event or a notification is
 * published (publishItems, the path the local hook takes too); a record that could not be published
 * is reported as a batch item failure (handleStreamBatch: delivery is at least once).
 */
export function createStreamPublisher(readBody: BodyReader, sink: EventSink) {
  return async function publishStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return handleStreamBatch(
      event.Records,
      async (items) => (await publishItems(items, readBody, sink)).map((o) => (o === 'published' ? 'done' : o)),
      'published',
    );
  };
}
