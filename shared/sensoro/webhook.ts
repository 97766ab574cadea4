import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { acceptCallback } from '../accept';
import { CHANNELS } from '../channels';
import { DEFAULT_MAX_BODY_BYTES, envInt } from '../config';
import { BadRequestError, SignatureMismatchError, UnauthorizedError } from '../errors';
import { parseJsonObject } from '../http/json';
import { header, rawBody, requireJsonMediaType, scopeParam } from '../http/request';
import { json } from '../http/response';
import { logger } from '../log';
import type { WebhookPorts } from '../ports';
import type { SecretVersion } from '../secrets/channel-secret';
import { verifyWithSecret } from '../secrets/verify-with-secret';
import { BadSecretShape } from '../secrets/verify-with-secret';
import { decryptSensoro, SensoroKeyError } from './crypto';
import { mapPush, parsePush, withDecrypted } from './push';
import { hasDuplicateKeys } from '../http/json';
import { verifySensoroSignature } from './signature';

export interface SensoroConfig {
  /** Accepted distance of X-ACCESS-NONCE from now, either side (ms). */
  nonceWindowMs: number;
  /** The public scheme://host[/prefix] SENSORO calls; unset, https + API Gateway's own domain name. */
  publicBaseUrl?: string;
  maxBodyBytes: number;
  /**
   * Also accept a signature over the compact re-serialisation of the body (SENSORO's own sample
   * signs `JSON.stringify` of the parsed push). Off by default: it parses unverified bodies. When
   * on, a body with duplicate keys is refused, and what is stored (and deduplicated on) is the
   * compact string that verified, never the bytes received.
   */
  compactSignature: boolean;
}

/** Reads SENSORO_NONCE_WINDOW_SECONDS (default 300), SENSORO_PUBLIC_BASE_URL, SENSORO_COMPACT_SIGNATURE and MAX_BODY_BYTES. */
export function sensoroConfig(env: NodeJS.ProcessEnv = process.env): SensoroConfig {
  return {
    nonceWindowMs: envInt('SENSORO_NONCE_WINDOW_SECONDS', 300, { min: 1, max: 86_400 }, env) * 1000,
    publicBaseUrl: env.SENSORO_PUBLIC_BASE_URL?.trim() || undefined,
    maxBodyBytes: envInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, { min: 1 }, env),
    compactSignature: env.SENSORO_COMPACT_SIGNATURE === 'true',
  };
}

/**
 * The URL SENSORO signed: the configured public base (the stack sets the API's own URL), else
 * https and the domain name API Gateway itself reports. Never the request's Host or
 * X-Forwarded-* headers: a client chooses those, and a signature over its own URL must not verify.
 */
export function publicUrl(event: APIGatewayProxyEventV2, base: string | undefined): string {
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const root = base ? base.replace(/\/+$/, '') : `https://${event.requestContext.domainName}`;
  return root + event.rawPath + query;
}

/** What X-ACCESS-SIGNATURE must look like: base64 of a 32-byte HMAC-SHA256. */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{43}=$/;

const SUCCESS = { messages: 'success' };

/**
 * The SENSORO receive function: X-ACCESS-ID must name the route's AppID, X-ACCESS-NONCE must be
 * within the window (replays outside it are refused), X-ACCESS-SIGNATURE must verify over the raw
 * body (or, with SENSORO_COMPACT_SIGNATURE, its compact re-serialisation, which is then what is
 * stored) with the AppSecret of `sensoro/{appId}`; safe-mode pushes are decrypted with its AppKey.
 * A re-push of the same message (the same bytes under a new nonce) is the same record; the
 * message's identity is its bytes, never `msgId` alone (two readings can share one).
 */
