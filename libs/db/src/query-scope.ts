import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the code serving one request tells the database layer about it, without passing it
 * through every call: the signal that fires when the client has gone (so that a read it no
 * longer waits for is canceled in the database, not left to run).
 */
export interface QueryScope {
  signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<QueryScope>();

/** Runs `fn` (and everything it starts) within `scope`. */
export function runInQueryScope<T>(scope: QueryScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request being served, if any. */
export function currentQueryScope(): QueryScope | undefined {
  return storage.getStore();
}

/**
 * `fn` bound to the scope current now. A streamed response reads the database when the client
 * pulls more, from socket events outside the request's own call chain; bound, those reads keep
 * the request's signal.
 */
export function bindQueryScope<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const scope = storage.getStore();
  return scope ? (...args: A) => storage.run(scope, () => fn(...args)) : fn;
}
