import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { connectivityChannel, createCredentialWebhook } from '../../shared/thingspace/credential-webhook';

/** POST /webhooks/thingspace/{account}/connectivity */
export const handler = webhookHandler(createCredentialWebhook(connectivityChannel, createRuntime()));
