import { ApiError } from './api';
import { h, note, replace } from './dom';
import { forgetKey, heldKey, holdKey, lastScope } from './key';
import { hashOf, parseRoute, type Route } from './router';
import { deviceView, type DeviceView } from './views/device';
import { devicesView } from './views/devices';
import { registrationsView } from './views/registrations';
import { rejectionsView } from './views/rejections';
import { bindKeys } from './keys';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const view = $<HTMLElement>('view');
const form = $<HTMLFormElement>('key-form');
const keyInput = $<HTMLInputElement>('key');
const scopeInput = $<HTMLInputElement>('scope');
const held = $<HTMLElement>('key-held');
const nav = $<HTMLElement>('nav');

/** The device view on screen, so leaving it stops its live mode. */
let device: DeviceView | undefined;
/** Each render has a number: a slow answer for a view already left is dropped. */
let renders = 0;

/** The scope a route names, else the last one entered. */
const scopeOf = (route: Route) => (route.view === 'home' ? (lastScope() ?? '') : route.scope);

function showKeyState(route: Route): void {
  const hasKey = heldKey() !== null;
  form.hidden = hasKey;
  held.hidden = !hasKey;
  if (!scopeInput.value) scopeInput.value = scopeOf(route);
  const scope = scopeOf(route);
  replace(
    nav,
    ...(hasKey && scope
      ? (
          [
            ['devices', 'Devices'],
            ['registrations', 'Registrations'],
            ['rejections', 'Rejections'],
          ] as const
        ).map(([v, label]) => h('a', { href: hashOf({ view: v, scope }), 'aria-current': route.view === v ? 'page' : undefined }, label))
      : []),
  );
}

async function render(): Promise<void> {
  const number = ++renders;
  device?.stop();
  device = undefined;
  const route = parseRoute(location.hash);
  showKeyState(route);
  if (!heldKey()) {
    replace(
      view,
      note(route.view === 'home' ? 'Enter a scope (ThingSpace account or SENSORO AppID) and an API key for it.' : 'Enter an API key to open this view.'),
    );
    keyInput.focus();
    return;
  }
  if (route.view === 'home') {
    location.replace(hashOf({ view: 'devices', scope: lastScope() ?? '_' }));
    return;
  }
  replace(view, h('p', { class: 'hint' }, 'Loading…'));
  try {
    let element: HTMLElement;
    if (route.view === 'device') {
      const opened = await deviceView(route.scope, route.deviceId);
      if (number !== renders) return opened.stop();
      device = opened;
      element = opened.element;
    } else if (route.view === 'registrations') element = await registrationsView(route.scope);
    else if (route.view === 'rejections') element = await rejectionsView(route.scope);
    else element = await devicesView(route.scope);
    if (number !== renders) return;
    replace(view, element);
  } catch (error) {
    if (number !== renders) return;
    // A refused key is of no further use: drop it and show the form again, under the error.
    if (error instanceof ApiError && error.status === 401) {
      forgetKey();
      showKeyState(route);
    }
    replace(view, note(error instanceof ApiError ? error.message : `Something failed: ${String(error)}`, 'error'));
  }
  view.querySelector<HTMLElement>('tbody tr[tabindex]')?.focus({ preventScroll: true });
}

form.addEventListener('submit', (event) => {
  // The form posts nowhere (the CSP's form-action 'none' would refuse it anyway): the key goes to sessionStorage.
  event.preventDefault();
  const scope = scopeInput.value.trim();
  holdKey(keyInput.value.trim(), scope);
  keyInput.value = '';
  const route = parseRoute(location.hash);
  // A deep link opens as asked; the form's scope opens its devices otherwise.
  if (route.view === 'home' || route.scope !== scope) location.hash = hashOf({ view: 'devices', scope });
  else void render();
});

$<HTMLButtonElement>('forget').addEventListener('click', () => {
  forgetKey();
  void render();
});

bindKeys({
  render: () => void render(),
  toggleLive: () => device?.toggleLive(),
  go: (v) => {
    const scope = scopeOf(parseRoute(location.hash));
    if (scope) location.hash = hashOf({ view: v, scope });
  },
});
window.addEventListener('hashchange', () => void render());
void render();
