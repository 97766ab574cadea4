/**
 * The one table's shape, shared by the CDK stack and the local engine so both build the same
 * thing. Every access path of the query API is a Query or GetItem on these keys:
 *
 * | item          | pk                                   | sk            | byTime (timeKey)  | byCreated (createdKey) |
 * |---------------|--------------------------------------|---------------|-------------------|------------------------|
 * | event         | `EV#{scope}#{device}`                | `{eventId}`   | `{sentOn}#{id}`   | `{receivedOn}#{id}`    |
 * | notification  | `NO#{scope}#{device}#{operation}`    | `{id}`        | `{sentOn}#{id}`   | `{createdOn}#{id}`     |
 * | operation     | `OP#{scope}#{device}`                | `{operation}` | `{sentOn}#{notificationId}` of the latest | `{first createdOn}#{operation}` |
 * | registration  | `REG#{account}`                      | `{service}`   | `{lastCheckedOn}#{service}` | |
 * | rejection     | `REJ#{scope}`                        | `{slot}` (one of a capped set) | `{receivedOn}#{slot}` | |
 *
 * Partitions are per device (and per operation), so a fleet's writes spread over as many
 * partitions as it has devices. Device and operation ids are URI-encoded inside keys so that no
 * id can forge the `#` separator. Two local secondary indexes give the time orders; an item
 * collection (one device's events) stays far below 10 GB under the retention TTL. Two global
 * secondary indexes keyed on `resourceKey` give the same orders within one resource.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  /** Local secondary indexes: same partition, another sort key. */
  indexes: {
    byTime: 'timeKey',
    byCreated: 'createdKey',
  },
  /**
   * Global secondary indexes on `resourceKey` (`{pk}#{resource}`): the same two orders restricted
   * to one resource, so a `resource` filter reads only the items it returns.
   */
  globalIndexes: {
    byResourceTime: { partitionKey: 'resourceKey', sortKey: 'timeKey' },
    byResourceCreated: { partitionKey: 'resourceKey', sortKey: 'createdKey' },
  },
} as const;

export type IndexName = keyof typeof TABLE.indexes | keyof typeof TABLE.globalIndexes;

/** Partition of the API keys (one item per key, sort key = SHA-256 of the key). */
export const API_KEY_PK = 'APIKEY';

/** The partition-key prefixes the query API may read (callback records and registration status), and nothing else. */
export const CALLBACK_PK_PREFIXES = ['EV#', 'NO#', 'OP#', 'REG#', 'REJ#'] as const;

/** Partition-key prefix of the re-registration job's status records: the only items it writes. */
export const REGISTRATION_PK_PREFIX = 'REG#';

const part = (s: string) => encodeURIComponent(s);

/** Partition key of a device's events. */
export const eventPk = (scopeId: string, deviceId: string) => `EV#${scopeId}#${part(deviceId)}`;
/** Partition key of one operation's notifications. */
export const notificationPk = (scopeId: string, deviceId: string, operationId: string) =>
  `NO#${scopeId}#${part(deviceId)}#${part(operationId)}`;
/** Partition key of a device's operation summaries. */
export const operationPk = (scopeId: string, deviceId: string) => `OP#${scopeId}#${part(deviceId)}`;
/** Partition key of an account's registration status records (one item per service). */
export const registrationPk = (account: string) => `${REGISTRATION_PK_PREFIX}${account}`;
/** Partition key of a scope's rejected-request log (a bounded set of slots). */
export const rejectionPk = (scopeId: string) => `REJ#${scopeId}`;
/** Partition key of one resource's records within a partition (the byResource* indexes). */
export const resourceKey = (pk: string, resource: string) => `${pk}#${part(resource)}`;
