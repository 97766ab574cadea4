import { envInt } from '../config';
import type { TableClient } from './client';
import { idBounds, RECORD_ID } from '../record-ids';
import { deviceOf, type DeviceRecord } from './devices';
import { KeptBodies } from './kept-bodies';
import { PartitionReader, type ListOptions, type OperationNotifications, type Page, type Scope } from './partition-reader';
import {
  eventOf,
  notificationOf,
  sharedBodyOf,
  storedBodyOf,
  type Deriver,
  type DeviceEventRecord,
  type OperationNotificationRecord,
  type StoredItem,
} from './records';
import { ATTR, devicePk, deviceOfSk, deviceSk, eventPk, notificationPk, notificationSk, operationPrefix, registrationPk, rejectionPk, TABLE } from './table';

export type { ListOptions } from './partition-reader';

/** A page of records: what a list answers. */
export interface RecordPage<T> {
  items: T[];
  /** More records follow the page (or the read stopped at its bound: see PartitionReader). */
  limitExceeded: boolean;
  /** Where the next page starts (opaque). */
  nextCursor?: string;
  totalCount?: number;
}

/** What a count counts: records of one resource, sent within a time range (epoch ms). */
export interface CountFilter {
  resource?: string;
  startDate?: number;
  endDate?: number;
}

/** One operation of a device: its first and latest notification and, when the latest is not terminal, its latest terminal one. */
export interface DeviceOperation {
  operationId: string;
  first: OperationNotificationRecord;
  latest: OperationNotificationRecord;
  terminal?: OperationNotificationRecord;
}

/** The channels' parsers, loaded when first needed (they carry the XML parser: most reads never need them). */
export type LoadDeriver = () => Promise<Deriver>;

/**
 * The orders a list of events or notifications takes besides `key` (their `sentOn`): `receivedOn`.
 * Operations take `startedOn` and `lastSentOn` (the sentOn of their first or latest notification);
 * registrations `lastCheckedOn`; rejections `receivedOn`.
 */
const RECORD_ORDERS: Readonly<Record<string, string>> = { key: 'key', receivedOn: ATTR.receivedOn };

/**
 * The orders of a scope's devices: `key` (the device id), or sorted at query time on `lastSeen`
 * (when a container last refreshed the item: accurate to the refresh interval) or `firstSeen`.
 */
const DEVICE_ORDERS: Readonly<Record<string, string>> = { key: 'key', lastSeen: ATTR.lastSeen, firstSeen: ATTR.firstSeen };

/**
 * The query API's one door to the table: callback records read, counted and deleted by scope,
 * device, operation and id, as typed records. Keys, attribute names and DynamoDB commands stay
 * behind it (PartitionReader reads, KeptBodies keeps the body of a multi-device callback whose
 * holding event is deleted). Refusals are the store's own errors (./errors.ts).
 */
export class CallbackRecords {
  private readonly reader: PartitionReader;
  private readonly keptBodies: KeptBodies;

  constructor(client: TableClient, tableName: string, options: { sortLimit?: number; filterCalls?: number } = {}) {
    this.reader = new PartitionReader(
      client,
      tableName,
      options.sortLimit,
      options.filterCalls ?? envInt('QUERY_FILTER_MAX_CALLS', 10, { min: 1, max: 1_000 }),
    );
    this.keptBodies = new KeptBodies(this.reader);
  }

  /** Items read from DynamoDB since construction (for benchmarks: items read per item returned). */
  get itemsRead(): number {
    return this.reader.itemsRead;
  }

  /** A page of a device's events (ordered `key`: sentOn, or `receivedOn`), their payload derived with `derive`. */
  async deviceEvents(scopeId: string, deviceId: string, options: ListOptions, derive: LoadDeriver): Promise<RecordPage<DeviceEventRecord>> {
    const page = await this.reader.list(withDates({ pk: eventPk(scopeId, deviceId) }, options), recordOrder(options));
    const parsers = await derive();
    return { ...page, items: await Promise.all(page.items.map((item) => this.eventRecord(item, scopeId, deviceId, parsers))) };
  }

