import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

@Injectable()
export class UsedAssertionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records a (issuer, jti) pair until `expiresAt`. Answers false when the pair is already
   * recorded and not yet expired, i.e. the assertion is a replay. One statement, so two instances
   * racing on the same assertion cannot both win.
   */
  async remember(issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ jti: string }[]>(
      `INSERT INTO used_assertions (issuer, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE used_assertions.expires_at <= now()
       RETURNING jti`,
      issuer,
      jti,
      expiresAt,
    );
    return rows.length === 1;
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.prisma.client.usedAssertion.deleteMany({ where: { expiresAt: { lte: now } } });
    return result.count;
  }
}
