import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { registrationsSchema, type RegistrationsConfig } from '../shared/reregister/config';
import { FUNCTIONS } from '../shared/routes';
import { DEFAULT_SETTINGS, type GatewaySettings, type RouteThrottle } from './settings';
import { allowedSourceIps, webhookChannel } from './source-allow-list';

/**
 * Reads the settings from CDK context (cdk.json or `-c key=value`, where everything arrives as a
 * string), falling back to DEFAULT_SETTINGS; throws on a value that would deploy something wrong.
 */
export function settingsFromContext(node: Node): GatewaySettings {
  const get = (key: string): unknown => node.tryGetContext(key);
  /** An integer setting in [min, max], DEFAULT_SETTINGS' value when unset. */
  const int = (key: IntSetting, min?: number, max?: number): number => intContext(key, get(key), DEFAULT_SETTINGS[key], min, max);
  const secretPrefix = stringContext(get('secretPrefix'), DEFAULT_SETTINGS.secretPrefix);
  // The prefix goes into IAM resource ARNs: a `*` or `?` in it would widen every grant.
  if (!/^[A-Za-z0-9/_+=.@-]*$/.test(secretPrefix)) {
    throw new Error(`Context secretPrefix "${secretPrefix}" may only hold characters valid in a secret name`);
  }
  const logRetentionDays = int('logRetentionDays');
  if (!(Object.values(logs.RetentionDays) as number[]).includes(logRetentionDays)) {
    throw new Error(`Context logRetentionDays ${logRetentionDays} is not a retention CloudWatch Logs accepts`);
  }
  return {
    secretPrefix,
    retentionDays: int('retentionDays', 0, 36_500),
    signatureHeaders: listContext(get('signatureHeaders')),
    tokenHeader: stringContext(get('tokenHeader'), DEFAULT_SETTINGS.tokenHeader) || DEFAULT_SETTINGS.tokenHeader,
    secretCacheTtlSeconds: int('secretCacheTtlSeconds', 0, 86_400),
    maxBodyBytes: int('maxBodyBytes', 1),
    sensoroNonceWindowSeconds: int('sensoroNonceWindowSeconds', 1, 86_400),
    sensoroPublicBaseUrl: baseUrl('sensoroPublicBaseUrl', stringContext(get('sensoroPublicBaseUrl'), '')),
    queryMaxLimit: int('queryMaxLimit', 1, 10_000),
    apiKeyCacheTtlSeconds: int('apiKeyCacheTtlSeconds', 0, 3_600),
    logRetentionDays: logRetentionDays as logs.RetentionDays,
    registrations: registrationsContext(get('registrations')),
    // The job sends the accounts' API credentials there, and ThingSpace sends callback credentials to
    // the public base: both https only.
    thingspaceBaseUrl: baseUrl(
      'thingspaceBaseUrl',
      stringContext(get('thingspaceBaseUrl'), DEFAULT_SETTINGS.thingspaceBaseUrl) || DEFAULT_SETTINGS.thingspaceBaseUrl,
      true,
    ),
    publicBaseUrl: baseUrl('publicBaseUrl', stringContext(get('publicBaseUrl'), ''), true),
    // Accounts on the legacy SOAP platform: where UWS is and the SOAPAction it wants (neither is published).
    uwsBaseUrl: baseUrl('uwsBaseUrl', stringContext(get('uwsBaseUrl'), ''), true),
    uwsSoapAction: stringContext(get('uwsSoapAction'), ''),
    reregisterRateMinutes: int('reregisterRateMinutes', 1, 1_440),
    // Limits of the job's own configuration (shared/reregister/config.ts): refused here, not at the first run.
    reregisterGraceMinutes: int('reregisterGraceMinutes', 1, 10_080),
    credentialMaxAgeDays: int('credentialMaxAgeDays', 1, 3_650),
    // Lambda refuses a reservation that leaves the account fewer than 100 unreserved executions: on an
    // account with a low concurrency quota, set these to 0.
    webhookReservedConcurrency: int('webhookReservedConcurrency', 0, 1_000),
    queryReservedConcurrency: int('queryReservedConcurrency', 0, 1_000),
    sourceAllowList: sourceAllowListContext(get('sourceAllowList')),
    // The limits the functions' own configuration (shared/wiring/webhook.ts) accepts.
    rejectionLogCap: int('rejectionLogCap', 1, 100_000),
    rejectionLogTtlHours: int('rejectionLogTtlHours', 1, 720),
    webhookThrottle: throttleContext('webhookThrottle', get('webhookThrottle'), DEFAULT_SETTINGS.webhookThrottle),
    queryThrottle: throttleContext('queryThrottle', get('queryThrottle'), DEFAULT_SETTINGS.queryThrottle),
    alarmEmail: emailContext(stringContext(get('alarmEmail'), '')),
    rejectionAlarmThreshold: int('rejectionAlarmThreshold', 1, 1_000_000),
    archive: boolContext('archive', get('archive'), DEFAULT_SETTINGS.archive),
    archiveRetentionDays: int('archiveRetentionDays', 0, 36_500),
    archiveColdAfterDays: int('archiveColdAfterDays', 0, 36_500),
    archiveObjectLockDays: int('archiveObjectLockDays', 0, 36_500),
    // Athena's own floor is 10 MB per query.
    archiveScanLimitMb: int('archiveScanLimitMb', 10, 1_048_576),
  };
}

