import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { ApiKeyAuthorizer, type AuthorizerContext } from '../../shared/apikeys/authorizer';
import { envInt } from '../../shared/config';
import { createApiKeyStore } from '../../shared/wiring/authorizer';

const authorizer = new ApiKeyAuthorizer(createApiKeyStore(), envInt('API_KEY_CACHE_TTL_SECONDS', 30, { min: 0, max: 3_600 }) * 1000);

/**
 * API Gateway Lambda authorizer (simple responses) for the /v1 routes. It lets every request
 * through to the query function with what it found: the query function refuses unknown keys
 * with a 401 {"message":"Unauthorized"} (see ApiKeyAuthorizer). A store failure throws: API Gateway answers 500.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> {
  const authorization = event.headers?.authorization ?? event.headers?.Authorization;
  return { isAuthorized: true, context: await authorizer.authorize(authorization) };
}
