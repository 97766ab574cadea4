import type { ApiKeyGrant, ApiKeyStore } from './store';
import { hashApiKey, KEY_PREFIX } from './store';

/** What the authorizer hands the query function (API Gateway simple-response context). */
export interface AuthorizerContext {
  /** "true" only for a known, unrevoked key. */
  authenticated: boolean;
  keyId?: string;
  /** Comma-separated scopes. */
  scopes?: string;
  canDelete?: boolean;
}

/**
 * Checks `Authorization: Bearer <key>` against the key store, remembering answers (known and
 * unknown) for `ttlMs` so a burst costs one read; a revoked key stops working within that time.
 * It always authorizes the request at the gateway and says in the context whether the caller is
 * authenticated: the query function then answers 401 `{"message":"Unauthorized"}` (API Gateway's own
 * words for a refused key), which API Gateway's refusal of a simple-response authorizer (403) could not.
 */
export class ApiKeyAuthorizer {
  private readonly cache = new Map<string, { grant: ApiKeyGrant | undefined; at: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async authorize(authorization: string | undefined): Promise<AuthorizerContext> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const key = match?.[1];
    if (!key || !key.startsWith(KEY_PREFIX) || key.length > 200) return { authenticated: false };
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    let grant: ApiKeyGrant | undefined;
    if (cached && this.now() - cached.at < this.ttlMs) {
      grant = cached.grant;
    } else {
      grant = await this.store.findByHash(hash);
      if (this.cache.size > 10_000) this.cache.clear(); // bounded under a flood of random keys
      this.cache.set(hash, { grant, at: this.now() });
    }
    if (!grant) return { authenticated: false };
    return { authenticated: true, keyId: grant.id, scopes: grant.scopes.join(','), canDelete: grant.canDelete };
  }
}
