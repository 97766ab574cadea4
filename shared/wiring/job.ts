import { createDynamoClient } from '../aws/clients';
import type { JobConfig } from '../reregister/config';
import type { JobDependencies } from '../reregister/context';
import { RegistrationStatusStore } from '../reregister/status';
import { ThingSpaceClient } from '../thingspace/api-client';
import { createSecretStore, tableName } from './environment';

/**
 * The re-registration job's adapters: the secret store uncached (the job must see what it just
 * wrote), the status records on TABLE_NAME, and a ThingSpace client per account at the configured base.
 */
export function createJobDependencies(config: JobConfig, env: NodeJS.ProcessEnv = process.env): JobDependencies {
  return {
    secrets: createSecretStore(env),
    status: new RegistrationStatusStore(createDynamoClient(env), tableName(env)),
    client: () => new ThingSpaceClient(config.thingspaceBaseUrl),
  };
}
