import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CHANNEL_CODES } from '../channels';
import type { MappedCallback, OperationStatus, ReceivedCallback } from '../model';
import { messageHashOf } from '../model';
import { encodeBody } from './body';
import { DeviceSightings, deviceUpdate, type DeviceSightingsOptions, type Sighting } from './devices';
import { ATTR, eventPk, notificationPk, notificationSk, receiptPk, TABLE } from './table';

/** The outcome of storing one callback. */
export interface StoreResult {
  /** Records written by this call. */
  stored: number;
  /** Records that were already there (a redelivery, or the retry of an interrupted write). */
  duplicates: number;
}

/** The table could not be written; nothing may be acknowledged. */
export class StoreUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Callback store unavailable', options);
    this.name = 'StoreUnavailableError';
  }
}

/** A record would exceed DynamoDB's 400 KB item limit: the caller's input, not an outage. */
export class RecordTooLargeError extends Error {
  constructor() {
    super('Callback too large to store');
    this.name = 'RecordTooLargeError';
  }
}

// DynamoDB's limit is 400 KB counting attribute names and values; this leaves room for the keys.
/** Largest stored body (bytes, after compression). */
export const MAX_ITEM_BYTES = 390 * 1024;

/** Longest notification message kept (characters): it is written on every callback of an operation. */
export const MAX_MESSAGE_CHARS = 120;

export interface CallbackStoreOptions {
  tableName: string;
  /** Days until DynamoDB's TTL removes a record; 0 keeps records forever. */
  retentionDays: number;
  /**
   * Days a receipt is kept (default 7, never longer than the retention): how long after its first
   * delivery a callback that carries no time is still recognised as a redelivery. Providers retry
   * within hours; a receipt kept for the whole retention would be paid for the whole retention.
   */
  receiptDays?: number;
  /** The device items' refresh (./devices.ts): DEVICE_SEEN_REFRESH_SECONDS unless given. */
  devices?: DeviceSightingsOptions;
}

export const STATUS_CODES: Readonly<Record<OperationStatus, string>> = { RUNNING: 'R', COMPLETED: 'C', FAILED: 'F', STALE: 'S' };

type StoredListener = (items: Record<string, unknown>[]) => void;
const listeners = new Set<StoredListener>();

/**
 * Listens to the items every CallbackStore of this process writes: exactly the items a save wrote
 * (not those already there), once every write of the callback has settled, so all of them are
 * durable; also when another write failed (those are durable, and the provider's retry will find
 * them already there). Local mode's publisher registers here (local/gateway.ts), so no Lambda
 * bundle carries it: in AWS the table's stream publishes. A listener must return at once and never
 * throw: the webhook's answer does not wait for it. Returns the function that stops listening.
 */
