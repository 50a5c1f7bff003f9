import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseHandle } from './database';
import { isRetryableConflict } from './errors';
import { Prisma, PrismaClient } from './generated/prisma/client';

/** Interactive transactions wait for a connection and run for at most this long. */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

/** Attempts of a transaction that fails on a serialization failure or a deadlock (40001, 40P01). */
export const TRANSACTION_ATTEMPTS = 4;

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

  /** Single-statement writes outside interactive transactions (see WriteStatements). */
  get writes(): DatabaseHandle['writes'] {
    return this.handle.writes;
  }

  get statementTimeoutMs(): number {
    return this.handle.statementTimeoutMs;
  }

  /** A long maintenance statement (an index build) outside the statement timeout; see DatabaseHandle. */
  maintenance(sql: string): Promise<void> {
    return this.handle.maintenance(sql);
  }

  /**
   * Runs `work` in one interactive transaction. A serialization failure or a deadlock rolls the
   * transaction back whole, so it is run again, up to TRANSACTION_ATTEMPTS times, after a short
   * random pause (so that the transactions that collided do not collide again in step). `work`
   * must therefore only change the database, or state it sets again on every attempt.
   */
  async transaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.$transaction(work, TX_OPTIONS);
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableConflict(error)) {
          throw error;
        }
        await sleep(Math.round(Math.random() * 20 * 2 ** attempt));
      }
    }
  }

  async ping(): Promise<void> {
    await this.client.$queryRawUnsafe('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
