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
  /** Names kept in memory at most; the least recently used go first (default 1,000). */
  maxEntries?: number;
  /**
   * Fetches of names not in memory allowed per minute (default 30): requests for random account
   * names must not turn into as many secret reads (each one money, and a throttling quota shared
   * with genuine traffic). Past it, such a name is refused without a read (SecretBudgetExhausted).
   */
  unknownNamesPerMinute?: number;
  now?: () => number;
}

/** Too many names not in memory were asked for this minute: refused without reading the secret store. */
export class SecretBudgetExhausted extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many secret names not in memory this minute');
    this.name = 'SecretBudgetExhausted';
  }
}

/**
 * In-memory cache in front of a SecretSource, one per Lambda container. Concurrent misses for the
 * same name share one fetch. `refresh` re-reads a value ahead of its TTL, used once when a
 * signature does not match so that a rotated key takes effect at once.
 */
export class SecretCache {
  // A Map keeps insertion order: re-inserting on use makes its first key the least recently used.
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly maxEntries: number;
  private readonly unknownNamesPerMinute: number;
  private readonly now: () => number;
  private budget = { minute: -1, used: 0 };

  constructor(
    private readonly source: SecretSource,
    options: SecretCacheOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.missingTtlMs = Math.min(options.missingTtlMs ?? 30_000, options.ttlMs);
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.unknownNamesPerMinute = options.unknownNamesPerMinute ?? 30;
    this.now = options.now ?? Date.now;
  }

  /**
   * The value, from memory while fresh. A name not in memory at all is read only while this
   * minute's budget of such reads lasts (SecretBudgetExhausted past it); a known name is always
   * read again when its entry is stale.
   */
  async get(name: string): Promise<CachedSecret> {
    const entry = this.entries.get(name);
    if (entry) {
      this.entries.delete(name);
      this.entries.set(name, entry);
      if (this.now() - entry.fetchedAt < (entry.value === undefined ? this.missingTtlMs : this.ttlMs)) return { value: entry.value, fromCache: true };
    }
    // A name not known to exist (never read, or read as missing) costs from the budget: otherwise
    // a cache full of random names could be read again every missingTtlMs for free.
    if (entry?.value === undefined && !this.inflight.has(name)) this.spendUnknownBudget();
    return { value: (await this.fetch(name)).value, fromCache: false };
  }

  private spendUnknownBudget(): void {
    const spent = this.budgetSpent();
    if (spent !== undefined) throw new SecretBudgetExhausted(spent);
    this.budget.used++;
  }

  /**
   * When this minute's budget of reads of names not in memory is used up: the seconds until it
   * renews (for Retry-After); undefined while it lasts. A look that spends nothing.
   */
  budgetSpent(): number | undefined {
    const minute = Math.floor(this.now() / 60_000);
    if (this.budget.minute !== minute) this.budget = { minute, used: 0 };
    return this.budget.used >= this.unknownNamesPerMinute ? 60 - Math.floor((this.now() % 60_000) / 1000) : undefined;
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
        this.entries.delete(name);
        this.entries.set(name, entry);
        while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        return entry;
      })
      .finally(() => this.inflight.delete(name));
    this.inflight.set(name, promise);
    return promise;
  }
}
