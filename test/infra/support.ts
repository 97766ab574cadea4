import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../infra/settings';
import { IotCallbackGatewayStack } from '../../infra/stack';
import type { FunctionDefinition } from '../../shared/routes';

/** Synthesised templates are untyped JSON. */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A stack built without bundling (the context key makes NodejsFunction skip esbuild); `functions` defaults to the function table. */
export function buildStack(settings: Partial<GatewaySettings> = {}, functions?: readonly FunctionDefinition[]): IotCallbackGatewayStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new IotCallbackGatewayStack(app, 'IotCallbackGateway', { ...DEFAULT_SETTINGS, ...settings, ...(functions ? { functions } : {}) });
}

/** The logical id CloudFormation gives the stack's function `fnId`: ground truth independent of the template. */
export function logicalIdOf(stack: IotCallbackGatewayStack, fnId: string): string {
  return stack.getLogicalId(stack.functions[fnId].function.node.defaultChild as CfnFunction);
}

/** The logical id of a scheduled function's dead-letter queue. */
export function queueIdOf(stack: IotCallbackGatewayStack, fnId: string): string {
  return stack.getLogicalId(stack.functions[fnId].deadLetterQueue!.node.defaultChild as CfnQueue);
}
