import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../log';
import { TABLE } from '../store/table';
import { publishItems, type BodyReader } from './build';
import { PUBLISHED_PK_PREFIXES, type EventSink } from './contract';

type Item = Record<string, unknown>;

/**
 * A stream record's NewImage as the item the store wrote. Lambda hands the image over in DynamoDB
 * JSON with binary values in base64 (the SDK's unmarshall expects bytes there), and callback
 * records hold strings, numbers and binaries only: anything else is not a record of ours.
 */
export function itemOfImage(image: Record<string, AttributeValue>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(image)) {
    if (value.S !== undefined) item[name] = value.S;
    else if (value.N !== undefined) item[name] = Number(value.N);
    else if (value.B !== undefined) item[name] = Buffer.from(value.B, 'base64');
    else throw new Error(`Attribute ${name} has a type no callback record uses`);
  }
  return item;
}

/**
 * The event or notification a record inserted; undefined for any other change or item. The
 * mapping's filter lets only those through already: this holds without it too.
 */
function insertedItem(record: DynamoDBRecord): Item | undefined {
  const pk = record.dynamodb?.Keys?.[TABLE.partitionKey]?.S;
  const image = record.dynamodb?.NewImage;
  const published = pk !== undefined && PUBLISHED_PK_PREFIXES.some((prefix) => pk.startsWith(prefix));
  return record.eventName === 'INSERT' && published && image ? itemOfImage(image) : undefined;
}

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
    const outcomes = await publishItems(inserted.map((r) => r.item), readBody, sink);
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
