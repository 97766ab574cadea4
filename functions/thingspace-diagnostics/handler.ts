import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';
import { createWebhookPorts } from '../../shared/wiring/webhook';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/diagnostics */
export const handler = webhookHandler(createHmacWebhook(diagnosticsChannel, runtime, hmacWebhookConfig()), channelOptions('diagnostics', runtime));
