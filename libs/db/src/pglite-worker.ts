import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { messages, types } from '@electric-sql/pglite';
import { Worker } from 'node:worker_threads';

/**
 * The embedded database (PGlite) in a worker thread. PGlite runs PostgreSQL compiled to
 * WebAssembly synchronously on the thread that calls it, so on the main thread one slow
 * statement stops the whole process: /health, timers, every other request (14 s measured for
 * one filter in issue 10). In a worker, the event loop stays free while a statement runs.
 *
 * PGliteWorker implements the part of PGlite's interface that Roster uses: `query`, `exec` and
 * `transaction` (what pglite-prisma-adapter and the migrator call), plus `close`. A transaction
 * is pinned to the worker's one PGlite connection for its length, as PGlite itself does. Values
 * cross the thread boundary as PostgreSQL's text and are parsed here, with the caller's parsers,
 * so results are what PGlite would have returned on this thread.
 *
 * PGlite cannot interrupt a running statement (statement_timeout has no effect in WebAssembly:
 * it has no signals). A read given an AbortSignal or a timeout is answered as canceled when
 * either fires; the worker finishes the statement and its result is dropped.
 */

/** What the worker needs to open the database: module paths resolved on this thread, and where. */
interface WorkerSetup {
  pglite: string;
  citext: string;
  dataDir: string;
}

interface Field {
  name: string;
  dataTypeID: number;
}

interface RawResult {
  rows: unknown[][];
  fields: Field[];
  affectedRows?: number;
}

interface SerializedError {
  message: string;
  database: boolean;
  fields: Record<string, unknown>;
}

type Request =
  /** `load`: the bytes of a `dumpDataDir()` tarball to start an in-memory database from (tests). */
  | { op: 'open'; load?: ArrayBuffer }
  | { op: 'dump'; compression: 'gzip' | 'none' }
  | { op: 'query'; sql: string; params?: unknown[]; options?: { paramTypes?: number[] }; tx?: number; notify?: boolean }
  | { op: 'exec'; sql: string; tx?: number }
  | { op: 'begin' }
  | { op: 'rollback'; tx: number }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

type Reply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; error: SerializedError }
  /** The statement is about to run (sent when asked for, to start its timeout then). */
  | { id: number; started: true };

