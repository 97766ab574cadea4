import type { RejectionLog } from './rejections';
import type { SecretCache } from './secrets/cache';
import type { CallbackStore } from './store/callback-store';

/**
 * What the webhooks work with, as the domain code sees it: the secrets it verifies against (cached),
 * where accepted callbacks go, and where refusals are noted. Type-only, no module loads: the
 * webhook modules depend on these shapes, never on how a function builds them (shared/wiring/).
 */
export interface WebhookPorts {
  secrets: SecretCache;
  store: CallbackStore;
  rejections: RejectionLog;
}
