import type { CallbackRecords, CountFilter, LoadDeriver, RecordPage } from '../store/callback-records';
import type { ListOptions } from '../store/partition-reader';
import { illegalArgument, toDevice, toDeviceEvent, toNotification, toRegistration, toRejection, type PermissionDomain } from './kapua';
import type { ListDefaults, SortParams } from './params';

type Item = Record<string, unknown>;

/** The scope, device and operation a request's path names. */
export interface Path {
  scopeId: string;
  deviceId: string;
  operationId?: string;
}

/** One collection of the API: how it sorts, what it answers, and which store reads it. */
export interface Collection {
  entityType: string;
  listType: string;
  /** Kapua's permission domain of the collection (named by a 403). */
  domain: PermissionDomain;
  /** Addressed by scope alone (no device in the path). */
  scopeOnly?: boolean;
  /** Newest first by default, date filters (device events). */
  defaults?: ListDefaults;
  /** Kapua answers 404 `device` on every verb of a device that has none of these (device events). */
  deviceMustExist?: boolean;
  sortParams: SortParams;
  defaultSort: string;
  /** What the ids of `get` / `delete` look like (others are 404 without a read): record ids unless said otherwise. */
  idPattern?: RegExp;
  /** A page, shown as the API answers it. */
  list(at: Path, options: ListOptions): Promise<RecordPage<Item>>;
  count?(at: Path, filter: CountFilter): Promise<number>;
  /** One record, shown as the API answers it; undefined when there is none. */
  get?(at: Path, id: string): Promise<Item | undefined>;
  /** Deletes one record; false when it was not there. */
  delete?(at: Path, id: string): Promise<boolean>;
}

export type CollectionName = 'notifications' | 'events' | 'devices' | 'registrations' | 'rejections';

/** What a device id looks like (as the webhooks take it): printable ASCII, no spaces. */
export const DEVICE_ID = /^[\x21-\x7e]{1,256}$/;

/** Devices have no resource: a `resource` filter is refused rather than answering nothing. */
function noResource(resource: string | undefined): void {
  if (resource !== undefined) throw illegalArgument('resource', resource, 'Devices are not filtered by resource.');
}

const shown = async <T>(page: Promise<RecordPage<T>>, show: (t: T) => Item): Promise<RecordPage<Item>> => {
  const p = await page;
  return { ...p, items: p.items.map(show) };
};

/** The collections, reading through `records` and deriving event details with the parsers `derive` loads. */
export function collections(records: CallbackRecords, derive: LoadDeriver): Record<CollectionName, Collection> {
  return {
    notifications: {
      entityType: 'managementOperationNotification',
      listType: 'managementOperationNotificationListResult',
      domain: 'device_management',
      // sentOn is the key's own order; createdOn (receive time) is sorted at query time.
      sortParams: { sentOn: 'key', createdOn: 'receivedOn' },
      defaultSort: 'sentOn',
      list: (p, o) => shown(records.operationNotifications(p.scopeId, p.deviceId, p.operationId!, o), toNotification),
      count: (p, f) => records.countOperationNotifications(p.scopeId, p.deviceId, p.operationId!, f),
      get: async (p, id) => {
        const record = await records.operationNotification(p.scopeId, p.deviceId, p.operationId!, id);
        return record && toNotification(record);
      },
      delete: (p, id) => records.deleteOperationNotification(p.scopeId, p.deviceId, p.operationId!, id),
    },
    events: {
      entityType: 'deviceEvent',
      listType: 'deviceEventListResult',
      domain: 'device_event',
      // Kapua lists device events newest first; here by sentOn, the key's own order (README).
      defaults: { descending: true, dates: true },
      deviceMustExist: true,
      sortParams: { sentOn: 'key', receivedOn: 'receivedOn', createdOn: 'receivedOn' },
      defaultSort: 'sentOn',
      list: (p, o) => shown(records.deviceEvents(p.scopeId, p.deviceId, o, derive), (e) => toDeviceEvent(e, false)),
      count: (p, f) => records.countDeviceEvents(p.scopeId, p.deviceId, f),
      get: async (p, id) => {
        const record = await records.deviceEvent(p.scopeId, p.deviceId, id, derive);
        return record && toDeviceEvent(record, true);
      },
      delete: (p, id) => records.deleteDeviceEvent(p.scopeId, p.deviceId, id, derive),
    },
    devices: {
      entityType: 'device',
      listType: 'deviceListResult',
      domain: 'device',
      scopeOnly: true,
      // Most recently heard first (the items' last-seen time, accurate to the refresh interval, sorted
      // at query time); clientId (= displayName) is the key's own order and pages any number.
      defaults: { descending: ['lastEventOn'] },
      sortParams: { lastEventOn: 'lastSeen', clientId: 'key', displayName: 'key', createdOn: 'firstSeen' },
      defaultSort: 'lastEventOn',
      idPattern: DEVICE_ID,
      list: (p, o) => {
        noResource(o.resource);
        return shown(records.devices(p.scopeId, o), toDevice);
      },
      count: (p, f) => {
        noResource(f.resource);
        return records.countDevices(p.scopeId);
      },
      get: async (p, id) => {
        const record = await records.device(p.scopeId, id);
        return record && toDevice(record);
      },
    },
    registrations: {
      entityType: 'callbackRegistration',
      listType: 'callbackRegistrationListResult',
      domain: 'callback_registration',
      scopeOnly: true,
      sortParams: { service: 'key', lastCheckedOn: 'lastCheckedOn' },
      defaultSort: 'service',
      list: (p, o) => shown(records.registrations(p.scopeId, o), toRegistration),
    },
    rejections: {
      entityType: 'rejectedRequest',
      listType: 'rejectedRequestListResult',
      domain: 'rejected_request',
      scopeOnly: true,
      sortParams: { receivedOn: 'receivedOn' },
      defaultSort: 'receivedOn',
      list: (p, o) => shown(records.rejections(p.scopeId, o), toRejection),
    },
  };
}
