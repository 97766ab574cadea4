import type { SecretSource } from './source';

export interface CachedSecret {
  /** The value, or undefined when the secret does not exist. */
  value: string | undefined;
  /** True when this answer was served from memory rather than just fetched. */
  fromCache: boolean;
}

interface Entry {
  value: string | undefined;
  fetchedAt: number;
}

export interface SecretCacheOptions {
  /** How long a fetched value is served from memory. */
  ttlMs: number;
  /** How long "no such secret" is remembered (short, so a newly created secret is seen soon). */
  missingTtlMs?: number;
  /** A forced refresh is skipped when the value is younger than this (a forged flood must not hammer the store). */
  minRefreshIntervalMs?: number;
  now?: () => number;
}

/**
 * In-memory cache in front of a SecretSource, one per Lambda container. Concurrent misses for the
 * same name share one fetch. `refresh` re-reads a value ahead of its TTL, used once when a
 * signature does not match so that a rotated key takes effect at once.
 */
export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: SecretSource,
    options: SecretCacheOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.missingTtlMs = Math.min(options.missingTtlMs ?? 30_000, options.ttlMs);
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** The value, from memory while fresh. */
  async get(name: string): Promise<CachedSecret> {
    const entry = this.entries.get(name);
    if (entry && this.now() - entry.fetchedAt < (entry.value === undefined ? this.missingTtlMs : this.ttlMs)) {
      return { value: entry.value, fromCache: true };
    }
    return { value: (await this.fetch(name)).value, fromCache: false };
  }

  /** True when a value of that name is in memory (fresh or not): a look that never fetches. */
  knows(name: string): boolean {
    return this.entries.get(name)?.value !== undefined;
  }

  /**
   * A fresh value, unless the cached one was fetched within the minimum refresh interval, in which
   * case undefined is returned: there is nothing newer worth trying.
   */
  async refresh(name: string): Promise<CachedSecret | undefined> {
    const entry = this.entries.get(name);
    if (entry && this.now() - entry.fetchedAt < this.minRefreshIntervalMs) return undefined;
    return { value: (await this.fetch(name)).value, fromCache: false };
  }

  private fetch(name: string): Promise<Entry> {
    const pending = this.inflight.get(name);
    if (pending) return pending;
    const promise = this.source
      .get(name)
      .then((value) => {
        const entry = { value, fetchedAt: this.now() };
        this.entries.set(name, entry);
        return entry;
      })
      .finally(() => this.inflight.delete(name));
    this.inflight.set(name, promise);
    return promise;
  }
}