export function onStoredItems(listener: StoredListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Writes callbacks exactly once, without transactions and without indexes. Every record has a
 * deterministic key (the message id: the provider's time and the message hash) and is written with
 * `attribute_not_exists`, so a redelivery or a retried partial write only adds what is missing.
 *
 * What one callback writes, each item under 1 KB for a body of about 1 KB (one write unit):
 * - an event per device it names; the first device's holds the body, compressed, and the others
 *   name that device (a callback naming N devices stores its body once);
 * - for an operation, a notification per device: status, progress, resource, message;
 * - when the provider gave no time, first a receipt keyed by the hash alone, which fixes the
 *   record ids to the first delivery's receive time, so a redelivery finds the same keys.
 * - a device item (./devices.ts) for each device this container has not written within the
 *   refresh interval (an hour): at the reference fleet a few hundredths of a unit per callback.
 * Nothing else: no index entry, no operation summary (a device's operations are read from its
 * notifications), no parsed copy of the body (the reader parses it again).
 */
export class CallbackStore {
  /** The devices this container wrote, and when. */
  private readonly devices: DeviceSightings;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: CallbackStoreOptions,
  ) {
    this.devices = new DeviceSightings(options.devices);
  }

  /**
   * The receive time the records of a callback that carries no time of its own must use: this
   * delivery's when it is the first, else the first delivery's (read back from its receipt).
   */
  async firstReceivedOn(received: ReceivedCallback, firstDevice: string, hash = messageHashOf(received)): Promise<Date> {
    const key = receiptKey(received, firstDevice, hash);
    const at = received.receivedOn.getTime();
    try {
      await this.client.send(this.putIfNewOrMine({ ...key, [ATTR.receivedOn]: at, ...this.ttl(at, this.receiptDays()) }, at));
      return received.receivedOn;
    } catch (error) {
      if (!isConditionFailure(error)) throw new StoreUnavailableError({ cause: error });
    }
    return (await this.receiptTime(key)) ?? received.receivedOn;
  }

  /**
   * The first receive time a receipt holds for this callback, without writing one: for a callback
   * whose provider time is ahead of its receive time, though by less than MAX_FUTURE_SKEW_MS, an
   * earlier delivery (when the gap was larger) may have been keyed by a receipt.
   */
  async receiptOf(received: ReceivedCallback, firstDevice: string, hash = messageHashOf(received)): Promise<Date | undefined> {
    return this.receiptTime(receiptKey(received, firstDevice, hash));
  }

  private async receiptTime(key: Record<string, string>): Promise<Date | undefined> {
    try {
      const out = await this.client.send(new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
      const first: unknown = out.Item?.[ATTR.receivedOn];
      return typeof first === 'number' ? new Date(first) : undefined;
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
  }

  /**
   * Stores the records of one callback; throws StoreUnavailableError unless all are durable.
   * `deliveredOn` is this delivery's own receive time (the records of a callback without a time
   * of its own carry the first delivery's): a record already there counts as written by this call
   * when it carries it, because then it is this delivery's own earlier attempt (the SDK retried a
   * put whose answer was lost), not a redelivery.
   */
  async save(mapped: MappedCallback, deliveredOn: Date = mapped.received.receivedOn): Promise<StoreResult> {
    const items = this.itemsOf(mapped);
    const delivered = deliveredOn.getTime();
    // All writes at once: one round trip of latency. If any fails the callback is refused (503)
    // and the provider's retry writes what is missing. A callback naming several devices writes the
    // event holding the body first: no other device's event is ever durable (and published) without it.
    // The device items this container owes go with the first round, after its records; they are not
    // records (never published, not counted as stored).
    const putAll = (list: Record<string, unknown>[]) => Promise.allSettled(list.map((item) => this.putOnce(item, delivered)));
    const several = mapped.events.length > 1;
    const firstRound = putAll(several ? items.slice(0, 1) : items);
    const devicesWritten = Promise.allSettled(this.devices.due(mapped.events, delivered).map((s) => this.writeDevice(s, delivered)));
    let results = await firstRound;
    if (several && results[0]!.status === 'fulfilled') results = [...results, ...(await putAll(items.slice(1)))];
    const deviceResults = await devicesWritten;
    const written = items.filter((_, i) => {
      const result = results[i];
      return result?.status === 'fulfilled' && result.value;
    });
    if (written.length > 0) for (const listener of listeners) listener(written);
    const failed = [...results, ...deviceResults].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new StoreUnavailableError({ cause: failed.reason });
    return { stored: written.length, duplicates: items.length - written.length };
  }

  /** Writes a device's item; the container remembers it only once the write succeeded. */
  private async writeDevice(sighting: Sighting, seenOn: number): Promise<void> {
    const ttl = this.ttl(seenOn)[TABLE.ttlAttribute];
    await this.client.send(deviceUpdate(this.options.tableName, sighting, seenOn, ttl));
    this.devices.written(sighting, seenOn);
  }

  /** The items one callback writes (public for the bench's byte counts). */
  itemsOf(mapped: MappedCallback): Record<string, unknown>[] {
    const { received } = mapped;
    const receivedOn = received.receivedOn.getTime();
    const ttl = this.ttl(receivedOn);
    const channel = CHANNEL_CODES[received.channel];
    const body = encodeBody(received.channel, received.body);
    if (body.length > MAX_ITEM_BYTES) throw new RecordTooLargeError();
    const plain = received.plaintext ? encodeBody(received.channel, received.plaintext) : undefined;
    if (plain && body.length + plain.length > MAX_ITEM_BYTES) throw new RecordTooLargeError();
    // The body lives on the first device's event; a callback naming several devices stores it
    // there once, with how many share it, and the other devices' events name that device.
    const holder = mapped.events[0]?.deviceId;
    const shared = mapped.events.length > 1;
    // The provider's own time, when the id does not start with it (far ahead of the receive time).
    const sentOn = mapped.providerSentOn !== undefined ? { [ATTR.sentOn]: mapped.providerSentOn } : {};

    const items: Record<string, unknown>[] = mapped.events.map((e, i) => {
      const item: Record<string, unknown> = {
        [TABLE.partitionKey]: eventPk(e.scopeId, e.deviceId),
        [TABLE.sortKey]: e.id,
        [ATTR.channel]: channel,
        [ATTR.receivedOn]: receivedOn,
        [ATTR.kind]: e.deviceKind,
        [ATTR.resource]: e.resource,
        ...sentOn,
        ...ttl,
      };
      if (i > 0) {
        item[ATTR.bodyDevice] = holder;
        return item;
      }
      item[ATTR.body] = body;
      if (plain) item[ATTR.plain] = plain;
      if (shared) item[ATTR.sharedBy] = mapped.events.length;
      return item;
    });
    for (const n of mapped.notifications) {
      const item: Record<string, unknown> = {
        [TABLE.partitionKey]: notificationPk(n.scopeId, n.deviceId),
        [TABLE.sortKey]: notificationSk(n.operationId, n.id),
        [ATTR.channel]: channel,
        [ATTR.receivedOn]: receivedOn,
        [ATTR.resource]: n.resource,
        [ATTR.status]: STATUS_CODES[n.status],
        [ATTR.progress]: n.progress,
        ...sentOn,
        ...ttl,
      };
      if (n.message) item[ATTR.message] = n.message.slice(0, MAX_MESSAGE_CHARS);
      items.push(item);
    }
    return items;
  }

  private ttl(receivedOnMs: number, days = this.options.retentionDays): Record<string, number> {
    return days > 0 ? { [TABLE.ttlAttribute]: Math.floor(receivedOnMs / 1000) + days * 86_400 } : {};
  }

  private receiptDays(): number {
    const days = this.options.receiptDays ?? 7;
    return this.options.retentionDays > 0 ? Math.min(days, this.options.retentionDays) : days;
  }

  /** True when written (or found written by this delivery's own earlier attempt), false when a redelivery finds it there. */
  private async putOnce(item: Record<string, unknown>, delivered: number): Promise<boolean> {
    try {
      await this.client.send(this.putIfNewOrMine(item, delivered));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * A put that succeeds when the key is free, or when the item there carries this delivery's own
   * receive time: the same message (the key is its time and hash) written by this very delivery,
   * whose first answer was lost and which the SDK retried. That put rewrites the same item and is
   * reported as written, so it is acknowledged `stored` and published. A redelivery (another
   * receive time) fails the condition and is a duplicate. No read, no extra unit: a failed
   * conditional put is billed as a put.
   */
  private putIfNewOrMine(item: Record<string, unknown>, delivered: number): PutCommand {
    return new PutCommand({
      TableName: this.options.tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk) OR #r = :delivered',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#r': ATTR.receivedOn },
      ExpressionAttributeValues: { ':delivered': delivered },
    });
  }
}

/** A receipt's key: the callback's first device, and the first 9 bytes of its hash. */
function receiptKey(received: ReceivedCallback, firstDevice: string, hash: Buffer): Record<string, string> {
  return { [TABLE.partitionKey]: receiptPk(received.scopeId, firstDevice), [TABLE.sortKey]: hash.subarray(0, 9).toString('base64url') };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}
