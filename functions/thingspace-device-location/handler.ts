import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { deviceLocationChannel } from '../../shared/thingspace/location';

const runtime = createRuntime();

/** POST /webhooks/thingspace/{account}/device-location */
export const handler = webhookHandler(createHmacWebhook(deviceLocationChannel, runtime, hmacWebhookConfig()), {
  provider: 'thingspace',
  channel: 'device-location',
  rejections: runtime.rejections,
  isKnownScope: (account) => runtime.secrets.knows(`thingspace/${account}/device-location`),
});
