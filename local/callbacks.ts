import { randomBytes } from 'node:crypto';
import type { SampleUniqueness } from '../shared/channels/definition';
import { CHANNELS as REGISTRY, CHANNEL_NAMES, perChannel, routePathOf, type Channel } from '../shared/channels';
import { encryptSensoro } from '../shared/sensoro/crypto';
import { signSensoro } from '../shared/sensoro/signature';
import { signHmac } from '../shared/thingspace/hmac';

/** The channels a sample callback can be built for: every channel of the registry (shared/channels.ts). */
export const CHANNELS: readonly Channel[] = CHANNEL_NAMES;
export type SampleChannel = Channel;

/**
 * What makes a sample a new message: every send has its own (`fresh`), so the gateway stores it and
 * publishes its events; `--fixed` sends the same bytes every time (`fixed`), so the second send is
 * a duplicate (nothing stored twice, nothing published).
 */
export type Uniqueness = SampleUniqueness;

export const fresh = (): Uniqueness => {
  const now = Date.now();
  return { id: randomBytes(4).toString('hex'), time: new Date(now).toISOString(), ms: now };
};
export const fixed = (): Uniqueness => ({ id: '0001', time: '2026-11-21T10:00:00.000Z', ms: Date.parse('2026-11-21T10:00:00.000Z') });

/** A sample body per channel, from its definition (SENSORO: the sensor data; SOAP: the Data element's content). */
export const SAMPLES: Readonly<Record<SampleChannel, (u: Uniqueness) => string>> = perChannel((definition) => definition.sample);

export interface CallbackOptions {
  /** The gateway's base URL (SENSORO signs the full URL). */
  url: string;
  account: string;
  app: string;
  /** The body (default: the channel's sample). */
  body?: string;
  wrong?: boolean;
  soap12?: boolean;
  safe?: boolean;
  stale?: boolean;
  /** The same bytes on every send (a duplicate from the second on); default: a new message each time. */
  fixed?: boolean;
}

/** The request a provider would send: path, headers and payload, signed (or credentialed, or encrypted) with `secret(name)`. */
export function buildCallback(
  channel: SampleChannel,
  values: CallbackOptions,
  secret: (name: string) => Record<string, string>,
): { path: string; headers: Record<string, string>; payload: string } {
  const u = values.fixed ? fixed() : fresh();
  const body = values.body ?? SAMPLES[channel](u);
  const definition = REGISTRY[channel];
  const scope = definition.scopeParam === 'appId' ? values.app : values.account;
  const path = routePathOf(channel, scope);
  const credentials = () => secret(definition.secretName(scope));
  const wrong = (s: string) => (values.wrong ? `${s}-wrong` : s);

  let payload: string;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (channel === 'sensoro') {
    const { appKey, appSecret } = credentials();
    const data = JSON.parse(body) as Record<string, unknown>;
    const push = { appId: values.app, sn: '0117C9XXXX', type: 'text', deviceType: 'node', createdTime: u.ms, msgId: u.ms };
    payload = JSON.stringify(values.safe ? { ...push, encryptData: encryptSensoro(appKey!, values.app, JSON.stringify(data)) } : { ...push, data });
    const nonce = String(Date.now() - (values.stale ? 10 * 60_000 : 0));
    const url = `${values.url}${path}`;
    Object.assign(headers, {
      'x-access-id': values.app,
      'x-access-nonce': nonce,
      'x-access-signature': signSensoro(wrong(appSecret!), nonce, 'POST', url, payload).toString('base64'),
    });
  } else if (channel === 'connectivity' || channel === 'soap') {
    const { username, password } = credentials();
    if (channel === 'connectivity') {
      payload = JSON.stringify({ ...JSON.parse(body), username, password: wrong(password!) });
    } else {
      const ns = values.soap12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
      payload = body.includes('Envelope')
        ? body
        : `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${ns}"><s:Body><CallbackRequest xmlns="http://nphase.com/unifiedwebservice/v2">` +
          `<Username>${username}</Username><Password>${wrong(password!)}</Password><RequestId>req-soap-${u.id}</RequestId>` +
          `<Device><Kind>mdn</Kind><Identifier>8586928930</Identifier></Device><Data>${body}</Data></CallbackRequest></s:Body></s:Envelope>`;
      headers['content-type'] = values.soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
    }
  } else {
    const { key, token } = credentials();
    payload = body;
    headers['x-signature'] = signHmac(wrong(key!), payload).toString('hex');
    if (token) headers['x-callback-token'] = token;
  }

  return { path, headers, payload };
}
