import { randomBytes } from 'node:crypto';
import type { ChannelDefinition } from './definition';
import { sensoroSecretName } from '../secret-names';

/** SENSORO pushes (sensor data and task results), signed with the AppSecret of `sensoro/{appId}`. */
export const sensoro: ChannelDefinition = {
  provider: 'sensoro',
  functionId: 'sensoro',
  route: '/webhooks/sensoro/{appId}',
  scopeParam: 'appId',
  secretName: sensoroSecretName,
  code: 'O',
  detailType: 'SENSORO Sensor Data',
  sample: () => JSON.stringify({ battery: 90, temperature: 21.5 }),
  // A SENSORO AppKey is 43 base64 characters (32 bytes without the trailing '=').
  localSecret: () => ({ appKey: randomBytes(32).toString('base64').slice(0, 43), appSecret: randomBytes(24).toString('base64url') }),
};
