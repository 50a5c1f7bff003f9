import type { Results } from '@electric-sql/pglite';
import { Client } from 'pg';

/** What the runner needs of PGlite: PGlite itself, or the worker that runs it (PGliteWorker). */
interface PGliteLike {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[]): Promise<Results<T>>;
}

/**
 * The raw driver, for what Prisma's query path cannot do: multi-statement migration scripts
 * and session-level advisory locks. Both drivers speak PostgreSQL's simple query protocol.
 */
export interface SqlRunner {
  exec(sql: string): Promise<void>;
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function pgliteRunner(db: PGliteLike): SqlRunner {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
      (await db.query<T>(sql, params)).rows,
    // The PGlite instance belongs to the database handle; closing it here would end the app's.
    close: async () => {},
  };
}

export async function pgRunner(connectionString: string): Promise<SqlRunner> {
  const client = new Client({ connectionString });
  await client.connect();
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
      (await client.query<T>(sql, params)).rows,
    close: () => client.end(),
  };
}
