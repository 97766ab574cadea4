import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/diagnostics */
export const handler = webhookHandler(createHmacWebhook(diagnosticsChannel, runtime, hmacWebhookConfig()), {
  provider: 'thingspace',
  channel: 'diagnostics',
  rejections: runtime.rejections,
  isKnownScope: (account) => runtime.secrets.knows(`thingspace/${account}/diagnostics`),
});
