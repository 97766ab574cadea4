import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createCredentialWebhook } from '../../shared/thingspace/credential-webhook';
import { renderSoapError, soapChannel } from '../../shared/thingspace/soap';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/soap (its secret is Connectivity's) */
export const handler = webhookHandler(createCredentialWebhook(soapChannel, runtime), channelOptions('soap', runtime, { render: renderSoapError }));
