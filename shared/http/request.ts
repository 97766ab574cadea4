import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';

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

/** Scopes are ThingSpace accounts (`0212312345-00001`) or SENSORO AppIDs; anything else is refused. */
const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A scope path parameter (`account`, `appId`), validated before it is used in a secret name or a key. */
export function scopeParam(event: Pick<APIGatewayProxyEventV2, 'pathParameters'>, name = 'account'): string {
  const value = event.pathParameters?.[name];
  if (!value || !SCOPE_PATTERN.test(value)) {
    throw new BadRequestError(`Path parameter ${name} is missing or malformed`);
  }
  return value;
}

const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** Refuses (415) a body whose Content-Type is present and not JSON. */
export function requireJsonMediaType(headers: APIGatewayProxyEventV2['headers'] | undefined): void {
  const contentType = header(headers, 'content-type');
  if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError('application/json');
  }
}
