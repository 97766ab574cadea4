import { createSecretsManagerClient } from '../aws/clients';
import { requireEnv } from '../config';
import { FileSecretSource } from '../secrets/file-source';
import { SecretsManagerSource } from '../secrets/secrets-manager-source';
import type { SecretStore } from '../secrets/source';

/** The table every function works on: TABLE_NAME, required. */
export const tableName = (env: NodeJS.ProcessEnv = process.env) => requireEnv('TABLE_NAME', env);

/** The secret store without a cache: the file named by SECRETS_FILE (local mode), else Secrets Manager under SECRET_PREFIX. */
export function createSecretStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return env.SECRETS_FILE ? new FileSecretSource(env.SECRETS_FILE) : new SecretsManagerSource(createSecretsManagerClient(env), env.SECRET_PREFIX ?? '');
}
