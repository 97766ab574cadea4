/** The views a hash names: the page never puts anything but a scope and a device id in its URL. */
export type Route =
  | { view: 'home' }
  | { view: 'devices'; scope: string }
  | { view: 'device'; scope: string; deviceId: string }
  | { view: 'registrations'; scope: string }
  | { view: 'rejections'; scope: string };

/** `#/`, `#/{scope}`, `#/{scope}/devices/{id}`, `#/{scope}/registrations`, `#/{scope}/rejections`. */
export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [scope, kind, deviceId] = parts;
  if (!scope) return { view: 'home' };
  if (kind === 'devices' && deviceId) return { view: 'device', scope, deviceId };
  if (kind === 'registrations' || kind === 'rejections') return { view: kind, scope };
  return { view: 'devices', scope };
}

/** The hash of a route (the inverse of parseRoute). */
export function hashOf(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case 'home':
      return '#/';
    case 'devices':
      return `#/${e(route.scope)}`;
    case 'device':
      return `#/${e(route.scope)}/devices/${e(route.deviceId)}`;
    default:
      return `#/${e(route.scope)}/${route.view}`;
  }
}
