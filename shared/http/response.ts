import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { GatewayError, TooManyRequestsError } from '../errors';

/** A JSON response. */
export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/**
 * The ThingSpace-form error body for any thrown value. Unknown errors become a bare 500 so that
 * nothing of their message (which might quote input) reaches the caller; 5xx makes providers retry.
 */
export function toErrorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof TooManyRequestsError) {
    const answer = json(error.statusCode, { errorCode: error.errorCode, errorMessage: error.message });
    return { ...answer, headers: { ...answer.headers, 'retry-after': String(error.retryAfterSeconds) } };
  }
  if (error instanceof GatewayError) {
    return json(error.statusCode, { errorCode: error.errorCode, errorMessage: error.message });
  }
  return json(500, { errorCode: 'INTERNAL_ERROR', errorMessage: 'Internal error; the callback was not stored' });
}
