import type { FunctionDefinition } from '../shared/routes';
import type { GatewayFunctionSettings } from './settings';
import { allowedSourceIps, webhookChannel } from './source-allow-list';

/**
 * Reserved concurrency caps a function and keeps that much of the account for it: a burst on one
 * webhook can neither starve the others nor the rest of the account.
 */
export function reservedConcurrency(definition: FunctionDefinition, settings: GatewayFunctionSettings): number | undefined {
  // One run at a time: two overlapping runs would rotate the same credentials against each other.
  if (definition.scheduled) return 1;
  if (definition.provider) return settings.webhookReservedConcurrency || undefined;
  if (definition.table === 'read-callbacks') return settings.queryReservedConcurrency || undefined;
  // The authorizer scales with the query API in front of which it sits, under its throttle; the
  // publisher runs one invocation per stream shard at a time.
  return undefined;
}

/** The settings of webhook functions only: the rejected-request log and the channel's source allow-list. */
export function webhookEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  const channel = webhookChannel(definition);
  if (channel === undefined) return {};
  const allowList = settings.sourceAllowList[channel];
  return {
    REJECTION_LOG_CAP: String(settings.rejectionLogCap),
    REJECTION_LOG_TTL_HOURS: String(settings.rejectionLogTtlHours),
    // Unset: every source is allowed (the function's default). Only the named channel's own list.
    ...(allowList !== undefined ? { ALLOWED_SOURCE_IPS: allowedSourceIps(channel, allowList) } : {}),
  };
}

/** The settings of functions that answer requests or callbacks; the scheduled job and the publisher use none of them. */
export function requestEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  if (definition.scheduled || definition.stream) return {};
  return {
    RETENTION_DAYS: String(settings.retentionDays),
    SECRET_CACHE_TTL_SECONDS: String(settings.secretCacheTtlSeconds),
    MAX_BODY_BYTES: String(settings.maxBodyBytes),
  };
}

/** The settings of the function's provider only: a ThingSpace function has no SENSORO variables and back. */
export function providerEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  switch (definition.provider) {
    case 'sensoro':
      return {
        SENSORO_NONCE_WINDOW_SECONDS: String(settings.sensoroNonceWindowSeconds),
        ...(settings.sensoroPublicBaseUrl ? { SENSORO_PUBLIC_BASE_URL: settings.sensoroPublicBaseUrl } : {}),
      };
    case 'thingspace':
      return {
        // Unset means the handler's own default list (shared/config.ts), so only pass a real override.
        ...(settings.signatureHeaders.length > 0 ? { THINGSPACE_SIGNATURE_HEADERS: settings.signatureHeaders.join(',') } : {}),
        THINGSPACE_TOKEN_HEADER: settings.tokenHeader,
      };
    default:
      return {};
  }
}

/** The settings of the query API, of the authorizer and of the re-registration job, each to its own function only. */
export function accessEnvironment(definition: FunctionDefinition, settings: GatewayFunctionSettings): Record<string, string> {
  switch (definition.table) {
    case 'read-callbacks':
      return { QUERY_MAX_LIMIT: String(settings.queryMaxLimit) };
    case 'read-apikeys':
      return { API_KEY_CACHE_TTL_SECONDS: String(settings.apiKeyCacheTtlSeconds) };
    case 'write-registrations':
      if (!settings.publicBaseUrl) throw new Error(`Function "${definition.id}" needs publicBaseUrl (the stack defaults it to the API's URL)`);
      return {
        REGISTRATIONS: JSON.stringify(settings.registrations),
        THINGSPACE_BASE_URL: settings.thingspaceBaseUrl,
        ...(settings.uwsBaseUrl ? { UWS_BASE_URL: settings.uwsBaseUrl } : {}),
        ...(settings.uwsSoapAction ? { UWS_SOAP_ACTION: settings.uwsSoapAction } : {}),
        PUBLIC_BASE_URL: settings.publicBaseUrl,
        REREGISTER_GRACE_MINUTES: String(settings.reregisterGraceMinutes),
        CREDENTIAL_MAX_AGE_DAYS: String(settings.credentialMaxAgeDays),
        // The header it asks ThingSpace to send with Diagnostics callbacks: the one the webhook checks.
        THINGSPACE_TOKEN_HEADER: settings.tokenHeader,
      };
    default:
      return {};
  }
}
