import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { envInt } from '../config';
import type { DeviceEvent } from '../model';
import { kapuaDate } from '../model';
import { ATTR, devicePk, deviceSk, deviceOfSk, TABLE } from './table';

/**
 * The devices of a scope: one item per (scope, device) under `DV#{scope}`, so that the query API
 * can list them without reading every event partition. What it costs the write path is bounded
 * per webhook container, not per callback: a container writes a device's item the first time it
 * hears of the device, and then at most once per refresh interval (DEVICE_SEEN_REFRESH_SECONDS,
 * default one hour), remembering in memory (a bounded map) the devices whose write succeeded. A
 * redelivery (a duplicate) writes the item too when the container does not remember the device.
 *
 * The item is an UpdateItem: `firstSeen` kept by `if_not_exists`, `lastSeen` (the receive time of
 * the write) overwritten, the kind, and the retention's TTL from `lastSeen`, so it expires with the
 * device's last records. `lastSeen` is therefore accurate to the refresh interval: it orders the
 * devices; the exact time and type of a device's last event are read from its newest event.
 */

/** Default seconds between two writes of one device's item by one container. */
export const DEFAULT_DEVICE_SEEN_REFRESH_SECONDS = 3_600;

/** Devices a container remembers at most (the oldest written is forgotten first): ~100 bytes each. */
export const DEFAULT_DEVICE_MEMORY = 50_000;

export interface DeviceSightingsOptions {
  /** Seconds between two writes of one device by this container; 0 writes on every callback. */
  refreshSeconds?: number;
  /** Devices remembered at most. */
  maxDevices?: number;
}

/** A device a callback names. */
export type Sighting = Pick<DeviceEvent, 'scopeId' | 'deviceId' | 'deviceKind'>;

/**
 * Which devices of a callback this container must write now, and which it has written: a map of
 * device → when this container last wrote its item (insertion order = write order, so the oldest
 * is evicted first). Remembered only once the write succeeded.
 */
export class DeviceSightings {
  private readonly seen = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly maxDevices: number;

  constructor(options: DeviceSightingsOptions = {}) {
    this.refreshMs = (options.refreshSeconds ?? envInt('DEVICE_SEEN_REFRESH_SECONDS', DEFAULT_DEVICE_SEEN_REFRESH_SECONDS, { min: 0, max: 86_400 })) * 1000;
    this.maxDevices = options.maxDevices ?? DEFAULT_DEVICE_MEMORY;
  }

  /** The distinct devices of `sightings` whose item this container must write at `now` (epoch ms). */
  due(sightings: readonly Sighting[], now: number): Sighting[] {
    const due = new Map<string, Sighting>();
    for (const s of sightings) {
      const key = keyOf(s);
      const last = this.seen.get(key);
      if (last === undefined || now - last >= this.refreshMs || now < last) due.set(key, s);
    }
    return [...due.values()];
  }

  /** Remembers that the item of `sighting` was written at `now`. */
  written(sighting: Sighting, now: number): void {
    const key = keyOf(sighting);
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > this.maxDevices) this.seen.delete(this.seen.keys().next().value!);
  }

  /** How many devices are remembered (for tests). */
  get size(): number {
    return this.seen.size;
  }
}

const keyOf = (s: Sighting) => `${s.scopeId}\u0000${s.deviceId}`;

/**
 * The write of a device item: about 80 bytes of keys and attributes, one write unit. `ttlSeconds`
 * is the expiry (epoch seconds) or undefined to keep it forever.
 */
export function deviceUpdate(tableName: string, s: Sighting, seenOn: number, ttlSeconds: number | undefined): UpdateCommand {
  const names: Record<string, string> = { '#f': ATTR.firstSeen, '#l': ATTR.lastSeen, '#k': ATTR.kind };
  const values: Record<string, unknown> = { ':now': seenOn, ':k': s.deviceKind };
  let set = '#f = if_not_exists(#f, :now), #l = :now, #k = :k';
  if (ttlSeconds !== undefined) {
    names['#x'] = TABLE.ttlAttribute;
    values[':x'] = ttlSeconds;
    set += ', #x = :x';
  }
  return new UpdateCommand({
    TableName: tableName,
    Key: { [TABLE.partitionKey]: devicePk(s.scopeId), [TABLE.sortKey]: deviceSk(s.deviceId) },
    UpdateExpression: `SET ${set}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** A device, as the query API shows it: its item, and its newest event when it still has one. */
export interface DeviceRecord {
  scopeId: string;
  deviceId: string;
  deviceKind: string | undefined;
  /** Kapua dates (ISO 8601, milliseconds). */
  firstSeenOn: string | undefined;
  /** The receive time, resource and id of the device's newest event (in the events' sentOn order). */
  lastEvent?: { id: string; receivedOn: string | undefined; resource: string | undefined };
}

/** A stored device item (and its newest event item, if any) as a DeviceRecord. */
export function deviceOf(item: Record<string, unknown>, scopeId: string, newestEvent: Record<string, unknown> | undefined): DeviceRecord {
  const number = (v: unknown) => (typeof v === 'number' ? kapuaDate(new Date(v)) : undefined);
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    scopeId,
    deviceId: deviceOfSk(String(item[TABLE.sortKey])),
    deviceKind: text(item[ATTR.kind]),
    firstSeenOn: number(item[ATTR.firstSeen]),
    ...(newestEvent
      ? {
          lastEvent: {
            id: String(newestEvent[TABLE.sortKey]),
            receivedOn: number(newestEvent[ATTR.receivedOn]),
            resource: text(newestEvent[ATTR.resource]),
          },
        }
      : {}),
  };
}
