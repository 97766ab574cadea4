/**
 * Configuration read once at start from environment variables. A required variable that is missing
 * throws at module load, so a misconfigured function fails at init rather than on a request.
 */

/** The value of a required variable; throws when it is missing or empty. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value.trim();
}

/** An integer variable within [min, max], or the default when unset; throws on anything else. */
export function envInt(
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** A comma-separated list, trimmed and lower-cased, or the default when unset or blank. */
export function envList(name: string, fallback: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[name];
  const items = (raw ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  return items.length > 0 ? items : [...fallback];
}

/**
 * Signature header names accepted on HMAC-signed ThingSpace callbacks when
 * THINGSPACE_SIGNATURE_HEADERS is unset. ThingSpace does not publish the name (PROVIDERS.md §1.3),
 * so the default lists the plausible ones; the rejected-request log shows what really arrives.
 */
export const DEFAULT_SIGNATURE_HEADERS = ['x-signature', 'signature', 'x-hmac-signature', 'x-thingspace-signature', 'x-vz-signature'] as const;

/** Header that carries the random token registered through Diagnostics `httpHeaders`. */
export const DEFAULT_TOKEN_HEADER = 'x-callback-token';

/** Largest accepted webhook body (bytes) when MAX_BODY_BYTES is unset. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** Secret cache lifetime (seconds) when SECRET_CACHE_TTL_SECONDS is unset. */
export const DEFAULT_SECRET_CACHE_TTL_SECONDS = 300;

/** Days a stored callback is kept (DynamoDB TTL) when RETENTION_DAYS is unset; 0 keeps forever. */
export const DEFAULT_RETENTION_DAYS = 365;

/** The header names a ThingSpace signature may come in (THINGSPACE_SIGNATURE_HEADERS), lower case. */
export const signatureHeaders = (env: NodeJS.ProcessEnv = process.env): string[] => envList('THINGSPACE_SIGNATURE_HEADERS', DEFAULT_SIGNATURE_HEADERS, env);

/** The header ThingSpace is asked to add to Diagnostics callbacks (THINGSPACE_TOKEN_HEADER), lower case. */
export const tokenHeader = (env: NodeJS.ProcessEnv = process.env): string => (env.THINGSPACE_TOKEN_HEADER?.trim() || DEFAULT_TOKEN_HEADER).toLowerCase();