export function createSensoroWebhook(runtime: WebhookPorts, config: SensoroConfig, now: () => Date = () => new Date()) {
  return async function receiveSensoroPush(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const started = Date.now();
    logger.appendKeys({ provider: 'sensoro', channel: 'sensoro' });
    const body = rawBody(event, config.maxBodyBytes);
    requireJsonMediaType(event.headers);
    const appId = scopeParam(event, 'appId');
    logger.appendKeys({ account: appId });

    if (header(event.headers, 'x-access-id') !== appId) throw new UnauthorizedError('X-ACCESS-ID does not name this application');
    const nonce = header(event.headers, 'x-access-nonce') ?? '';
    if (!/^\d{10,16}$/.test(nonce) || Math.abs(now().getTime() - Number(nonce)) > config.nonceWindowMs) {
      throw new UnauthorizedError('X-ACCESS-NONCE is missing or outside the accepted window');
    }
    const signature = header(event.headers, 'x-access-signature')?.trim();
    if (!signature) throw new UnauthorizedError('Missing X-ACCESS-SIGNATURE');
    // Before any secret read or parse: a forged body of any size costs one regular expression.
    if (!SIGNATURE_SHAPE.test(signature)) throw new UnauthorizedError('X-ACCESS-SIGNATURE is not a base64 HMAC-SHA256');
    const url = publicUrl(event, config.publicBaseUrl);
    const method = event.requestContext.http.method;

    // What is stored and deduplicated on is exactly what verified: the raw bytes, or (fallback on)
    // the compact string SENSORO's sample signs.
    let signed = body;
    const versions = await verifyWithSecret(runtime.secrets, CHANNELS.sensoro.secretName(appId), now(), (candidates) => {
      const secrets = candidates.map((v) => v.appSecret).filter((s): s is string => !!s);
      if (secrets.length === 0) throw new BadSecretShape('appSecret');
      if (verifySensoroSignature(signature, secrets, nonce, method, url, [body])) return;
      if (config.compactSignature) {
        const compact = compactForm(body);
        if (compact !== undefined && verifySensoroSignature(signature, secrets, nonce, method, url, [compact])) {
          signed = Buffer.from(compact);
          return;
        }
      }
      throw new SignatureMismatchError('Signature does not match');
    });

    let push = parsePush(signed);
    if (String(push.appId) !== appId) throw new BadRequestError('SENSORO push: appId does not match the route');
    let plaintext: string | undefined;
    if (push.encryptData !== undefined) {
      plaintext = decrypt(push.encryptData, appId, versions);
      push = withDecrypted(push, plaintext);
    }

    await acceptCallback(
      runtime.store,
      {
        provider: 'sensoro',
        channel: 'sensoro',
        scopeId: appId,
        body: signed,
        receivedOn: now(),
        // Kept so the stored record reads back without the AppKey (the query API holds no secret).
        ...(plaintext !== undefined ? { plaintext: Buffer.from(plaintext) } : {}),
      },
      mapPush(push, appId),
      started,
    );
    return json(200, SUCCESS);
  };
}

/**
 * SENSORO's sample signs `JSON.stringify` of the parsed body: the fallback's candidate, when it
 * differs from the raw bytes. A body with a key twice is refused outright: `JSON.parse` keeps the
 * last, a reader of the raw bytes may keep the first, so such a body could say two things.
 */
function compactForm(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  if (hasDuplicateKeys(text)) throw new BadRequestError('SENSORO push: a key appears twice in one object');
  try {
    const compact = JSON.stringify(parseJsonObject(body));
    return compact === text ? undefined : compact;
  } catch {
    return undefined;
  }
}

/** Decrypts with the AppKey of each verified version until one yields this AppID. */
function decrypt(encryptData: string, appId: string, versions: readonly SecretVersion[]): string {
  const keys = versions.map((v) => v.appKey).filter((k): k is string => !!k);
  if (keys.length === 0) throw new BadSecretShape('appKey');
  let failure: unknown;
  for (const key of keys) {
    try {
      const plain = decryptSensoro(encryptData, key);
      if (plain.appId === appId) return plain.json;
      failure = new BadRequestError('encryptData was encrypted for another AppID');
    } catch (error) {
      if (error instanceof SensoroKeyError) throw new BadSecretShape('appKey');
      failure = error;
    }
  }
  throw failure;
}
