import { heldKey } from './key';

/** An answer of the query API other than 2xx, in words an operator can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface KapuaError {
  message?: string;
  permission?: { domain?: string; action?: string; targetScopeId?: string };
}

/** What an error answer means for the operator; a 403 names the permission the key lacks. */
export function errorWords(status: number, body: KapuaError | undefined): string {
  if (status === 401) return 'The API key was not accepted (401): check it, or create one with npm run apikey -- create.';
  if (status === 403) {
    const p = body?.permission;
    const permission = p ? `${p.domain ?? '?'}:${p.action ?? '?'}:${p.targetScopeId ?? '?'}` : undefined;
    return permission
      ? `This key may not do this (403): it lacks the permission ${permission}. Use a key created for this scope.`
      : 'This key may not do this (403).';
  }
  if (status === 404) return `Not found (404)${body?.message ? `: ${body.message}` : '.'}`;
  if (status === 429) return 'Too many requests (429): the API is throttling; try again in a moment.';
  return `The API answered ${status}${body?.message ? `: ${body.message}` : '.'}`;
}

/** GET (or POST) a `/v1` path with the held key in the Authorization header, the only place it goes. */
export async function api<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<T> {
  const key = heldKey();
  if (!key) throw new ApiError(401, 'Enter an API key first.');
  let res: Response;
  try {
    res = await fetch(`/v1/${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'The gateway did not answer: is it running?');
  }
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) throw new ApiError(res.status, errorWords(res.status, body as KapuaError | undefined));
  return body as T;
}

/** A path segment, encoded (device ids may hold characters that are not path-safe). */
export const seg = (value: string) => encodeURIComponent(value);

/** Kapua's list answer. */
export interface ListResult<T> {
  items: T[];
  limitExceeded?: boolean;
}
