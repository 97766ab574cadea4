import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { TABLE } from '../shared/store/table';

/**
 * The one table, `CallbackRecords` in `scope` (the stack: its logical id must not change).
 * `CallbackRecords`, not the first layout's `Callbacks`: the lean layout (shared/store/table.ts) is a new table.
 * It has no secondary index at all, local or global: every index entry would be written again on every
 * callback, and a local index would cap each device at 10 GB. Every query reads the table's own keys.
 */
export function addCallbackTable(scope: Construct, { stream }: { stream: boolean }): dynamodb.Table {
  return new dynamodb.Table(scope, 'CallbackRecords', {
    partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TABLE.ttlAttribute,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    // The table holds the callbacks providers will not send again: never delete it with the stack.
    removalPolicy: RemovalPolicy.RETAIN,
    // New items only, for the publisher: a stream costs no write units, and a record is in it only
    // once it is durable (and only when it was written: a duplicate's refused put writes nothing).
    ...(stream ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
  });
}

/** The event bus `Events` in `scope`, when the table has a stream to publish from. */
export function addEventBus(scope: Construct, table: dynamodb.Table): events.EventBus | undefined {
  if (!table.tableStreamArn) return undefined;
  // Consumers add their own rules to it (README "Events out"); the gateway adds none.
  return new events.EventBus(scope, 'Events', { description: 'Every event and notification the IoT callback gateway stores, once each' });
}
