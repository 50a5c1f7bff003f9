import { HttpResponse, startServer, TestServer } from '../support/app';
import { PATCH_OP, USER } from '../support/traces';

/**
 * Statements per write (issue 12 item 5), as the database layer reports them to /metrics: a
 * change that leaves `emails` alone must not rewrite the email rows, and a change of `emails`
 * still must.
 */
describe('Statements per user write', () => {
  let server: TestServer;
  beforeAll(async () => {
    // The credential cache and the extension-schema poll outlast the suite, so that no token lookup
    // or poll (every 2 s by default) lands inside a measured request on a slow machine; the request
    // log's background flush (one statement every few seconds while requests come in) is off, as it
    // is not what this suite counts.
    server = await startServer({
      AUTH_CACHE_SECONDS: '300',
      SCHEMA_REFRESH_INTERVAL_MS: '600000',
      REQUEST_LOG_ENABLED: 'false',
    });
  });
  afterAll(() => server.close());

  /** Statements by SQL operation so far, from roster_db_query_duration_seconds_count. */
  async function statements(): Promise<Record<string, number>> {
    const text = (await server.get('/metrics')).text;
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(
      /^roster_db_query_duration_seconds_count\{operation="(\w+)",outcome="\w+"\} (\d+)$/gm,
    )) {
      counts[m[1]] = (counts[m[1]] ?? 0) + Number(m[2]);
    }
    return counts;
  }

  async function during(action: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = await statements();
    await action();
    const after = await statements();
    return Object.fromEntries(
      Object.entries(after)
        .map(([op, n]) => [op, n - (before[op] ?? 0)] as const)
        // The transaction frame is reported differently by the two adapters (PostgreSQL's reports
        // COMMIT, PGlite's neither BEGIN nor COMMIT): only the statements that do the work count.
        .filter(([op, n]) => n > 0 && !['begin', 'commit', 'rollback'].includes(op)),
    );
  }

  async function createUser(userName: string) {
    const created = await server.post('/v2/Users', {
      schemas: [USER],
      userName,
      emails: [{ value: userName, type: 'work', primary: true }],
    });
    expect(created.status).toBe(201);
    return created.body as { id: string } & Record<string, unknown>;
  }

  it('PATCH of nickName writes the user row only, and the emails stay findable', async () => {
    const user = await createUser('stmt-patch@example.com');
    let patched: HttpResponse | undefined;
    const counts = await during(async () => {
      patched = await server.patch(`/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'nickName', value: 'Stmt' }],
      });
    });
    expect(patched?.status).toBe(200);
    expect(patched?.body).toMatchObject({ nickName: 'Stmt', emails: [{ value: 'stmt-patch@example.com' }] });
    // The row read with its groups, then one statement: the UPDATE if the version is still the one
    // read, with the change event's INSERT (the outbox) as a CTE of it; no transaction frame.
    expect(counts).toEqual({ select: 1, update: 1 });
    const found = await server.get(
      `/v2/Users?filter=${encodeURIComponent('emails.value eq "stmt-patch@example.com"')}`,
    );
    expect(found.body.totalResults).toBe(1);
  });

  it('GET by id reads the user and its groups in one statement', async () => {
    const user = await createUser('stmt-get@example.com');
    const group = await server.post('/v2/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Stmt Group',
      members: [{ value: user.id }],
    });
    const parent = await server.post('/v2/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'A Stmt Parent',
      members: [{ value: group.body.id, type: 'Group' }],
    });
    expect(parent.status).toBe(201);
    let read: HttpResponse | undefined;
    const counts = await during(async () => {
      read = await server.get(`/v2/Users/${user.id}`);
    });
    expect(counts).toEqual({ select: 1 });
    // In the groups' display-name order, nested groups as indirect.
    expect(read?.body.groups).toEqual([
      expect.objectContaining({ value: parent.body.id, display: 'A Stmt Parent', type: 'indirect' }),
      expect.objectContaining({ value: group.body.id, display: 'Stmt Group', type: 'direct' }),
    ]);
    const patched = await server.patch(`/v2/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'nickName', value: 'Grouped' }],
    });
    expect(patched.body.groups).toEqual(read?.body.groups);
  });

  it('PUT with the same emails leaves the email rows alone; PATCH of emails rewrites them', async () => {
    const user = await createUser('stmt-put@example.com');
    const put = await during(async () => {
      const replaced = await server.put(`/v2/Users/${user.id}`, {
        schemas: [USER],
        userName: 'stmt-put@example.com',
        displayName: 'Put',
        emails: [{ value: 'stmt-put@example.com', type: 'work', primary: true }],
      });
      expect(replaced.status).toBe(200);
    });
    // The row read, then one conditional UPDATE (with its event as a CTE): no email rows touched.
    expect(put).toEqual({ select: 1, update: 1 });

    const changed = await during(async () => {
      const patched = await server.patch(`/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'stmt-new@example.com', type: 'home' }] }],
      });
      expect(patched.status).toBe(200);
    });
    // Still one statement: the email rows rewritten as CTEs of the UPDATE (upserted by position, the
    // rest deleted), with the change event.
    expect(changed).toEqual({ select: 1, update: 1 });
    const filter = (value: string) =>
      server.get(`/v2/Users?filter=${encodeURIComponent(`emails.value eq "${value}"`)}`);
    expect((await filter('stmt-new@example.com')).body.totalResults).toBe(1);
    expect((await filter('stmt-put@example.com')).body.totalResults).toBe(0);
    expect((await filter('stmt-new@example.com')).body.Resources[0].emails).toEqual([
      { value: 'stmt-new@example.com', type: 'home' },
    ]);
  });

  it('a filter, a list page and a startIndex walk each read in one statement', async () => {
    for (let i = 0; i < 5; i++) {
      await createUser(`stmt-walk-${i}@example.com`);
    }
    const filter = await during(async () => {
      const found = await server.get(`/v2/Users?filter=${encodeURIComponent('userName eq "stmt-walk-3@example.com"')}`);
      expect(found.body.totalResults).toBe(1);
      expect(found.body.Resources[0].userName).toBe('stmt-walk-3@example.com');
    });
    // The page with its count (a CTE) and its users' groups: no separate count, memberships or stamp.
    expect(filter).toEqual({ select: 1 });

    const walk = 'filter=' + encodeURIComponent('userName sw "stmt-walk-"') + '&count=2';
    const seen: string[] = [];
    for (const startIndex of [1, 3, 5]) {
      const page = await during(async () => {
        const read = await server.get(`/v2/Users?${walk}&startIndex=${startIndex}`);
        expect(read.status).toBe(200);
        expect(read.body.totalResults).toBe(5);
        seen.push(...(read.body.Resources as { userName: string }[]).map((r) => r.userName));
      });
      // Page 1 leaves a bookmark (its stamp read in the same statement), pages 3 and 5 start from one.
      expect({ startIndex, ...page }).toEqual({ startIndex, select: 1 });
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `stmt-walk-${i}@example.com`));
  });
});
