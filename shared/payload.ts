import * as z from 'zod';
import { BadRequestError } from './errors';
import type { DeviceRef, OperationStatus } from './model';

/** An identifier the provider may send as a string or a number. */
export const idLike = z.union([z.string().min(1).max(256), z.number().transform((n) => String(n))]);

const deviceShape = z.looseObject({ id: idLike, kind: z.string().min(1).max(32).optional() });

/**
 * Where ThingSpace callbacks name their devices. The exact schemas are not published
 * (PROVIDERS.md §1.4), so every shape seen in its documents is accepted.
 */
export const deviceFields = {
  device: deviceShape.optional(),
  deviceId: deviceShape.optional(),
  deviceInfo: deviceShape.optional(),
  deviceIds: z.array(deviceShape).max(10_000).optional(),
  id: idLike.optional(),
  kind: z.string().min(1).max(32).optional(),
};

type DeviceFields = { [K in keyof typeof deviceFields]?: z.infer<(typeof deviceFields)[K]> };

// Device ids end up in keys and URLs: printable, no separators of ours, bounded.
const DEVICE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The distinct devices a message names, in order (one per id: the same id under two kinds is one
 * device, as its records share a partition); the account itself when it names none.
 */
export function devicesOf(message: DeviceFields, account: string): DeviceRef[] {
  const found: DeviceRef[] = [];
  const add = (id: string, kind: string | undefined) => {
    if (!DEVICE_ID.test(id)) throw new BadRequestError('Device id is empty, too long or not printable');
    const ref = { id, kind: (kind ?? 'unknown').toLowerCase() };
    if (!found.some((d) => d.id === ref.id)) found.push(ref);
  };
  for (const d of [message.device, message.deviceId, message.deviceInfo, ...(message.deviceIds ?? [])]) {
    if (d) add(d.id, d.kind);
  }
  if (found.length === 0 && message.id !== undefined) add(message.id, message.kind);
  return found.length > 0 ? found : [{ id: account, kind: 'account' }];
}

/**
 * A provider timestamp as a Date: ISO 8601, ThingSpace's compact `yyyyMMddHHmmss` (UTC), or epoch
 * milliseconds; undefined when it is none of these or implausible.
 */
export function providerTime(value: unknown): Date | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value;
  else if (typeof value === 'string') {
    const s = value.trim();
    const compact = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
    if (compact) {
      const [, y, mo, d, h, mi, se] = compact.map(Number);
      ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
    } else if (/^\d{13}$/.test(s)) ms = Number(s);
    else if (/^\d{4}-\d{2}-\d{2}T/.test(s)) ms = Date.parse(s);
  }
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  // Years 2000..2200: anything else is a malformed value, not a time.
  if (ms < 946_684_800_000 || ms > 7_258_118_400_000) return undefined;
  return new Date(ms);
}

/** Kapua status of a provider's free-text status word; RUNNING when it says nothing final. */
export function statusOf(text: string | undefined): OperationStatus {
  const s = (text ?? '').toLowerCase();
  if (/fail|error|reject|cancel|denied|expired/.test(s)) return 'FAILED';
  if (/complete|success|succeed|done|deliver|ready|finish/.test(s)) return 'COMPLETED';
  return 'RUNNING';
}

/** Kapua progress for a status: 100 once final. */
export function progressOf(status: OperationStatus): number {
  return status === 'RUNNING' ? 0 : 100;
}

/** Validates with a lenient schema, turning a zod failure into a 400 naming the first bad field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new BadRequestError(`${what}: field ${path} is invalid`);
  }
  return result.data;
}
