import { h } from './dom';

const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });

/** A stored ISO time in the browser's time zone, named (the API's times are UTC): its date and its time. */
function parts(iso: string): [string, string] | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : [DATE.format(date), TIME.format(date)];
}

/** A stored ISO time, readable and zoned. */
export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const p = parts(iso);
  return p ? `${p[0]}, ${p[1]}` : iso;
}

/** "3 min ago": how fresh a device's last callback is, next to its exact time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/**
 * A table cell's time: readable and zoned, the ISO time as its title and `datetime`, and its age
 * when asked. The date and the time each stay on one line; a narrow column breaks between them.
 */
export function stamp(iso: string | undefined, withAge = false): HTMLElement {
  const p = iso ? parts(iso) : undefined;
  if (!iso || !p) return h('span', {}, iso ?? '—');
  return h(
    'time',
    { datetime: iso, title: iso },
    h('span', { class: 'stamp' }, `${p[0]},`),
    ' ',
    h('span', { class: 'stamp' }, p[1]),
    withAge ? h('small', {}, ` ${ago(iso)}`) : undefined,
  );
}
