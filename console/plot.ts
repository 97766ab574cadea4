import uPlot from 'uplot';
import { h } from './dom';
import type { DeviceEvent, Position } from './model';

/** One numeric attribute over time: seconds since the epoch (uPlot's x) and values. */
export interface Series {
  name: string;
  times: number[];
  values: number[];
}

const numeric = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/**
 * The numeric attributes of a device's events: ThingSpace diagnostics' `attributes` (name, value,
 * createdOn) and SENSORO's `data` fields (temperature, battery, ...), oldest first.
 */
export function numericSeries(events: DeviceEvent[]): Series[] {
  const points = new Map<string, [number, number][]>();
  const add = (name: string, iso: string | undefined, value: unknown) => {
    const n = numeric(value);
    const t = iso ? Date.parse(iso) / 1000 : NaN;
    if (n === undefined || !Number.isFinite(t)) return;
    points.set(name, [...(points.get(name) ?? []), [t, n]]);
  };
  for (const event of events) {
    const payload = (event.payload ?? {}) as { attributes?: unknown; data?: unknown };
    const time = event.sentOn ?? event.receivedOn;
    if (Array.isArray(payload.attributes)) {
      for (const a of payload.attributes as { name?: unknown; value?: unknown; createdOn?: unknown }[]) {
        if (typeof a?.name === 'string') add(a.name, typeof a.createdOn === 'string' ? a.createdOn : time, a.value);
      }
    }
    if (payload.data && typeof payload.data === 'object') {
      for (const [name, value] of Object.entries(payload.data)) add(name, time, value);
    }
  }
  return [...points].map(([name, pairs]) => {
    pairs.sort((a, b) => a[0] - b[0]);
    return { name, times: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
  });
}

/** A colour of the stylesheet's palette (style.css `:root`). */
const color = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** A uPlot line chart of one series (a canvas), sized to its container. */
export function seriesChart(series: Series): HTMLElement {
  const single = series.times.length === 1 ? series.times[0] : undefined;
  const box = h('figure', { class: 'chart', 'data-series': series.name, 'data-points': series.values.length }, h('figcaption', {}, series.name));
  // Two charts side by side on a wide screen, one on a narrow one.
  const width = Math.max(280, Math.min(540, ((document.getElementById('view')?.clientWidth ?? 1100) - 80) / 2));
  new uPlot(
    {
      width,
      height: 180,
      legend: { show: true },
      // One point would span uPlot's default range (it widens a single time by 86,400 / 1e-3 seconds,
      // years): an hour around it instead. More points keep uPlot's range, zoom included.
      scales: { x: { time: true, range: (_u, min, max) => (single === undefined ? [min, max] : [single - 1800, single + 1800]) } },
      series: [{}, { label: series.name, stroke: color('--accent'), width: 2, points: { show: true, size: 6 } }],
      // Room between time labels, so "10:50pm" and "10:55pm" never run together; the page's colours
      // (light or dark), which a canvas cannot take from the stylesheet.
      axes: [
        { space: 90, stroke: color('--muted'), grid: { stroke: color('--line') }, ticks: { stroke: color('--line') } },
        { size: 60, stroke: color('--muted'), grid: { stroke: color('--line') }, ticks: { stroke: color('--line') } },
      ],
    },
    [series.times, series.values],
    box,
  );
  return box;
}

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag: string, attributes: Record<string, string | number>) => {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
};

/**
 * The positions of location results, scaled to their own bounds (no map tiles: the page loads
 * nothing from outside its origin), newest drawn last and marked; each point's title gives its values.
 */
export function positionsPlot(positions: (Position & { time: string })[]): HTMLElement {
  const W = 480;
  const H = 300;
  const pad = 24;
  const lats = positions.map((p) => p.latitude);
  const lons = positions.map((p) => p.longitude);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  // Equal scale on both axes (a degree of longitude shrinks with latitude), so the shape is true;
  // centred on the middle of the bounds, so one point sits in the middle.
  const cos = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const scale = Math.min((W - 2 * pad) / Math.max((maxLon - minLon) * cos, 1e-4), (H - 2 * pad) / Math.max(maxLat - minLat, 1e-4));
  const x = (lon: number) => W / 2 + (lon - (minLon + maxLon) / 2) * cos * scale;
  const y = (lat: number) => H / 2 - (lat - (minLat + maxLat) / 2) * scale;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'positions', role: 'img', 'aria-label': `${positions.length} positions` });
  root.appendChild(svg('rect', { x: 0, y: 0, width: W, height: H, class: 'frame' }));
  const sorted = [...positions].sort((a, b) => a.time.localeCompare(b.time));
  if (sorted.length > 1) {
    root.appendChild(svg('polyline', { points: sorted.map((p) => `${x(p.longitude)},${y(p.latitude)}`).join(' '), class: 'track' }));
  }
  sorted.forEach((p, i) => {
    const dot = svg('circle', {
      cx: x(p.longitude),
      cy: y(p.latitude),
      r: i === sorted.length - 1 ? 7 : 5,
      class: i === sorted.length - 1 ? 'point last' : 'point',
    });
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${p.latitude}, ${p.longitude}${p.precision !== undefined ? ` ±${p.precision} m` : ''} at ${p.time}`;
    dot.appendChild(title);
    root.appendChild(dot);
  });
  const figure = h(
    'figure',
    { class: 'chart', 'data-series': 'positions', 'data-points': positions.length },
    h('figcaption', {}, `Positions (${positions.length})`),
  );
  figure.appendChild(root);
  // No map under the points: say what the frame spans instead.
  figure.appendChild(h('p', { class: 'hint' }, `latitude ${minLat} … ${maxLat}, longitude ${minLon} … ${maxLon}; the newest is red`));
  return figure;
}
