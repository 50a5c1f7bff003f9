import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export interface ApiTokenRecord {
  id: string;
  name: string;
  tokenHash: string;
  scope: string;
  mcp: boolean;
  created: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** Requests per minute on the SCIM API; null means the configured default. */
  rateLimit: number | null;
}

export type NewApiToken = Pick<
  ApiTokenRecord,
  'id' | 'name' | 'tokenHash' | 'scope' | 'mcp' | 'expiresAt' | 'rateLimit'
>;

@Injectable()
export class ApiTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(token: NewApiToken, db: Prisma.TransactionClient = this.prisma.client): Promise<ApiTokenRecord> {
    return db.apiToken.create({ data: token });
  }

  /** By hash: the hash is the lookup key, so the plain token never reaches the database. */
  async findByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    return (await this.prisma.client.apiToken.findUnique({ where: { tokenHash } })) ?? undefined;
  }

  async listActive(): Promise<ApiTokenRecord[]> {
    return this.prisma.client.apiToken.findMany({ where: { revokedAt: null }, orderBy: { created: 'asc' } });
  }

  async revoke(id: string, now: Date, db: Prisma.TransactionClient = this.prisma.client): Promise<boolean> {
    const result = await db.apiToken.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: now },
    });
    return result.count === 1;
  }

  /**
   * Records use without a write per request: the row changes only when the stored time is older
   * than `staleBefore`, so a busy token costs at most one UPDATE per interval.
   */
  async touch(id: string, now: Date, staleBefore: Date): Promise<void> {
    await this.prisma.client.apiToken.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] },
      data: { lastUsedAt: now },
    });
  }
}
