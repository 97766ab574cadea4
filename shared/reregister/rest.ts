import type { CallbackApi, Registration, ThingSpaceClient } from '../thingspace/api-client';
import { keepConnectivity, type ConnectivityRegistrar } from './connectivity';
import { channelOf, type JobContext } from './context';
import { describe } from './errors';
import { keepKeyed } from './keyed';
import type { AccountReport } from './report';

/** The services of an account registered through the REST APIs, one listing per API. */
export async function viaRest(ctx: JobContext, client: ThingSpaceClient, report: AccountReport, services: string[]): Promise<void> {
  const byApi = new Map<CallbackApi, string[]>();
  for (const service of services) byApi.set(channelOf(service).api, [...(byApi.get(channelOf(service).api) ?? []), service]);
  for (const [apiName, apiServices] of byApi) {
    let listed: Registration[];
    try {
      listed = await client.list(apiName, report.account);
    } catch (error) {
      for (const service of apiServices) await report.fail(service, describe(error));
      continue;
    }
    if (apiName === 'connectivity') await keepConnectivity(ctx, restRegistrar(client), report, apiServices, listed);
    else for (const service of apiServices) await keepKeyed(ctx, client, report, service, listed);
  }
}

function restRegistrar(client: ThingSpaceClient): ConnectivityRegistrar {
  return {
    channel: 'connectivity',
    register: (account, service, url, credentials) => client.register('connectivity', account, service, url, credentials),
    deregister: (account, service) => client.deregister('connectivity', account, service),
  };
}