/** The settings that are integers. */
type IntSetting = { [K in keyof GatewaySettings]: GatewaySettings[K] extends number ? K : never }[keyof GatewaySettings];

/** A context value that is a JSON object in cdk.json, or the same object as a JSON string from `-c`. */
function jsonObjectContext(key: string, value: unknown, example: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`Context ${key} is not JSON: ${example}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Context ${key} must be a JSON object: ${example}`);
  return parsed as Record<string, unknown>;
}

/** API Gateway's default account quotas (per region): 10,000 requests per second, bursts of 5,000. */
const MAX_THROTTLE = { rate: 10_000, burst: 5_000 };

/** `{"rate": 200, "burst": 400}`: requests per second (may be fractional) and the burst bucket. */
function throttleContext(key: string, value: unknown, fallback: RouteThrottle): RouteThrottle {
  const example = '{"rate":200,"burst":400}';
  const parsed = jsonObjectContext(key, value, example);
  if (parsed === undefined) return fallback;
  const { rate, burst, ...rest } = parsed;
  const validRate = typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && rate <= MAX_THROTTLE.rate;
  const validBurst = typeof burst === 'number' && Number.isInteger(burst) && burst >= 1 && burst <= MAX_THROTTLE.burst;
  if (!validRate || !validBurst || Object.keys(rest).length > 0) {
    throw new Error(
      `Context ${key} must be ${example} with 0 < rate <= ${MAX_THROTTLE.rate} and burst an integer in [1, ${MAX_THROTTLE.burst}], got ${JSON.stringify(parsed)}`,
    );
  }
  return { rate: rate as number, burst: burst as number };
}

/**
 * `sourceAllowList`: per webhook channel (diagnostics, location, device-location, connectivity, soap,
 * sensoro) the addresses or CIDR ranges allowed to call it; each list goes to that channel's function
 * only, as ALLOWED_SOURCE_IPS. No default: a channel left out accepts every source. ThingSpace's
 * published source addresses (PROVIDERS.md §1.3; check them with Verizon before relying on them):
 *
 *   {"connectivity": ["3.87.163.45", "3.91.119.203", "54.197.62.209", "35.165.205.14",
 *                     "54.200.43.232", "34.216.81.234", "137.117.33.109", "168.62.173.153"],
 *    "soap":         [the same eight],
 *    "device-location": ["68.128.212.217"]}
 */
