import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError } from './errors';

/** A header value by case-insensitive name (API Gateway v2 lower-cases names; other callers may not). */
export function header(headers: APIGatewayProxyEventV2['headers'] | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  const direct = headers[wanted];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * The exact bytes the provider sent: base64-decoded when API Gateway encoded them. The size is
 * checked before anything else looks at the body (the base64 length bounds the decoded length).
 */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>, maxBytes: number): Buffer {
  const body = event.body ?? '';
  if (event.isBase64Encoded) {
    if (Math.floor((body.length * 3) / 4) > maxBytes + 2) throw new PayloadTooLargeError(maxBytes);
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    return bytes;
  }
  if (body.length > maxBytes || Buffer.byteLength(body, 'utf8') > maxBytes) throw new PayloadTooLargeError(maxBytes);
  return Buffer.from(body, 'utf8');
}

/** Account names are numeric with a suffix in practice (`0212312345-00001`); anything else is refused. */
const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The `{account}` path parameter, validated before it is used in a secret name or a key. */
export function accountParam(event: Pick<APIGatewayProxyEventV2, 'pathParameters'>): string {
  const account = event.pathParameters?.account;
  if (!account || !ACCOUNT_PATTERN.test(account)) {
    throw new BadRequestError('Path parameter account is missing or malformed');
  }
  return account;
}
