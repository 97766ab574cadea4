import { channelOptions } from '../../shared/http/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { diagnosticsChannel } from '../../shared/thingspace/diagnostics';
import { createHmacWebhook, hmacWebhookConfig } from '../../shared/thingspace/hmac-webhook';

const runtime = createRuntime();

/** POST /webhooks/thingspace/{account}/diagnostics */
export const handler = webhookHandler(createHmacWebhook(diagnosticsChannel, runtime, hmacWebhookConfig()), channelOptions('diagnostics', runtime));
