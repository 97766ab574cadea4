import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../shared/log';
import { createQueryApi } from '../../shared/query/api';
import { createReader } from '../../shared/wiring/query';

/** Every /v1 route (behind the API key authorizer). */
export const handler = middy(createQueryApi(createReader())).use(injectLambdaContext(logger, { resetKeys: true }));
