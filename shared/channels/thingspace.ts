import { randomBytes, randomUUID } from 'node:crypto';
import type { ChannelDefinition } from './definition';
import { thingspaceSecretName } from '../secret-names';

const random = () => randomBytes(24).toString('base64url');

/** A ThingSpace channel: route `/webhooks/thingspace/{account}/{name}`, verified by `thingspace/{account}/{secret}`. */
const thingspace = (name: string, parts: Pick<ChannelDefinition, 'code' | 'detailType' | 'sample' | 'localSecret'>, secret = name): ChannelDefinition => ({
  provider: 'thingspace',
  functionId: `thingspace-${name}`,
  route: `/webhooks/thingspace/{account}/${name}`,
  scopeParam: 'account',
  secretName: (account) => thingspaceSecretName(account, secret),
  ...parts,
});

/** A Shared-Key as ThingSpace makes them (a UUID). */
const sharedKey = () => ({ key: randomUUID() });
const connectivityCredentials = () => ({ username: `gw-${random().slice(0, 8)}`, password: random() });

/** Diagnostics observations: HMAC plus the registered token header. */
export const diagnostics = thingspace('diagnostics', {
  code: 'D',
  detailType: 'ThingSpace Diagnostics Observation',
  // The operation stays tx-0001 (its notifications accumulate); the observation's time makes it new.
  sample: (u) =>
    JSON.stringify({
      transactionID: 'tx-0001',
      device: { id: '990013907835573', kind: 'imei' },
      attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: '-71', createdOn: u.time }],
    }),
  localSecret: () => ({ ...sharedKey(), token: random() }),
});

/** Device Location report-ready and usage messages (HMAC). */
export const location = thingspace('location', {
  code: 'L',
  detailType: 'ThingSpace Location Report',
  sample: (u) => JSON.stringify({ txid: `report-${u.id}`, status: 'Completed' }),
  localSecret: sharedKey,
});

/** Device Location per-device results (HMAC). */
export const deviceLocation = thingspace('device-location', {
  code: 'G',
  detailType: 'ThingSpace Device Location Result',
  sample: (u) =>
    JSON.stringify({ txid: `loc-${u.id}`, id: '990013907835573', kind: 'imei', location: { x: '33.45', y: '-84.59', radius: '1000', time: '20261121100500' } }),
  localSecret: sharedKey,
});

/** Connectivity Management REST callbacks: credentials echoed in the JSON body. */
export const connectivity = thingspace('connectivity', {
  code: 'C',
  detailType: 'ThingSpace Connectivity Callback',
  sample: (u) => JSON.stringify({ requestId: `req-${u.id}`, deviceIds: [{ id: '89148000000800139708', kind: 'iccid' }], carrierService: { state: 'active' } }),
  localSecret: connectivityCredentials,
});

/** Legacy SOAP callbacks: credentials in the envelope, checked against Connectivity's secret. */
export const soap = thingspace(
  'soap',
  {
    code: 'S',
    detailType: 'ThingSpace SOAP Callback',
    sample: () => '<CarrierService><StateChange>Active</StateChange></CarrierService>',
    localSecret: connectivityCredentials,
  },
  'connectivity',
);
