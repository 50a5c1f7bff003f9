import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export interface BrowserSessionRecord {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  method: string | null;
  state: Record<string, unknown>;
  created: Date;
  lastSeen: Date;
  expiresAt: Date;
}

type Row = Prisma.BrowserSessionGetPayload<object>;

function toRecord(row: Row): BrowserSessionRecord {
  return { ...row, state: (row.state as Record<string, unknown> | null) ?? {} };
}

/** Browser sessions of the sign-in pages: looked up by the hash of the cookie value. */
@Injectable()
export class BrowserSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(session: Omit<BrowserSessionRecord, 'created' | 'lastSeen'>, now: Date): Promise<BrowserSessionRecord> {
    const row = await this.prisma.client.browserSession.create({
      data: { ...session, state: session.state as Prisma.InputJsonObject, created: now, lastSeen: now },
    });
    return toRecord(row);
  }

  /** A session that has not expired (absolute) and was seen after `idleSince`. */
  async findLive(idHash: string, now: Date, idleSince: Date): Promise<BrowserSessionRecord | undefined> {
    const row = await this.prisma.client.browserSession.findFirst({
      where: { idHash, expiresAt: { gt: now }, lastSeen: { gt: idleSince } },
    });
    return row ? toRecord(row) : undefined;
  }

  /** Moves the idle deadline; written only when the stored time is older than `staleBefore`. */
  async touch(idHash: string, now: Date, staleBefore: Date): Promise<void> {
    await this.prisma.client.browserSession.updateMany({
      where: { idHash, lastSeen: { lt: staleBefore } },
      data: { lastSeen: now },
    });
  }

  async setState(idHash: string, state: Record<string, unknown>): Promise<void> {
    await this.prisma.client.browserSession.updateMany({
      where: { idHash },
      data: { state: state as Prisma.InputJsonObject },
    });
  }

  /** Deletes a live row of this `method` and says whether this call did: exactly one caller wins. */
  async take(idHash: string, method: string, now: Date): Promise<boolean> {
    const result = await this.prisma.client.browserSession.deleteMany({
      where: { idHash, method, expiresAt: { gt: now } },
    });
    return result.count === 1;
  }

  async delete(idHash: string): Promise<void> {
    await this.prisma.client.browserSession.deleteMany({ where: { idHash } });
  }

  async deleteExpired(now: Date, idleSince: Date): Promise<number> {
    const result = await this.prisma.client.browserSession.deleteMany({
      where: { OR: [{ expiresAt: { lte: now } }, { lastSeen: { lte: idleSince } }] },
    });
    return result.count;
  }
}