function sourceAllowListContext(value: unknown): Record<string, string[]> {
  const example = '{"connectivity":["3.87.163.45","54.200.0.0/16"],...}';
  const parsed = jsonObjectContext('sourceAllowList', value, example);
  if (parsed === undefined) return {};
  const channels = FUNCTIONS.map(webhookChannel).filter((c): c is string => c !== undefined);
  const out: Record<string, string[]> = {};
  for (const [channel, entries] of Object.entries(parsed)) {
    if (!channels.includes(channel)) throw new Error(`Context sourceAllowList names "${channel}", not one of the webhook channels: ${channels.join(', ')}`);
    if (!Array.isArray(entries)) throw new Error(`Context sourceAllowList.${channel} must be an array of addresses or CIDR ranges: ${example}`);
    // The same check the function runs on its ALLOWED_SOURCE_IPS: refused here, not on the first request.
    out[channel] = allowedSourceIps(channel, entries as string[]).split(',');
  }
  return out;
}

/** An address SNS can mail, or empty for none. */
function emailContext(value: string): string {
  if (value !== '' && !/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(value)) throw new Error(`Context alarmEmail "${value}" is not an email address`);
  return value;
}

/**
 * A base URL the functions build URLs under (signatures cover them): an absolute http(s) URL, https
 * only when `httpsOnly`, without query or fragment; the trailing slash dropped. Empty stays empty.
 */
function baseUrl(key: string, value: string, httpsOnly = false): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Context ${key} "${value}" is not a URL`);
  }
  if (!(httpsOnly ? /^https:$/ : /^https?:$/).test(url.protocol) || url.search || url.hash || /\s/.test(value)) {
    const scheme = httpsOnly ? 'https' : 'http(s)';
    throw new Error(`Context ${key} "${value}" must be ${scheme}://host[/prefix] without query or fragment`);
  }
  return value.replace(/\/+$/, '');
}

/** Lambda allows 4 KB of environment variables in all; the rest of the job's take well under 1 KB. */
const MAX_REGISTRATIONS_JSON = 3_072;

/**
 * The `registrations` context: a JSON array from cdk.json, or the same array as a JSON string from
 * `-c registrations='[...]'`. Account names go into IAM resource ARNs, so the schema's account
 * pattern (no `*` or `?`) is what keeps the job's secret grants to the configured accounts.
 */
function registrationsContext(value: unknown): RegistrationsConfig {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return [];
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('Context registrations is not JSON: [{"account":"…","services":["Diagnostics",…]}]');
    }
  }
  const result = registrationsSchema.safeParse(parsed);
  if (!result.success) {
    const where = result.error.issues.map((issue) => issue.path.map(String).join('.') || '(root)').join(', ');
    throw new Error(`Context registrations must be [{"account":"…","services":["Diagnostics",…]}] (invalid at ${where})`);
  }
  if (JSON.stringify(result.data).length > MAX_REGISTRATIONS_JSON) {
    throw new Error(`Context registrations is longer than ${MAX_REGISTRATIONS_JSON} characters as JSON (Lambda's 4 KB environment limit)`);
  }
  return result.data;
}

/** A context value as the text it was given as (context values arrive as strings, numbers or JSON). */
const textOf = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);

function stringContext(value: unknown, fallback: string): string {
  return value === undefined || value === null ? fallback : textOf(value).trim();
}

function intContext(key: string, value: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === null || textOf(value).trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`Context ${key} must be an integer in [${min}, ${max}], got "${textOf(value)}"`);
  }
  return n;
}

/** `true`/`false` (a JSON boolean in cdk.json, a string from `-c`). */
function boolContext(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || textOf(value).trim() === '') return fallback;
  const text = textOf(value).trim().toLowerCase();
  if (text !== 'true' && text !== 'false') throw new Error(`Context ${key} must be true or false, got "${textOf(value)}"`);
  return text === 'true';
}

function listContext(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(textOf) : value === undefined || value === null ? [] : textOf(value).split(',');
  return items.map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
}
