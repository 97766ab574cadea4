import { channelOptions } from '../../shared/wiring/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createWebhookPorts } from '../../shared/wiring/webhook';
import { createSensoroWebhook, sensoroConfig } from '../../shared/sensoro/webhook';

const runtime = createWebhookPorts();

/** POST /webhooks/sensoro/{appId} */
export const handler = webhookHandler(createSensoroWebhook(runtime, sensoroConfig()), channelOptions('sensoro', runtime));
