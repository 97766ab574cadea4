import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createSensoroWebhook, sensoroConfig } from '../../shared/sensoro/webhook';

/** POST /webhooks/sensoro/{appId} */
export const handler = webhookHandler(createSensoroWebhook(createRuntime(), sensoroConfig()));
