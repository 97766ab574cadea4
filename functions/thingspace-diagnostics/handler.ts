import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';

/** POST /webhooks/thingspace/{account}/diagnostics */
export const handler = webhookHandler(createHmacWebhook(diagnosticsChannel, createRuntime(), hmacWebhookConfig()));