  /** A page of one operation's notifications (ordered `key`: sentOn, or `receivedOn`). */
  async operationNotifications(scopeId: string, deviceId: string, operationId: string, options: ListOptions): Promise<RecordPage<OperationNotificationRecord>> {
    const page = await this.reader.list(withDates(this.operationScope(scopeId, deviceId, operationId), options), recordOrder(options));
    return { ...page, items: page.items.map((item) => notificationOf(item, scopeId, deviceId)) };
  }

  countDeviceEvents(scopeId: string, deviceId: string, filter: CountFilter): Promise<number> {
    return this.reader.count(withDates({ pk: eventPk(scopeId, deviceId) }, filter), filter.resource);
  }

  countOperationNotifications(scopeId: string, deviceId: string, operationId: string, filter: CountFilter): Promise<number> {
    return this.reader.count(withDates(this.operationScope(scopeId, deviceId, operationId), filter), filter.resource);
  }

  /** One event by id; undefined when there is none (or the id names none). */
  async deviceEvent(scopeId: string, deviceId: string, id: string, derive: LoadDeriver): Promise<DeviceEventRecord | undefined> {
    if (!RECORD_ID.test(id)) return undefined;
    const item = await this.reader.get(eventPk(scopeId, deviceId), id);
    return item ? this.eventRecord(item, scopeId, deviceId, await derive()) : undefined;
  }

  /** One notification by id; undefined when there is none (or the id names none). */
  async operationNotification(scopeId: string, deviceId: string, operationId: string, id: string): Promise<OperationNotificationRecord | undefined> {
    if (!RECORD_ID.test(id)) return undefined;
    const item = await this.reader.get(notificationPk(scopeId, deviceId), notificationSk(operationId, id));
    return item ? notificationOf(item, scopeId, deviceId) : undefined;
  }

  /**
   * Deletes one event; false when it was not there. A callback naming several devices stores its
   * body once, on its first device's event; the others point to it. Deleting the event that holds
   * it keeps the body (a kept-body item) while another event still references it, and the body goes
   * with the last of them (the retention may be 0). `derive` reads the devices a body names.
   */
  async deleteDeviceEvent(scopeId: string, deviceId: string, id: string, derive: LoadDeriver): Promise<boolean> {
    if (!RECORD_ID.test(id)) return false;
    const pk = eventPk(scopeId, deviceId);
    const item = await this.reader.get(pk, id);
    if (!item) return false;
    const after = await this.keptBodies.beforeDelete(item, scopeId, deviceId, derive);
    const deleted = await this.reader.delete(pk, id);
    // Also when a concurrent delete won: its own check may have run before this one's.
    if (after) await after();
    return deleted;
  }

  /** Deletes one notification; false when it was not there. */
  async deleteOperationNotification(scopeId: string, deviceId: string, operationId: string, id: string): Promise<boolean> {
    if (!RECORD_ID.test(id)) return false;
    return this.reader.delete(notificationPk(scopeId, deviceId), notificationSk(operationId, id));
  }

  /** Whether the device has any event (one one-item query). */
  hasEvents(scopeId: string, deviceId: string): Promise<boolean> {
    return this.reader.any(eventPk(scopeId, deviceId));
  }

  /** A page of a device's operations, ordered `key` (operation id), `startedOn` or `lastSentOn`. */
  async deviceOperations(scopeId: string, deviceId: string, options: ListOptions): Promise<RecordPage<DeviceOperation>> {
    const page = await this.reader.operations(notificationPk(scopeId, deviceId), options, operationSortValue(options.order));
    const record = (item: StoredItem) => notificationOf(item, scopeId, deviceId);
    return {
      ...page,
      items: page.items.map((op) => ({
        operationId: op.operationId,
        first: record(op.first),
        latest: record(op.latest),
        ...(op.terminal ? { terminal: record(op.terminal) } : {}),
      })),
    };
  }

