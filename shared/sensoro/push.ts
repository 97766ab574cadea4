import * as z from 'zod';
import { BadRequestError } from '../errors';
import { parseJsonObject } from '../http/json';
import type { CallbackFacts } from '../mapping';
import type { OperationStatus } from '../model';
import { devicesOf, idLike, parseWith, providerTime } from '../payload';

/** A SENSORO push (sensor data `type: "text"` or task result `type: "event"`), leniently. */
const pushSchema = z.looseObject({
  appId: idLike,
  type: z.string().max(32).optional(),
  sn: idLike.optional(),
  deviceType: z.string().max(64).optional(),
  createdTime: z.union([z.number(), z.string().max(64)]).optional(),
  msgId: idLike.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  encryptData: z.string().max(1_000_000).optional(),
  taskId: idLike.optional(),
  resultCode: z
    .union([
      z.number().int(),
      z
        .string()
        .regex(/^-?\d{1,9}$/)
        .transform(Number),
    ])
    .optional(),
  resultData: z.unknown().optional(),
});

export type SensoroPush = z.infer<typeof pushSchema>;

/** Parses a push body (400 on anything that is not one). */
export function parsePush(body: Buffer): SensoroPush {
  return parseWith(pushSchema, parseJsonObject(body), 'SENSORO push');
}

/**
 * A safe-mode push with its decrypted content put back: for sensor data the JSON is the `data`
 * object; for a task result its fields (resultCode, resultData, ...) join the push.
 */
export function withDecrypted(push: SensoroPush, decrypted: string): SensoroPush {
  const content = parseJsonObject(Buffer.from(decrypted));
  const { encryptData: _dropped, ...rest } = push;
  return isTask(push) ? parseWith(pushSchema, { ...rest, ...content, appId: push.appId }, 'SENSORO push') : { ...rest, data: content };
}

const isTask = (push: SensoroPush) => push.type === 'event' || (push.type === undefined && push.taskId !== undefined);

/**
 * Sensor data becomes an event of device `sn` with the readings; a task result becomes a
 * notification of operation `taskId` (resultCode 0 → COMPLETED, else FAILED; progress 100), filed
 * under the device named in resultData or the push, else under the AppID.
 */
export function mapPush(push: SensoroPush, appId: string): CallbackFacts {
  const sentOn = providerTime(push.createdTime);
  if (isTask(push)) {
    if (push.taskId === undefined) throw new BadRequestError('SENSORO push: a task event needs taskId');
    const resultSn = (push.resultData as { sn?: unknown } | undefined)?.sn;
    const sn = typeof resultSn === 'string' || typeof resultSn === 'number' ? String(resultSn) : push.sn;
    const status: OperationStatus = push.resultCode === 0 ? 'COMPLETED' : 'FAILED';
    return {
      devices: devicesOf(sn !== undefined ? { device: { id: sn, kind: 'sn' } } : {}, appId),
      resource: 'task',
      action: 'event',
      sentOn,
      payload: () => ({
        taskId: push.taskId,
        ...(push.resultCode !== undefined ? { resultCode: push.resultCode } : {}),
        ...(push.resultData !== undefined ? { resultData: push.resultData } : {}),
      }),
      operation: { id: push.taskId, status, progress: 100, message: `resultCode ${push.resultCode ?? 'missing'}` },
    };
  }
  if (!push.data) throw new BadRequestError('SENSORO push: sensor data needs data or encryptData');
  return {
    devices: devicesOf(push.sn !== undefined ? { device: { id: push.sn, kind: 'sn' } } : {}, appId),
    resource: 'sensor',
    action: push.type ?? 'text',
    sentOn,
    payload: () => ({ ...(push.deviceType ? { deviceType: push.deviceType } : {}), data: push.data }),
  };
}

/** Reads a stored push back (shared/query/derive.ts), safe mode with the plaintext kept beside it. */
export function sensoroReader(body: Buffer, appId: string, plaintext?: Buffer): CallbackFacts {
  const push = parsePush(body);
  return mapPush(plaintext !== undefined && push.encryptData !== undefined ? withDecrypted(push, plaintext.toString('utf8')) : push, appId);
}
