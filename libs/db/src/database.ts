import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PGlite } from '@electric-sql/pglite';
import { Client, Pool, PoolClient } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { acquireDataDirLock } from './data-dir-lock';
import { PrismaClient } from './generated/prisma/client';
import { migrate, MigrationResult } from './migrator';
import { PGliteWorker } from './pglite-worker';
import { observeAdapter, observeReads, QueryObserver } from './query-observer';
import { currentQueryScope } from './query-scope';
import { pgliteRunner, pgRunner, SqlRunner } from './sql-runner';

export interface DatabaseOptions {
  /** unset: embedded PGlite under dataDir; `memory://`: in-memory PGlite; `postgres(ql)://`: PostgreSQL. */
  url?: string;
  dataDir: string;
  poolSize: number;
  /** Who takes the embedded directory's lock (named in the refusal others get): `service` or `cli`. */
  lockPurpose?: string;
  /** In-memory PGlite only: start from this dump (`dumpDataDir()`) of an already migrated database (tests). */
  loadDataDir?: Blob;
  /** Told about every statement (metrics, tracing). */
  observer?: QueryObserver;
  /** Longest a statement may run, in ms (PostgreSQL statement_timeout; reads only on PGlite). 0: no limit. */
  statementTimeoutMs?: number;
  /** Longest a statement may wait for a lock, in ms (PostgreSQL lock_timeout). 0: no limit. */
  lockTimeoutMs?: number;
}

export type DatabaseKind = 'pglite' | 'postgres';

/**
 * Reads that must not outlive their request: list pages, counts, memberships, member pages. Each
 * is one statement, canceled in the database when the request's signal (see query-scope) fires,
 * and bounded by the statement timeout.
 */
export interface ReadQueries {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Single statements that write, outside any interactive transaction: a write that is atomic by
 * itself (one `UPDATE ... RETURNING` with its child rows and events as CTEs) needs no BEGIN and
 * COMMIT round trips. On PostgreSQL they run like the reads (the session's statement timeout, a
 * cancel when the request goes: the statement then changes nothing). On PGlite they are queued on
 * the worker's connection behind any open transaction, without an early answer: PGlite cannot
 * stop a statement once it runs, so answering "canceled" could report a write that then happens.
 */
export type WriteStatements = ReadQueries;

/** One open database: the Prisma client plus what is needed to migrate and to close it. */
export interface DatabaseHandle {
  kind: DatabaseKind;
  /** A human description without credentials, for logs. */
  description: string;
  prisma: PrismaClient;
  reads: ReadQueries;
  writes: WriteStatements;
  /** The statement timeout in force, in ms (0: none). */
  statementTimeoutMs: number;
  /**
   * One maintenance statement that may legitimately run long on a large directory and blocks no
   * request while it does (CREATE INDEX CONCURRENTLY of an extension attribute): on PostgreSQL on
   * a connection of its own, outside any transaction and without the statement timeout (the lock
   * timeout still applies); on PGlite as any other statement.
   */
  maintenance(sql: string): Promise<void>;
  migrate(): Promise<MigrationResult>;
  /** Embedded database only: a consistent gzip'd tar of its data directory, taken between queries. */
  dump?(): Promise<Blob>;
  close(): Promise<void>;
}

export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? ':' + parsed.port : ''}${parsed.pathname}`;
  } catch {
    return 'an unparseable database URL';
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const url = options.url?.trim();
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize,
      // Session settings sent at connection start-up, so they cost no round trip: every statement
      // of Roster's sessions is bounded, and JIT stays off (Roster's statements are short; JIT's
      // compile time was most of a 20-user page, issue 10 finding 8).
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
      ...(options.lockTimeoutMs ? { lock_timeout: options.lockTimeoutMs } : {}),
      options: '-c jit=off',
      // A pool kept busy must answer "unavailable" after a while, not keep requests waiting for ever.
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const prisma = new PrismaClient({ adapter: observeAdapter(new PrismaPg(pool), options.observer) });
    const reads = observeReads(pgReads(pool, url), options.observer);
    return {
      kind: 'postgres',
      description: `PostgreSQL at ${describeUrl(url)}`,
      prisma,
      reads,
      writes: reads,
      statementTimeoutMs,
      maintenance: async (sql: string) => {
        const client = new Client({
          connectionString: url,
          ...(options.lockTimeoutMs ? { lock_timeout: options.lockTimeoutMs } : {}),
          // Start-up options outrank a role's own statement_timeout.
          options: '-c jit=off -c statement_timeout=0',
          connectionTimeoutMillis: 10_000,
        });
        client.on('error', () => undefined);
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      migrate: async () => {
        const runner: SqlRunner = await pgRunner(url);
        try {
          return await migrate(runner);
        } finally {
          await runner.close();
        }
      },
      close: async () => {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  const inMemory = url === 'memory://' || url === 'memory';
  const dir = inMemory ? 'memory://' : resolve(options.dataDir);
  if (!inMemory) {
    mkdirSync(dir, { recursive: true });
  }
  // One process per directory (data-dir-lock.ts): taken before PGlite reads a byte of it.
  const lock = inMemory ? undefined : acquireDataDirLock(dir, { purpose: options.lockPurpose ?? 'service' });
  let pglite: PGliteWorker;
  try {
    pglite = await PGliteWorker.open(dir, inMemory ? options.loadDataDir : undefined);
  } catch (error) {
    lock?.release();
    throw error;
  }
  // The adapter needs query, exec and transaction, which the worker provides (see pglite-worker).
  const prisma = new PrismaClient({
    adapter: observeAdapter(new PrismaPGlite(pglite as unknown as PGlite), options.observer),
  });
  return {
    kind: 'pglite',
    description: inMemory ? 'embedded PGlite in memory' : `embedded PGlite in ${dir}`,
    prisma,
    reads: observeReads(
      {
        query: async <T>(sql: string, params: unknown[] = []) =>
          (
            await pglite.query<T>(sql, params, undefined, {
              signal: currentQueryScope()?.signal,
              ...(statementTimeoutMs > 0 ? { timeoutMs: statementTimeoutMs } : {}),
            })
          ).rows,
      },
      options.observer,
    ),
    writes: observeReads(
      { query: async <T>(sql: string, params: unknown[] = []) => (await pglite.query<T>(sql, params)).rows },
      options.observer,
    ),
    statementTimeoutMs,
    maintenance: async (sql: string) => {
      await prisma.$executeRawUnsafe(sql);
    },
    migrate: () => migrate(pgliteRunner(pglite)),
    dump: () => pglite.dumpDataDir('gzip'),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      lock?.release();
    },
  };
}

/**
 * Reads on PostgreSQL, on the pool Prisma uses: when the request's signal fires while the
 * statement runs, pg_cancel_backend stops it on the server (a fresh connection asks, so that a
 * pool full of slow statements cannot keep the cancel waiting). The connection is released only
 * once the statement has ended, so a late cancel can never hit the next user of the connection.
 */
function pgReads(pool: Pool, url: string): ReadQueries {
  const cancel = async (pid: number): Promise<void> => {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement ends anyway: at its timeout, or when it completes.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const signal = currentQueryScope()?.signal;
      if (signal?.aborted) {
        throw canceledError();
      }
      const client: PoolClient = await pool.connect();
      let canceling: Promise<void> | undefined;
      const onAbort = () => {
        const pid = (client as PoolClient & { processID?: number }).processID;
        canceling = typeof pid === 'number' ? cancel(pid) : undefined;
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await canceling;
        client.release();
      }
    },
  };
}

function canceledError(): Error {
  return Object.assign(new Error('canceling statement due to user request'), { code: '57014' });
}