/**
 * The worker's program. It is sent as source text (so that it runs the same from TypeScript
 * sources under test and from the build), which is why it requires its modules itself.
 */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- this function runs as a worker's source, outside any module system */
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const setup = threads.workerData as WorkerSetup;
  const {
    PGlite: Database,
    messages: protocol,
    types: pgTypes,
  } = require(setup.pglite) as typeof import('@electric-sql/pglite');
  const { citext: citextExtension } = require(setup.citext) as typeof import('@electric-sql/pglite/contrib/citext');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const port = threads.parentPort!;
  // Every value leaves as PostgreSQL's text; the main thread parses it.
  const raw: Record<number, (value: string) => string> = {};
  for (const oid of Object.keys(pgTypes.parsers)) {
    raw[Number(oid)] = (value: string) => value;
  }
  const options = { rowMode: 'array' as const, parsers: raw };
  let db: PGlite | undefined;
  let nextTx = 1;
  /** Open transactions: the PGlite handle, how to end it, and a chain that keeps its operations in order. */
  const transactions = new Map<
    number,
    { tx: Transaction; end: (commit: boolean) => void; done: Promise<void>; chain: Promise<unknown> }
  >();

  const serialize = (error: unknown): SerializedError => {
    const e = error as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const key of [
      'severity',
      'code',
      'detail',
      'hint',
      'position',
      'where',
      'schema',
      'table',
      'column',
      'dataType',
      'constraint',
      'routine',
    ]) {
      if (typeof e?.[key] === 'string') {
        fields[key] = e[key];
      }
    }
    return { message: String(e?.message ?? error), database: error instanceof protocol.DatabaseError, fields };
  };
  const result = (r: Results): RawResult => ({
    rows: r.rows as unknown[][],
    fields: r.fields,
    affectedRows: r.affectedRows,
  });
  const target = (tx: number | undefined) => {
    if (tx === undefined) {
      return db!;
    }
    const open = transactions.get(tx);
    if (!open) {
      throw new Error(`PGlite transaction ${tx} is not open`);
    }
    return open.tx;
  };
  /**
   * Operations run one after the other, in the order they were sent: those of one transaction on
   * its chain, the others on one queue (so that "dequeued" means "running": a statement's timeout
   * starts then, not while it waits behind another).
   */
  let queue: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(tx: number | undefined, run: () => Promise<T>): Promise<T> => {
    const open = tx === undefined ? undefined : transactions.get(tx);
    const next = (open ? open.chain : queue).then(run, run);
    if (open) {
      open.chain = next.catch(() => undefined);
    } else {
      queue = next.catch(() => undefined);
    }
    return next;
  };

  /** Begins a transaction; it stays open (holding PGlite's connection) until `end`. */
  const begin = async (): Promise<number> => {
    const id = nextTx++;
    let end: (commit: boolean) => void = () => undefined;
    const decided = new Promise<boolean>((resolve) => {
      end = resolve;
    });
    let begun: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      begun = resolve;
    });
    const done = db!.transaction(async (tx) => {
      transactions.set(id, { tx, end, done: Promise.resolve(), chain: Promise.resolve() });
      begun();
      if (!(await decided) && !tx.closed) {
        await tx.rollback();
      }
    });
    // A transaction that fails to begin must not leave the caller waiting.
    await Promise.race([started, done]);
    const open = transactions.get(id);
    if (!open) {
      await done;
      throw new Error('PGlite could not begin a transaction');
    }
    open.done = done;
    return id;
  };

  const handle = async (id: number, request: Request): Promise<unknown> => {
    switch (request.op) {
      case 'open':
        db = await Database.create(setup.dataDir, {
          extensions: { citext: citextExtension },
          ...(request.load ? { loadDataDir: new Blob([request.load]) } : {}),
        });
        return undefined;
      case 'dump':
        // Queued like a statement, so the copy is taken between statements and transactions.
        return inOrder(undefined, async () => (await db!.dumpDataDir(request.compression)).arrayBuffer());
      case 'query':
        return inOrder(request.tx, async () => {
          if (request.notify) {
            port.postMessage({ id, started: true } satisfies Reply);
          }
          return result(
            await target(request.tx).query(request.sql, request.params, { ...options, ...request.options }),
          );
        });
      case 'exec':
        return inOrder(request.tx, async () => (await target(request.tx).exec(request.sql, options)).map(result));
      case 'begin':
        return inOrder(undefined, () => begin());
      case 'rollback': {
        const open = transactions.get(request.tx);
        return open ? inOrder(request.tx, () => open.tx.rollback()) : undefined;
      }
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) {
          return undefined;
        }
        await open.chain;
        open.end(request.commit);
        try {
          await open.done;
        } finally {
          transactions.delete(request.tx);
        }
        return undefined;
      }
      case 'close':
        if (db && !db.closed) {
          await db.close();
        }
        return undefined;
    }
  };

  port.on('message', (message: { id: number; request: Request }) => {
    handle(message.id, message.request).then(
      (value) => port.postMessage({ id: message.id, ok: true, value } satisfies Reply),
      (error: unknown) => port.postMessage({ id: message.id, ok: false, error: serialize(error) } satisfies Reply),
    );
  });
}

/** Thrown for a read answered before its statement finished: canceled by the caller, or out of time. */
export class EmbeddedQueryCanceled extends Error {
  /** SQLSTATE query_canceled, as PostgreSQL reports a canceled or timed-out statement. */
  readonly code = '57014';

