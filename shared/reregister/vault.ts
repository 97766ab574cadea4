import { randomBytes } from 'node:crypto';
import type { JobContext } from './context';
import { parseStoredSecret, type StoredSecret } from './rotation';

/** The job's reads and writes of rotation secrets (uncached), and the random values it chooses. */

export async function readSecret(ctx: JobContext, name: string): Promise<StoredSecret | undefined> {
  const value = await ctx.deps.secrets.get(name);
  return value === undefined ? undefined : parseStoredSecret(name, value); // a malformed secret is replaced by a registration
}

export async function writeSecret(ctx: JobContext, name: string, value: StoredSecret): Promise<void> {
  await ctx.deps.secrets.put(name, JSON.stringify(value));
}

/** Runs a write up to `writeAttempts` times (3), backing off between attempts. */
export async function retry<T>(ctx: JobContext, write: () => Promise<T>): Promise<T> {
  const attempts = ctx.deps.writeAttempts ?? 3;
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}

/** A random value of `bytes` bytes, base64url. */
export const random = (bytes: number) => randomBytes(bytes).toString('base64url');
