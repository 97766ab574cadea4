import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RETENTION_DAYS, DEFAULT_SECRET_CACHE_TTL_SECONDS, DEFAULT_TOKEN_HEADER } from '../shared/config';
import { DEFAULT_THINGSPACE_BASE_URL, type RegistrationsConfig } from '../shared/reregister/config';

/** Settings the functions get as environment variables (names and limits, never secret values). */
export interface GatewayFunctionSettings {
  /** Prefix of every Secrets Manager secret name, e.g. `iot-gateway/`. */
  secretPrefix: string;
  /** Days a stored callback is kept (DynamoDB TTL); 0 keeps forever. */
  retentionDays: number;
  /** Accepted signature header names; empty leaves the handler's default list. */
  signatureHeaders: readonly string[];
  /** Header carrying the token registered for Diagnostics callbacks. */
  tokenHeader: string;
  secretCacheTtlSeconds: number;
  maxBodyBytes: number;
  /** Accepted distance of a SENSORO nonce from now, either side. */
  sensoroNonceWindowSeconds: number;
  /** The public scheme://host[/prefix] SENSORO calls (signatures cover it); empty: the request's host. */
  sensoroPublicBaseUrl: string;
  /** Largest page the query API returns, whatever `limit` a client asks for. */
  queryMaxLimit: number;
  /** How long the authorizer remembers a checked API key (its own in-memory cache). */
  apiKeyCacheTtlSeconds: number;
  /** Must be one of the values CloudWatch Logs accepts (see `logs.RetentionDays`). */
  logRetentionDays: logs.RetentionDays;
  /** The ThingSpace accounts and services the re-registration job keeps registered; its secret grants follow them. */
  registrations: RegistrationsConfig;
  /** Where ThingSpace's APIs are (the job sends the account's API credentials there). */
  thingspaceBaseUrl: string;
  /** The legacy UWS (SOAP) services, for accounts registered with `api: soap`; empty: the job's own (unpublished, guessed) default. */
  uwsBaseUrl: string;
  /** The SOAPAction pattern UWS wants (`{service}`, `{operation}`); empty: the job's WCF-style default. */
  uwsSoapAction: string;
  /**
   * The scheme://host[/prefix] ThingSpace is told to call (`{base}/webhooks/thingspace/...`). Empty in
   * settings means the HTTP API's own endpoint, which the stack fills in before building the functions.
   */
  publicBaseUrl: string;
  /** How long a replaced credential keeps verifying after the job rotated it. */
  reregisterGraceMinutes: number;
  /** Credentials older than this are rotated even when nothing drifted. */
  credentialMaxAgeDays: number;
  /** Concurrent executions reserved for (and capping) each webhook function; 0 reserves none. */
  webhookReservedConcurrency: number;
  /** Concurrent executions reserved for (and capping) the query API; 0 reserves none. */
  queryReservedConcurrency: number;
  /**
   * Per webhook channel (see `webhookChannel`), the source addresses or CIDR ranges allowed to call
   * it; a channel not named accepts every source. The function answers 403 to any other caller.
   */
  sourceAllowList: Readonly<Record<string, readonly string[]>>;
  /** Refused requests kept per scope in the rejected-request log. */
  rejectionLogCap: number;
  /** How long a refused request stays in the rejected-request log. */
  rejectionLogTtlHours: number;
}

/** API Gateway throttling of one route: steady requests per second and the bucket of a burst. */
export interface RouteThrottle {
  rate: number;
  burst: number;
}

/** The deployment settings: what the functions receive, plus the API's limits, the schedule and the alarms. */
export interface GatewaySettings extends GatewayFunctionSettings {
  /** Minutes between two runs of the re-registration job. */
  reregisterRateMinutes: number;
  /** Throttling of each webhook route (each route has its own bucket). */
  webhookThrottle: RouteThrottle;
  /** Throttling of each query API route. */
  queryThrottle: RouteThrottle;
  /** Where alarm notifications are mailed; empty: no topic, alarms without actions. */
  alarmEmail: string;
  /** Rejected callbacks in 5 minutes (all channels and reasons) above which the rejection alarm fires. */
  rejectionAlarmThreshold: number;
  /** Archive every stored callback to S3 (the archiver, its bucket, the Glue table and the Athena workgroup). */
  archive: boolean;
  /** Days an archived callback is kept (S3 lifecycle expiration); 0 keeps it forever. */
  archiveRetentionDays: number;
  /** Days after which archive objects move to S3 Glacier Instant Retrieval; 0 never moves them. */
  archiveColdAfterDays: number;
  /** Days of S3 Object Lock (governance mode) on every archive object; 0: no Object Lock (versioning only). */
  archiveObjectLockDays: number;
  /** Most data one Athena query of the workgroup may scan, in MB (Athena cancels it past that). */
  archiveScanLimitMb: number;
}

/** Settings used when neither cdk.json nor `-c` gives a value. */
export const DEFAULT_SETTINGS: GatewaySettings = {
  secretPrefix: 'iot-gateway/',
  retentionDays: DEFAULT_RETENTION_DAYS,
  signatureHeaders: [],
  tokenHeader: DEFAULT_TOKEN_HEADER,
  secretCacheTtlSeconds: DEFAULT_SECRET_CACHE_TTL_SECONDS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  sensoroNonceWindowSeconds: 300,
  sensoroPublicBaseUrl: '',
  queryMaxLimit: 500,
  apiKeyCacheTtlSeconds: 30,
  logRetentionDays: logs.RetentionDays.ONE_MONTH,
  registrations: [],
  thingspaceBaseUrl: DEFAULT_THINGSPACE_BASE_URL,
  uwsBaseUrl: '',
  uwsSoapAction: '',
  publicBaseUrl: '',
  reregisterRateMinutes: 60,
  reregisterGraceMinutes: 60,
  credentialMaxAgeDays: 30,
  webhookReservedConcurrency: 50,
  queryReservedConcurrency: 20,
  sourceAllowList: {},
  rejectionLogCap: 500,
  rejectionLogTtlHours: 24,
  webhookThrottle: { rate: 200, burst: 400 },
  queryThrottle: { rate: 50, burst: 100 },
  alarmEmail: '',
  rejectionAlarmThreshold: 100,
  archive: true,
  archiveRetentionDays: 0,
  archiveColdAfterDays: 90,
  archiveObjectLockDays: 0,
  archiveScanLimitMb: 10_240,
};
