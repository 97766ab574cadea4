import { channelOfCode } from '../channels';
import { logger } from '../log';
import { decodeBody } from './body';
import type { PartitionReader } from './partition-reader';
import { storedBodyOf, type Deriver, type StoredBody, type StoredItem } from './records';
import { ATTR, bodyPk, eventPk, TABLE } from './table';

/**
 * The kept bodies of multi-device callbacks (MB#), and the events that reference them. A callback
 * naming several devices stores its body once, on its first device's event; the others point to
 * it (ATTR.bodyDevice) under the same sort key. The devices of a callback are named by its body
 * (read with the channel's parser). Reads are strongly consistent, so that of two deletes racing
 * for the last two references, the later one sees the other done and removes the kept body.
 */
export class KeptBodies {
  constructor(private readonly reader: PartitionReader) {}

  /**
   * Runs before the event `item` of `deviceId` is deleted: keeps its body when other events still
   * reference it. What it returns runs once the delete was attempted (also when a concurrent delete
   * won it): it removes a kept body no event references any more.
   */
  async beforeDelete(item: StoredItem, scopeId: string, deviceId: string, derive: () => Promise<Deriver>): Promise<(() => Promise<void>) | undefined> {
    const sk = String(item[TABLE.sortKey]);
    const holder = item[ATTR.bodyDevice];
    if (typeof holder === 'string') return () => this.dropUnreferenced(scopeId, holder, sk, deviceId, derive);
    const stored = storedBodyOf(item);
    if (typeof item[ATTR.sharedBy] !== 'number' || !stored) return undefined;
    const others = await this.devicesOf(item[ATTR.channel], stored, scopeId, sk, [deviceId], derive);
    // No other device's event left: nothing needs the body once this event goes.
    if (others !== undefined && !(await this.anyEvent(scopeId, others, sk, deviceId))) return undefined;
    const { [ATTR.body]: body, [ATTR.plain]: plain, [ATTR.channel]: channel, [TABLE.ttlAttribute]: ttl } = item;
    await this.reader.put({
      [TABLE.partitionKey]: bodyPk(scopeId, deviceId),
      [TABLE.sortKey]: sk,
      [ATTR.body]: body,
      [ATTR.channel]: channel,
      ...(plain !== undefined ? { [ATTR.plain]: plain } : {}),
      ...(ttl !== undefined ? { [TABLE.ttlAttribute]: ttl } : {}),
    });
    // Once this event is gone, check again: another device's event deleted meanwhile saw this
    // one still holding the body, and left the kept body to us.
    return others === undefined ? undefined : () => this.dropUnreferenced(scopeId, deviceId, sk, deviceId, derive, others);
  }

  /** The devices a stored body names, but `excluding`; undefined (logged) when the body cannot be read. */
  private async devicesOf(
    channelCode: unknown,
    stored: StoredBody,
    scopeId: string,
    sk: string,
    excluding: string[],
    derive: () => Promise<Deriver>,
  ): Promise<string[] | undefined> {
    const channel = channelOfCode(channelCode);
    try {
      if (!channel) throw new Error('unknown channel');
      const facts = await derive();
      const plain = stored.plain ? decodeBody(channel, stored.plain) : undefined;
      const devices = facts(channel, decodeBody(channel, stored.body), scopeId, plain).devices.map((d) => d.id);
      return [...new Set(devices)].filter((d) => !excluding.includes(d));
    } catch (error) {
      // Ids only: the kept body stays (its records' expiry, if any, still removes it).
      logger.error('devices of a shared body not readable: its kept body stays', { scopeId, recordId: sk, channel, cause: (error as Error)?.name });
      return undefined;
    }
  }

  /** Whether any of `devices` still has its event of this callback (pointing at `holder`). */
  private async anyEvent(scopeId: string, devices: string[], sk: string, holder: string): Promise<boolean> {
    // The first alone (usually found: one read), then ten at a time, stopping at the first found.
    for (let i = 0; i < devices.length; i += i === 0 ? 1 : 10) {
      const batch = devices.slice(i, i === 0 ? 1 : i + 10);
      const found = await Promise.all(batch.map(async (d) => (await this.reader.get(eventPk(scopeId, d), sk, true))?.[ATTR.bodyDevice] === holder));
      if (found.includes(true)) return true;
    }
    return false;
  }

  /**
   * After the event of `deleted` went: removes the kept body of `holder`'s callback when no event
   * references it any more (the holder's own event, when it is there again, holds the body itself).
   * `others`, when known, are the devices to check besides the holder.
   */
  private async dropUnreferenced(
    scopeId: string,
    holder: string,
    sk: string,
    deleted: string,
    derive: () => Promise<Deriver>,
    others?: string[],
  ): Promise<void> {
    try {
      let devices = others;
      if (devices === undefined) {
        if (await this.reader.get(eventPk(scopeId, holder), sk, true)) return;
        const kept = await this.reader.get(bodyPk(scopeId, holder), sk, true);
        const stored = storedBodyOf(kept);
        if (!stored) return;
        devices = await this.devicesOf(kept![ATTR.channel], stored, scopeId, sk, [holder, deleted], derive);
        if (devices === undefined) return;
      }
      if (await this.anyEvent(scopeId, devices, sk, holder)) return;
      await this.reader.delete(bodyPk(scopeId, holder), sk);
    } catch (error) {
      // The event is deleted, as asked; the kept body stays (with the records' expiry, if any).
      logger.error('kept body not removed', { scopeId, holder, recordId: sk, cause: (error as Error)?.name });
    }
  }
}
