import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';

/**
 * Told about every statement Prisma sends, on PGlite and PostgreSQL alike: metrics time them and
 * tracing makes a span of each. `start` returns the function to call when the statement ends.
 */
export interface QueryObserver {
  start(sql: string): (error?: unknown) => void;
  /** The connected adapter, once: the PostgreSQL pool's counts are read from it. */
  connected?(adapter: SqlDriverAdapter): void;
}

function observed<T extends { queryRaw(q: SqlQuery): Promise<unknown>; executeRaw(q: SqlQuery): Promise<number> }>(
  target: T,
  observer: QueryObserver,
): T {
  const wrap =
    <R>(call: (q: SqlQuery) => Promise<R>) =>
    async (query: SqlQuery): Promise<R> => {
      const end = observer.start(query.sql);
      try {
        const result = await call(query);
        end();
        return result;
      } catch (error) {
        end(error);
        throw error;
      }
    };
  const queryRaw = wrap((q) => target.queryRaw(q));
  const executeRaw = wrap((q) => target.executeRaw(q));
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property === 'queryRaw') {
        return queryRaw;
      }
      if (property === 'executeRaw') {
        return executeRaw;
      }
      const value: unknown = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** Reads that bypass Prisma (the driver path, see database.ts), reported to `observer` like Prisma's statements. */
export function observeReads<R extends { query<T>(sql: string, params?: unknown[]): Promise<T[]> }>(
  reads: R,
  observer: QueryObserver | undefined,
): R {
  if (!observer) {
    return reads;
  }
  return {
    ...reads,
    async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
      const end = observer.start(sql);
      try {
        const rows = await reads.query<T>(sql, params);
        end();
        return rows;
      } catch (error) {
        end(error);
        throw error;
      }
    },
  };
}

/** The factory Prisma is given: the same driver adapter, with each statement reported to `observer`. */
export function observeAdapter<F extends SqlDriverAdapterFactory>(factory: F, observer: QueryObserver | undefined): F {
  if (!observer) {
    return factory;
  }
  return new Proxy(factory, {
    get(object, property, receiver) {
      if (property === 'connect') {
        return async () => {
          const adapter = await object.connect();
          observer.connected?.(adapter);
          const wrapped = observed(adapter, observer);
          const startTransaction = adapter.startTransaction.bind(adapter);
          return new Proxy(wrapped, {
            get(target, key, r) {
              if (key === 'startTransaction') {
                return async (...args: Parameters<SqlDriverAdapter['startTransaction']>): Promise<Transaction> =>
                  observed(await startTransaction(...args), observer);
              }
              return Reflect.get(target, key, r) as unknown;
            },
          });
        };
      }
      const value: unknown = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}
