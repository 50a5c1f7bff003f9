import { PrismaService } from '@roster/db';
import { startServer, TestServer } from '../support/app';
import { GROUP, USER } from '../support/traces';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/**
 * totalResults of unfiltered lists comes from the trigger-maintained resource_counts rows
 * (issue 12 item 7): it must stay exactly the number of rows through creates, deletes, Bulk
 * requests with failing operations, and transactions that roll back.
 */
describe('Exact counts of users and groups', () => {
  let server: TestServer;
  let prisma: PrismaService;
  beforeAll(async () => {
    server = await startServer();
    prisma = server.app.get(PrismaService);
  });
  afterAll(() => server.close());

  async function rows(table: 'users' | 'groups'): Promise<number> {
    const [row] = await prisma.client.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
    return row.n;
  }

  /** The unfiltered list's totalResults, for the first page of each paging style, equals the table's row count. */
  async function expectExact(): Promise<number> {
    const users = await rows('users');
    const groups = await rows('groups');
    for (const path of ['/v2/Users?count=0', '/v2/Users?count=1', '/v2/Users?count=1&cursor=']) {
      expect((await server.get(path)).body.totalResults).toBe(users);
    }
    for (const path of ['/v2/Groups?count=0', '/v2/Groups?count=1&cursor=']) {
      expect((await server.get(path)).body.totalResults).toBe(groups);
    }
    return users;
  }

  const user = (userName: string) => ({ schemas: [USER], userName });

  it('reads totalResults of an unfiltered list from the counter, not from the table', async () => {
    const before = await expectExact();
    await prisma.client.$executeRawUnsafe(
      `UPDATE resource_counts SET n = n + 1000 WHERE resource_type = 'User' AND shard = (SELECT min(shard) FROM resource_counts WHERE resource_type = 'User')`,
    );
    try {
      expect((await server.get('/v2/Users?count=0')).body.totalResults).toBe(before + 1000);
      // A filter still counts its rows.
      expect((await server.get('/v2/Users?count=0&filter=id%20pr')).body.totalResults).toBe(before);
    } finally {
      await prisma.client.$executeRawUnsafe(
        `UPDATE resource_counts SET n = n - 1000 WHERE resource_type = 'User' AND shard = (SELECT min(shard) FROM resource_counts WHERE resource_type = 'User')`,
      );
    }
    await expectExact();
  });

  it('stays exact through creates, concurrent creates and deletes of users and groups', async () => {
    const start = await expectExact();
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => server.post('/v2/Users', user(`count-${i}@example.com`))),
    );
    expect(created.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(await expectExact()).toBe(start + 12);
    const group = await server.post('/v2/Groups', {
      schemas: [GROUP],
      displayName: 'count-group',
      members: [{ value: created[0].body.id }],
    });
    expect(group.status).toBe(201);
    await expectExact();
    await Promise.all(created.slice(0, 5).map((r) => server.delete(`/v2/Users/${r.body.id}`)));
    expect(await expectExact()).toBe(start + 7);
    expect((await server.delete(`/v2/Groups/${group.body.id}`)).status).toBe(204);
    // Deleting what is already gone changes nothing.
    expect((await server.delete(`/v2/Users/${created[0].body.id}`)).status).toBe(404);
    expect(await expectExact()).toBe(start + 7);
  });

  it('stays exact through Bulk requests whose operations partly fail, on both of its write paths', async () => {
    const start = await expectExact();
    await server.post('/v2/Users', user('bulk-taken@example.com'));
    // Users only: Bulk's multi-row INSERT path, whose transaction fails on the taken userName and
    // is redone one user at a time.
    const users = await server.post('/v2/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: user('bulk-a@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk-taken@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'c', data: user('bulk-c@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'd', data: { schemas: [USER] } },
      ],
    });
    expect(users.status).toBe(200);
    expect(users.body.Operations.map((o: { status: string }) => o.status)).toEqual(['201', '409', '201', '400']);
    expect(await expectExact()).toBe(start + 3);
    // Mixed operations, one of them a failing delete.
    const mixed = await server.post('/v2/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'bulk-count' } },
        { method: 'DELETE', path: '/Users/2819c223-7f76-453a-919d-413861904646' },
        { method: 'POST', path: '/Users', bulkId: 'e', data: user('bulk-e@example.com') },
      ],
    });
    expect(mixed.body.Operations.map((o: { status: string }) => o.status)).toEqual(['201', '404', '201']);
    expect(await expectExact()).toBe(start + 4);
  });

  it('stays exact when a transaction that inserted and deleted rows rolls back', async () => {
    const start = await expectExact();
    const victim = await server.post('/v2/Users', user('rollback-victim@example.com'));
    await expect(
      prisma.transaction(async (tx) => {
        await tx.$executeRawUnsafe(
          `INSERT INTO users (id, user_name, doc) VALUES (gen_random_uuid(), 'rollback@example.com', '{}'::jsonb)`,
        );
        await tx.$executeRawUnsafe(`DELETE FROM users WHERE id = $1::uuid`, victim.body.id);
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect(await expectExact()).toBe(start + 1);
    // A statement that fails half-way (the second row's userName is taken) leaves no delta either.
    await expect(
      prisma.client.$executeRawUnsafe(
        `INSERT INTO users (id, user_name, doc) VALUES (gen_random_uuid(), 'fresh@example.com', '{}'::jsonb),
           (gen_random_uuid(), 'rollback-victim@example.com', '{}'::jsonb)`,
      ),
    ).rejects.toThrow();
    expect(await expectExact()).toBe(start + 1);
  });
});
