import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createCredentialWebhook, renderSoapError, soapChannel } from '../../shared/thingspace/credential-webhook';

/** POST /webhooks/thingspace/{account}/soap */
export const handler = webhookHandler(createCredentialWebhook(soapChannel, createRuntime()), renderSoapError);
