import { Inject, Injectable } from '@nestjs/common';
import { RateLimitsRepository } from '@roster/db';
import { ScimHttpError } from '../common/scim-exception.filter';
import { APP_CONFIG, AppConfig } from '../config';
import { Principal } from './principal';

const WINDOW_MS = 60_000;

/**
 * Limits around bearer authentication, counted in the database so that all instances agree
 * (one upsert per counted request): failed authentications per address (only failures are
 * counted, so a valid token is never slowed by them), and the optional per-token request limit
 * of API tokens on the SCIM API, answered 429 with Retry-After as Entra ID and Okta expect.
 */
@Injectable()
export class BearerLimits {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly windows: RateLimitsRepository,
  ) {}

  /** Counts a refused token from `address`; a 429 to throw instead of the 401 once over the limit. */
  async failed(address: string): Promise<ScimHttpError | undefined> {
    const { hits, retryAfter } = await this.count(`bearer-failure:${address}`);
    if (hits <= this.config.auth.bearerFailureLimit) {
      return undefined;
    }
    return new ScimHttpError(429, `Too many failed authentications from this address; retry in ${retryAfter} s.`, {
      'retry-after': String(retryAfter),
    });
  }

  /** Counts a request of a rate-limited credential; throws 429 past its limit. */
  async request(principal: Principal): Promise<void> {
    if (!principal.rateLimit) {
      return;
    }
    const { hits, retryAfter } = await this.count(`token-requests:${principal.subject}`);
    if (hits > principal.rateLimit) {
      throw new ScimHttpError(
        429,
        `This token may make ${principal.rateLimit} requests a minute; retry in ${retryAfter} s.`,
        { 'retry-after': String(retryAfter) },
      );
    }
  }

  private async count(key: string): Promise<{ hits: number; retryAfter: number }> {
    const now = Date.now();
    const windowStart = now - (now % WINDOW_MS);
    const hits = await this.windows.hit(key, new Date(windowStart));
    return { hits, retryAfter: Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000)) };
  }
}
