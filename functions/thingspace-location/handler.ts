import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { locationChannel } from '../../shared/thingspace/location';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/location */
export const handler = webhookHandler(createHmacWebhook(locationChannel, runtime, hmacWebhookConfig()), channelOptions('location', runtime));