  constructor(readonly reason: 'canceled' | 'timeout') {
    super(
      reason === 'timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request',
    );
    this.name = 'EmbeddedQueryCanceled';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Called when the worker starts the statement. */
  started?(): void;
}

function revive(error: SerializedError): Error {
  if (!error.database) {
    return new Error(error.message);
  }
  const revived = new messages.DatabaseError(error.message, 0, 'error');
  Object.assign(revived, error.fields);
  return revived;
}

function parseRows<T>(raw: RawResult, options?: QueryOptions): Results<T> {
  const parsers = options?.parsers;
  const rows = raw.rows.map((row) =>
    row.map(
      (value, i): unknown => types.parseType(value as string | null, raw.fields[i].dataTypeID, parsers) as unknown,
    ),
  );
  const shaped =
    options?.rowMode === 'array'
      ? rows
      : rows.map((row) => Object.fromEntries(raw.fields.map((field, i) => [field.name, row[i]])));
  return {
    rows: shaped as T[],
    fields: raw.fields,
    ...(raw.affectedRows !== undefined ? { affectedRows: raw.affectedRows } : {}),
  };
}

/** The main thread's handle on a PGlite running in a worker (see the module comment). */
export class PGliteWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) {
        return; // answered already: canceled or timed out
      }
      if ('started' in reply) {
        pending.started?.();
        return;
      }
      this.settle(reply.id);
      if (reply.ok) {
        pending.resolve(reply.value);
      } else {
        pending.reject(revive(reply.error));
      }
    });
    const fail = (error: unknown) => {
      this.stopped = true;
      for (const [id, pending] of this.pending) {
        this.settle(id);
        // The message is one the error classification knows as "the database is gone".
        pending.reject(
          new Error(`PGlite is closed: the database worker stopped (${String((error as Error)?.message ?? error)})`),
        );
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    worker.unref();
  }

  /** Starts the worker and opens (or creates) the database in `dataDir` (`memory://` for none). */
  static async open(dataDir: string, loadDataDir?: Blob): Promise<PGliteWorker> {
    const setup: WorkerSetup = {
      pglite: require.resolve('@electric-sql/pglite'),
      citext: require.resolve('@electric-sql/pglite/contrib/citext'),
      dataDir,
    };
    // The worker runs this function's source text. A bundler that keeps function names
    // (scripts/bundle-runtime.mjs, for the container image) wraps them in a `__name` helper that
    // the worker's fresh context does not have: it gets an identity stand-in.
    const source = `const __name = (target) => target; (${workerMain.toString()})()`;
    const worker = new Worker(source, { eval: true, workerData: setup });
    const client = new PGliteWorker(worker);
    try {
      await client.call({ op: 'open', ...(loadDataDir ? { load: await loadDataDir.arrayBuffer() } : {}) });
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return client;
  }

  get closed(): boolean {
    return this.stopped;
  }

  async query<T>(sql: string, params?: unknown[], options?: QueryOptions, call?: CallOptions): Promise<Results<T>> {
    const raw = (await this.call(
      { op: 'query', sql, params, options: pick(options), ...(call?.timeoutMs ? { notify: true } : {}) },
      call,
    )) as RawResult;
    return parseRows<T>(raw, options);
  }

  async exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    const raws = (await this.call({ op: 'exec', sql })) as RawResult[];
    return raws.map((raw) => parseRows(raw, options));
  }

  /** Runs `callback` in one transaction, pinned to the worker's connection until it ends. */
  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = (await this.call({ op: 'begin' })) as number;
    let closed = false;
    const tx = {
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) =>
        parseRows<R>(
          (await this.call({ op: 'query', sql, params, options: pick(options), tx: id })) as RawResult,
          options,
        ),
      exec: async (sql: string, options?: QueryOptions) =>
        ((await this.call({ op: 'exec', sql, tx: id })) as RawResult[]).map((raw) => parseRows(raw, options)),
      rollback: async () => {
        closed = true;
        await this.call({ op: 'rollback', tx: id });
      },
      get closed() {
        return closed;
      },
    } as unknown as Transaction;
    let value: T;
    try {
      value = await callback(tx);
    } catch (error) {
      await this.call({ op: 'end', tx: id, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.call({ op: 'end', tx: id, commit: true });
    return value;
  }

  /** A consistent tarball of the data directory (PGlite's dumpDataDir), taken between statements. */
  async dumpDataDir(compression: 'gzip' | 'none' = 'gzip'): Promise<Blob> {
    const bytes = (await this.call({ op: 'dump', compression })) as ArrayBuffer;
    return new Blob([bytes], { type: compression === 'gzip' ? 'application/x-gzip' : 'application/x-tar' });
  }

  async close(): Promise<void> {
    if (this.stopped) {
      return;
    }
    try {
      await this.call({ op: 'close' });
    } finally {
      this.stopped = true;
      await this.worker.terminate();
    }
  }

  private call(request: Request, options: CallOptions = {}): Promise<unknown> {
    if (this.stopped) {
      return Promise.reject(new Error('PGlite is closed'));
    }
    if (options.signal?.aborted) {
      return Promise.reject(new EmbeddedQueryCanceled('canceled'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cleanups: (() => void)[] = [];
      const finish = (settle: () => void) => {
        cleanups.forEach((cleanup) => cleanup());
        settle();
      };
      const pending: Pending = {
        resolve: (v) => finish(() => resolve(v)),
        reject: (e) => finish(() => reject(e)),
      };
      this.pending.set(id, pending);
      const giveUp = (reason: 'canceled' | 'timeout') => {
        if (this.pending.has(id)) {
          this.settle(id);
          finish(() => reject(new EmbeddedQueryCanceled(reason)));
        }
      };
      if (options.signal) {
        const onAbort = () => giveUp('canceled');
        options.signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => options.signal?.removeEventListener('abort', onAbort));
      }
      if (options.timeoutMs) {
        // Like statement_timeout, the clock runs while the statement runs, not while it waits for its turn.
        const timeoutMs = options.timeoutMs;
        pending.started = () => {
          const timer = setTimeout(() => giveUp('timeout'), timeoutMs);
          cleanups.push(() => clearTimeout(timer));
        };
      }
      // Keep the process alive while the worker owes an answer, and only then.
      this.worker.ref();
      this.worker.postMessage({ id, request });
    });
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.worker.unref();
    }
  }
}

function pick(options: QueryOptions | undefined): { paramTypes?: number[] } | undefined {
  return options?.paramTypes ? { paramTypes: options.paramTypes } : undefined;
}
