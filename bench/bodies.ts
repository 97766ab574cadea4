import { DEMO_ACCOUNT } from '../local/secrets-file';

/** The reference fleet's bodies, shared by the cost probe (DynamoDB) and the archive's cost (S3). */

const ATTRIBUTE_NAMES = [
  'RADIO_SIGNAL_STRENGTH',
  'LINK_QUALITY',
  'CELL_ID',
  'BATTERY_LEVEL',
  'SIGNAL_STRENGTH',
  'TEMPERATURE',
  'NETWORK_TYPE',
  'RSRP',
  'RSRQ',
  'SINR',
];

/** A Diagnostics observation body with `n` attributes (10: about 1 KB), optionally of an operation. */
export function diagnosticsBody(device: string, n: number, at: number, transactionID?: string): string {
  return JSON.stringify({
    accountName: DEMO_ACCOUNT,
    ...(transactionID ? { transactionID } : {}),
    device: { id: device, kind: 'imei' },
    attributes: ATTRIBUTE_NAMES.slice(0, n).map((name, i) => ({ name, value: String(-71 + i * 3), createdOn: new Date(at + i * 1000).toISOString() })),
  });
}
