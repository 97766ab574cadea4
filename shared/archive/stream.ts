import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { handleStreamBatch, type BodyReader } from '../store/published';
import { archiveItems } from './archive';
import type { ArchiveSink } from './objects';

/**
 * The stream archiver: every event a batch inserted is archived (archiveItems, the path the local
 * hook takes too); a record whose row or object failed is reported as a batch item failure, so the
 * stream retries it and, past its retries, describes it in the dead-letter queue.
 */
export function createStreamArchiver(readBody: BodyReader, sink: ArchiveSink) {
  return async function archiveStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return handleStreamBatch(event.Records, (items) => archiveItems(items, readBody, sink), 'archived');
  };
}
