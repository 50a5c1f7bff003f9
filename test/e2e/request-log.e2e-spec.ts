import { PrismaService } from '@roster/db';
import { RequestLogService } from '../../apps/api/src/request-log/request-log.service';
import { ERRORS_PER_CONNECTION_MINUTE } from '../../apps/api/src/request-log/request-log.service';
import { startServer, TestServer } from '../support/app';
import { testDatabaseKind } from '../support/database';

interface MinuteRow {
  connection: string;
  kind: string;
  name: string;
  requests: number;
  errors: number;
}

interface ErrorRow {
  connection: string;
  method: string;
  path: string;
  status: number;
  scimType: string | null;
  detail: string | null;
  requestId: string;
}

/**
 * The request log behind the console's activity charts (issue 16): counted in memory on the hot
 * path, written by the flush in one statement, summed across instances, pruned by retention.
 */
describe('Request log: per-connection counts and errors', () => {
  let server: TestServer;
  let log: RequestLogService;
  let prisma: PrismaService;
  let token: string;
  let tokenId: string;

  const minutes = (connection: string) =>
    prisma.client.$queryRawUnsafe<MinuteRow[]>(
      `SELECT connection, kind, name, sum(requests)::int AS requests, sum(errors)::int AS errors
         FROM request_log_minutes WHERE connection = $1 GROUP BY connection, kind, name`,
      connection,
    );
  const errors = (connection: string) =>
    prisma.client.$queryRawUnsafe<ErrorRow[]>(
      `SELECT connection, method, path, status, scim_type AS "scimType", detail, request_id AS "requestId"
         FROM request_log_errors WHERE connection = $1 ORDER BY id`,
      connection,
    );

  beforeAll(async () => {
    // The timer never fires during the suite: every write below is the test's own flush().
    server = await startServer({ REQUEST_LOG_FLUSH_MS: '60000' });
    log = server.app.get(RequestLogService);
    prisma = server.app.get(PrismaService);
    const created = await server.post('/admin/tokens', { name: 'okta-production', scope: 'scim.read scim.write' });
    expect(created.status).toBe(201);
    token = created.body.token;
    tokenId = created.body.id;
    await log.flush();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("counts a token's requests in memory and writes them with its errors on flush, request id and scimType kept", async () => {
    const key = `api-token:${tokenId}`;
    for (let i = 0; i < 3; i++) {
      expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
    }
    const bad = await server.get(
      `/v2/Users?count=5&filter=${encodeURIComponent('userName eq "grace.hopper@example.com" and')}`,
      { token },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidFilter');
    // Nothing is written by the requests themselves.
    expect(await minutes(key)).toEqual([]);
    await log.flush();
    expect(await minutes(key)).toEqual([
      { connection: key, kind: 'api-token', name: 'okta-production', requests: 4, errors: 1 },
    ]);
    const [error] = await errors(key);
    expect(error).toMatchObject({
      method: 'GET',
      status: 400,
      scimType: 'invalidFilter',
      requestId: bad.headers.get('x-request-id'),
      detail: bad.body.detail,
    });
    // The filter's structure, not who was looked for; paging values are kept.
    expect(error.path).toBe('/v2/Users?count=5&filter=userName eq "…" and');
    expect(error.path).not.toContain('grace');
  });

  it('counts refused credentials under "anonymous", never storing the token, and skips pages and probes', async () => {
    const before = (await minutes('anonymous'))[0]?.requests ?? 0;
    const refused = await server.get('/v2/Groups', { token: 'not-a-real-token-SECRETXYZ' });
    expect(refused.status).toBe(401);
    expect((await server.get('/health', { token: null })).status).toBe(200);
    // Redirected to the sign-in page (fetch follows it): neither is an API request.
    expect((await server.get('/console/Users', { token: null })).text).toContain('Sign in');
    await log.flush();
    const [anonymous] = await minutes('anonymous');
    expect(anonymous).toMatchObject({ kind: 'anonymous', errors: expect.any(Number) });
    expect(anonymous.requests).toBe(before + 1);
    const rows = await errors('anonymous');
    expect(rows.at(-1)).toMatchObject({
      status: 401,
      path: '/v2/Groups',
      requestId: refused.headers.get('x-request-id'),
    });
    const everything = await prisma.client.$queryRawUnsafe<{ text: string }[]>(
      `SELECT (SELECT coalesce(string_agg(t::text, ' '), '') FROM request_log_errors t)
           || (SELECT coalesce(string_agg(m::text, ' '), '') FROM request_log_minutes m) AS text`,
    );
    expect(everything[0].text).not.toContain('SECRETXYZ');
    expect(everything[0].text).not.toContain(server.adminToken);
  });

  it(`keeps at most ${ERRORS_PER_CONNECTION_MINUTE} errors per connection and minute while counting every one`, async () => {
    const created = await server.post('/admin/tokens', { name: 'noisy-idp', scope: 'scim.read' });
    const key = `api-token:${created.body.id}`;
    const start = Date.now();
    for (let i = 0; i < ERRORS_PER_CONNECTION_MINUTE + 5; i++) {
      expect((await server.get('/v2/Users?filter=bogus', { token: created.body.token })).status).toBe(400);
    }
    await log.flush();
    const [counted] = await minutes(key);
    expect(counted.requests).toBe(ERRORS_PER_CONNECTION_MINUTE + 5);
    expect(counted.errors).toBe(ERRORS_PER_CONNECTION_MINUTE + 5);
    const kept = (await errors(key)).length;
    // A minute boundary during the loop starts a second allowance.
    const minutesSpanned = Math.floor(Date.now() / 60_000) - Math.floor(start / 60_000) + 1;
    expect(kept).toBeGreaterThanOrEqual(ERRORS_PER_CONNECTION_MINUTE);
    expect(kept).toBeLessThanOrEqual(
      Math.min(ERRORS_PER_CONNECTION_MINUTE + 5, ERRORS_PER_CONNECTION_MINUTE * minutesSpanned),
    );
  });

  it('adds the counts of successive flushes (as of several instances) into the same minute rows', async () => {
    const key = `api-token:${tokenId}`;
    const [before] = await minutes(key);
    expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
    await log.flush();
    expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
    await log.flush();
    const [after] = await minutes(key);
    expect(after.requests).toBe(before.requests + 2);
    expect(after.errors).toBe(before.errors);
  });

  it('answers the overview the console shows: connections, per-minute counts and latest errors', async () => {
    const overview = await log.overview({ hours: 1, errorsEach: 10 });
    const okta = overview.connections.find((c) => c.connection === `api-token:${tokenId}`);
    expect(okta).toBeDefined();
    expect(okta!.name).toBe('okta-production');
    expect(okta!.minutes.reduce((n, m) => n + m.requests, 0)).toBe(okta!.requests);
    expect(okta!.recentErrors[0]).toMatchObject({ status: 400, scimType: 'invalidFilter' });
    const one = await log.overview({ hours: 1, errorsEach: 10, connection: 'anonymous' });
    expect(one.connections.map((c) => c.connection)).toEqual(['anonymous']);
  });

  it('retention: rows older than REQUEST_LOG_RETENTION_HOURS (48) are pruned in batches; newer ones stay', async () => {
    const recentMinutes = await prisma.client.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM request_log_minutes`,
    );
    const recentErrors = await prisma.client.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM request_log_errors`,
    );
    await prisma.client.$executeRawUnsafe(
      `INSERT INTO request_log_minutes (connection, minute, kind, name, requests, errors)
       SELECT 'api-token:old', date_trunc('minute', now()) - interval '49 hours' - i * interval '1 minute',
              'api-token', 'old', 1, 0
         FROM generate_series(1, 2500) AS i`,
    );
    await prisma.client.$executeRawUnsafe(
      // Ids below every existing one, as old rows have: retention walks the oldest ids first.
      `INSERT INTO request_log_errors (id, time, connection, method, path, status, request_id)
       SELECT -i, now() - interval '49 hours' - i * interval '1 second', 'api-token:old', 'GET', '/v2/Users', 400, 'r'
         FROM generate_series(1, 2500) AS i`,
    );
    expect(await log.prune()).toBe(5000);
    expect(await log.prune()).toBe(0);
    const [m] = await prisma.client.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM request_log_minutes`,
    );
    const [e] = await prisma.client.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM request_log_errors`,
    );
    expect(m.n).toBe(recentMinutes[0].n);
    expect(e.n).toBe(recentErrors[0].n);
  });

  it('keeps the counts of a flush that failed and writes them with the next one', async () => {
    const key = `api-token:${tokenId}`;
    const [before] = await minutes(key);
    expect((await server.get('/v2/Users?filter=bogus', { token })).status).toBe(400);
    const repository = (log as unknown as { repository: { add: (...args: unknown[]) => Promise<void> } }).repository;
    const add = repository.add;
    repository.add = () => Promise.reject(new Error('database away'));
    try {
      await log.flush();
    } finally {
      repository.add = add;
    }
    expect((await minutes(key))[0].requests).toBe(before.requests);
    await log.flush();
    const [after] = await minutes(key);
    expect(after.requests).toBe(before.requests + 1);
    expect(after.errors).toBe(before.errors + 1);
  });

  // Two instances need one shared database: PGlite is in-process, so this runs on PostgreSQL only
  // (npm run test:pg); the flush arithmetic itself is covered above on both.
  (testDatabaseKind() === 'postgres' ? it : it.skip)(
    'two instances on one PostgreSQL: each adds its own counts, the overview shows the sum',
    async () => {
      const second = await startServer({ DATABASE_URL: server.config.database.url!, REQUEST_LOG_FLUSH_MS: '60000' });
      try {
        const key = `api-token:${tokenId}`;
        const [before] = await minutes(key);
        expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
        expect((await second.get('/v2/Users?count=1', { token })).status).toBe(200);
        expect((await second.get('/v2/Users?filter=bogus', { token })).status).toBe(400);
        await Promise.all([log.flush(), second.app.get(RequestLogService).flush()]);
        const [after] = await minutes(key);
        expect(after.requests).toBe(before.requests + 3);
        expect(after.errors).toBe(before.errors + 1);
        const seen = await log.overview({ hours: 1, errorsEach: 1, connection: key });
        expect(seen.connections[0].requests).toBe(after.requests);
      } finally {
        await second.close();
      }
    },
  );
});
