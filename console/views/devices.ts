import { api, seg, type ListResult } from '../api';
import { h, note, section } from '../dom';
import type { Device } from '../model';
import { hashOf } from '../router';
import { stamp } from '../time';
import { table } from './table';

/** A scope's devices, most recently heard first (the API's default order). */
export async function devicesView(scope: string): Promise<HTMLElement> {
  const { items } = await api<ListResult<Device>>(`${seg(scope)}/devices?limit=200`);
  if (items.length === 0) {
    return section(
      `Devices of ${scope}`,
      note(
        `No device has called scope ${scope} yet. Once a provider's callback is stored, its device shows here; locally, try npm run send -- diagnostics. If callbacks should be arriving, look at the rejections and registrations.`,
      ),
    );
  }
  return section(
    `Devices of ${scope}`,
    h('p', { class: 'hint' }, `${items.length} device${items.length === 1 ? '' : 's'}, most recently heard first. Enter or click opens one.`),
    table(
      ['Device', 'Kind', 'Last event', 'Type', 'First seen'],
      items.map((d) => ({
        href: hashOf({ view: 'device', scope, deviceId: d.id }),
        cells: [
          h('a', { href: hashOf({ view: 'device', scope, deviceId: d.id }) }, d.displayName ?? d.id),
          d.deviceKind ?? '',
          stamp(d.lastEventOn, true),
          d.lastEventType ?? '',
          stamp(d.createdOn),
        ],
      })),
    ),
  );
}
