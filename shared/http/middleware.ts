import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from '../log';
import { GatewayError } from './errors';
import { toErrorResponse } from './response';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * Turns any error into its HTTP answer and logs it: a 4xx as a warning with its reason, anything
 * else as an error with the cause's name and message (SDK messages carry no secret values).
 */
export function webhookErrors(render: ErrorRenderer = toErrorResponse): MiddlewareObj<Event, Result> {
  return {
    onError: function webhookErrorsOnError(request) {
      const error = request.error;
      const response = render(error, request.event);
      const cause = (error as { cause?: { name?: string; message?: string } } | undefined)?.cause;
      const fields = {
        outcome: 'rejected',
        statusCode: response.statusCode,
        errorCode: error instanceof GatewayError ? error.errorCode : 'INTERNAL_ERROR',
        reason: error instanceof GatewayError ? error.message : (error as Error | undefined)?.name,
        ...(cause ? { cause: `${cause.name ?? 'Error'}: ${cause.message ?? ''}` } : {}),
      };
      if ((response.statusCode ?? 500) >= 500) logger.error('callback not stored', fields);
      else logger.warn('callback rejected', fields);
      request.response = response;
    },
  };
}

/** Renders an error as the channel's answer (ThingSpace JSON by default, SOAP faults on the SOAP route). */
export type ErrorRenderer = (error: unknown, event: Event) => Result;

/** A webhook Lambda handler: the receive function, with logger context and error answers. */
export function webhookHandler(receive: (event: Event, context: Context) => Promise<Result>, render?: ErrorRenderer) {
  return middy<Event, Result>(receive)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(webhookErrors(render));
}
