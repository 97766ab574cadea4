import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../shared/routes';
import type { GatewayFunction } from './gateway-function';
import { addDeadLetterQueueOutput } from './outputs';

/**
 * The schedule of each scheduled function (the re-registration job): a rule `{id}-schedule` in
 * `scope` (the stack) every `rateMinutes`, and an output with its dead-letter queue.
 */
export function addSchedules(scope: Construct, functions: readonly FunctionDefinition[], built: Record<string, GatewayFunction>, rateMinutes: number): void {
  for (const definition of functions) {
    if (!definition.scheduled) continue;
    const scheduled = built[definition.id];
    const deadLetterQueue = scheduled.deadLetterQueue!;
    new events.Rule(scope, `${definition.id}-schedule`, {
      schedule: events.Schedule.rate(Duration.minutes(rateMinutes)),
      targets: [
        new targets.LambdaFunction(scheduled.function, {
          // Retries of a failed delivery (throttling, service errors); a run older than an hour is stale.
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          // The function's own queue: one place to look for runs that never happened or kept failing.
          deadLetterQueue,
        }),
      ],
    });
    addDeadLetterQueueOutput(scope, definition.id, deadLetterQueue);
  }
}
