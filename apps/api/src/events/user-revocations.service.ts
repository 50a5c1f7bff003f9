import { Inject, Injectable } from '@nestjs/common';
import { EventsRepository } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../config';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Users whose revocation time one instance remembers at most (then it starts afresh). */
const MAX_CACHED = 50_000;

/**
 * The deprovisioning cascade on the hot path: whether an access token issued to a user at `iat`
 * predates the user's last deactivation or deletion. One primary-key lookup per user, cached for
 * USER_REVOCATION_CACHE_SECONDS (default 5) per instance, so a deactivation stops the user's
 * access tokens on every instance within that time.
 */
@Injectable()
export class UserRevocationsService {
  private readonly cache = new Map<string, { revokedAt: number | null; at: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.events.revocationCacheSeconds * 1000;
  }

  /** `issuedAt` in seconds (the JWT `iat`); a token without one counts as issued at the epoch. */
  async isRevoked(userId: string, issuedAt: number | undefined): Promise<boolean> {
    if (!UUID.test(userId)) {
      return false;
    }
    const revokedAt = await this.revokedAt(userId);
    // iat has whole seconds: a token of the same second as the revocation is refused too.
    return revokedAt !== null && (issuedAt ?? 0) * 1000 <= revokedAt;
  }

  private async revokedAt(userId: string): Promise<number | null> {
    const now = Date.now();
    const cached = this.cache.get(userId);
    if (cached && now - cached.at < this.ttlMs) {
      return cached.revokedAt;
    }
    const revokedAt = (await this.events.userRevokedAt(userId))?.getTime() ?? null;
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED) {
        this.cache.clear();
      }
      this.cache.set(userId, { revokedAt, at: now });
    }
    return revokedAt;
  }
}
