/**
 * Typed errors of the webhook path. Each carries the HTTP status and the ThingSpace-style
 * `errorCode` it is answered with; `toErrorResponse` (http/response.ts) is the one place that maps them.
 * Messages are written for the caller: they never contain a secret, a signature or a digest.
 */
export class GatewayError extends Error {
  /** What the log says when it must say more than the answer does (an unknown account answered as a bad signature). */
  logReason?: string;

  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the body or a path parameter is malformed. */
export class BadRequestError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'BAD_REQUEST', message, options);
  }
}

/** 401: the message is not authentic. */
export class UnauthorizedError extends GatewayError {
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message);
  }
}

/** 401 after a signature (or token) was present but did not match: worth one secret refresh. */
export class SignatureMismatchError extends UnauthorizedError {}

/** 413: the body is larger than the configured cap. */
export class PayloadTooLargeError extends GatewayError {
  constructor(limit: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `Body exceeds the limit of ${limit} bytes`);
  }
}

/** 415: the body is not of the media type the channel takes. */
export class UnsupportedMediaTypeError extends GatewayError {
  constructor(expected: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be ${expected}`);
  }
}

/**
 * 429: retry later. Webhooks answer it while their container's budget of secret reads is spent, to
 * every request that does not verify, whatever its account: its message never names accounts.
 */
export class TooManyRequestsError extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'TOO_MANY_REQUESTS', message);
  }
}

/** 503: a dependency (secret, table) cannot be reached or is not configured; the provider retries. */
export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'SERVICE_UNAVAILABLE', message, options);
  }
}
