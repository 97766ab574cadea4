import * as z from 'zod';
import { parseJsonObject } from '../http/json';
import type { CallbackFacts } from '../mapping';
import type { OperationStatus } from '../model';
import { devicesOf, deviceFields, idLike, parseWith, progressOf, providerTime, statusOf } from '../payload';

const coordinate = z.union([z.string().max(64), z.number()]);

/**
 * Device Location callbacks, leniently. `Location` messages report that an asynchronous report is
 * ready (`txid`, `status`) or that usage reached a trigger; `DeviceLocation` messages carry one
 * device's result: a `location` (`x` latitude, `y` longitude, `radius` metres) or an `error`.
 */
const locationSchema = z.looseObject({
  ...deviceFields,
  txid: idLike.optional(),
  status: z.string().max(64).optional(),
  mdn: idLike.optional(),
  location: z
    .looseObject({
      x: coordinate.optional(),
      y: coordinate.optional(),
      radius: coordinate.optional(),
      time: z.unknown().optional(),
      qos: z.unknown().optional(),
    })
    .optional(),
  error: z
    .looseObject({
      code: idLike.optional(),
      message: z.string().max(1_024).optional(),
      type: z.string().max(128).optional(),
      time: z.unknown().optional(),
    })
    .optional(),
});

export type LocationMessage = z.infer<typeof locationSchema>;

/** Parses a Location or DeviceLocation callback body (400 on anything that is not one). */
export function parseLocation(body: Buffer): LocationMessage {
  return parseWith(locationSchema, parseJsonObject(body), 'Location callback');
}

/** The two Device Location channels share one schema; they differ in resource and action. */
export type LocationChannel = 'location' | 'device-location';

/** Events per device and, with a `txid`, a notification of the location request. */
export function mapLocation(message: LocationMessage, account: string, channel: LocationChannel): CallbackFacts {
  const loc = message.location;
  const err = message.error;
  const position =
    loc && loc.x !== undefined && loc.y !== undefined
      ? { latitude: String(loc.x), longitude: String(loc.y), ...(loc.radius !== undefined ? { radius: String(loc.radius) } : {}) }
      : undefined;
  const sentOn = providerTime(loc?.time) ?? providerTime(err?.time);

  let status: OperationStatus;
  let text: string | undefined;
  if (err) {
    status = 'FAILED';
    text = err.message ?? (err.code !== undefined ? `error ${err.code}` : 'location error');
  } else if (position) {
    status = 'COMPLETED';
    text = `location ${position.latitude},${position.longitude}${position.radius ? ` ±${position.radius} m` : ''}`;
  } else {
    status = statusOf(message.status);
    text = message.status ? `report ${message.status}` : undefined;
  }

  return {
    devices: devicesOf(message, account),
    resource: channel === 'device-location' ? 'device-location' : 'location',
    action: channel === 'device-location' ? 'location-result' : message.txid ? 'report-status' : 'notification',
    sentOn,
    payload: () => ({
      ...(message.mdn !== undefined ? { mdn: message.mdn } : {}),
      ...(position ? { location: { ...position, ...(sentOn ? { time: sentOn.toISOString() } : {}) } } : {}),
      ...(err ? { error: { ...(err.code !== undefined ? { code: err.code } : {}), ...(err.message ? { message: err.message } : {}) } } : {}),
      ...(message.status ? { status: message.status } : {}),
    }),
    operation: message.txid ? { id: message.txid, status, progress: progressOf(status), message: text } : undefined,
  };
}

/** The Location channel (report-ready and usage messages). */
export const locationChannel = {
  channel: 'location',
  checksToken: false,
  parse: parseLocation,
  map: (message: LocationMessage, account: string) => mapLocation(message, account, 'location'),
} as const;

/** The DeviceLocation channel (per-device location results). */
export const deviceLocationChannel = {
  channel: 'device-location',
  checksToken: false,
  parse: parseLocation,
  map: (message: LocationMessage, account: string) => mapLocation(message, account, 'device-location'),
} as const;

/** Reads a stored Location body back (shared/query/derive.ts). */
export const locationReader = (body: Buffer, account: string): CallbackFacts => mapLocation(parseLocation(body), account, 'location');

/** Reads a stored DeviceLocation body back (shared/query/derive.ts). */
export const deviceLocationReader = (body: Buffer, account: string): CallbackFacts => mapLocation(parseLocation(body), account, 'device-location');
