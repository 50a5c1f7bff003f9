import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

type Db = PrismaService['client'] | Prisma.TransactionClient;

export interface AuthorizationCodeRecord {
  codeHash: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string;
  scope: string;
  offline: boolean;
  expiresAt: Date;
  usedAt: Date | null;
  grantId: string | null;
}

export interface GrantRecord {
  id: string;
  clientId: string;
  userId: string;
  scope: string;
  resource: string;
  created: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ConsentRecord {
  userId: string;
  clientId: string;
  resource: string;
  scope: string;
  created: Date;
}

/** What presenting a refresh token found. */
export type RefreshOutcome =
  | { kind: 'rotated'; grant: GrantRecord; idleExpiresAt: Date }
  | { kind: 'replayed'; grantId: string }
  | { kind: 'unknown' };

/**
 * Authorization codes, grants (a refresh-token family each), refresh tokens and remembered
 * consents. Single use is enforced by the database (a conditional UPDATE), so two instances
 * racing on one code or refresh token cannot both win.
 */
@Injectable()
export class OAuthGrantsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insertCode(code: Omit<AuthorizationCodeRecord, 'usedAt' | 'grantId'>): Promise<void> {
    await this.prisma.client.authorizationCode.create({ data: code });
  }

  /**
   * Marks the code used and answers it, or answers the already-used row (a replay) or nothing.
   * The caller binds it to the client, redirect URI and verifier only after this: a code
   * presented with the wrong verifier is burnt, as a stolen code should be.
   */
  async redeemCode(
    codeHash: string,
    now: Date,
  ): Promise<{ code: AuthorizationCodeRecord; replay: boolean } | undefined> {
    const claimed = await this.prisma.client.authorizationCode.updateMany({
      where: { codeHash, usedAt: null },
      data: { usedAt: now },
    });
    const code = await this.prisma.client.authorizationCode.findUnique({ where: { codeHash } });
    return code ? { code, replay: claimed.count === 0 } : undefined;
  }

  async attachGrant(codeHash: string, grantId: string): Promise<void> {
    await this.prisma.client.authorizationCode.updateMany({ where: { codeHash }, data: { grantId } });
  }

  async insertGrant(grant: Omit<GrantRecord, 'revokedAt' | 'lastUsedAt'>): Promise<GrantRecord> {
    return this.prisma.client.oAuthGrant.create({ data: { ...grant, lastUsedAt: grant.created } });
  }

  async findGrant(id: string): Promise<GrantRecord | undefined> {
    return (await this.prisma.client.oAuthGrant.findUnique({ where: { id } })) ?? undefined;
  }

  async insertRefreshToken(tokenHash: string, grantId: string, now: Date, idleExpiresAt: Date): Promise<void> {
    await this.prisma.client.refreshToken.create({ data: { tokenHash, grantId, created: now, idleExpiresAt } });
  }

  /** Marks a refresh token used (rotation); a token used before is reported as a replay. */
  async useRefreshToken(tokenHash: string, now: Date): Promise<RefreshOutcome> {
    const claimed = await this.prisma.client.refreshToken.updateMany({
      where: { tokenHash, usedAt: null },
      data: { usedAt: now },
    });
    const row = await this.prisma.client.refreshToken.findUnique({ where: { tokenHash }, include: { grant: true } });
    if (!row) {
      return { kind: 'unknown' };
    }
    if (claimed.count === 0) {
      return { kind: 'replayed', grantId: row.grantId };
    }
    await this.prisma.client.oAuthGrant.updateMany({ where: { id: row.grantId }, data: { lastUsedAt: now } });
    return { kind: 'rotated', grant: row.grant, idleExpiresAt: row.idleExpiresAt };
  }

  /** The grant a refresh token belongs to, without using it (revocation). */
  async grantOfRefreshToken(tokenHash: string): Promise<string | undefined> {
    const row = await this.prisma.client.refreshToken.findUnique({ where: { tokenHash } });
    return row?.grantId;
  }

  /** Revokes a grant: its refresh tokens stop at once, its access tokens at their next check. */
  async revokeGrant(id: string, now: Date, db: Db = this.prisma.client): Promise<boolean> {
    const result = await db.oAuthGrant.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
    return result.count === 1;
  }

  /** Ids of the grants among `ids` that are revoked, expired or gone. */
  async deadGrants(ids: string[], now: Date): Promise<Set<string>> {
    const live = await this.prisma.client.oAuthGrant.findMany({
      where: { id: { in: ids }, revokedAt: null, expiresAt: { gt: now } },
      select: { id: true },
    });
    const alive = new Set(live.map((g) => g.id));
    return new Set(ids.filter((id) => !alive.has(id)));
  }

  async listGrants(filter: { userId?: string; clientId?: string }, now: Date): Promise<GrantRecord[]> {
    return this.prisma.client.oAuthGrant.findMany({
      where: { ...filter, revokedAt: null, expiresAt: { gt: now } },
      orderBy: { created: 'desc' },
      take: 1000,
    });
  }

  async findConsent(userId: string, clientId: string, resource: string): Promise<ConsentRecord | undefined> {
    return (
      (await this.prisma.client.oAuthConsent.findUnique({
        where: { userId_clientId_resource: { userId, clientId, resource } },
      })) ?? undefined
    );
  }

  async saveConsent(
    consent: Omit<ConsentRecord, 'created'>,
    now: Date,
    db: Prisma.TransactionClient = this.prisma.client,
  ): Promise<void> {
    await db.oAuthConsent.upsert({
      where: {
        userId_clientId_resource: { userId: consent.userId, clientId: consent.clientId, resource: consent.resource },
      },
      create: { ...consent, created: now },
      update: { scope: consent.scope, created: now },
    });
  }

  async deleteConsent(
    userId: string,
    clientId: string,
    db: Prisma.TransactionClient = this.prisma.client,
  ): Promise<number> {
    const result = await db.oAuthConsent.deleteMany({ where: { userId, clientId } });
    return result.count;
  }

  /** Revokes every grant of a client and forgets its consents (the client is being removed). */
  async revokeClient(clientId: string, now: Date): Promise<void> {
    await this.prisma.client.oAuthGrant.updateMany({ where: { clientId, revokedAt: null }, data: { revokedAt: now } });
    await this.prisma.client.oAuthConsent.deleteMany({ where: { clientId } });
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.prisma.client.authorizationCode.deleteMany({
      where: { expiresAt: { lt: new Date(now.getTime() - 3600_000) } },
    });
    await this.prisma.client.refreshToken.deleteMany({ where: { idleExpiresAt: { lt: now } } });
    await this.prisma.client.oAuthGrant.deleteMany({
      where: { OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: new Date(now.getTime() - 86400_000) } }] },
    });
  }
}

/**
 * Deprovisioning, inside the caller's transaction: the user's grants are revoked (refresh tokens
 * stop at once), remembered consents, unredeemed codes and browser sessions are deleted.
 */
export async function revokeEverythingOfUser(db: Prisma.TransactionClient, userId: string, now: Date): Promise<void> {
  await db.oAuthGrant.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  await db.oAuthConsent.deleteMany({ where: { userId } });
  await db.authorizationCode.deleteMany({ where: { userId } });
  await db.browserSession.deleteMany({ where: { userId } });
}
