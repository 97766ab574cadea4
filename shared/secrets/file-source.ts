import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SecretUnavailableError, type SecretStore } from './source';

/**
 * Local adapter: one JSON file mapping each secret name (after the prefix) to its value, either a
 * JSON object or a string. The file is read on every call so edits take effect at once; the
 * cache in front of it decides how often that happens.
 */
export class FileSecretSource implements SecretStore {
  constructor(private readonly path: string) {}

  async get(name: string): Promise<string | undefined> {
    const all = await this.readAll();
    if (!Object.prototype.hasOwnProperty.call(all, name)) return undefined;
    const value = all[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /**
   * Replaces one secret in the file, keeping the layout (JSON values stay objects). The file is
   * written beside and renamed over, so a reader never sees half a file.
   */
  async put(name: string, value: string): Promise<void> {
    const all = await this.readAll();
    let parsed: unknown = value;
    try {
      parsed = JSON.parse(value);
    } catch {
      // a plain string secret stays a string
    }
    all[name] = parsed;
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
      await rename(temporary, this.path);
    } catch (error) {
      throw new SecretUnavailableError('Secrets file not writable', { cause: error });
    }
  }

  private async readAll(): Promise<Record<string, unknown>> {
    let all: unknown;
    try {
      all = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (error) {
      throw new SecretUnavailableError(`Secrets file unreadable`, { cause: error });
    }
    if (typeof all !== 'object' || all === null || Array.isArray(all)) {
      throw new SecretUnavailableError('Secrets file must hold a JSON object');
    }
    return all as Record<string, unknown>;
  }
}
