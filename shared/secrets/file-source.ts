import { readFile } from 'node:fs/promises';
import { SecretUnavailableError, type SecretSource } from './source';

/**
 * Local adapter: one JSON file mapping each secret name (after the prefix) to its value, either a
 * JSON object or a string. The file is read on every call so edits take effect at once; the
 * cache in front of it decides how often that happens.
 */
export class FileSecretSource implements SecretSource {
  constructor(private readonly path: string) {}

  async get(name: string): Promise<string | undefined> {
    let all: unknown;
    try {
      all = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (error) {
      throw new SecretUnavailableError(`Secrets file unreadable`, { cause: error });
    }
    if (typeof all !== 'object' || all === null || Array.isArray(all)) {
      throw new SecretUnavailableError('Secrets file must hold a JSON object');
    }
    if (!Object.prototype.hasOwnProperty.call(all, name)) return undefined;
    const value = (all as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
}
