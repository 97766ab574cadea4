import { ThingSpaceApiError } from './api-client';

/**
 * What the re-registration job knows of the legacy UWS (SOAP) services without loading the SOAP
 * client: operations, namespaces, endpoints and the fault type. The client itself
 * (uws-client.ts, with the XML builder and parser) is loaded only for accounts that use SOAP.
 */

export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The namespace of UWS operations, their Input/Output wrappers and the `token` header. */
export const UWS_NS = 'http://nphase.com/unifiedwebservice/v2';

/** Each operation and the service that offers it. */
export const OPERATIONS = {
  LogIn: 'SessionService',
  LogOut: 'SessionService',
  GetCallbackRegistrations: 'CallbackRegistrationService',
  RegisterCallback: 'CallbackRegistrationService',
  UnregisterCallback: 'CallbackRegistrationService',
} as const;
export type UwsOperation = keyof typeof OPERATIONS;
export type UwsService = (typeof OPERATIONS)[UwsOperation];

/** The namespace of a service's input and output fields (a WCF data contract). */
export const contractNamespace = (service: UwsService) => `http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.${service}`;

/**
 * Where the UWS services answer. Unpublished: this default is the one public client code uses
 * for the SessionService (`…/api/v2/SessionService.svc`), the registration service assumed beside it.
 */
export const DEFAULT_UWS_BASE_URL = 'https://uws.apps.nphase.com/api/v2';
/**
 * The SOAPAction header, `{service}` and `{operation}` filled in. Unpublished: WCF's default
 * (`{namespace}/I{service}/{operation}`), which public client code sends for LogIn.
 */
export const DEFAULT_UWS_SOAP_ACTION = `${UWS_NS}/I{service}/{operation}`;

export interface UwsEndpoints {
  /** SessionService: LogIn, LogOut. */
  sessionUrl: string;
  /** Callback Registration Service: GetCallbackRegistrations, RegisterCallback, UnregisterCallback. */
  callbackRegistrationUrl: string;
  /** SOAPAction template: `{service}` and `{operation}` are replaced; empty sends an empty SOAPAction. */
  soapAction: string;
}

/** The two services under one base URL, as WCF names them (`{base}/{Service}.svc`). */
export function uwsEndpointsAt(baseUrl: string, soapAction = DEFAULT_UWS_SOAP_ACTION): UwsEndpoints {
  const base = baseUrl.replace(/\/+$/, '');
  return { sessionUrl: `${base}/SessionService.svc`, callbackRegistrationUrl: `${base}/CallbackRegistrationService.svc`, soapAction };
}

/** The SOAPAction of one operation. */
export function soapActionOf(template: string, operation: UwsOperation): string {
  return template.replaceAll('{service}', OPERATIONS[operation]).replaceAll('{operation}', operation);
}

/** A UWS call that did not succeed: the fault code (or our own code) as `errorCode`, never the fault text. */
export class UwsFault extends ThingSpaceApiError {
  constructor(operation: UwsOperation, status: number, faultCode: string | undefined) {
    super(operation, status, faultCode);
    this.name = 'UwsFault';
  }

  /** The session expired (20 minutes idle): UWS's documented cue to log in again and resend. */
  get sessionExpired(): boolean {
    return (this.errorCode ?? '').includes('SessionToken.Expired');
  }
}
