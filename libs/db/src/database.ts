import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { PrismaPg } from '@prisma/adapter-pg';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { acquireDataDirLock } from './data-dir-lock';
import { PrismaClient } from './generated/prisma/client';
import { migrate, MigrationResult } from './migrator';
import { observeAdapter, QueryObserver } from './query-observer';
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
}

export type DatabaseKind = 'pglite' | 'postgres';

/** One open database: the Prisma client plus what is needed to migrate and to close it. */
export interface DatabaseHandle {
  kind: DatabaseKind;
  /** A human description without credentials, for logs. */
  description: string;
  prisma: PrismaClient;
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
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    const adapter = new PrismaPg({ connectionString: url, max: options.poolSize });
    const prisma = new PrismaClient({ adapter: observeAdapter(adapter, options.observer) });
    return {
      kind: 'postgres',
      description: `PostgreSQL at ${describeUrl(url)}`,
      prisma,
      migrate: async () => {
        const runner: SqlRunner = await pgRunner(url);
        try {
          return await migrate(runner);
        } finally {
          await runner.close();
        }
      },
      close: () => prisma.$disconnect(),
    };
  }
  const inMemory = url === 'memory://' || url === 'memory';
  const dir = inMemory ? 'memory://' : resolve(options.dataDir);
  if (!inMemory) {
    mkdirSync(dir, { recursive: true });
  }
  // One process per directory (data-dir-lock.ts): taken before PGlite reads a byte of it.
  const lock = inMemory ? undefined : acquireDataDirLock(dir, { purpose: options.lockPurpose ?? 'service' });
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dir, {
      extensions: { citext },
      ...(inMemory && options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: observeAdapter(new PrismaPGlite(pglite), options.observer) });
  return {
    kind: 'pglite',
    description: inMemory ? 'embedded PGlite in memory' : `embedded PGlite in ${dir}`,
    prisma,
    migrate: () => migrate(pgliteRunner(pglite)),
    dump: () => pglite.dumpDataDir('gzip'),
    close: async () => {
      await prisma.$disconnect();
      if (!pglite.closed) {
        await pglite.close();
      }
      lock?.release();
    },
  };
}
