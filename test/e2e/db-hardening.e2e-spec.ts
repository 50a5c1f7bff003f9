import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaService, UsersRepository } from '@roster/db';
import { RENDER_CHUNK } from '../../apps/api/src/users/users.service';
import { Client } from 'pg';
import { startServer, TestServer } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { ENTERPRISE, filterQuery, GROUP, SEARCH, USER } from '../support/traces';

/**
 * Issue 10, the database side: each reproducer of the security review that answered 5xx for
 * bad input (dates in filters, forged cursors, sortBy on references) is here, and must answer a
 * SCIM 400 with the right scimType, or a page.
 */

const BAD_DATES = [
  '"2020-13-01T00:00:00Z"',
  '"2020-02-30T00:00:00Z"',
  '"0000-01-01T00:00:00Z"',
  '"2020-01-01T00:00:00+99:99"',
  '2020-13-01T00:00:00Z',
];

/** A cursor as an attacker writes one: plain base64url JSON, no signature. */
function forged(state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ d: 'n', q: 'x', t: Math.floor(Date.now() / 1000), ...state })).toString(
    'base64url',
  );
}

describe('Database hardening: bad input is a 400, never a 5xx', () => {
  let server: TestServer;
  const userIds: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    for (const name of ['carol', 'alice', 'bob']) {
      const res = await server.post('/v2/Users', { schemas: [USER], userName: `${name}@hardening.example.com` });
      expect(res.status).toBe(201);
      userIds.push(res.body.id);
    }
    // Managers, so that manager.$ref has values to sort by.
    for (const [i, id] of userIds.entries()) {
      const res = await server.patch(`/v2/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: `${ENTERPRISE}:manager`, value: { value: userIds[(i + 1) % userIds.length] } }],
      });
      expect(res.status).toBe(200);
    }
    for (const name of ['Zeta', 'Alpha']) {
      expect((await server.post('/v2/Groups', { schemas: [GROUP], displayName: `${name} hardening` })).status).toBe(
        201,
      );
    }
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('dates out of range in filters', () => {
    it.each(BAD_DATES)(
      'meta.created gt %s is 400 invalidFilter on Users, Groups and both .search endpoints',
      async (date) => {
        const filter = `meta.created gt ${date}`;
        const answers = [
          await server.get(`/v2/Users?${filterQuery(filter)}`),
          await server.get(`/v2/Groups?${filterQuery(filter)}`),
          await server.post('/v2/Users/.search', { schemas: [SEARCH], filter }),
          await server.post('/v2/Groups/.search', { schemas: [SEARCH], filter }),
        ];
        for (const res of answers) {
          expect({ status: res.status, scimType: res.body?.scimType }).toEqual({
            status: 400,
            scimType: 'invalidFilter',
          });
          expect(res.body.detail).toMatch(/is not an xsd:dateTime/);
        }
      },
    );
  });

  describe('forged cursors', () => {
    it.each([
      ['an id of 36 dashes', { i: '-'.repeat(36), k: '2026-01-01T00:00:00.000Z' }],
      ['a key "1"', { i: '00000000-0000-4000-8000-000000000000', k: '1' }],
      ['a key "March 7"', { i: '00000000-0000-4000-8000-000000000000', k: 'March 7' }],
      [
        'a key at the edge of JavaScript dates',
        { i: '00000000-0000-4000-8000-000000000000', k: '-271821-04-20T00:00:00Z' },
      ],
      ['a NUL in the key', { i: '00000000-0000-4000-8000-000000000000', k: 'a\u0000b' }],
    ])('a cursor with %s is 400 invalidCursor', async (_label, state) => {
      for (const path of ['/v2/Users', '/v2/Groups']) {
        const res = await server.get(`${path}?count=1&cursor=${forged(state)}`);
        expect({ path, status: res.status, scimType: res.body?.scimType }).toEqual({
          path,
          status: 400,
          scimType: 'invalidCursor',
        });
      }
    });

    it('a changed byte in an issued cursor is 400 invalidCursor; the cursor itself still works', async () => {
      const first = await server.get('/v2/Users?count=1&cursor=');
      const cursor: string = first.body.nextCursor;
      expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
      const [payload, mac] = cursor.split('.');
      const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const tampered = `${Buffer.from(JSON.stringify({ ...state, n: 0 })).toString('base64url')}.${mac}`;
      const refused = await server.get(`/v2/Users?count=1&cursor=${tampered}`);
      expect({ status: refused.status, scimType: refused.body.scimType }).toEqual({
        status: 400,
        scimType: 'invalidCursor',
      });
      const next = await server.get(`/v2/Users?count=1&cursor=${cursor}`);
      expect(next.status).toBe(200);
      expect(next.body.Resources[0].id).not.toBe(first.body.Resources[0].id);
    });
  });

  describe('one member limit (issue 10, finding 9)', () => {
    const members = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        value: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        display: `Member ${i}`,
      }));

    it('a request may name 10,000 members, with display, in POST and PATCH; the 10,001st is refused as such', async () => {
      const created = await server.post('/v2/Groups', { schemas: [GROUP], displayName: 'Member limit' });
      const patch = (n: number) =>
        server.patch(`/v2/Groups/${created.body.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: members(n) }],
        });
      const post = (n: number) =>
        server.post('/v2/Groups', { schemas: [GROUP], displayName: `Limit ${n}`, members: members(n) });
      for (const send of [patch, post]) {
        // Within the limit, the members are looked up (and these ids name nobody).
        const within = await send(10_000);
        expect({ status: within.status, detail: within.body.detail }).toEqual({
          status: 400,
          detail: expect.stringMatching(/names no user or group/),
        });
        const over = await send(10_001);
        expect({ status: over.status, scimType: over.body.scimType, detail: over.body.detail }).toEqual({
          status: 400,
          scimType: 'invalidValue',
          detail: 'A request may name at most 10000 members; send larger sets in several requests.',
        });
      }
    });

    it('advertises the limit in the Group schema', async () => {
      const schema = await server.get(`/v2/Schemas/${GROUP}`);
      const membersAttribute = (schema.body.attributes as { name: string; description: string }[]).find(
        (a) => a.name === 'members',
      );
      expect(membersAttribute?.description).toMatch(/at most 10000 members/);
    });
  });

  describe('sortBy on references', () => {
    it('sortBy=meta.location sorts Users and Groups like their ids, in both directions, by index and by cursor', async () => {
      for (const path of ['/v2/Users', '/v2/Groups']) {
        const asc = await server.get(`${path}?sortBy=meta.location&count=100`);
        expect(asc.status).toBe(200);
        const locations = (asc.body.Resources as { meta: { location: string } }[]).map((r) => r.meta.location);
        expect(locations).toEqual([...locations].sort());
        const desc = await server.get(`${path}?sortBy=meta.location&sortOrder=descending&count=100`);
        expect(desc.body.Resources.map((r: { id: string }) => r.id)).toEqual(
          [...asc.body.Resources.map((r: { id: string }) => r.id)].reverse(),
        );
        const seen: string[] = [];
        let res = await server.get(`${path}?sortBy=meta.location&count=1&cursor=`);
        for (;;) {
          expect(res.status).toBe(200);
          seen.push(...res.body.Resources.map((r: { meta: { location: string } }) => r.meta.location));
          if (!res.body.nextCursor) break;
          res = await server.get(`${path}?sortBy=meta.location&count=1&cursor=${res.body.nextCursor}`);
        }
        expect(seen).toEqual(locations);
      }
    });

    it('sortBy=manager.$ref sorts users by their manager reference', async () => {
      const res = await server.get(`/v2/Users?sortBy=${encodeURIComponent(`${ENTERPRISE}:manager.$ref`)}&count=100`);
      expect(res.status).toBe(200);
      const refs = (res.body.Resources as Record<string, { manager?: { $ref?: string } }>[]).map(
        (r) => r[ENTERPRISE]?.manager?.$ref,
      );
      expect(refs.every((ref) => typeof ref === 'string')).toBe(true);
      expect(refs).toEqual([...refs].sort());
    });

    it('sortBy=manager.$ref on Groups is 400 invalidValue (Groups have no manager)', async () => {
      const res = await server.get(`/v2/Groups?sortBy=${encodeURIComponent(`${ENTERPRISE}:manager.$ref`)}`);
      expect({ status: res.status, scimType: res.body.scimType }).toEqual({ status: 400, scimType: 'invalidValue' });
    });
  });
});

