import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { envInt } from '../config';

/**
 * The explicit retries and timeouts of one client, read from `{prefix}_MAX_ATTEMPTS` (3),
 * `{prefix}_CONNECT_TIMEOUT_MS` (1,000) and `{prefix}_REQUEST_TIMEOUT_MS` (3,000): a webhook must
 * answer well inside API Gateway's 30 s, and a failing dependency must turn into a 503 quickly so
 * the provider retries later.
 */
function limits(prefix: string, env: NodeJS.ProcessEnv) {
  return {
    maxAttempts: envInt(`${prefix}_MAX_ATTEMPTS`, 3, { min: 1, max: 10 }, env),
    requestHandler: {
      connectionTimeout: envInt(`${prefix}_CONNECT_TIMEOUT_MS`, 1_000, { min: 10 }, env),
      requestTimeout: envInt(`${prefix}_REQUEST_TIMEOUT_MS`, 3_000, { min: 10 }, env),
    },
  };
}

/**
 * SDK clients, built once per container and shared by every module. `DYNAMODB_ENDPOINT` points the
 * DynamoDB client at a local engine; nothing else changes between AWS and local mode.
 */
export function createDynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}), ...limits('DYNAMODB', env) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Secrets Manager client (SECRETS_* limits). */
export function createSecretsManagerClient(env: NodeJS.ProcessEnv = process.env): SecretsManagerClient {
  return new SecretsManagerClient(limits('SECRETS', env));
}

/** EventBridge client of the stream publisher and replay (EVENTS_* limits). */
export function createEventBridgeClient(env: NodeJS.ProcessEnv = process.env): EventBridgeClient {
  return new EventBridgeClient(limits('EVENTS', env));
}

/**
 * S3 client of the archiver (S3_* limits; the request timeout longer by default: an object of a
 * 10,000-record batch is a few hundred KB, and the archiver is behind no gateway).
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client(limits('S3', { S3_REQUEST_TIMEOUT_MS: '30000', ...env }));
}
