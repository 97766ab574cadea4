import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from '../log';
import type { Provider } from '../model';
import { emit, METRIC } from '../metrics';
import { headerNamesOf, knownHeaderNames, type RejectionLog } from '../rejections';
import { GatewayError } from '../errors';
import { toErrorResponse } from './response';
import { checkSource, fromPublishedSource, sourceAllowList } from './source';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * Turns any error into its HTTP answer and logs it: a 4xx as a warning with its reason, anything
 * else as an error with the cause's name and message (SDK messages carry no secret values).
 */
export function webhookErrors(options: WebhookOptions): MiddlewareObj<Event, Result> {
  const render = options.render ?? toErrorResponse;
  const known = options.knownHeaderNames ?? knownHeaderNames(options.provider, options.channel);
  return {
    onError: async function webhookErrorsOnError(request) {
      const error = request.error;
      const response = render(error, request.event);
      const cause = (error as { cause?: { name?: string; message?: string } } | undefined)?.cause;
      const fields = {
        outcome: 'rejected',
        statusCode: response.statusCode,
        errorCode: error instanceof GatewayError ? error.errorCode : 'INTERNAL_ERROR',
        reason: error instanceof GatewayError ? (error.logReason ?? error.message) : (error as Error | undefined)?.name,
        ...(cause ? { cause: `${cause.name ?? 'Error'}: ${cause.message ?? ''}` } : {}),
      };
      if ((response.statusCode ?? 500) >= 500) logger.error('callback not stored', fields);
      else logger.warn('callback rejected', fields);
      emit(METRIC.rejected, { channel: options.channel, reason: fields.errorCode });
      if (fields.errorCode === 'SERVICE_UNAVAILABLE' && /store/i.test(String(fields.reason))) emit(METRIC.storeFailure, { channel: options.channel });
      if (options.rejections) await recordRejection(options, known, request.event, response.statusCode ?? 500, fields.errorCode, String(fields.reason ?? ''));
      request.response = response;
    },
  };
}

/**
 * Keeps a short record of a refused request; a failure to keep it is logged and changes no answer.
 * Header names are those the channel knows, the others counted, unless the request comes from an
 * address the provider publishes as its own: a stranger cannot send from one, and what such a
 * request carries is what tells an operator, say, which signature header ThingSpace really sends.
 */
async function recordRejection(
  options: WebhookOptions,
  known: ReadonlySet<string>,
  event: Event,
  statusCode: number,
  errorCode: string,
  reason: string,
): Promise<void> {
  const scope = event.pathParameters?.account ?? event.pathParameters?.appId;
  const isKnown = scope !== undefined && options.isKnownScope?.(scope) === true;
  const sourceIp = event.requestContext?.http?.sourceIp ?? '';
  const published = fromPublishedSource(options.provider, sourceIp);
  try {
    await options.rejections!.record({
      scopeId: isKnown ? scope! : '_unknown',
      provider: options.provider,
      channel: options.channel,
      statusCode,
      errorCode,
      reason,
      sourceIp,
      ...(published === undefined ? {} : { fromPublishedSource: published }),
      ...headerNamesOf(event.headers, published === true ? undefined : known),
      bodyBytes: event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body)) : 0,
      receivedOn: new Date().toISOString(),
    });
  } catch (error) {
    logger.warn('rejection not recorded', { cause: (error as Error)?.name });
  }
}

/** Refuses (403) a request from outside ALLOWED_SOURCE_IPS before anything else runs. */
export function sourceAllowed(allowList = sourceAllowList(process.env.ALLOWED_SOURCE_IPS)): MiddlewareObj<Event, Result> {
  return {
    before: function sourceAllowedBefore(request) {
      checkSource(allowList, request.event.requestContext?.http?.sourceIp);
    },
  };
}

/** Renders an error as the channel's answer (ThingSpace JSON by default, SOAP faults on the SOAP route). */
export type ErrorRenderer = (error: unknown, event: Event) => Result;

export interface WebhookOptions {
  provider: Provider;
  channel: string;
  render?: ErrorRenderer;
  /** Where refused requests are recorded (the rejected-request log). */
  rejections?: RejectionLog;
  /** Whether a scope is known to have a secret (a cache look, no fetch): unknown ones share one capped log. */
  isKnownScope?: (scope: string) => boolean;
  /** Header names the rejected-request log names (others are counted); default: knownHeaderNames(provider, channel). */
  knownHeaderNames?: ReadonlySet<string>;
}

/**
 * A webhook Lambda handler: the receive function behind, in order, the logger context, the error
 * answer (with its metric and rejected-request record) and the source allow-list (which must
 * refuse before anything reads the body). Metrics are single-metric sets written as they happen
 * (shared/metrics.ts), so no flush middleware (it would warn on every invocation without one).
 */
export function webhookHandler(receive: (event: Event, context: Context) => Promise<Result>, options: WebhookOptions) {
  return middy<Event, Result>(receive)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(webhookErrors(options))
    .use(sourceAllowed());
}
