/** Where secret values come from: Secrets Manager in AWS, a JSON file locally. */
export interface SecretSource {
  /** The secret's string value, or undefined when no secret of that name exists. Throws when unreachable. */
  get(name: string): Promise<string | undefined>;
}

/** A source that can also write: the re-registration job stores the secrets it produces. */
export interface SecretStore extends SecretSource {
  /** Writes the secret's new value, creating the secret when it does not exist yet. */
  put(name: string, value: string): Promise<void>;
}

/** The secret store could not be read (network, throttling, permissions, unreadable file). */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}
