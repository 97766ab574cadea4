import * as z from 'zod';
import { envInt, requireEnv, tokenHeader } from '../config';
import { DEFAULT_UWS_BASE_URL, DEFAULT_UWS_SOAP_ACTION, uwsEndpointsAt, type UwsEndpoints } from '../thingspace/uws-contract';

/**
 * Which services of which account to keep registered (REGISTRATIONS), and through which API the
 * account's Connectivity services are registered: REST (the default) or the legacy UWS SOAP service.
 */
export const registrationsSchema = z
  .array(
    z.object({
      account: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      services: z.array(z.string().min(1).max(64)).min(1),
      api: z.enum(['rest', 'soap']).optional(),
    }),
  )
  .max(100)
  // One entry per account: its services share one connectivity secret, and a rotation finishes only
  // when every service of the entry carries the new pair. Two entries of one account would each
  // finish it for their own services and drop the pair the other's still use.
  .refine((list) => new Set(list.map((r) => r.account)).size === list.length, { message: 'each account at most once' });
export type RegistrationsConfig = z.infer<typeof registrationsSchema>;

export interface JobConfig {
  registrations: RegistrationsConfig;
  /** Where ThingSpace's APIs are (a test double in tests). */
  thingspaceBaseUrl: string;
  /** The base the webhook routes hang under: `{base}/webhooks/thingspace/{account}/{channel}`. */
  publicBaseUrl: string;
  /** How long a replaced credential keeps verifying (callbacks in flight). */
  graceMs: number;
  /** Credentials older than this are rotated even when nothing drifted. */
  maxAgeMs: number;
  /** The header ThingSpace is asked to add to Diagnostics callbacks (the receiver checks it). */
  tokenHeader: string;
  /** After this many failed logins in a row the account is left alone until an operator acts. */
  loginFailureLimit: number;
  /** A failed login is not tried again for this long (the next scheduled run, not a retry). */
  loginBackoffMs: number;
  /** Where the UWS SOAP services are, for accounts with `api: "soap"` (the unpublished defaults when absent). */
  uws?: UwsEndpoints;
}

/** ThingSpace's production API host. */
export const DEFAULT_THINGSPACE_BASE_URL = 'https://thingspace.verizon.com';

/**
 * The job's configuration from the environment, the same for the Lambda and `npm run reregister`:
 * REGISTRATIONS (JSON), THINGSPACE_BASE_URL, PUBLIC_BASE_URL (required), REREGISTER_GRACE_MINUTES
 * (60), CREDENTIAL_MAX_AGE_DAYS (30), THINGSPACE_TOKEN_HEADER, LOGIN_FAILURE_LIMIT (3) and
 * LOGIN_BACKOFF_MINUTES (50), and when an account has `"api":"soap"` the UWS settings (uwsConfig).
 * Throws at init on anything malformed.
 */
export function jobConfig(env: NodeJS.ProcessEnv = process.env): JobConfig {
  let registrations: unknown;
  try {
    registrations = JSON.parse(env.REGISTRATIONS ?? '[]');
  } catch {
    throw new Error('REGISTRATIONS must be JSON: [{"account":"…","services":["Diagnostics",…]}]');
  }
  const parsed = registrationsSchema.safeParse(registrations);
  if (!parsed.success)
    throw new Error(
      'REGISTRATIONS must be [{"account":"…","services":["Diagnostics",…],"api":"rest"|"soap" (optional, default rest)}], each account at most once',
    );
  const publicBaseUrl = requireEnv('PUBLIC_BASE_URL', env);
  for (const [name, value] of [
    ['PUBLIC_BASE_URL', publicBaseUrl],
    ['THINGSPACE_BASE_URL', env.THINGSPACE_BASE_URL ?? DEFAULT_THINGSPACE_BASE_URL],
  ]) {
    assertHttpUrl(name!, value!);
  }
  return {
    registrations: parsed.data,
    thingspaceBaseUrl: env.THINGSPACE_BASE_URL ?? DEFAULT_THINGSPACE_BASE_URL,
    publicBaseUrl,
    graceMs: envInt('REREGISTER_GRACE_MINUTES', 60, { min: 1, max: 10_080 }, env) * 60_000,
    maxAgeMs: envInt('CREDENTIAL_MAX_AGE_DAYS', 30, { min: 1, max: 3_650 }, env) * 86_400_000,
    tokenHeader: tokenHeader(env),
    loginFailureLimit: envInt('LOGIN_FAILURE_LIMIT', 3, { min: 1, max: 4 }, env),
    loginBackoffMs: envInt('LOGIN_BACKOFF_MINUTES', 50, { min: 0, max: 1_440 }, env) * 60_000,
    ...(parsed.data.some((r) => r.api === 'soap') ? { uws: uwsConfig(env) } : {}),
  };
}

/**
 * Where the UWS SOAP services are and the SOAPAction they expect, none of it published by Verizon:
 * UWS_BASE_URL (DEFAULT_UWS_BASE_URL) with the services at `{base}/SessionService.svc` and
 * `{base}/CallbackRegistrationService.svc`, each overridable (UWS_SESSION_URL,
 * UWS_CALLBACK_REGISTRATION_URL), and UWS_SOAP_ACTION, a template of `{service}` and `{operation}`
 * (DEFAULT_UWS_SOAP_ACTION; set it empty for an empty SOAPAction). Read only when an account
 * uses SOAP, so an unused setting fails nothing.
 */
export function uwsConfig(env: NodeJS.ProcessEnv = process.env): UwsEndpoints {
  const base = env.UWS_BASE_URL?.trim() || DEFAULT_UWS_BASE_URL;
  const endpoints = uwsEndpointsAt(base, env.UWS_SOAP_ACTION?.trim() ?? DEFAULT_UWS_SOAP_ACTION);
  const sessionUrl = env.UWS_SESSION_URL?.trim() || endpoints.sessionUrl;
  const callbackRegistrationUrl = env.UWS_CALLBACK_REGISTRATION_URL?.trim() || endpoints.callbackRegistrationUrl;
  assertHttpUrl('UWS_BASE_URL', base);
  assertHttpUrl('UWS_SESSION_URL', sessionUrl);
  assertHttpUrl('UWS_CALLBACK_REGISTRATION_URL', callbackRegistrationUrl);
  // The value goes into a quoted header: no quote, no whitespace (a header split).
  if (!/^[^\s"]*$/.test(endpoints.soapAction)) throw new Error('UWS_SOAP_ACTION must be a URI template without spaces or quotes');
  return { ...endpoints, sessionUrl, callbackRegistrationUrl };
}

function assertHttpUrl(name: string, value: string): void {
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new Error(`${name} must be an http(s) URL`);
}
