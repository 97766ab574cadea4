import { api, ApiError, seg, type ListResult } from '../api';
import { h, note, section } from '../dom';
import type { Device } from '../model';
import { hashOf } from '../router';
import { stamp } from '../time';
import { table } from './table';

/** How many devices the list shows. */
const SHOWN = 200;

/**
 * A scope's devices, most recently heard first: the API's default order, by the last-seen time each
 * webhook container refreshes once an hour (so devices heard within the same hour may be in any
 * order among themselves). A scope of more than 2,000 devices cannot be sorted so (the API says
 * 400): it is listed by device id then.
 */
async function devicesOf(scope: string): Promise<{ items: Device[]; more: boolean; byId: boolean }> {
  try {
    const { items, limitExceeded } = await api<ListResult<Device>>(`${seg(scope)}/devices?limit=${SHOWN}`);
    return { items, more: limitExceeded === true, byId: false };
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 400)) throw error;
    const { items, limitExceeded } = await api<ListResult<Device>>(`${seg(scope)}/devices?limit=${SHOWN}&sortParam=clientId`);
    return { items, more: limitExceeded === true, byId: true };
  }
}

export async function devicesView(scope: string): Promise<HTMLElement> {
  const { items, more, byId } = await devicesOf(scope);
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
    h(
      'p',
      { class: 'hint' },
      `${more ? `The first ${items.length} devices` : `${items.length} device${items.length === 1 ? '' : 's'}`}, ` +
        (byId ? 'by device id (the scope has too many devices to sort by last event)' : 'most recently heard first (to the hour)') +
        `. ${more ? 'Open one by its deep link: #/{scope}/devices/{deviceId}. ' : ''}Enter or click opens one.`,
    ),
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
