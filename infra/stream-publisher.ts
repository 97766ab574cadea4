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
 * How each stream function reads the stream. The publisher: events and notifications, small batches
 * soon (consumers wait for them). The archiver: events only (every accepted callback is one event per
 * device; a notification repeats its event), in the largest batches Lambda allows, gathered up to 5
 * minutes: an object per scope and day per batch, so few PUTs and few invocations.
 */
function readingOf(definition: FunctionDefinition): { prefixes: readonly string[]; batchSize: number; maxBatchingWindow: Duration } {
  if (definition.table === 'archive-events') return { prefixes: [PUBLISHED_PK_PREFIXES[0]], batchSize: 10_000, maxBatchingWindow: Duration.seconds(300) };
  // Up to a second more latency for far fewer invocations when devices report in bursts.
  return { prefixes: PUBLISHED_PK_PREFIXES, batchSize: 100, maxBatchingWindow: Duration.seconds(1) };
}

/**
 * The table's stream into each stream function (the event publisher, the archiver): an event source
 * mapping `{id}-stream` in `scope` (the stack), and an output with the function's dead-letter queue.
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
    const { prefixes, batchSize, maxBatchingWindow } = readingOf(definition);
    new lambda.EventSourceMapping(scope, `${definition.id}-stream`, {
      target: publisher.function,
      eventSourceArn: table.tableStreamArn!,
      // On creation, from the oldest record the stream still holds: nothing stored since the stream began is skipped.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Only the records the function handles reach it (and are billed): new events (and notifications).
      filters: [
        lambda.FilterCriteria.filter({
          // FilterRule.isEqual is typed `any` in aws-cdk-lib; it returns the rule's value list.
          eventName: lambda.FilterRule.isEqual('INSERT') as unknown[],
          dynamodb: { Keys: { [TABLE.partitionKey]: { S: prefixes.flatMap((prefix) => lambda.FilterRule.beginsWith(prefix)) } } },
        }),
      ],
      batchSize,
      maxBatchingWindow,
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
