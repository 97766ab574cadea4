import { CHANNELS, type Channel } from '../channels';
import type { RejectionLog } from '../rejections';
import type { SecretCache } from '../secrets/cache';
import type { WebhookOptions } from '../http/middleware';

/**
 * A channel's webhook options from its registry entry (shared/channels.ts): its provider and name,
 * the rejected-request log, and whether a scope is known (its secret is cached).
 */
export function channelOptions(
  channel: Channel,
  runtime: { secrets: Pick<SecretCache, 'knows'>; rejections: RejectionLog },
  extra: Pick<WebhookOptions, 'render'> = {},
): WebhookOptions {
  const { provider, secretName } = CHANNELS[channel];
  return {
    provider,
    channel,
    ...extra,
    rejections: runtime.rejections,
    isKnownScope: (scope) => runtime.secrets.knows(secretName(scope)),
  };
}
