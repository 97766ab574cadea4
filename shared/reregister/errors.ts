import { ThingSpaceApiError } from '../thingspace/api-client';
import { UwsFault } from '../thingspace/uws-contract';

/** A refusal because the service is registered already: REST answers 400 with such a code, UWS a fault (HTTP 500 from WCF). */
export function alreadyRegistered(error: unknown): boolean {
  if (!(error instanceof ThingSpaceApiError) || !/ALREADY|EXIST|DUPLICATE|REGISTERED/i.test(error.errorCode ?? '')) return false;
  return error instanceof UwsFault || error.status === 400;
}

/** Registers; on an "already registered" refusal, deletes and registers again (the documents do not say which happens). */
export async function registerReplacing<T>(register: () => Promise<T>, deregister: () => Promise<void>): Promise<T> {
  try {
    return await register();
  } catch (error) {
    if (!alreadyRegistered(error)) throw error;
    await deregister();
    return register();
  }
}

/** An error as the status shows it: ThingSpace's code and the step, never a credential. */
export function describe(error: unknown): string {
  if (error instanceof ThingSpaceApiError) return error.message;
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? '').slice(0, 200)}`;
}
