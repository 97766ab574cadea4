import { createDynamoClient } from '../aws/clients';
import { CallbackReader } from '../query/reader';
import { tableName } from './environment';

/** The query API's reader, on TABLE_NAME. */
export function createReader(env: NodeJS.ProcessEnv = process.env): CallbackReader {
  return new CallbackReader(createDynamoClient(env), tableName(env));
}
