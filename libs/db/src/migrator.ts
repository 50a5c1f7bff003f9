import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqlRunner } from './sql-runner';

/** Arbitrary but fixed: every Roster instance takes this lock before migrating. */
const MIGRATION_LOCK_KEY = 7_240_311_523;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/** prisma/migrations, found by walking up from this file (works from src/ and from dist/). */
export function findMigrationsDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`prisma/migrations not found above ${from}`);
    }
    dir = parent;
  }
}

export function loadMigrations(dir: string = findMigrationsDir()): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending Prisma migration folders, each in its own transaction, and records them in
 * `_prisma_migrations` the way `prisma migrate deploy` does, so the two tools agree about what
 * is applied. A session-level advisory lock lets several instances start at once on one empty
 * database: the first migrates, the others wait and then find nothing left to do.
 */
export async function migrate(runner: SqlRunner, migrations: Migration[] = loadMigrations()): Promise<MigrationResult> {
  await runner.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})::text AS locked`);
  try {
    await runner.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const rows = await runner.query<{ migration_name: string; checksum: string; finished_at: unknown }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
    const failed = rows.filter((r) => r.finished_at === null).map((r) => r.migration_name);
    if (failed.length) {
      throw new Error(`Migrations started but never finished: ${failed.join(', ')}. Resolve them before starting.`);
    }
    const applied: string[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was changed after it was applied (checksum differs).`);
        }
        continue;
      }
      const id = randomUUID();
      // One transaction: the migration's statements and its bookkeeping row commit together.
      await runner.exec('BEGIN');
      try {
        await runner.exec(migration.sql);
        await runner.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [id, migration.checksum, migration.name],
        );
        await runner.exec('COMMIT');
      } catch (error) {
        await runner.exec('ROLLBACK');
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.name);
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})::text AS unlocked`);
  }
}
