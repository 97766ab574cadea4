import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { deviceLocationChannel } from '../../shared/thingspace/location';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/device-location */
export const handler = webhookHandler(createHmacWebhook(deviceLocationChannel, runtime, hmacWebhookConfig()), channelOptions('device-location', runtime));
