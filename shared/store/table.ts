/**
 * The one table's shape, shared by the CDK stack and the local engine so both build the same
 * thing. It has **no secondary index**: every byte of an index is paid again on every callback
 * (devices report every 15-60 s, queries are rare), and a local index would cap each device's
 * records at 10 GB. Every access path is a Query or GetItem on the table's own keys:
 *
 * | item          | pk                         | sk                     | holds                                          |
 * |---------------|----------------------------|------------------------|------------------------------------------------|
 * | event         | `EV#{scope}#{device}`      | `{id}`                 | the body (compressed), receivedOn, kind, resource, channel |
 * | kept body     | `MB#{scope}#{device}`      | `{id}`                 | the body of a multi-device callback whose first device's event was deleted |
 * | notification  | `NO#{scope}#{device}`      | `{operation}#{id}`     | status, progress, resource, message, receivedOn, channel |
 * | receipt       | `RC#{scope}#{device}`      | `{hash}`               | first receive time of a callback that carries no time of its own |
 * | device        | `DV#{scope}`               | `{device}`             | first and last seen (receive times), kind: written on a device's first sight in a webhook container and refreshed at most once per DEVICE_SEEN_REFRESH_SECONDS (1 h) per container (./devices.ts) |
 * | registration  | `REG#{account}`            | `{service}`            | the re-registration job's status               |
 * | rejection     | `REJ#{scope}`              | `{slot}` (capped set)  | one refused request                            |
 * | API key       | `APIKEY`                   | SHA-256 of the key     | its grant                                      |
 *
 * A record id (shared/record-ids.ts) starts with the provider's time, so the sort key itself is
 * the `sentOn` order: a device's events, and one operation's notifications (`begins_with` the
 * operation), page in time order with no index. A device's operations are the distinct
 * operation prefixes of its notification partition, read at query time: no summary item is
 * written. Device and operation ids are URI-encoded inside keys so that no id can forge the `#`
 * separator.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'x',
} as const;

/**
 * Attribute names of callback records. They are written on every callback and billed per byte,
 * so they are one or two letters; this table is the one place that names them.
 */
export const ATTR = {
  /** Binary: the stored body, encoded by shared/store/body.ts (on the event of the callback's first device). */
  body: 'b',
  /** Binary: SENSORO safe mode only, the decrypted content, encoded the same way. */
  plain: 'p',
  /** On the events of further devices of a callback naming several: the device whose event holds the body. */
  bodyDevice: 'd',
  /** Number: on the event holding the body of a callback naming several devices, how many share it. */
  sharedBy: 'n',
  /** Number: receive time, epoch milliseconds (the first delivery's). */
  receivedOn: 'r',
  /** Device kind (imei, mdn, iccid, sn, ...). */
  kind: 'k',
  /** Kapua resource (a `resource` filter reads it). */
  resource: 's',
  /** Channel code (shared/channels.ts): which provider and route sent it, and so how to read the body. */
  channel: 'c',
  /** Notification status code: R(unning), C(ompleted), F(ailed), S(tale). */
  status: 't',
  /** Notification progress 0..100. */
  progress: 'g',
  /** Notification message (capped). */
  message: 'm',
  /**
   * Number: the provider's own time (epoch ms), written only when the record's id does not start
   * with it: a provider time far ahead of the receive time is kept here while the id (and so the
   * order) takes the first receive time (shared/mapping.ts, MAX_FUTURE_SKEW).
   */
  sentOn: 'o',
  /** Number: on a device item, when the gateway first heard of the device (epoch ms; kept by `if_not_exists`). */
  firstSeen: 'f',
  /** Number: on a device item, when a webhook container last refreshed it (epoch ms; accurate to the refresh interval, used only to order devices). */
  lastSeen: 'l',
} as const;

/** Partition of the API keys (one item per key, sort key = SHA-256 of the key). */
export const API_KEY_PK = 'APIKEY';

/** Partition-key prefix of a scope's device items: the only items a webhook updates (UpdateItem), never published. */
export const DEVICE_PK_PREFIX = 'DV#';

/** The partition-key prefixes the query API may read (callback records, devices and registration status), and nothing else. */
export const CALLBACK_PK_PREFIXES = ['EV#', 'NO#', 'MB#', 'REG#', 'REJ#', DEVICE_PK_PREFIX] as const;

/** The partition-key prefixes a webhook writes: its callback records, receipts and rejections. */
export const WEBHOOK_PK_PREFIXES = ['EV#', 'NO#', 'RC#', 'REJ#'] as const;

/** Partition-key prefix of receipts: the only items a webhook reads back. */
export const RECEIPT_PK_PREFIX = 'RC#';

/** Where the query API writes: a body kept when the event holding it for other devices is deleted. */
export const KEPT_BODY_PK_PREFIX = 'MB#';

/** The partition-key prefixes the query API may delete in: single events and notifications, and a kept body once no event references it. */
export const DELETABLE_PK_PREFIXES = ['EV#', 'NO#', KEPT_BODY_PK_PREFIX] as const;

/** The partition-key prefixes of the records that are published (events and notifications), and nothing else. */
export const PUBLISHED_PK_PREFIXES = ['EV#', 'NO#'] as const;

/** The partitions a shared body may have to be read from: the first device's event, or a kept body. */
export const BODY_PK_PREFIXES = [PUBLISHED_PK_PREFIXES[0], KEPT_BODY_PK_PREFIX] as const;

/** Partition-key prefix of the re-registration job's status records: the only items it writes. */
export const REGISTRATION_PK_PREFIX = 'REG#';

/** Separates an operation id from the record id in a notification's sort key. */
export const OPERATION_SEPARATOR = '#';

const part = (s: string) => encodeURIComponent(s);

/** Partition key of a device's events. */
export const eventPk = (scopeId: string, deviceId: string) => `EV#${scopeId}#${part(deviceId)}`;
/** Partition key of a device's notifications (all its operations). */
export const notificationPk = (scopeId: string, deviceId: string) => `NO#${scopeId}#${part(deviceId)}`;
/** Sort-key prefix of one operation's notifications within the device's notification partition. */
export const operationPrefix = (operationId: string) => `${part(operationId)}${OPERATION_SEPARATOR}`;
/** Sort key of a notification. */
export const notificationSk = (operationId: string, id: string) => `${operationPrefix(operationId)}${id}`;
/** The operation id a notification's sort key names. */
export const operationOfSk = (sk: string) => decodeURIComponent(sk.slice(0, sk.lastIndexOf(OPERATION_SEPARATOR)));
/** Partition key of bodies kept after the event holding them (for other devices too) was deleted. */
export const bodyPk = (scopeId: string, deviceId: string) => `MB#${scopeId}#${part(deviceId)}`;
/** Partition key of the receipts of callbacks that carry no time (first device of each). */
export const receiptPk = (scopeId: string, deviceId: string) => `RC#${scopeId}#${part(deviceId)}`;
/** Partition key of an account's registration status records (one item per service). */
export const registrationPk = (account: string) => `${REGISTRATION_PK_PREFIX}${account}`;
/** Partition key of a scope's devices (one item per device). */
export const devicePk = (scopeId: string) => `${DEVICE_PK_PREFIX}${scopeId}`;
/** Sort key of a device item: the device id, URI-encoded (so the key order is the id order of the encoded ids). */
export const deviceSk = (deviceId: string) => part(deviceId);
/** The device id a device item's sort key names. */
export const deviceOfSk = (sk: string) => decodeURIComponent(sk);
/** Partition key of a scope's rejected-request log (a bounded set of slots). */
export const rejectionPk = (scopeId: string) => `REJ#${scopeId}`;