describe('One scim.read caller: users in the innermost of 50 nested groups (issue 10, finding 2)', () => {
  const NESTING = 50;
  const USERS = 120;
  let server: TestServer;
  const groups: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    const bulk = await server.post('/v2/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: Array.from({ length: USERS }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${i}`,
        data: { schemas: [USER], userName: `nested${i}@example.com` },
      })),
    });
    expect(bulk.status).toBe(200);
    const userIds = (bulk.body.Operations as { location: string }[]).map((op) => op.location.split('/').pop()!);
    // Level 49 is the innermost; each outer group contains the next one in.
    let inner = await server.post('/v2/Groups', {
      schemas: [GROUP],
      displayName: `Level ${String(NESTING - 1).padStart(2, '0')}`,
      members: userIds.map((value) => ({ value })),
    });
    groups.unshift(inner.body.id);
    for (let level = NESTING - 2; level >= 0; level--) {
      inner = await server.post('/v2/Groups', {
        schemas: [GROUP],
        displayName: `Level ${String(level).padStart(2, '0')}`,
        members: [{ value: inner.body.id }],
      });
      expect(inner.status).toBe(201);
      groups.unshift(inner.body.id);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('GET /Users?count=1000&filter=groups.value eq innermost streams the page, groups read a chunk at a time', async () => {
    const repository = server.app.get(UsersRepository);
    const memberships = jest.spyOn(repository, 'memberships');
    try {
      const res = await server.get(`/v2/Users?count=1000&${filterQuery(`groups.value eq "${groups[NESTING - 1]}"`)}`);
      expect(res.status).toBe(200);
      // Streamed: no Content-Length, the body written chunk by chunk.
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.body.totalResults).toBe(USERS);
      expect(res.body.Resources).toHaveLength(USERS);
      const chunks = memberships.mock.calls.map(([ids]) => ids.length);
      expect(chunks.length).toBeGreaterThan(1);
      expect(Math.max(...chunks)).toBeLessThanOrEqual(RENDER_CHUNK);
      for (const user of res.body.Resources as { groups: { value: string; type: string; display: string }[] }[]) {
        expect(user.groups.map((g) => g.value)).toEqual(groups);
        expect(user.groups.filter((g) => g.type === 'direct').map((g) => g.value)).toEqual([groups[NESTING - 1]]);
      }
    } finally {
      memberships.mockRestore();
    }
  });

  it('every groups predicate on the same users gives the same answer as the membership rows', async () => {
    const outer = await server.get(
      `/v2/Users?count=1000&attributes=id&${filterQuery(`groups.value eq "${groups[0]}"`)}`,
    );
    expect(outer.body.totalResults).toBe(USERS);
    const indirect = await server.get(
      `/v2/Users?count=1&attributes=id&${filterQuery(`groups[value eq "${groups[0]}" and type eq "indirect"]`)}`,
    );
    expect(indirect.body.totalResults).toBe(USERS);
    const direct = await server.get(
      `/v2/Users?count=1&attributes=id&${filterQuery(`groups[value eq "${groups[0]}" and type eq "direct"]`)}`,
    );
    expect(direct.body.totalResults).toBe(0);
    const display = await server.get(`/v2/Users?count=1&attributes=id&${filterQuery('groups.display co "Level 0"')}`);
    expect(display.body.totalResults).toBe(USERS);
  });
});

