import type { Registration } from '../thingspace/api-client';
import type { UwsClient } from '../thingspace/uws-client';
import { DEFAULT_UWS_BASE_URL, uwsEndpointsAt } from '../thingspace/uws-contract';
import { keepConnectivity, type ConnectivityRegistrar } from './connectivity';
import type { JobContext } from './context';
import { describe } from './errors';
import type { AccountReport } from './report';

/**
 * The UWS SOAP client of the run: the injected one, else one at `config.uws`. The client (and its
 * XML builder and parser) loads only for accounts that use SOAP.
 */
export function uwsClientOf(ctx: JobContext): () => UwsClient | Promise<UwsClient> {
  return ctx.deps.uws ?? (async () => new (await import('../thingspace/uws-client')).UwsClient(ctx.config.uws ?? uwsEndpointsAt(DEFAULT_UWS_BASE_URL)));
}

/** The Connectivity services of an `api: "soap"` account, through UWS to the `soap` route. */
export async function viaSoap(ctx: JobContext, uws: UwsClient, report: AccountReport, services: string[]): Promise<void> {
  let listed: Registration[];
  try {
    listed = await uws.getCallbackRegistrations(report.account);
  } catch (error) {
    for (const service of services) await report.fail(service, describe(error));
    return;
  }
  await keepConnectivity(ctx, soapRegistrar(uws), report, services, listed);
}

function soapRegistrar(uws: UwsClient): ConnectivityRegistrar {
  return {
    channel: 'soap',
    register: (account, service, url, credentials) => uws.registerCallback(account, service, url, credentials),
    deregister: (account, service) => uws.unregisterCallback(account, service),
  };
}
