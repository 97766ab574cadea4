import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TableClient } from './client';
import { rejectionPk, TABLE } from './table';

/** One rejected-request record as written (shared/rejections.ts decides what it holds). */
export interface RejectionRecord extends Record<string, unknown> {
  scopeId: string;
  errorCode: string;
}

/** Where a record goes and what decides whether it may replace the one there. */
export interface RejectionSlot {
  /** One of the scope's capped set of slots. */
  slot: string;
  /** The record's source (an address, or an IPv6 /64). */
  source: string;
  standing: number;
  /** Epoch seconds: DynamoDB's TTL removes the record then. */
  expiresAt: number;
  /** Epoch seconds now: a record expired before it may be replaced. */
  nowSeconds: number;
}

/**
 * The rejected-request log's records in the table: one partition per scope (`REJ#{scope}`), a sort
 * key per slot. A record replaces the one in its slot only when that slot is empty or expired,
 * holds one of its own kind (source and error code), or one of no higher standing (a conditional
 * write: one write unit either way, nothing read). The records are read by the query API
 * (CallbackRecords.rejections).
 */
export class RejectionRecords {
  constructor(
    private readonly client: TableClient,
    private readonly tableName: string,
  ) {}

  /** Writes the record into its slot; false when the slot holds one it may not replace. */
  async put(record: RejectionRecord, at: RejectionSlot): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...record,
            [TABLE.partitionKey]: rejectionPk(record.scopeId),
            [TABLE.sortKey]: at.slot,
            type: 'rejection',
            source: at.source,
            standing: at.standing,
            [TABLE.ttlAttribute]: at.expiresAt,
          },
          ConditionExpression:
            'attribute_not_exists(#pk) OR #x < :now OR attribute_not_exists(#standing) OR #standing <= :standing OR (#source = :source AND #errorCode = :errorCode)',
          ExpressionAttributeNames: {
            '#pk': TABLE.partitionKey,
            '#x': TABLE.ttlAttribute,
            '#standing': 'standing',
            '#source': 'source',
            '#errorCode': 'errorCode',
          },
          ExpressionAttributeValues: { ':now': at.nowSeconds, ':standing': at.standing, ':source': at.source, ':errorCode': record.errorCode },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      return false;
    }
  }
}
