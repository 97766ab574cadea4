import { channelOptions } from '../../shared/http/channel-options';
import { webhookHandler } from '../../shared/http/middleware';
import { createRuntime } from '../../shared/runtime';
import { createSensoroWebhook, sensoroConfig } from '../../shared/sensoro/webhook';

const runtime = createRuntime();

/** POST /webhooks/sensoro/{appId} */
export const handler = webhookHandler(createSensoroWebhook(runtime, sensoroConfig()), channelOptions('sensoro', runtime));
