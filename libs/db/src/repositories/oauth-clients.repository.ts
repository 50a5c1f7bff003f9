import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export interface OAuthClientRecord {
  id: string;
  name: string;
  grantTypes: string[];
  scope: string;
  tokenEndpointAuthMethod: string;
  jwks: Record<string, unknown> | null;
  jwksUri: string | null;
  secretHash: string | null;
  created: Date;
  revokedAt: Date | null;
  redirectUris: string[];
  dynamic: boolean;
  lastUsedAt: Date | null;
  metadata: Record<string, unknown>;
}

export type NewOAuthClient = Omit<
  OAuthClientRecord,
  'created' | 'revokedAt' | 'lastUsedAt' | 'redirectUris' | 'dynamic' | 'metadata'
> &
  Partial<Pick<OAuthClientRecord, 'redirectUris' | 'dynamic' | 'metadata'>>;

/**
 * When dynamically registered clients stop counting: never used and registered before
 * `neverUsedBefore`, or last used before `unusedBefore`.
 */
export interface DynamicExpiry {
  neverUsedBefore: Date;
  unusedBefore: Date;
}

type Row = Prisma.OAuthClientGetPayload<object>;

function toRecord(row: Row): OAuthClientRecord {
  return {
    ...row,
    jwks: (row.jwks as Record<string, unknown> | null) ?? null,
    metadata: (row.metadata as Record<string, unknown> | null) ?? {},
    redirectUris: row.redirectUris ?? [],
  };
}

function live(expiry: DynamicExpiry | undefined): Prisma.OAuthClientWhereInput {
  if (!expiry) {
    return { revokedAt: null };
  }
  return {
    revokedAt: null,
    OR: [
      { dynamic: false },
      { lastUsedAt: null, created: { gte: expiry.neverUsedBefore } },
      { lastUsedAt: { gte: expiry.unusedBefore } },
    ],
  };
}

@Injectable()
export class OAuthClientsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(client: NewOAuthClient, db: Prisma.TransactionClient = this.prisma.client): Promise<OAuthClientRecord> {
    const { jwks, metadata, ...rest } = client;
    const row = await db.oAuthClient.create({
      data: {
        ...rest,
        jwks: jwks === null ? Prisma.DbNull : (jwks as Prisma.InputJsonObject),
        metadata: (metadata ?? {}) as Prisma.InputJsonObject,
      },
    });
    return toRecord(row);
  }

  /** An active (not revoked, not expired) client. */
  async findActive(id: string, expiry?: DynamicExpiry): Promise<OAuthClientRecord | undefined> {
    const row = await this.prisma.client.oAuthClient.findFirst({ where: { id, ...live(expiry) } });
    return row ? toRecord(row) : undefined;
  }

  async listActive(expiry?: DynamicExpiry): Promise<OAuthClientRecord[]> {
    const rows = await this.prisma.client.oAuthClient.findMany({
      where: live(expiry),
      orderBy: { created: 'asc' },
      take: 10_000,
    });
    return rows.map(toRecord);
  }

  /** True when an active client was revoked now. */
  async revoke(id: string, now: Date, db: Prisma.TransactionClient = this.prisma.client): Promise<boolean> {
    const result = await db.oAuthClient.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: now },
    });
    return result.count === 1;
  }

  /** Records use at most once per interval (the row changes only when older than `staleBefore`). */
  async touch(id: string, now: Date, staleBefore: Date): Promise<void> {
    await this.prisma.client.oAuthClient.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] },
      data: { lastUsedAt: now },
    });
  }

  /** Deletes dynamically registered clients that expired (their grants are revoked by the caller's rules). */
  async deleteExpiredDynamic(expiry: DynamicExpiry): Promise<number> {
    const result = await this.prisma.client.oAuthClient.deleteMany({
      where: {
        dynamic: true,
        OR: [
          { lastUsedAt: null, created: { lt: expiry.neverUsedBefore } },
          { lastUsedAt: { lt: expiry.unusedBefore } },
        ],
      },
    });
    return result.count;
  }
}
