import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { PUBLISHED_PK_PREFIXES } from '../shared/store/table';
import type { FunctionDefinition } from '../shared/routes';
import { TABLE } from '../shared/store/table';
import type { GatewayFunction } from './gateway-function';
import { addDeadLetterQueueOutput } from './outputs';

/**
 * The table's stream into each stream function (the event publisher): an event source mapping
 * `{id}-stream` in `scope` (the stack), and an output with the function's dead-letter queue.
 */
export function addStreamPublishers(
  scope: Construct,
  functions: readonly FunctionDefinition[],
  built: Record<string, GatewayFunction>,
  table: dynamodb.ITable,
): void {
  for (const definition of functions) {
    if (!definition.stream) continue;
    const publisher = built[definition.id];
    new lambda.EventSourceMapping(scope, `${definition.id}-stream`, {
      target: publisher.function,
      eventSourceArn: table.tableStreamArn!,
      // On creation, from the oldest record the stream still holds: nothing stored since the stream began is skipped.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Only the records that are published reach the function (and are billed): new events and notifications.
      filters: [
        lambda.FilterCriteria.filter({
          // FilterRule.isEqual is typed `any` in aws-cdk-lib; it returns the rule's value list.
          eventName: lambda.FilterRule.isEqual('INSERT') as unknown[],
          dynamodb: { Keys: { [TABLE.partitionKey]: { S: PUBLISHED_PK_PREFIXES.flatMap((prefix) => lambda.FilterRule.beginsWith(prefix)) } } },
        }),
      ],
      batchSize: 100,
      // Up to a second more latency for far fewer invocations when devices report in bursts.
      maxBatchingWindow: Duration.seconds(1),
      // The function names the records it could not publish; the batch is split around a failure and
      // retried, then described in the dead-letter queue (the records stay in the table: npm run replay).
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      // The stream keeps a record 24 hours: past that it is gone from the stream anyway.
      maxRecordAge: Duration.days(1),
      onFailure: new SqsDlq(publisher.deadLetterQueue!),
    });
    addDeadLetterQueueOutput(scope, definition.id, publisher.deadLetterQueue!);
  }
}
