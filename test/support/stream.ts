import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { Channel } from '../../shared/channels';
import { toRecords } from '../../shared/mapping';
import { factsOf } from '../../shared/query/derive';
import { CallbackStore } from '../../shared/store/callback-store';
import { TABLE } from '../../shared/store/table';

// Hand-built stream events for the stream functions' unit tests (the event publisher, the archiver):
// the items the real store writes, in DynamoDB JSON as Lambda delivers them.

export type Item = Record<string, unknown>;

/** The items the store writes for a callback of `scope` (the client is never used by itemsOf); `plaintext`: SENSORO safe mode's decrypted content. */
export function itemsOf(scope: string, channel: Channel, body: string, receivedOn = new Date('2026-11-21T10:00:05.000Z'), plaintext?: string): Item[] {
  const store = new CallbackStore({} as DynamoDBDocumentClient, { tableName: 't', retentionDays: 30 });
  const provider = channel === 'sensoro' ? 'sensoro' : 'thingspace';
  const decrypted = plaintext === undefined ? undefined : Buffer.from(plaintext);
  const received = { provider, channel, scopeId: scope, body: Buffer.from(body), receivedOn, ...(decrypted ? { plaintext: decrypted } : {}) } as const;
  return store.itemsOf(toRecords(received, factsOf(channel, received.body, scope, decrypted)));
}

/** An item in DynamoDB JSON as a stream record carries it (binary as base64), written here independently of the code under test. */
export function imageOf(item: Item): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, v]) => [
      name,
      typeof v === 'string' ? { S: v } : typeof v === 'number' ? { N: String(v) } : { B: Buffer.from(v as Uint8Array).toString('base64') },
    ]),
  );
}

let sequence = 1000;
/** A stream record of an item, with the next sequence number. */
export function streamRecord(item: Item, eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT'): DynamoDBRecord {
  const keys = { [TABLE.partitionKey]: { S: String(item[TABLE.partitionKey]) }, [TABLE.sortKey]: { S: String(item[TABLE.sortKey]) } };
  return {
    eventID: `e${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      Keys: keys,
      ...(eventName === 'REMOVE' ? {} : { NewImage: imageOf(item) }),
      SequenceNumber: String(sequence++),
      SizeBytes: 100,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}
