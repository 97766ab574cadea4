import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { connectivityChannel } from '../../shared/thingspace/connectivity';
import { createCredentialWebhook } from '../../shared/thingspace/credential-webhook';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/connectivity */
export const handler = webhookHandler(createCredentialWebhook(connectivityChannel, runtime), channelOptions('connectivity', runtime));
