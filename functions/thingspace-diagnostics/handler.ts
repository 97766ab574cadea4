import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';

const runtime = createRuntime();

/** POST /webhooks/thingspace/{account}/diagnostics */
export const handler = webhookHandler(createHmacWebhook(diagnosticsChannel, runtime, hmacWebhookConfig()), {
  provider: 'thingspace',
  channel: 'diagnostics',
  rejections: runtime.rejections,
  isKnownScope: (account) => runtime.secrets.knows(`thingspace/${account}/diagnostics`),
});
