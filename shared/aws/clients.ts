import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { envInt } from '../config';

/**
 * SDK clients, built once per container and shared by every module. Timeouts and retries are
 * explicit: a webhook must answer well inside API Gateway's 30 s, and a failing dependency must
 * turn into a 503 quickly so the provider retries later. `DYNAMODB_ENDPOINT` points the client
 * at a local engine; nothing else changes between AWS and local mode.
 */
export function createDynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
    maxAttempts: envInt('DYNAMODB_MAX_ATTEMPTS', 3, { min: 1, max: 10 }, env),
    requestHandler: {
      connectionTimeout: envInt('DYNAMODB_CONNECT_TIMEOUT_MS', 1_000, { min: 10 }, env),
      requestTimeout: envInt('DYNAMODB_REQUEST_TIMEOUT_MS', 3_000, { min: 10 }, env),
    },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Secrets Manager client with the same explicit limits. */
export function createSecretsManagerClient(env: NodeJS.ProcessEnv = process.env): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: envInt('SECRETS_MAX_ATTEMPTS', 3, { min: 1, max: 10 }, env),
    requestHandler: {
      connectionTimeout: envInt('SECRETS_CONNECT_TIMEOUT_MS', 1_000, { min: 10 }, env),
      requestTimeout: envInt('SECRETS_REQUEST_TIMEOUT_MS', 3_000, { min: 10 }, env),
    },
  });
}

/** EventBridge client (the stream publisher, replay) with the same explicit limits: EVENTS_MAX_ATTEMPTS, ... */
export function createEventBridgeClient(env: NodeJS.ProcessEnv = process.env): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: envInt('EVENTS_MAX_ATTEMPTS', 3, { min: 1, max: 10 }, env),
    requestHandler: {
      connectionTimeout: envInt('EVENTS_CONNECT_TIMEOUT_MS', 1_000, { min: 10 }, env),
      requestTimeout: envInt('EVENTS_REQUEST_TIMEOUT_MS', 3_000, { min: 10 }, env),
    },
  });
}
