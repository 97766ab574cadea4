import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../log';
import { insertedItem } from '../store/published';
import type { StoredItem } from '../store/records';
import type { BodyReader } from '../store/published';
import { publishItems } from './build';
import type { EventSink } from './contract';

type Item = StoredItem;

/**
 * The stream publisher: every record of the batch that inserted an event or a notification is
 * published (publishItems, the path the local hook takes too). A record that could not be
 * published is reported as a batch item failure; Lambda then retries the shard from the lowest
 * one reported (records after it are published again: delivery is at least once), bisecting and,
 * past its retries, sending the batch's description to the on-failure queue.
 */
export function createStreamPublisher(readBody: BodyReader, sink: EventSink) {
  return async function publishStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const records = event.Records;
    const failures = new Set<DynamoDBRecord>();
    const inserted: { record: DynamoDBRecord; item: Item }[] = [];
    for (const record of records) {
      try {
        const item = insertedItem(record);
        if (item) inserted.push({ record, item });
      } catch (error) {
        logger.error('stream record not readable', { sequenceNumber: record.dynamodb?.SequenceNumber, cause: (error as Error).message });
        failures.add(record);
      }
    }
    const outcomes = await publishItems(
      inserted.map((r) => r.item),
      readBody,
      sink,
    );
    outcomes.forEach((outcome, i) => {
      if (outcome === 'failed') failures.add(inserted[i]!.record);
    });
    const published = outcomes.filter((o) => o === 'published').length;
    logger.info('stream batch published', { records: records.length, published, failed: failures.size });
    return {
      batchItemFailures: records.filter((r) => failures.has(r)).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! })),
    };
  };
}
