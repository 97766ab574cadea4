import * as z from 'zod';
import { parseJsonObject } from '../http/json';
import { blankSpans, topLevelValueSpans } from '../http/json-blank';
import { requireJsonMediaType } from '../http/request';
import { json } from '../http/response';
import type { CallbackFacts } from '../mapping';
import type { OperationStatus } from '../model';
import type { CredentialChannel } from './credential-webhook';
import type { EchoedCredentials } from './credentials';
import { devicesOf, deviceFields, idLike, parseWith, progressOf, statusOf } from '../payload';

const KNOWN_FIELDS = new Set(['username', 'password', 'requestId', 'deviceIds', 'status', 'callbackCount', 'maxCallbackThreshold']);

/** A Connectivity Management REST callback, leniently: the service-specific data object is kept whole. */
const connectivitySchema = z.looseObject({
  ...deviceFields,
  requestId: idLike.optional(),
  status: z.string().max(64).optional(),
  callbackCount: z.number().int().optional(),
  maxCallbackThreshold: z.number().int().optional(),
});

export type ConnectivityMessage = z.infer<typeof connectivitySchema>;

/** What the REST channel reads from a body before verifying it. */
export interface ConnectivityRead {
  credentials: EchoedCredentials;
  message: ConnectivityMessage;
  /** The body as stored: the received bytes with the values of `username` and `password` blanked in place. */
  storedBody: Buffer;
  /** What identifies the message across redeliveries: the stored bytes with NIDD's delivery counters blanked too. */
  identity: Buffer;
}

const CREDENTIALS = new Set(['username', 'password']);
// NIDD counts its deliveries (`callbackCount` of `maxCallbackThreshold`): a redelivery differs
// there and only there, so those two are left out of the message's identity.
const DELIVERY_COUNTERS = ['callbackCount', 'maxCallbackThreshold'];
const IN_PLACE = new Set([...CREDENTIALS, ...DELIVERY_COUNTERS]);

/**
 * Parses a Connectivity REST callback. The credentials live in the body, so the body is parsed
 * (within the JSON limits) before it can be verified; they are split off here, and what is stored
 * is the received bytes with their values blanked in place (`"password":""`), nothing re-serialised.
 */
export function readConnectivity(body: Buffer): ConnectivityRead {
  const json = parseJsonObject(body);
  const { username, password, ...rest } = json;
  const credentials = {
    ...(typeof username === 'string' ? { username } : {}),
    ...(typeof password === 'string' ? { password } : {}),
  };
  const message = parseWith(connectivitySchema, rest, 'Connectivity callback');
  // One pass finds both: the credentials (blanked in what is stored) and NIDD's counters (blanked too in the identity).
  const spans = topLevelValueSpans(body, IN_PLACE);
  return {
    credentials,
    message,
    storedBody: blankSpans(
      body,
      spans.filter((s) => CREDENTIALS.has(s.name)),
    ),
    identity: blankSpans(body, spans),
  };
}

/**
 * Events per device in `deviceIds` and, with a `requestId`, a notification of that request. The
 * resource is the name of the service-specific data object (e.g. `carrierService`); NIDD's
 * `status` maps Delivered → COMPLETED, Queued → RUNNING, DeliveryFailed → FAILED; a response
 * without a status is final (COMPLETED, or FAILED when its data object names a fault).
 */
export function mapConnectivity(message: ConnectivityMessage, account: string): CallbackFacts {
  const dataKey = Object.keys(message).find((k) => !KNOWN_FIELDS.has(k) && typeof message[k] === 'object' && message[k] !== null && !Array.isArray(message[k]));
  const data = dataKey ? (message[dataKey] as Record<string, unknown>) : undefined;
  const faulted = data !== undefined && Object.keys(data).some((k) => /fault|error/i.test(k));
  const status: OperationStatus = message.status ? statusOf(message.status) : faulted ? 'FAILED' : 'COMPLETED';
  return {
    devices: devicesOf(message, account),
    resource: dataKey ?? 'connectivity',
    action: 'callback',
    payload: () => ({
      ...(dataKey ? { [dataKey]: data } : {}),
      ...(message.status ? { status: message.status } : {}),
      ...(message.callbackCount !== undefined ? { callbackCount: message.callbackCount } : {}),
      ...(message.maxCallbackThreshold !== undefined ? { maxCallbackThreshold: message.maxCallbackThreshold } : {}),
    }),
    operation: message.requestId
      ? {
          id: message.requestId,
          status,
          progress: progressOf(status),
          message: message.status ? `status ${message.status}` : dataKey,
        }
      : undefined,
  };
}

/** The REST channel: JSON in, ThingSpace JSON out. */
export const connectivityChannel: CredentialChannel<ConnectivityRead> = {
  channel: 'connectivity',
  read: (event, body) => {
    requireJsonMediaType(event.headers);
    return readConnectivity(body);
  },
  map: (read, account) => mapConnectivity(read.message, account),
  respond: (_read, acceptance) => json(200, acceptance),
};

/** Reads a stored Connectivity body (credentials blanked) back (shared/query/derive.ts). */
export const connectivityReader = (body: Buffer, account: string): CallbackFacts => mapConnectivity(readConnectivity(body).message, account);
