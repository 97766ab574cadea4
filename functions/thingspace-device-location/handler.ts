import { channelOptions } from '../../shared/http/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { deviceLocationChannel } from '../../shared/thingspace/location';

const runtime = createRuntime();

/** POST /webhooks/thingspace/{account}/device-location */
export const handler = webhookHandler(createHmacWebhook(deviceLocationChannel, runtime, hmacWebhookConfig()), channelOptions('device-location', runtime));
