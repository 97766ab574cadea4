import * as z from 'zod';

/**
 * A channel secret as ARCHITECTURE.md "Secrets" describes it: `current`; while registrations move
 * to a new value, `pending` (valid with no end: a registration may already use it, and `current`
 * stays valid beside it because another may still use that); after a rotation, `previous`, valid
 * until `previousValidUntil`. Fields of a version differ per channel, so a version is an open
 * record of strings. Other fields (the job's bookkeeping) are ignored here.
 */
const version = z.record(z.string(), z.string());
const channelSecretSchema = z.object({
  current: version,
  pending: version.optional(),
  previous: version.optional(),
  previousValidUntil: z.iso.datetime({ offset: true }).optional(),
});

export type SecretVersion = Record<string, string>;
export type ChannelSecret = z.infer<typeof channelSecretSchema>;

/** The secret value could not be parsed: an operator error, answered 503 so the provider retries after the fix. */
export class MalformedSecretError extends Error {
  constructor(name: string) {
    super(`Secret ${name} is not of the expected shape`);
    this.name = 'MalformedSecretError';
  }
}

/** Parses a channel secret's JSON; the error names the secret but never quotes its value. */
export function parseChannelSecret(name: string, value: string): ChannelSecret {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new MalformedSecretError(name);
  }
  const parsed = channelSecretSchema.safeParse(json);
  if (!parsed.success) throw new MalformedSecretError(name);
  return parsed.data;
}

/** The versions that verify messages at `now`: current, pending, and previous while its validity lasts. */
export function validVersions(secret: ChannelSecret, now: Date): SecretVersion[] {
  const versions = [secret.current];
  if (secret.pending) versions.push(secret.pending);
  if (secret.previous && secret.previousValidUntil && Date.parse(secret.previousValidUntil) > now.getTime()) {
    versions.push(secret.previous);
  }
  return versions;
}
