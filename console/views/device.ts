import { api, ApiError, seg, type ListResult } from '../api';
import { h, note, replace, section } from '../dom';
import type { Device, DeviceEvent, Notification, Operation } from '../model';
import { numericSeries, positionsPlot, seriesChart } from '../plot';
import { liveMode } from '../live';
import { hashOf } from '../router';
import { ago, stamp, when } from '../time';
import { row, table } from './table';

/** A device view and what stops it (live mode's timer) when the page leaves it. */
export interface DeviceView {
  element: HTMLElement;
  toggleLive(): void;
  stop(): void;
}

/** A device: its plots, its events (newest first, each opening to its payload and raw body), its operations. */
export async function deviceView(scope: string, deviceId: string): Promise<DeviceView> {
  const base = `${seg(scope)}/devices/${seg(deviceId)}`;
  const [device, events, operations] = await Promise.all([
    api<Device>(base),
    api<ListResult<DeviceEvent>>(`${base}/events?limit=100`),
    api<ListResult<Operation>>(`${base}/operations`),
  ]);
  const shown = new Map(events.items.map((e) => [e.id, e]));
  const plots = h('div', { class: 'plots' });
  const tbody = h('tbody', {}, ...events.items.map((e) => eventRow(base, e)));
  const eventsBox = h('div', {});
  const drawEvents = () => {
    const all = [...shown.values()];
    replace(plots, ...plotsOf(all));
    replace(
      eventsBox,
      all.length === 0
        ? note('No event stored for this device. Turn on live mode (l) to see the next callback arrive.')
        : h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Received', 'Sent', 'Channel', 'Action', 'Operation', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
            tbody,
          ),
    );
  };
  drawEvents();

  // Live mode: the events received last (a late callback, sent long ago, is new too), each put in
  // its place in the newest-first (sentOn) table, highlighted, and plotted. Receive order is sorted
  // at query time for up to 2,000 events; past that the API says 400 and live mode takes the
  // newest 50 by sentOn instead, and says so.
  let bySentOnOnly = false;
  const live = liveMode(async () => {
    const recent = bySentOnOnly ? undefined : await receivedLast(`${base}/events?limit=50&sortParam=receivedOn&sortDir=DESCENDING`);
    if (!recent) bySentOnOnly = true;
    const latest = recent ?? (await api<ListResult<DeviceEvent>>(`${base}/events?limit=50`)).items;
    const fresh = latest.filter((e) => !shown.has(e.id));
    for (const e of fresh) {
      shown.set(e.id, e);
      placeBySentOn(tbody, eventRow(base, e, true), e);
    }
    if (fresh.length > 0) drawEvents();
    return bySentOnOnly ? `${fresh.length} new (newest 50 by sent time: over 2,000 events)` : fresh.length;
  });

  const element = h(
    'div',
    { class: 'device' },
    h('p', { class: 'crumbs' }, h('a', { href: hashOf({ view: 'devices', scope }) }, `← Devices of ${scope}`)),
    h(
      'h2',
      {},
      deviceId,
      h('small', {}, ` ${device.deviceKind ?? ''} · last heard ${when(device.lastEventOn)} (${ago(device.lastEventOn)}), ${device.lastEventType ?? ''}`),
    ),
    live.controls,
    section('Plots', plots),
    section('Events', h('p', { class: 'hint' }, 'Newest first. Enter or click shows the normalised payload and the raw body.'), eventsBox),
    section('Operations', operationsOf(base, operations.items)),
  );
  return { element, toggleLive: live.toggle, stop: live.stop };
}

/** The events received last, or undefined when the device has too many to sort by receive time (400). */
async function receivedLast(path: string): Promise<DeviceEvent[] | undefined> {
  try {
    return (await api<ListResult<DeviceEvent>>(path)).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return undefined;
    throw error;
  }
}

/** Puts an event's row before the first row sent earlier (ids sort as their sentOn), so the table stays newest first. */
function placeBySentOn(tbody: HTMLElement, tr: HTMLTableRowElement, e: DeviceEvent): void {
  const later = [...tbody.querySelectorAll<HTMLTableRowElement>('tr[data-event-id]')].find((other) => other.dataset.eventId! < e.id);
  if (later) later.before(tr);
  else tbody.append(tr);
}

