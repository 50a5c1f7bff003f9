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
}

export type NewOAuthClient = Omit<OAuthClientRecord, 'created' | 'revokedAt'>;

type Row = Prisma.OAuthClientGetPayload<object>;

function toRecord(row: Row): OAuthClientRecord {
  return { ...row, jwks: (row.jwks as Record<string, unknown> | null) ?? null };
}

@Injectable()
export class OAuthClientsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(client: NewOAuthClient): Promise<OAuthClientRecord> {
    const { jwks, ...rest } = client;
    const row = await this.prisma.client.oAuthClient.create({
      data: { ...rest, jwks: jwks === null ? Prisma.DbNull : (jwks as Prisma.InputJsonObject) },
    });
    return toRecord(row);
  }

  /** An active (not revoked) client. */
  async findActive(id: string): Promise<OAuthClientRecord | undefined> {
    const row = await this.prisma.client.oAuthClient.findFirst({ where: { id, revokedAt: null } });
    return row ? toRecord(row) : undefined;
  }

  async listActive(): Promise<OAuthClientRecord[]> {
    const rows = await this.prisma.client.oAuthClient.findMany({
      where: { revokedAt: null },
      orderBy: { created: 'asc' },
    });
    return rows.map(toRecord);
  }

  /** True when an active client was revoked now. */
  async revoke(id: string, now: Date): Promise<boolean> {
    const result = await this.prisma.client.oAuthClient.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: now },
    });
    return result.count === 1;
  }
}
