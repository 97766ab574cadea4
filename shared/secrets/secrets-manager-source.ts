import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretUnavailableError, type SecretStore } from './source';

/** Secrets Manager adapter: names are looked up under a prefix (e.g. `iot-gateway/`). */
export class SecretsManagerSource implements SecretStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
  ) {}

  async get(name: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.prefix + name }));
      if (out.SecretString !== undefined) return out.SecretString;
      if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
      return undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw new SecretUnavailableError(`Secret store unavailable`, { cause: error });
    }
  }

  async put(name: string, value: string): Promise<void> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: this.prefix + name, SecretString: value }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') {
        throw new SecretUnavailableError('Secret store unavailable', { cause: error });
      }
      try {
        await this.client.send(new CreateSecretCommand({ Name: this.prefix + name, SecretString: value }));
      } catch (createError) {
        throw new SecretUnavailableError('Secret store unavailable', { cause: createError });
      }
    }
  }
}