function plotsOf(events: DeviceEvent[]): HTMLElement[] {
  const charts = numericSeries(events).map(seriesChart);
  const positions = events.flatMap((e) => (e.position ? [{ ...e.position, time: e.position.timestamp ?? e.sentOn ?? e.receivedOn }] : []));
  if (positions.length > 0) charts.push(positionsPlot(positions));
  return charts.length > 0 ? charts : [note('Nothing to plot: no numeric attribute and no position among the events shown.')];
}

function eventRow(base: string, e: DeviceEvent, isNew = false): HTMLTableRowElement {
  let detail: HTMLTableRowElement | undefined;
  const tr = row({
    kind: isNew ? 'new' : undefined,
    open: (tr) => {
      if (detail) {
        detail.remove();
        detail = undefined;
        return;
      }
      detail = h('tr', { class: 'detail' }, h('td', { colspan: 6 }, eventDetail(base, e)));
      tr.after(detail);
    },
    cells: [
      stamp(e.receivedOn, true),
      stamp(e.sentOn),
      `${e.provider ?? ''} ${e.channel ?? ''}`.trim(),
      `${e.callbackAction ?? ''} ${e.action ? `(${e.action})` : ''}`.trim(),
      e.operationId ?? '',
      e.eventMessage ?? '',
    ],
  });
  tr.dataset.eventId = e.id;
  return tr;
}

/** The normalised payload at once, and the raw body (read by id: lists do not carry it). */
function eventDetail(base: string, e: DeviceEvent): HTMLElement {
  const raw = h('div', {}, h('p', { class: 'hint' }, 'Loading the raw body…'));
  api<DeviceEvent>(`${base}/events/${seg(e.id)}`).then(
    (full) => replace(raw, codeBlock('Raw body (as received; credentials blanked)', pretty(full.rawBody ?? ''), 'raw-body')),
    (error: unknown) => replace(raw, note(error instanceof ApiError ? error.message : String(error), 'error')),
  );
  const fields = { ...e, payload: undefined };
  return h(
    'div',
    { class: 'event-detail' },
    codeBlock('Normalised payload', JSON.stringify(e.payload ?? null, null, 2), 'payload'),
    codeBlock('Event', JSON.stringify(fields, null, 2), 'event'),
    raw,
  );
}

/** JSON pretty printed; XML (SOAP) or anything else as it came. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** A titled block of text with a copy button. */
function codeBlock(title: string, text: string, kind: string): HTMLElement {
  const copy = h('button', { type: 'button', class: 'copy' }, 'Copy');
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(text).then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Copy failed: select the text instead'),
    );
  });
  return h('div', { class: `code ${kind}` }, h('h3', {}, title, ' ', copy), h('pre', {}, text));
}

function operationsOf(base: string, operations: Operation[]): HTMLElement {
  if (operations.length === 0) return note('No operation: this device has no callback that belongs to a request (requestId, transactionID, taskId).');
  return table(
    ['Operation', 'Status', 'Progress', 'Resource', 'Started', 'Ended', 'Last notification'],
    operations.map((o) => {
      let shownNotes: HTMLElement | undefined;
      return {
        open: (tr) => {
          if (shownNotes) {
            shownNotes.remove();
            shownNotes = undefined;
            return;
          }
          const cell = h('td', { colspan: 7 }, h('p', { class: 'hint' }, `Loading the notifications of ${o.operationId}…`));
          shownNotes = h('tr', { class: 'detail' }, cell);
          tr.after(shownNotes);
          void notificationsOf(base, o).then((el) => replace(cell, el));
        },
        cells: [
          o.operationId,
          h('strong', { class: o.status === 'COMPLETED' ? 'ok' : o.status === 'FAILED' ? 'bad' : undefined }, o.status ?? ''),
          o.progress ?? '',
          o.resource ?? '',
          stamp(o.startedOn),
          stamp(o.endedOn),
          stamp(o.lastSentOn),
        ],
      };
    }),
  );
}

async function notificationsOf(base: string, o: Operation): Promise<HTMLElement> {
  try {
    const { items } = await api<ListResult<Notification>>(`${base}/operations/${seg(o.operationId)}/notifications`);
    return section(
      `Notifications of ${o.operationId}`,
      table(
        ['Sent', 'Status', 'Progress', 'Resource', 'Message'],
        items.map((n) => ({ cells: [stamp(n.sentOn), n.status ?? '', n.progress ?? '', n.resource ?? '', n.message ?? ''] })),
      ),
    );
  } catch (error) {
    return note(error instanceof Error ? error.message : String(error), 'error');
  }
}
