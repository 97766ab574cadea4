import { createHmac } from 'node:crypto';

export { encryptSensoro } from '../../shared/sensoro/crypto';

/** Test-side SENSORO signature: base64 HMAC-SHA256(AppSecret, nonce + METHOD + URL + body). */
export function sensoroSignature(appSecret: string, nonce: string, method: string, url: string, body: string): string {
  return createHmac('sha256', appSecret)
    .update(nonce + method + url + body)
    .digest('base64');
}
