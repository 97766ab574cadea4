// The key lives in this tab's sessionStorage only: never in a URL, a cookie or a log, gone when the tab closes.
const KEY = 'iot-gateway.apiKey';
const SCOPE = 'iot-gateway.scope';

export const heldKey = (): string | null => sessionStorage.getItem(KEY);
export const lastScope = (): string | null => sessionStorage.getItem(SCOPE);

export function holdKey(key: string, scope: string): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(SCOPE, scope);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
