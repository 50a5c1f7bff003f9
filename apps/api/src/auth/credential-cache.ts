/** Injection token of a clock (ms since the epoch) for credential caches; Date.now when not provided. */
export const CLOCK = Symbol('roster.clock');

/**
 * What this instance remembers of credentials it looked up, so that a busy IdP's requests do not
 * each pay a database round trip for their bearer token (issue 12 item 6). An entry is trusted
 * for `ttlMs` after it was read: that is the bound within which a change made elsewhere (another
 * instance, the CLI) takes effect here. Changes made through this instance evict at once.
 *
 * Only what was found is kept, never a miss: a token created a moment ago works at once, and
 * guessed tokens cannot fill the cache. The number of entries is bounded; the oldest go first.
 */
export class CredentialCache<V> {
  private readonly entries = new Map<string, { value: V; loadedAt: number }>();
  /** One read in flight per key: a burst of requests with a new token costs one lookup. */
  private readonly loading = new Map<string, Promise<V | undefined>>();
  /** Bumped by every eviction, so that a read begun before it does not put the old value back. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value while fresh; otherwise `load`'s (cached when found). */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (this.ttlMs <= 0) {
      return load();
    }
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.loadedAt < this.ttlMs) {
      return entry.value;
    }
    const pending = this.loading.get(key);
    if (pending) {
      return pending;
    }
    const generation = this.generation;
    const started = this.now();
    const promise = load().then(
      (value) => {
        this.loading.delete(key);
        // An eviction while the read was in flight wins: the read may predate the change.
        if (value !== undefined && generation === this.generation) {
          this.put(key, value, started);
        } else if (value === undefined) {
          this.entries.delete(key);
        }
        return value;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  /** Forgets every entry `matches` selects (a revoked token, say), and any read in flight. */
  evict(matches: (value: V, key: string) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (matches(entry.value, key)) {
        this.entries.delete(key);
      }
    }
    this.generation++;
    this.loading.clear();
  }

  clear(): void {
    this.evict(() => true);
  }

  get size(): number {
    return this.entries.size;
  }

  private put(key: string, value: V, loadedAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, loadedAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
