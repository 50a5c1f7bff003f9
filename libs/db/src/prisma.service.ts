import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DatabaseHandle } from './database';
import { PrismaClient } from './generated/prisma/client';

export const DATABASE = Symbol('DATABASE');

/**
 * The application's access to the database. Repositories are its only users; everything
 * else goes through them.
 */
@Injectable()
export class PrismaService implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(@Inject(DATABASE) private readonly handle: DatabaseHandle) {
    this.client = handle.prisma;
  }

  get kind(): DatabaseHandle['kind'] {
    return this.handle.kind;
  }

  /** Reads canceled with their request and bounded by the statement timeout (see ReadQueries). */
  get reads(): DatabaseHandle['reads'] {
    return this.handle.reads;
  }

  get statementTimeoutMs(): number {
    return this.handle.statementTimeoutMs;
  }

  async ping(): Promise<void> {
    await this.client.$queryRawUnsafe('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
