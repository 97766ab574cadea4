import { createDynamoClient } from '../aws/clients';
import { DEFAULT_RETENTION_DAYS, DEFAULT_SECRET_CACHE_TTL_SECONDS, envInt } from '../config';
import type { WebhookPorts } from '../ports';
import { RejectionLog } from '../rejections';
import { SecretCache } from '../secrets/cache';
import { CallbackStore } from '../store/callback-store';
import { createSecretStore, tableName } from './environment';

/**
 * A webhook's adapters, built once per container from its environment; throws at init when a
 * setting is missing. Secrets come from the file named by SECRETS_FILE when set (local mode), else
 * from Secrets Manager under SECRET_PREFIX; the table is TABLE_NAME on DYNAMODB_ENDPOINT or AWS.
 */
export function createWebhookPorts(env: NodeJS.ProcessEnv = process.env): WebhookPorts {
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
