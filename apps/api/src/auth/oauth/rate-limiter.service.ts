import { Injectable, Logger } from '@nestjs/common';
import { RateLimitsRepository } from '@roster/db';
import { OAuthError } from './oauth-error';

const WINDOW_MS = 60_000;
/** Old windows are swept at most this often per instance. */
const SWEEP_MS = 60_000;

/**
 * Fixed-window counters for the token endpoint, kept in the database so that the limit holds
 * for the whole cluster, not per instance (design principle 4). One upsert per key and request;
 * the token endpoint is not a hot path, so that cost is acceptable.
 */
@Injectable()
export class TokenRateLimiter {
  private readonly logger = new Logger('RateLimit');
  private lastSweep = 0;

  constructor(private readonly windows: RateLimitsRepository) {}

  /** Counts a request of `who`; a 429 once more than `limit` arrived in the current minute. */
  async hit(who: { client: string } | { address: string } | { registration: string }, limit: number): Promise<void> {
    const [kind, value] =
      'client' in who
        ? ['client', who.client]
        : 'address' in who
          ? ['address', who.address]
          : ['registration', who.registration];
    const key = `${kind}:${value}`;
    const now = Date.now();
    const windowStart = now - (now % WINDOW_MS);
    const hits = await this.windows.hit(key, new Date(windowStart));
    this.sweep(now);
    if (hits > limit) {
      const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
      throw new OAuthError(
        'temporarily_unavailable',
        `Too many ${kind === 'registration' ? 'registrations from this address' : `token requests for this ${kind}`}; retry in ${retryAfter} s.`,
        429,
        {
          'retry-after': String(retryAfter),
        },
      );
    }
  }

  /**
   * Counts a failed client authentication from `address` for `clientId`. Over the limit (per
   * client and address, or per address for all clients), the failure is answered 429 instead of
   * 401. Only failures are counted and only failures are refused: a request with valid
   * credentials is never blocked by somebody else's wrong guesses.
   */
  async failure(clientId: string, address: string, perClient: number, perAddress: number): Promise<void> {
    const now = Date.now();
    const windowStart = now - (now % WINDOW_MS);
    const pair = `auth-failure:${clientId}|${address}`;
    const byAddress = `auth-failure-address:${address}`;
    const counts = await this.windows.hitMany([pair, byAddress], new Date(windowStart));
    this.sweep(now);
    if ((counts.get(pair) ?? 0) > perClient || (counts.get(byAddress) ?? 0) > perAddress) {
      const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
      throw new OAuthError(
        'temporarily_unavailable',
        `Too many failed client authentications from this address; retry in ${retryAfter} s.`,
        429,
        { 'retry-after': String(retryAfter) },
      );
    }
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_MS) {
      return;
    }
    this.lastSweep = now;
    this.windows.deleteBefore(new Date(now - 2 * WINDOW_MS)).catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'Could not sweep old rate-limit windows.');
    });
  }
}
