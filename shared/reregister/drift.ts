import type { SecretVersion } from '../secrets/channel-secret';
import type { Registration } from '../thingspace/api-client';
import type { JobContext } from './context';
import type { StoredSecret } from './rotation';
import type { RegistrationStatus } from './status';

/** Why a registration must be made again whatever the secret holds, or undefined when it is in place. */
export function registrationDrift(registered: Registration | undefined, url: string, status: RegistrationStatus | undefined): string | undefined {
  if (!registered) return 'it was missing';
  if (registered.url !== url) return 'registered to another URL';
  if (status?.needsRegistration) return 'the previous run could not finish';
  return undefined;
}

/** Why the stored credential must be replaced, or undefined when it can stay. */
export function credentialDrift(
  ctx: JobContext,
  secret: StoredSecret | undefined,
  missingSecret: (current: SecretVersion) => string | undefined,
): string | undefined {
  if (!secret) return 'no secret stored';
  return missingSecret(secret.current) ?? (tooOld(ctx, secret) ? 'credential older than the maximum age' : undefined);
}

/** Whether the current credential is older than the maximum age (or of unknown age). */
export function tooOld(ctx: JobContext, secret: StoredSecret | undefined): boolean {
  return !secret?.rotatedOn || ctx.now().getTime() - Date.parse(secret.rotatedOn) >= ctx.config.maxAgeMs;
}
