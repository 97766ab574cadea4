import { h, note, section, type Child } from '../dom';

export interface Row {
  cells: Child[];
  /** Opening the row (click, Enter) goes to this hash. */
  href?: string;
  /** Or runs this (given the row, to put a detail row after it). */
  open?: (tr: HTMLTableRowElement) => void;
  /** A class for the row (`new`: just arrived in live mode). */
  kind?: string;
}

/** A table whose rows open on click or Enter; focusable rows are what j/k move between. */
export function table(headers: string[], rows: Row[]): HTMLTableElement {
  return h('table', {}, h('thead', {}, h('tr', {}, ...headers.map((title) => h('th', { scope: 'col' }, title)))), h('tbody', {}, ...rows.map(row)));
}

export function row({ cells, href, open, kind }: Row): HTMLTableRowElement {
  const tr = h('tr', { class: kind, tabindex: href || open ? 0 : undefined }, ...cells.map((cell) => h('td', {}, cell)));
  const go = href ? () => (location.hash = href) : open ? () => open(tr) : undefined;
  if (go) {
    tr.classList.add('opens');
    tr.addEventListener('click', (event) => {
      // A click on a link or button inside the row does its own thing.
      if (!(event.target as Element).closest('a, button')) go();
    });
    tr.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target === tr) go();
    });
  }
  return tr;
}

/** A titled list with a hint above it: a table of the items, or the empty state saying what to do. */
export function listSection<T>(title: string, hint: string, empty: string, headers: string[], items: T[], cells: (item: T) => Child[]): HTMLElement {
  const help = h('p', { class: 'hint' }, hint);
  return section(
    title,
    help,
    items.length === 0
      ? note(empty)
      : table(
          headers,
          items.map((item) => ({ cells: cells(item) })),
        ),
  );
}
