import { classifyDatabaseError, openDatabase, PGliteWorker, PrismaService, runInQueryScope } from '@roster/db';
import { PGlite } from '@electric-sql/pglite';
import { startServer, TestServer } from '../support/app';
import { testDatabaseKind } from '../support/database';
import { USER } from '../support/traces';

/**
 * The embedded database (PGlite) runs in a worker thread (issue 10, finding 1): one slow
 * statement must not stop the process. PGlite only: under `npm run test:pg` the application
 * uses PostgreSQL, so these are reported as skipped there.
 */
const describeEmbedded = testDatabaseKind() === 'pglite' ? describe : describe.skip;

/** Resolves with the order in which the named promises settled. */
async function order(named: Record<string, Promise<unknown>>): Promise<string[]> {
  const settled: string[] = [];
  await Promise.all(
    Object.entries(named).map(([name, p]) =>
      p.then(
        () => settled.push(name),
        () => settled.push(name),
      ),
    ),
  );
  return settled;
}

describeEmbedded('Embedded database in a worker thread', () => {
  describe('the worker behaves as PGlite', () => {
    let worker: PGliteWorker;
    let direct: PGlite;

    beforeAll(async () => {
      [worker, direct] = await Promise.all([PGliteWorker.open('memory://'), PGlite.create('memory://')]);
    });

    afterAll(async () => {
      await worker?.close();
      await direct?.close();
    });

    it('returns the values PGlite returns, parsed on this thread', async () => {
      const sql = `SELECT 1::int AS i, 9007199254740993::int8 AS big, 1.5::numeric AS n, true AS b, 'x'::text AS t, NULL::text AS z,
        '2026-01-31T12:00:00.123Z'::timestamptz AS at, '{"a":[1,"2"]}'::jsonb AS j, '\\x0102'::bytea AS bytes,
        '6f3c2d1e-0a4b-4c5d-8e9f-0123456789ab'::uuid AS u, ARRAY['a','b'] AS arr, $1::text AS p`;
      const fromWorker = await worker.query(sql, ['param']);
      const fromPGlite = await direct.query(sql, ['param']);
      expect(fromWorker.rows).toEqual(fromPGlite.rows);
      expect(fromWorker.fields).toEqual(fromPGlite.fields);
      const arrays = await worker.query(sql, ['param'], { rowMode: 'array' });
      expect(arrays.rows).toEqual((await direct.query(sql, ['param'], { rowMode: 'array' })).rows);
    });

    it('commits, rolls back, and reports database errors as PGlite does', async () => {
      await worker.exec('CREATE TABLE t (id int PRIMARY KEY)');
      await worker.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
      });
      await expect(
        worker.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (2)');
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      await worker.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3)');
        await tx.rollback();
      });
      expect((await worker.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows).toEqual([{ id: 1 }]);
      const error = await worker.query('INSERT INTO t VALUES (1)').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '23505', severity: 'ERROR' });
      expect(error).toBeInstanceOf((await import('@electric-sql/pglite')).messages.DatabaseError);
    });

    it('keeps the event loop free while a statement runs', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      try {
        await worker.query('SELECT pg_sleep(1)');
      } finally {
        clearInterval(timer);
      }
      // On the main thread PGlite sleeps synchronously, and no timer can fire until it is done.
      expect(ticks).toBeGreaterThan(5);
    });

    it('answers a read as canceled when its signal fires, and stays usable', async () => {
      const controller = new AbortController();
      const slow = worker.query('SELECT pg_sleep(2)', [], undefined, { signal: controller.signal });
      const aborted = slow.catch((e: unknown) => e);
      controller.abort();
      const error = await aborted;
      expect(classifyDatabaseError(error)).toEqual({ kind: 'canceled', code: '57014' });
      expect((await worker.query<{ v: number }>('SELECT 2 AS v')).rows).toEqual([{ v: 2 }]);
    });
  });

  describe('reads bounded by the statement timeout', () => {
    it('times out a read on the embedded database, which then still answers', async () => {
      const handle = await openDatabase({ url: 'memory://', dataDir: '', poolSize: 1, statementTimeoutMs: 300 });
      try {
        const slow = handle.reads.query('SELECT pg_sleep(3)');
        const settled = await order({ slow, timer: new Promise((resolve) => setTimeout(resolve, 2500)) });
        // The read is answered (as timed out) long before the statement could have ended.
        expect(settled[0]).toBe('slow');
        expect(classifyDatabaseError(await slow.catch((e: unknown) => e))).toEqual({ kind: 'timeout', code: '57014' });
        expect(await handle.reads.query('SELECT 1 AS v')).toEqual([{ v: 1 }]);
      } finally {
        await handle.close();
      }
    });

    it('cancels a read when the scope of its request aborts', async () => {
      const handle = await openDatabase({ url: 'memory://', dataDir: '', poolSize: 1 });
      try {
        const controller = new AbortController();
        const slow = runInQueryScope({ signal: controller.signal }, () => handle.reads.query('SELECT pg_sleep(2)'));
        setTimeout(() => controller.abort(), 50);
        expect(classifyDatabaseError(await slow.catch((e: unknown) => e))?.kind).toBe('canceled');
      } finally {
        await handle.close();
      }
    });
  });

  describe('the HTTP server while the database is busy', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startServer();
    });

    afterAll(async () => {
      await server?.close();
    });

    it('answers /health while a slow statement runs (14 s of a blocked process in issue 10)', async () => {
      const prisma = server.app.get(PrismaService);
      const slow = prisma.reads.query('SELECT pg_sleep(3)');
      const health = server.get('/health').then((res) => expect(res.status).toBe(200));
      expect(await order({ slow, health })).toEqual(['health', 'slow']);
    });

    it('serves SCIM requests through the worker: create, read, unique violations as 409', async () => {
      const created = await server.post('/v2/Users', { schemas: [USER], userName: 'worker@example.com' });
      expect(created.status).toBe(201);
      expect((await server.get(`/v2/Users/${created.body.id}`)).body.userName).toBe('worker@example.com');
      const again = await server.post('/v2/Users', { schemas: [USER], userName: 'WORKER@example.com' });
      expect({ status: again.status, scimType: again.body.scimType }).toEqual({ status: 409, scimType: 'uniqueness' });
    });
  });
});
