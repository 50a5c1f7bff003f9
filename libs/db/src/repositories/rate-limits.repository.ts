import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

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

  async deleteBefore(cutoff: Date): Promise<number> {
    const result = await this.prisma.client.rateLimitWindow.deleteMany({ where: { windowStart: { lt: cutoff } } });
    return result.count;
  }
}
