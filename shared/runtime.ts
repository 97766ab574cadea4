import { createDynamoClient, createSecretsManagerClient } from './aws/clients';
import { DEFAULT_RETENTION_DAYS, DEFAULT_SECRET_CACHE_TTL_SECONDS, envInt, requireEnv } from './config';
import { SecretCache } from './secrets/cache';
import { FileSecretSource } from './secrets/file-source';
import { SecretsManagerSource } from './secrets/secrets-manager-source';
import type { SecretStore } from './secrets/source';
import { RegistrationStatusStore } from './reregister/status';
import { ApiKeyStore } from './apikeys/store';
import { CallbackRecords } from './store/callback-records';
import { RejectionLog } from './rejections';
import { CallbackStore } from './store/callback-store';

/**
 * The adapters a function runs with, built once per container from its environment. Secrets come
 * from the file named by SECRETS_FILE when set (local mode), else from Secrets Manager under
 * SECRET_PREFIX; the table is TABLE_NAME on DYNAMODB_ENDPOINT or AWS.
 */
export interface Runtime {
  secrets: SecretCache;
  store: CallbackStore;
  rejections: RejectionLog;
}

/** The table every function works on: TABLE_NAME, required. */
export const tableName = (env: NodeJS.ProcessEnv = process.env) => requireEnv('TABLE_NAME', env);

/** The query API's reader of callback records, on TABLE_NAME. */
export function createReader(env: NodeJS.ProcessEnv = process.env): CallbackRecords {
  return new CallbackRecords(createDynamoClient(env), tableName(env));
}

/** The API key store, on TABLE_NAME. */
export function createApiKeyStore(env: NodeJS.ProcessEnv = process.env): ApiKeyStore {
  return new ApiKeyStore(createDynamoClient(env), tableName(env));
}

/** The secret store without a cache: the file named by SECRETS_FILE, else Secrets Manager under SECRET_PREFIX. */
export function createSecretStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return env.SECRETS_FILE ? new FileSecretSource(env.SECRETS_FILE) : new SecretsManagerSource(createSecretsManagerClient(env), env.SECRET_PREFIX ?? '');
}

/** The re-registration job's status records, on TABLE_NAME. */
export function createStatusStore(env: NodeJS.ProcessEnv = process.env): RegistrationStatusStore {
  return new RegistrationStatusStore(createDynamoClient(env), tableName(env));
}

/** Builds a webhook's adapters from environment variables; throws at init when one is missing. */
export function createRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const source = createSecretStore(env);
  const secrets = new SecretCache(source, {
    ttlMs: envInt('SECRET_CACHE_TTL_SECONDS', DEFAULT_SECRET_CACHE_TTL_SECONDS, { min: 0, max: 86_400 }, env) * 1000,
    minRefreshIntervalMs: envInt('SECRET_MIN_REFRESH_MS', 1_000, { min: 0, max: 3_600_000 }, env),
    unknownNamesPerMinute: envInt('SECRET_UNKNOWN_NAMES_PER_MINUTE', 30, { min: 1, max: 10_000 }, env),
  });
  const dynamo = createDynamoClient(env);
  const store = new CallbackStore(dynamo, {
    tableName: tableName(env),
    retentionDays: envInt('RETENTION_DAYS', DEFAULT_RETENTION_DAYS, { min: 0, max: 36_500 }, env),
    receiptDays: envInt('RECEIPT_TTL_DAYS', 7, { min: 1, max: 36_500 }, env),
  });
  const rejections = new RejectionLog(dynamo, {
    tableName: tableName(env),
    capPerScope: envInt('REJECTION_LOG_CAP', 500, { min: 1, max: 2_000 }, env),
    ttlHours: envInt('REJECTION_LOG_TTL_HOURS', 24, { min: 1, max: 720 }, env),
    perScopePerMinute: envInt('REJECTION_LOG_PER_MINUTE', 10, { min: 1, max: 10_000 }, env),
  });
  return { secrets, store, rejections };
}
