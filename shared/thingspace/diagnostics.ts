import * as z from 'zod';
import { parseJsonObject } from '../http/json';
import type { CallbackFacts } from '../mapping';
import { devicesOf, deviceFields, idLike, parseWith, progressOf, providerTime, statusOf } from '../payload';

const attribute = z.looseObject({
  name: z.string().min(1).max(128),
  value: z.unknown().optional(),
  createdOn: z.unknown().optional(),
});

/** A Diagnostics observation callback, leniently: unknown fields are kept. */
const diagnosticsSchema = z.looseObject({
  ...deviceFields,
  accountName: z.string().max(128).optional(),
  transactionID: idLike.optional(),
  transactionId: idLike.optional(),
  status: z.string().max(64).optional(),
  attributes: z.array(attribute).max(1_000).optional(),
  data: z.array(attribute).max(1_000).optional(),
});

export type DiagnosticsMessage = z.infer<typeof diagnosticsSchema>;

/** Parses a Diagnostics callback body (400 on anything that is not one). */
export function parseDiagnostics(body: Buffer): DiagnosticsMessage {
  return parseWith(diagnosticsSchema, parseJsonObject(body), 'Diagnostics callback');
}

/** Events per device and, with a `transactionID`, a RUNNING notification of that observation. */
export function mapDiagnostics(message: DiagnosticsMessage, account: string): CallbackFacts {
  let latest: string | undefined;
  const attributes = (message.attributes ?? message.data ?? []).map((a) => {
    const time = providerTime(a.createdOn)?.toISOString();
    if (time !== undefined && (latest === undefined || time > latest)) latest = time;
    return time === undefined ? { name: a.name, value: a.value } : { name: a.name, value: a.value, createdOn: time };
  });
  const operationId = message.transactionID ?? message.transactionId;
  const status = statusOf(message.status);
  const names = attributes.map((a) => a.name);
  return {
    devices: devicesOf(message, account),
    resource: 'diagnostics',
    action: 'observation',
    sentOn: latest !== undefined ? new Date(latest) : undefined,
    payload: () => ({
      ...(message.accountName ? { accountName: message.accountName } : {}),
      attributes,
    }),
    operation: operationId
      ? {
          id: operationId,
          status,
          progress: progressOf(status),
          message: names.length > 0 ? `observed ${names.slice(0, 10).join(', ')}` : undefined,
        }
      : undefined,
  };
}

/** The Diagnostics channel: HMAC plus the registered token header. */
export const diagnosticsChannel = {
  channel: 'diagnostics',
  checksToken: true,
  parse: parseDiagnostics,
  map: mapDiagnostics,
} as const;

/** Reads a stored Diagnostics body back (shared/query/derive.ts). */
export const diagnosticsReader = (body: Buffer, account: string): CallbackFacts => mapDiagnostics(parseDiagnostics(body), account);
