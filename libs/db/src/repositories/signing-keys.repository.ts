import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export type SigningKeyStatus = 'active' | 'retired';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  status: SigningKeyStatus;
  publicJwk: Record<string, unknown>;
  /** AES-256-GCM sealed PKCS#8 private key. */
  privateKey: Buffer;
  kekId: string;
  created: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKey: Buffer;
  kekId: string;
}

/** Arbitrary but fixed: key creation and rotation take this lock, so instances never race. */
const KEY_LOCK = 7_240_311_524;

type Row = Prisma.SigningKeyGetPayload<object>;

function toRecord(row: Row): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    status: row.status === 'active' ? 'active' : 'retired',
    publicJwk: row.publicJwk as Record<string, unknown>,
    privateKey: Buffer.from(row.privateKey),
    kekId: row.kekId,
    created: row.created,
    retiredAt: row.retiredAt,
    expiresAt: row.expiresAt,
  };
}

function toData(key: NewSigningKey): Omit<Prisma.SigningKeyCreateInput, 'status'> {
  return {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk as Prisma.InputJsonObject,
    privateKey: Uint8Array.from(key.privateKey),
    kekId: key.kekId,
  };
}

@Injectable()
export class SigningKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The newest active key: the one new tokens are signed with. */
  async findActive(): Promise<SigningKeyRecord | undefined> {
    const row = await this.prisma.client.signingKey.findFirst({
      where: { status: 'active' },
      orderBy: [{ created: 'desc' }, { kid: 'desc' }],
    });
    return row ? toRecord(row) : undefined;
  }

  /** Keys whose signatures may still be valid: the active ones and retired ones not yet expired. */
  async findVerifiable(now: Date): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.client.signingKey.findMany({
      where: { OR: [{ status: 'active' }, { expiresAt: { gt: now } }] },
      orderBy: [{ created: 'desc' }, { kid: 'asc' }],
    });
    return rows.map(toRecord);
  }

  /** Inserts `key` unless an active key exists; answers the active key either way. */
  async insertIfNoneActive(key: NewSigningKey): Promise<SigningKeyRecord> {
    return this.prisma.client.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${KEY_LOCK})`);
      const existing = await tx.signingKey.findFirst({ where: { status: 'active' }, orderBy: { created: 'desc' } });
      if (existing) {
        return toRecord(existing);
      }
      return toRecord(await tx.signingKey.create({ data: { ...toData(key), status: 'active' } }));
    });
  }

  /**
   * Retires every active key (kept until `retiredUntil`, when the last token it signed has
   * expired), makes `key` the active one and deletes keys whose time is over, in one transaction.
   */
  async rotate(
    key: NewSigningKey,
    now: Date,
    retiredUntil: Date,
  ): Promise<{ active: SigningKeyRecord; retired: string[] }> {
    return this.prisma.client.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${KEY_LOCK})`);
      const previous = await tx.signingKey.findMany({ where: { status: 'active' }, select: { kid: true } });
      await tx.signingKey.updateMany({
        where: { status: 'active' },
        data: { status: 'retired', retiredAt: now, expiresAt: retiredUntil },
      });
      await tx.signingKey.deleteMany({ where: { status: 'retired', expiresAt: { lte: now } } });
      const active = await tx.signingKey.create({
        data: { ...toData(key), status: 'active', created: now },
      });
      return { active: toRecord(active), retired: previous.map((p) => p.kid) };
    });
  }
}