  /**
   * A page of a scope's devices (ordered `key`: the device id, or `lastSeen` / `firstSeen`, sorted
   * at query time), each with its newest event: one one-item query per device of the page, so its
   * last event's time and type are exact whatever the refresh interval of the items.
   */
  async devices(scopeId: string, options: ListOptions): Promise<RecordPage<DeviceRecord>> {
    const page = await this.reader.list({ pk: devicePk(scopeId) }, ordered(options, DEVICE_ORDERS));
    return {
      ...page,
      items: await Promise.all(
        page.items.map(async (item) => deviceOf(item, scopeId, await this.newestEvent(scopeId, deviceOfSk(String(item[TABLE.sortKey]))))),
      ),
    };
  }

  /** One device, with its newest event; undefined when no webhook has seen it (or its item expired). */
  async device(scopeId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const [item, newest] = await Promise.all([this.reader.get(devicePk(scopeId), deviceSk(deviceId)), this.newestEvent(scopeId, deviceId)]);
    return item ? deviceOf(item, scopeId, newest) : undefined;
  }

  /** How many devices the scope has (a COUNT query of its device partition). */
  countDevices(scopeId: string): Promise<number> {
    return this.reader.count({ pk: devicePk(scopeId) });
  }

  private newestEvent(scopeId: string, deviceId: string): Promise<StoredItem | undefined> {
    return this.reader.first(eventPk(scopeId, deviceId), true);
  }

  /** A page of an account's registration status records (ordered `key`: service, or `lastCheckedOn`). */
  registrations(account: string, options: ListOptions): Promise<Page> {
    return this.reader.list({ pk: registrationPk(account) }, options);
  }

  /** A page of a scope's rejected requests (ordered `receivedOn`). */
  rejections(scopeId: string, options: ListOptions): Promise<Page> {
    return this.reader.list({ pk: rejectionPk(scopeId) }, options);
  }

  private operationScope(scopeId: string, deviceId: string, operationId: string): Scope {
    return { pk: notificationPk(scopeId, deviceId), prefix: operationPrefix(operationId) };
  }

  /** An event item as its record; a further device's event reads the body it shares (the holder's event, or its kept body). */
  private async eventRecord(item: StoredItem, scopeId: string, deviceId: string, derive: Deriver): Promise<DeviceEventRecord> {
    const holder = item[ATTR.bodyDevice];
    const get = (pk: string, sk: string) => this.reader.get(pk, sk);
    const stored = typeof holder === 'string' ? await sharedBodyOf(scopeId, holder, String(item[TABLE.sortKey]), get) : storedBodyOf(item);
    return eventOf(item, scopeId, deviceId, stored, derive);
  }
}

/** A list's key range for `startDate` / `endDate`: ids start with their sentOn (./ids.ts). */
function withDates(scope: Scope, range: { startDate?: number; endDate?: number }): Scope {
  if (range.startDate === undefined && range.endDate === undefined) return scope;
  return {
    ...scope,
    from: idBounds(range.startDate ?? 0).first,
    to: idBounds(range.endDate ?? 2 ** 48 - 1).last,
  };
}

/** The options with the order named as the stored attribute it sorts on. */
function ordered(options: ListOptions, orders: Readonly<Record<string, string>>): ListOptions {
  return { ...options, order: orders[options.order] ?? options.order };
}

const recordOrder = (options: ListOptions) => ordered(options, RECORD_ORDERS);

/** An operation's sort value: the id of its first (startedOn) or latest (lastSentOn) notification, which sorts as its sentOn. */
const operationSortValue = (order: string) => (op: OperationNotifications) => {
  const sk = String((order === 'startedOn' ? op.first : op.latest)[TABLE.sortKey]);
  return sk.slice(sk.lastIndexOf('#') + 1);
};