describe('Concurrent nesting of groups (issue 10, finding 3)', () => {
  let server: TestServer;
  const add = (groupId: string, memberId: string) =>
    server.patch(`/v2/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: memberId }] }],
    });
  const group = async (name: string): Promise<string> => {
    const res = await server.post('/v2/Groups', { schemas: [GROUP], displayName: name });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const memberIds = async (groupId: string): Promise<string[]> =>
    ((await server.get(`/v2/Groups/${groupId}`)).body.members ?? []).map((m: { value: string }) => m.value);

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('PATCH P add C in parallel with PATCH C add D: 20 rounds, every answer a success', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 20; round++) {
      const [p, c, d] = [await group(`P${round}`), await group(`C${round}`), await group(`D${round}`)];
      const answers = await Promise.all([add(p, c), add(c, d)]);
      statuses.push(...answers.map((a) => a.status));
      expect(await memberIds(p)).toEqual([c]);
      expect(await memberIds(c)).toEqual([d]);
    }
    expect(statuses.filter((status) => status !== 204)).toEqual([]);
  });

  it('PATCH P add C in parallel with PATCH C add P: 40 rounds, one succeeds and the cycle is a 400', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 40; round++) {
      const [p, c] = [await group(`cycle P${round}`), await group(`cycle C${round}`)];
      const [first, second] = await Promise.all([add(p, c), add(c, p)]);
      outcomes.push([first.status, second.status].sort().join('/'));
      for (const answer of [first, second].filter((a) => a.status === 400)) {
        expect(answer.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringMatching(/cycle/) });
      }
      // Never both: that would be the cycle.
      const stored = [...(await memberIds(p)), ...(await memberIds(c))];
      expect(stored.length).toBe(1);
    }
    expect(outcomes.filter((o) => o !== '204/400')).toEqual([]);
  });
});

describe('Cursor signing key: one per deployment, kept in the database', () => {
  it('a cursor issued before a restart is accepted after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-cursor-'));
    // A persistent database: a file for PGlite, a fresh database for PostgreSQL.
    const database = testDatabaseKind() === 'postgres' ? await createTestDatabase() : undefined;
    const env: Record<string, string> = database ? { DATABASE_URL: database.url } : { DATABASE_URL: '', DATA_DIR: dir };
    try {
      const before = await startServer(env);
      for (const name of ['one', 'two', 'three']) {
        expect(
          (await before.post('/v2/Users', { schemas: [USER], userName: `${name}@restart.example.com` })).status,
        ).toBe(201);
      }
      const first = await before.get('/v2/Users?count=1&cursor=');
      await before.close();
      const after = await startServer(env);
      try {
        const next = await after.get(`/v2/Users?count=1&cursor=${first.body.nextCursor}`);
        expect(next.status).toBe(200);
        expect(next.body.Resources[0].id).not.toBe(first.body.Resources[0].id);
      } finally {
        await after.close();
      }
    } finally {
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const itPg = testDatabaseKind() === 'postgres' ? it : it.skip;
  // Two instances on one PGlite file cannot run at once; on PostgreSQL they are the production topology.
  itPg('two instances on one PostgreSQL accept each other’s cursors', async () => {
    const database = await createTestDatabase();
    const [a, b] = [
      await startServer({ DATABASE_URL: database.url }),
      await startServer({ DATABASE_URL: database.url }),
    ];
    try {
      for (const name of ['one', 'two']) {
        expect((await a.post('/v2/Users', { schemas: [USER], userName: `${name}@pair.example.com` })).status).toBe(201);
      }
      const first = await a.get('/v2/Users?count=1&cursor=');
      const next = await b.get(`/v2/Users?count=1&cursor=${first.body.nextCursor}`);
      expect(next.status).toBe(200);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

/** Seeds `count` users straight into the database (the API would take minutes for as many). */
async function seedUsers(db: Client, count: number, prefix: string): Promise<void> {
  await db.query(
    `INSERT INTO users (id, user_name, display_name, active, doc, version, created, last_modified)
     SELECT md5($2 || i)::uuid, $2 || i || '@seed.example.com', 'Seed ' || i, true,
            jsonb_build_object('userName', $2 || i || '@seed.example.com', 'title', 'Title ' || i, 'nickName', 'n' || i, 'active', true),
            1, now(), now()
     FROM generate_series(1, $1::int) AS i`,
    [count, prefix],
  );
  await db.query('ANALYZE users');
}

/** Polls `probe` until it is true; the limit is only there to end a broken test, far beyond the expected. */
async function eventually(probe: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > end) {
      throw new Error(`Gave up waiting: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const describePg = testDatabaseKind() === 'postgres' ? describe : describe.skip;

// These need a second connection to the same database (to hold locks, read pg_stat_activity and
// seed rows fast), which only PostgreSQL offers; under `npm test` they are reported as skipped.
describePg('Statement timeout, lock timeout and canceled reads on PostgreSQL', () => {
  let database: TestDatabase;
  let admin: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A first start migrates the database; the suites below start servers with their own settings.
    const first = await startServer({ DATABASE_URL: database.url });
    await first.close();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    await seedUsers(admin, 200_000, 'timeout-');
  }, 180_000);

  afterAll(async () => {
    await admin?.end();
    await database?.drop();
  });

  it('every session of the pool runs with statement_timeout, lock_timeout and JIT off', async () => {
    const server = await startServer({
      DATABASE_URL: database.url,
      DATABASE_STATEMENT_TIMEOUT_MS: '4500',
      DATABASE_LOCK_TIMEOUT_MS: '1500',
    });
    try {
      const prisma = server.app.get(PrismaService);
      const sql = `SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, current_setting('jit') AS jit`;
      const expected = [{ st: '4500ms', lt: '1500ms', jit: 'off' }];
      expect(await prisma.reads.query(sql)).toEqual(expected);
      expect(await prisma.client.$queryRawUnsafe(sql)).toEqual(expected);
      expect(await prisma.client.$transaction((tx) => tx.$queryRawUnsafe(sql))).toEqual(expected);
    } finally {
      await server.close();
    }
  });

  it('a filtered read over its statement timeout is 400 tooMany; an unfiltered one 503 with Retry-After', async () => {
    // 10 ms: far less than a scan of 200,000 documents, far more than the start-up statements.
    const server = await startServer({ DATABASE_URL: database.url, DATABASE_STATEMENT_TIMEOUT_MS: '10' });
    try {
      const filtered = await server.get(`/v2/Users?${filterQuery('title co "zz" or nickName co "yy"')}&count=1`);
      expect({ status: filtered.status, scimType: filtered.body.scimType }).toEqual({
        status: 400,
        scimType: 'tooMany',
      });
      const searched = await server.post('/v2/Users/.search', { schemas: [SEARCH], filter: 'title co "zz"', count: 1 });
      expect({ status: searched.status, scimType: searched.body.scimType }).toEqual({
        status: 400,
        scimType: 'tooMany',
      });
      const sorted = await server.get('/v2/Users?sortBy=title&count=1');
      expect(sorted.status).toBe(503);
      expect(sorted.headers.get('retry-after')).toBe('5');
      expect(sorted.body.detail).toMatch(/statement timeout/);
    } finally {
      await server.close();
    }
  });

  it('a write that waits for a lock past lock_timeout is 503 with Retry-After, and changes nothing', async () => {
    const server = await startServer({ DATABASE_URL: database.url, DATABASE_LOCK_TIMEOUT_MS: '200' });
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      const created = await server.post('/v2/Users', { schemas: [USER], userName: 'locked@example.com' });
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [created.body.id]);
      const res = await server.patch(`/v2/Users/${created.body.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }],
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      await holder.query('ROLLBACK');
      expect((await server.get(`/v2/Users/${created.body.id}`)).body.displayName).toBeUndefined();
    } finally {
      await holder.end();
      await server.close();
    }
  });

  it('a read whose client disconnects is canceled in the database, not left waiting or running', async () => {
    const server = await startServer({
      DATABASE_URL: database.url,
      DATABASE_LOCK_TIMEOUT_MS: '0',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
    });
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    const waiting = async () => {
      const { rows } = await admin.query(
        // Any statement of this database waiting for a lock: only the read can be (the page statement is
        // longer than track_activity_query_size, so its text in pg_stat_activity is cut before "FROM users").
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
           AND wait_event_type = 'Lock'`,
      );
      return rows[0].n as number;
    };
    try {
      // An exclusive lock makes the read wait in the database for as long as the lock is held (the
      // page statement, which reads its count with it).
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const controller = new AbortController();
      const request = fetch(`${server.baseUrl}/v2/Users?count=1`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
        signal: controller.signal,
      }).catch((e: unknown) => e);
      await eventually(async () => (await waiting()) === 1, 'the read waits for the lock');
      controller.abort();
      await request;
      await eventually(async () => (await waiting()) === 0, 'the read is canceled');
      // The lock is still held: only the cancel can have ended the read.
      const { rows } = await holder.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await server.close();
    }
  });
});
