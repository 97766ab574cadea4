import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { acceptCallback, type Acceptance } from '../accept';
import { DEFAULT_MAX_BODY_BYTES, envInt } from '../config';
import { GatewayError } from '../http/errors';
import { header, rawBody, requireJsonMediaType, scopeParam } from '../http/request';
import { json, toErrorResponse } from '../http/response';
import { logger } from '../log';
import type { CallbackFacts } from '../mapping';
import type { Runtime } from '../runtime';
import { verifyWithSecret } from '../secrets/verify-with-secret';
import { mapConnectivity, readConnectivity, type ConnectivityRead } from './connectivity';
import { verifyCredentials, type EchoedCredentials } from './credentials';
import { mapSoap, readSoap, soapAcknowledgement, soapFault, soapVersionOf, type SoapRead } from './soap';

interface CredentialRead {
  credentials: EchoedCredentials;
  /** What is stored: the body without the credentials. */
  storedBody: Buffer;
}

/** A Connectivity Management channel: credentials echoed in the body, checked against `thingspace/{account}/connectivity`. */
export interface CredentialChannel<R extends CredentialRead> {
  channel: 'connectivity' | 'soap';
  read(event: APIGatewayProxyEventV2, body: Buffer): R;
  map(read: R, account: string): CallbackFacts;
  respond(read: R, acceptance: Acceptance): APIGatewayProxyStructuredResultV2;
}

/**
 * The receive function of a credential-checked channel: size cap, account, parse (the credentials
 * are inside the body), credentials against the secret (current or previous, one refresh on a
 * mismatch), then the stored body without credentials, exactly once.
 */
export function createCredentialWebhook<R extends CredentialRead>(
  channel: CredentialChannel<R>,
  runtime: Runtime,
  maxBodyBytes = envInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, { min: 1 }),
  now: () => Date = () => new Date(),
) {
  return async function receiveConnectivityCallback(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const started = Date.now();
    logger.appendKeys({ provider: 'thingspace', channel: channel.channel });
    const body = rawBody(event, maxBodyBytes);
    const account = scopeParam(event);
    logger.appendKeys({ account });
    const read = channel.read(event, body);
    await verifyWithSecret(runtime.secrets, `thingspace/${account}/connectivity`, now(), (versions) =>
      verifyCredentials(read.credentials, versions),
    );
    const acceptance = await acceptCallback(
      runtime.store,
      { provider: 'thingspace', channel: channel.channel, scopeId: account, body: read.storedBody, receivedOn: now() },
      channel.map(read, account),
      started,
    );
    return channel.respond(read, acceptance);
  };
}

/** The REST channel: JSON in, ThingSpace JSON out. */
export const connectivityChannel: CredentialChannel<ConnectivityRead> = {
  channel: 'connectivity',
  read: (event, body) => {
    requireJsonMediaType(event.headers);
    return readConnectivity(body);
  },
  map: (read, account) => mapConnectivity(read.message, account),
  respond: (_read, acceptance) => json(200, acceptance),
};

/** The legacy SOAP channel: SOAP 1.1 or 1.2 in, an envelope of the same version out. */
export const soapChannel: CredentialChannel<SoapRead> = {
  channel: 'soap',
  read: (event, body) => readSoap(body, header(event.headers, 'content-type')),
  map: (read, account) => mapSoap(read.message, account),
  respond: (read, acceptance) => {
    const reply = soapAcknowledgement(read.version, acceptance.status);
    return { statusCode: 200, headers: { 'content-type': reply.contentType }, body: reply.body };
  },
};

/** Errors on the SOAP route are SOAP Faults of the request's version (1.1 when it named none). */
export function renderSoapError(error: unknown, event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  let version: '1.1' | '1.2' = '1.1';
  try {
    version = soapVersionOf(header(event.headers, 'content-type'));
  } catch {
    // A request of the wrong media type is answered in SOAP 1.1.
  }
  const plain = toErrorResponse(error);
  const message = error instanceof GatewayError ? error.message : 'Internal error; the callback was not stored';
  const fault = soapFault(version, plain.statusCode ?? 500, message);
  return { statusCode: plain.statusCode, headers: { 'content-type': fault.contentType }, body: fault.body };
}
