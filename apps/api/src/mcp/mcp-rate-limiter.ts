import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimitsRepository } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../config';

const WINDOW_MS = 60_000;
/** Old windows are swept at most this often per instance. */
const SWEEP_MS = 60_000;

/** A call over the limit: how long until the next window opens. */
export class McpRateLimitError extends Error {
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Rate limit reached: at most ${limit} tool calls per minute for this token; retry in ${retryAfterSeconds} s.`,
    );
    this.name = 'McpRateLimitError';
  }
}

/**
 * Tool calls and resource reads per principal and minute, counted in the database (the
 * `rate_limit_windows` table the token endpoint uses), so the limit holds for the whole cluster
 * and not per instance (design principle 4). Listing tools, prompts and resources is not
 * counted: it touches no data.
 */
@Injectable()
export class McpRateLimiter {
  private readonly logger = new Logger('McpRateLimit');
  private lastSweep = 0;

  constructor(
    private readonly windows: RateLimitsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one call of `who`; throws McpRateLimitError once the minute's budget is spent. */
  async hit(who: string): Promise<void> {
    const limit = this.config.mcp.rateLimit;
    const now = Date.now();
    const windowStart = now - (now % WINDOW_MS);
    const hits = await this.windows.hit(`mcp:${who}`, new Date(windowStart));
    this.sweep(now);
    if (hits > limit) {
      throw new McpRateLimitError(limit, Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000)));
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
