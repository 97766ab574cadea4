import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createCredentialWebhook } from '../../shared/thingspace/credential-webhook';
import { renderSoapError, soapChannel } from '../../shared/thingspace/soap';

const runtime = createWebhookPorts();

/** POST /webhooks/thingspace/{account}/soap */
export const handler = webhookHandler(createCredentialWebhook(soapChannel, runtime), {
  provider: 'thingspace',
  channel: 'soap',
  render: renderSoapError,
  rejections: runtime.rejections,
  isKnownScope: (account) => runtime.secrets.knows(`thingspace/${account}/connectivity`),
});
