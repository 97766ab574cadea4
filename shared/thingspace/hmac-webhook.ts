import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEFAULT_MAX_BODY_BYTES, envInt, signatureHeaders, tokenHeader } from '../config';
import { rawBody, requireJsonMediaType, scopeParam } from '../http/request';
import { acceptCallback } from '../accept';
import { CHANNELS } from '../channels';
import { json } from '../http/response';
import { logger } from '../log';
import type { CallbackFacts } from '../mapping';
import type { ReceivedCallback } from '../model';
import type { WebhookPorts } from '../ports';
import { verifyWithSecret } from '../secrets/verify-with-secret';
import { verifyHmacCallback } from './verify';

/** One HMAC-signed ThingSpace channel: its route name, whether it checks the token, its parser and mapper. */
export interface HmacChannel<M> {
  channel: 'diagnostics' | 'location' | 'device-location';
  /** Diagnostics callbacks also carry the token registered through `httpHeaders`. */
  checksToken: boolean;
  parse(body: Buffer): M;
  map(message: M, account: string): CallbackFacts;
}

export interface HmacWebhookConfig {
  signatureHeaders: string[];
  tokenHeader: string;
  maxBodyBytes: number;
}

/** Reads THINGSPACE_SIGNATURE_HEADERS, THINGSPACE_TOKEN_HEADER and MAX_BODY_BYTES (defaults in config.ts). */
export function hmacWebhookConfig(env: NodeJS.ProcessEnv = process.env): HmacWebhookConfig {
  return {
    signatureHeaders: signatureHeaders(env),
    tokenHeader: tokenHeader(env),
    maxBodyBytes: envInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, { min: 1 }, env),
  };
}

/**
 * The receive function of an HMAC-signed ThingSpace channel. In order: size cap, media type,
 * account, signature on the exact raw bytes (nothing parses an unverified body), parse, map,
 * store; 2xx only once every record is durable, a redelivery included.
 */
export function createHmacWebhook<M>(channel: HmacChannel<M>, runtime: WebhookPorts, config: HmacWebhookConfig, now: () => Date = () => new Date()) {
  return async function receiveThingSpaceCallback(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const started = Date.now();
    logger.appendKeys({ provider: 'thingspace', channel: channel.channel });
    const body = rawBody(event, config.maxBodyBytes);
    requireJsonMediaType(event.headers);
    const account = scopeParam(event);
    logger.appendKeys({ account });

    await verifyWithSecret(runtime.secrets, CHANNELS[channel.channel].secretName(account), now(), (versions) =>
      verifyHmacCallback(event.headers, body, versions, {
        signatureHeaders: config.signatureHeaders,
        tokenHeader: channel.checksToken ? config.tokenHeader : undefined,
      }),
    );

    const message = channel.parse(body);
    const received: ReceivedCallback = {
      provider: 'thingspace',
      channel: channel.channel,
      scopeId: account,
      body,
      receivedOn: now(),
    };
    return json(200, await acceptCallback(runtime.store, received, channel.map(message, account), started));
  };
}
