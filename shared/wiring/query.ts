import { createDynamoClient } from '../aws/clients';
import { CallbackRecords } from '../store/callback-records';
import { tableName } from './environment';

/** The query API's reader of callback records, on TABLE_NAME. */
export function createReader(env: NodeJS.ProcessEnv = process.env): CallbackRecords {
  return new CallbackRecords(createDynamoClient(env), tableName(env));
}
