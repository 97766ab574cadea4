import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Channel } from '../channels';

/**
 * The stored form of a body: one format byte, then the bytes. A body is billed on every write and
 * stored for the whole retention, so it is compressed: raw DEFLATE with a preset dictionary of the
 * channel's own vocabulary (field names, namespaces, common values), so that even a 150-byte
 * callback shrinks to a third. node:zlib's deflate takes a dictionary (its brotli does not, on
 * Node 20), and its output for these small JSON/XML bodies beats brotli's without one (measured: a
 * 10-attribute Diagnostics body 876 → 185 bytes, brotli 240; a one-attribute one 176 → 40).
 *
 * | format | bytes after the format byte                                        | written |
 * |--------|--------------------------------------------------------------------|---------|
 * | 0      | the body as received (when compressing would not make it smaller)  | yes     |
 * | 1      | raw DEFLATE with the channel's dictionary v1                        | no (read only) |
 * | 2      | CRC-32 of the body (4 bytes, big-endian), then format 1's bytes     | yes     |
 *
 * A dictionary is part of the stored format: never edit one, add a format byte with a new one. The
 * dictionaries are pinned by test/unit/stored-body-format.test.ts (their SHA-256, and stored bytes
 * of every channel and format), and format 2 carries the body's checksum, so that a body inflated
 * with another dictionary than the one it was written with fails loudly (StoredBodyCorruptError)
 * instead of reading back silently wrong.
 */
const RAW = 0;
const DEFLATE_V1 = 1;
const DEFLATE_V1_CHECKED = 2;

/** A stored body that cannot be read back as written: unknown format, broken bytes, or a checksum that does not match. */
export class StoredBodyCorruptError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Stored body unreadable: ${reason}`, options);
    this.name = 'StoredBodyCorruptError';
  }
}

// Each dictionary ends with what is most frequent: deflate reaches the end of its window cheapest.
const DICTIONARIES_V1: Readonly<Record<Channel, Buffer>> = {
  diagnostics: Buffer.from(
    '"status":"Completed","data":[{"name":"TEMPERATURE","BATTERY_LEVEL","SIGNAL_STRENGTH","NETWORK_TYPE","RSRP","RSRQ","SINR",' +
      '"accountName":"","deviceId":{"id":"","kind":"mdn"},"deviceIds":[{"id":"","kind":"iccid"}],' +
      '{"transactionID":"","device":{"id":"","kind":"imei"},"attributes":[{"name":"RADIO_SIGNAL_STRENGTH","value":"","createdOn":"2026-11-21T10:00:00.000Z"},{"name":"LINK_QUALITY","value":"","createdOn":"2026-',
  ),
  location: Buffer.from(
    '"reportType":"locationReport","status":"Completed","deviceInfo":{"id":"","kind":"mdn"},' +
      '{"txid":"","id":"","kind":"imei","mdn":"","location":{"x":"","y":"","radius":"","time":"2026',
  ),
  'device-location': Buffer.from(
    '"error":{"code":"","message":"","time":"2026"},"deviceInfo":{"id":"","kind":"mdn"},"qos":' +
      '{"txid":"","id":"","kind":"imei","mdn":"","location":{"x":"","y":"","radius":"","time":"2026',
  ),
  connectivity: Buffer.from(
    '"status":"Delivered","Queued","DeliveryFailed","callbackCount":,"maxCallbackThreshold":,"deviceResponse":,"usage":,"smsDelivery":' +
      '{"requestId":"","deviceIds":[{"id":"","kind":"iccid"},{"id":"","kind":"imei"},{"id":"","kind":"mdn"}],"carrierService":{"state":"active"}}',
  ),
  soap: Buffer.from(
    '<Fault><FaultString></FaultString></Fault><Usage></Usage><SMSDelivery></SMSDelivery><Kind>iccid</Kind><Kind>imei</Kind>' +
      '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      '<CallbackRequest xmlns="http://nphase.com/unifiedwebservice/v2"><Username></Username><Password></Password><RequestId></RequestId>' +
      '<Device><Kind>mdn</Kind><Identifier></Identifier></Device><Data><CarrierService><StateChange>Active</StateChange></CarrierService></Data></CallbackRequest></s:Body></s:Envelope>',
  ),
  sensoro: Buffer.from(
    '"type":"event","taskId":"","resultCode":0,"resultData":{"sn":""},"encryptData":"","humidity":' +
      '{"appId":"","sn":"","type":"text","deviceType":"node","createdTime":1763,"msgId":,"data":{"battery":,"temperature":',
  ),
};

/** The stored form of a channel's body: compressed with its dictionary and checksummed, or raw when that is no smaller. */
export function encodeBody(channel: Channel, body: Buffer): Buffer {
  const packed = deflateRawSync(body, { level: 9, dictionary: DICTIONARIES_V1[channel] });
  if (packed.length + 4 >= body.length) return Buffer.concat([Buffer.of(RAW), body]);
  const header = Buffer.alloc(5);
  header[0] = DEFLATE_V1_CHECKED;
  header.writeUInt32BE(crc32(body), 1);
  return Buffer.concat([header, packed]);
}

/** The body a stored form holds; StoredBodyCorruptError when it cannot be read back as written. */
export function decodeBody(channel: Channel, stored: Uint8Array): Buffer {
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  switch (bytes[0]) {
    case RAW:
      return bytes.subarray(1);
    case DEFLATE_V1:
      return inflate(channel, bytes.subarray(1));
    case DEFLATE_V1_CHECKED: {
      if (bytes.length < 5) throw new StoredBodyCorruptError('truncated');
      const body = inflate(channel, bytes.subarray(5));
      if (crc32(body) !== bytes.readUInt32BE(1)) throw new StoredBodyCorruptError('checksum mismatch (another dictionary, or altered bytes)');
      return body;
    }
    default:
      throw new StoredBodyCorruptError(`unknown format ${bytes[0]}`);
  }
}

function inflate(channel: Channel, packed: Buffer): Buffer {
  try {
    return inflateRawSync(packed, { dictionary: DICTIONARIES_V1[channel] });
  } catch (error) {
    throw new StoredBodyCorruptError('not inflatable with its dictionary', { cause: error });
  }
}

/** SHA-256 (hex) of each channel's dictionary v1: what the format test pins. */
export function dictionaryDigests(): Record<Channel, string> {
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  return Object.fromEntries(Object.entries(DICTIONARIES_V1).map(([channel, d]) => [channel, digest(d)])) as Record<Channel, string>;
}
