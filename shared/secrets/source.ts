/** Where secret values come from: Secrets Manager in AWS, a JSON file locally. */
export interface SecretSource {
  /** The secret's string value, or undefined when no secret of that name exists. Throws when unreachable. */
  get(name: string): Promise<string | undefined>;
}

/** The secret store could not be read (network, throttling, permissions, unreadable file). */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}
