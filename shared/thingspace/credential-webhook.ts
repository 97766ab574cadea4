import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { acceptCallback, type Acceptance } from '../accept';
import { CHANNELS } from '../channels';
import { DEFAULT_MAX_BODY_BYTES, envInt } from '../config';
import { rawBody, scopeParam } from '../http/request';
import { logger } from '../log';
import type { CallbackFacts } from '../mapping';
import type { WebhookPorts } from '../ports';
import { verifyWithSecret } from '../secrets/verify-with-secret';
import { verifyCredentials, type EchoedCredentials } from './credentials';

/** What a credential channel reads from a body before verifying it. */
export interface CredentialRead {
  credentials: EchoedCredentials;
  /** What is stored: the received body with the credentials' values blanked in place. */
  storedBody: Buffer;
  /** The bytes that identify the message across redeliveries, when not its stored bytes. */
  identity?: Buffer;
}

/** A Connectivity Management channel: credentials echoed in the body, checked against `thingspace/{account}/connectivity`. */
export interface CredentialChannel<R extends CredentialRead> {
  channel: 'connectivity' | 'soap';
  /** The channel's own body cap, when smaller than MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /**
   * The credentials, found cheaply without parsing the body, when they can be found unambiguously:
   * a wrong pair is then refused before the full parse. Never used to accept anything.
   */
  precheck?(body: Buffer): EchoedCredentials | undefined;
  read(event: APIGatewayProxyEventV2, body: Buffer): R;
  map(read: R, account: string): CallbackFacts;
  respond(read: R, acceptance: Acceptance): APIGatewayProxyStructuredResultV2;
}

/**
 * The receive function of a credential-checked channel: size cap, account, parse (the credentials
 * are inside the body), credentials against the secret (current, pending or previous, one refresh on a
 * mismatch), then the stored body without credentials, exactly once.
 */
export function createCredentialWebhook<R extends CredentialRead>(
  channel: CredentialChannel<R>,
  runtime: WebhookPorts,
  maxBodyBytes = envInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, { min: 1 }),
  now: () => Date = () => new Date(),
) {
  return async function receiveConnectivityCallback(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const started = Date.now();
    logger.appendKeys({ provider: 'thingspace', channel: channel.channel });
    const body = rawBody(event, Math.min(maxBodyBytes, channel.maxBodyBytes ?? maxBodyBytes));
    const account = scopeParam(event);
    logger.appendKeys({ account });
    // SOAP's secret is Connectivity's (shared/channels/thingspace.ts).
    const secret = CHANNELS[channel.channel].secretName(account);
    const early = channel.precheck?.(body);
    if (early) {
      // A forged body with a wrong password costs what a forged JSON body costs: no XML parse.
      await verifyWithSecret(runtime.secrets, secret, now(), (versions) => verifyCredentials(early, versions));
    }
    const read = channel.read(event, body);
    await verifyWithSecret(runtime.secrets, secret, now(), (versions) => verifyCredentials(read.credentials, versions));
    const acceptance = await acceptCallback(
      runtime.store,
      {
        provider: 'thingspace',
        channel: channel.channel,
        scopeId: account,
        body: read.storedBody,
        receivedOn: now(),
        ...(read.identity !== undefined ? { identity: read.identity } : {}),
      },
      channel.map(read, account),
      started,
    );
    return channel.respond(read, acceptance);
  };
}
