import { ApiKeyStore } from '../apikeys/store';
import { createDynamoClient } from '../aws/clients';
import { tableName } from './environment';

/** The API key store the query API's authorizer reads, on TABLE_NAME. */
export function createApiKeyStore(env: NodeJS.ProcessEnv = process.env): ApiKeyStore {
  return new ApiKeyStore(createDynamoClient(env), tableName(env));
}
