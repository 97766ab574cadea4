import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { locationChannel } from '../../shared/thingspace/location';

/** POST /webhooks/thingspace/{account}/location */
export const handler = webhookHandler(createHmacWebhook(locationChannel, createRuntime(), hmacWebhookConfig()));
