import { channelOfService } from '../routes';
import type { SecretStore } from '../secrets/source';
import type { CallbackApi, ThingSpaceClient } from '../thingspace/api-client';
import type { UwsClient } from '../thingspace/uws-client';
import type { JobConfig } from './config';
import type { RegistrationStatusStore } from './status';

export interface JobDependencies {
  /** Read and written uncached: the job must see what it just wrote. */
  secrets: SecretStore;
  status: RegistrationStatusStore;
  client: () => ThingSpaceClient;
  /** The UWS SOAP client of an `api: "soap"` account (by default one at `config.uws`). */
  uws?: () => UwsClient | Promise<UwsClient>;
  now?: () => Date;
  /** Attempts to store a Shared-Key before giving up on the run (the next run registers again). */
  writeAttempts?: number;
}

/** What a run did for one (account, service). */
export interface Change {
  account: string;
  service: string;
  action: 'registered' | 'rotated' | 'unchanged' | 'error' | 'skipped';
  detail?: string;
}

/** What every step of a run works with: the configuration, the adapters and the clock. */
export interface JobContext {
  config: JobConfig;
  deps: JobDependencies;
  now: () => Date;
}

/** The URL ThingSpace is given for a channel of an account: `{base}/webhooks/thingspace/{account}/{channel}`. */
export function endpointOf(config: JobConfig, account: string, channel: string): string {
  return `${config.publicBaseUrl.replace(/\/+$/, '')}/webhooks/thingspace/${encodeURIComponent(account)}/${channel}`;
}

/** The channel (webhook route and secret) and the API of a ThingSpace service. */
export function channelOf(service: string): { api: CallbackApi; channel: string } {
  const channel = channelOfService(service);
  return { api: channel === 'device-location' ? 'location' : channel, channel };
}
