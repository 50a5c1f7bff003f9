import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

/** Prefix of counters whose windows last longer than a minute (at most an hour). */
export const LONG_WINDOW_PREFIX = 'long:';

@Injectable()
export class RateLimitsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Counts one hit for `key` in the window starting at `windowStart`; answers the new count. */
  async hit(key: string, windowStart: Date): Promise<number> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ hits: number }[]>(
      `INSERT INTO rate_limit_windows (key, window_start, hits) VALUES ($1, $2, 1)
       ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
       RETURNING hits`,
      key,
      windowStart,
    );
    return Number(rows[0]?.hits ?? 0);
  }

  /** Counts one hit for each key in one statement; answers the new counts by key. */
  async hitMany(keys: string[], windowStart: Date): Promise<Map<string, number>> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ key: string; hits: number }[]>(
      `INSERT INTO rate_limit_windows (key, window_start, hits)
       SELECT k, $2, 1 FROM unnest($1::text[]) AS k
       ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
       RETURNING key, hits`,
      keys,
      windowStart,
    );
    return new Map(rows.map((row) => [row.key, Number(row.hits)]));
  }

  /** The current counts of `keys` in the window starting at `windowStart`, without counting. */
  async counts(keys: string[], windowStart: Date): Promise<Map<string, number>> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ key: string; hits: number }[]>(
      `SELECT key, hits FROM rate_limit_windows WHERE window_start = $2 AND key = ANY($1::text[])`,
      keys,
      windowStart,
    );
    return new Map(rows.map((row) => [row.key, Number(row.hits)]));
  }

  /**
   * Sweeps windows that started before `cutoff`. Keys starting with `long:` belong to windows of
   * up to an hour (sign-in throttling), which the minute-window sweepers must not cut short.
   */
  async deleteBefore(cutoff: Date): Promise<number> {
    const result = await this.prisma.client.rateLimitWindow.deleteMany({
      where: {
        OR: [
          { windowStart: { lt: cutoff }, NOT: { key: { startsWith: LONG_WINDOW_PREFIX } } },
          { windowStart: { lt: new Date(cutoff.getTime() - 3600_000) } },
        ],
      },
    });
    return result.count;
  }
}
