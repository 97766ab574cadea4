import { DEFAULT_TOKEN_HEADER, envInt, requireEnv } from '../config';
import { registrationsSchema, type JobConfig } from './job';

/** ThingSpace's production API host. */
export const DEFAULT_THINGSPACE_BASE_URL = 'https://thingspace.verizon.com';

/**
 * The job's configuration from the environment, the same for the Lambda and `npm run reregister`:
 * REGISTRATIONS (JSON), THINGSPACE_BASE_URL, PUBLIC_BASE_URL (required), REREGISTER_GRACE_MINUTES
 * (60), CREDENTIAL_MAX_AGE_DAYS (30), THINGSPACE_TOKEN_HEADER, LOGIN_FAILURE_LIMIT (3) and
 * LOGIN_BACKOFF_MINUTES (50). Throws at init on anything malformed.
 */
export function jobConfig(env: NodeJS.ProcessEnv = process.env): JobConfig {
  let registrations: unknown;
  try {
    registrations = JSON.parse(env.REGISTRATIONS ?? '[]');
  } catch {
    throw new Error('REGISTRATIONS must be JSON: [{"account":"…","services":["Diagnostics",…]}]');
  }
  const parsed = registrationsSchema.safeParse(registrations);
  if (!parsed.success) throw new Error('REGISTRATIONS must be [{"account":"…","services":["Diagnostics",…]}]');
  const publicBaseUrl = requireEnv('PUBLIC_BASE_URL', env);
  for (const [name, value] of [['PUBLIC_BASE_URL', publicBaseUrl], ['THINGSPACE_BASE_URL', env.THINGSPACE_BASE_URL ?? DEFAULT_THINGSPACE_BASE_URL]]) {
    if (!/^https?:\/\/[^\s]+$/.test(value!)) throw new Error(`${name} must be an http(s) URL`);
  }
  return {
    registrations: parsed.data,
    thingspaceBaseUrl: env.THINGSPACE_BASE_URL ?? DEFAULT_THINGSPACE_BASE_URL,
    publicBaseUrl,
    graceMs: envInt('REREGISTER_GRACE_MINUTES', 60, { min: 1, max: 10_080 }, env) * 60_000,
    maxAgeMs: envInt('CREDENTIAL_MAX_AGE_DAYS', 30, { min: 1, max: 3_650 }, env) * 86_400_000,
    tokenHeader: (env.THINGSPACE_TOKEN_HEADER?.trim() || DEFAULT_TOKEN_HEADER).toLowerCase(),
    loginFailureLimit: envInt('LOGIN_FAILURE_LIMIT', 3, { min: 1, max: 4 }, env),
    loginBackoffMs: envInt('LOGIN_BACKOFF_MINUTES', 50, { min: 0, max: 1_440 }, env) * 60_000,
  };
}
