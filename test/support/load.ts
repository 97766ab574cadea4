import { eventPk } from '../../shared/store/table';
import type { TestGateway } from './gateway';
import { encryptSensoro, sensoroSignature } from './sensoro';
import { hexSignature } from './sign';
import { soapEnvelope } from './soap';

export const LOAD_ACCOUNT = '0212312345-00001';
export const LOAD_APP = '123456';

/** One secret per channel, for load and fault tests. */
export const LOAD_SECRETS = {
  diagnostics: { key: 'load-diag-key', token: 'load-token' },
  location: { key: 'load-loc-key' },
  'device-location': { key: 'load-devloc-key' },
  connectivity: { username: 'load-user', password: 'load-password' },
  sensoro: { appKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appSecret: 'load-app-secret' },
};

/** The secrets file layout of LOAD_SECRETS. */
export function loadSecretsFile(): Record<string, unknown> {
  return {
    [`thingspace/${LOAD_ACCOUNT}/diagnostics`]: { current: LOAD_SECRETS.diagnostics },
    [`thingspace/${LOAD_ACCOUNT}/location`]: { current: LOAD_SECRETS.location },
    [`thingspace/${LOAD_ACCOUNT}/device-location`]: { current: LOAD_SECRETS['device-location'] },
    [`thingspace/${LOAD_ACCOUNT}/connectivity`]: { current: LOAD_SECRETS.connectivity },
    [`sensoro/${LOAD_APP}`]: { current: LOAD_SECRETS.sensoro },
  };
}

export const CHANNELS = ['diagnostics', 'location', 'device-location', 'connectivity', 'soap', 'sensoro', 'sensoro-safe'] as const;
export type LoadChannel = (typeof CHANNELS)[number];

/** A request as a provider would send it; `device` is where its event is stored. */
export interface LoadRequest {
  channel: LoadChannel;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** scope and device of the event it must produce */
  scope: string;
  device: string;
  forged: boolean;
}

/**
 * A callback of the channel naming a device of its own (so its events can be counted), signed,
 * credentialed or encrypted as the provider does; `forged` ones carry a wrong key or password.
 */
export function loadRequest(channel: LoadChannel, n: number, baseUrl: string, forged = false): LoadRequest {
  const device = `load-${channel}-${n}`;
  const wrong = (s: string) => (forged ? `${s}-forged` : s);
  const ts = `/webhooks/thingspace/${LOAD_ACCOUNT}`;
  const json = { 'content-type': 'application/json' };
  switch (channel) {
    case 'diagnostics': {
      const body = JSON.stringify({ transactionID: `tx-${n}`, device: { id: device, kind: 'imei' }, attributes: [{ name: 'LINK_QUALITY', value: 'GOOD' }] });
      return {
        channel,
        path: `${ts}/diagnostics`,
        body,
        headers: { ...json, 'x-signature': hexSignature(wrong(LOAD_SECRETS.diagnostics.key), body), 'x-callback-token': LOAD_SECRETS.diagnostics.token },
        scope: LOAD_ACCOUNT,
        device,
        forged,
      };
    }
    case 'location':
    case 'device-location': {
      const body = JSON.stringify({ txid: `loc-${n}`, id: device, kind: 'imei', location: { x: '33.4', y: '-84.5', radius: '100' } });
      return {
        channel,
        path: `${ts}/${channel}`,
        body,
        headers: { ...json, 'x-signature': hexSignature(wrong(LOAD_SECRETS[channel].key), body) },
        scope: LOAD_ACCOUNT,
        device,
        forged,
      };
    }
    case 'connectivity': {
      const body = JSON.stringify({
        requestId: `req-${n}`,
        deviceIds: [{ id: device, kind: 'iccid' }],
        carrierService: { state: 'active' },
        username: LOAD_SECRETS.connectivity.username,
        password: wrong(LOAD_SECRETS.connectivity.password),
      });
      return { channel, path: `${ts}/connectivity`, body, headers: json, scope: LOAD_ACCOUNT, device, forged };
    }
    case 'soap': {
      const body = soapEnvelope(
        '<Usage><Bytes>1</Bytes></Usage>',
        n % 2 === 0 ? '1.1' : '1.2',
        LOAD_SECRETS.connectivity.username,
        wrong(LOAD_SECRETS.connectivity.password),
        `soap-${n}`,
        device,
      );
      return {
        channel,
        path: `${ts}/soap`,
        body,
        headers: { 'content-type': n % 2 === 0 ? 'text/xml' : 'application/soap+xml' },
        scope: LOAD_ACCOUNT,
        device,
        forged,
      };
    }
    case 'sensoro':
    case 'sensoro-safe': {
      const push = { appId: LOAD_APP, sn: device, type: 'text', deviceType: 'node', createdTime: Date.now(), msgId: `${channel}-${n}` };
      const body = JSON.stringify(
        channel === 'sensoro'
          ? { ...push, data: { battery: 90 } }
          : { ...push, encryptData: encryptSensoro(LOAD_SECRETS.sensoro.appKey, LOAD_APP, '{"battery":80}') },
      );
      const path = `/webhooks/sensoro/${LOAD_APP}`;
      const nonce = String(Date.now());
      const signature = sensoroSignature(wrong(LOAD_SECRETS.sensoro.appSecret), nonce, 'POST', `${baseUrl}${path}`, body);
      return {
        channel,
        path,
        body,
        headers: { ...json, 'x-access-id': LOAD_APP, 'x-access-nonce': nonce, 'x-access-signature': signature },
        scope: LOAD_APP,
        device,
        forged,
      };
    }
  }
}

/** Sends every request with `concurrency` in flight; returns the statuses in request order. */
export async function sendAll(
  baseUrl: string,
  requests: LoadRequest[],
  concurrency: number,
  onAnswer?: (i: number, status: number) => void,
): Promise<number[]> {
  const statuses = new Array<number>(requests.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const r = requests[i]!;
      try {
        const res = await fetch(`${baseUrl}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
        await res.arrayBuffer();
        statuses[i] = res.status;
      } catch {
        statuses[i] = -1; // no answer (connection refused or reset)
      }
      onAnswer?.(i, statuses[i]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** A deterministic shuffle (the load has a fixed, reproducible order). */
export function shuffle<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** How many events are stored for each request's device (1 when stored once), fifty queries at a time. */
export async function storedCounts(t: TestGateway, requests: LoadRequest[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < requests.length; i += 50) {
    out.push(...(await Promise.all(requests.slice(i, i + 50).map((r) => t.countUnder(eventPk(r.scope, r.device))))));
  }
  return out;
}
