import { CfnOutput } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** The output `{Function}DeadLetterQueueUrl` of a scheduled or stream function's queue. */
export function addDeadLetterQueueOutput(scope: Construct, functionId: string, queue: sqs.IQueue): void {
  new CfnOutput(scope, `${pascalCase(functionId)}DeadLetterQueueUrl`, { value: queue.queueUrl });
}

/** `reregister` -> `Reregister`, `device-location` -> `DeviceLocation`: an output id from a function id. */
function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
