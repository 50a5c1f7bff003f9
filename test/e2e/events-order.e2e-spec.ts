import { Client } from 'pg';
import { startServer, TestServer } from '../support/app';
import { testDatabaseKind } from '../support/database';

// PGlite runs one transaction at a time, so an event cannot commit "late" there: this race exists
// only with concurrent connections, on PostgreSQL (npm run test:pg).
const describePg = testDatabaseKind() === 'postgres' ? describe : describe.skip;

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface FeedPage {
  Resources: { id: string; type: string; resource: { id: string } }[];
  nextCursor: string;
}

describePg('Change feed: an event that commits late is not skipped (PostgreSQL)', () => {
  let server: TestServer;
  let db: Client;

  beforeAll(async () => {
    server = await startServer();
    db = new Client({ connectionString: server.config.database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await server?.close();
  });

  async function drain(cursor: string): Promise<FeedPage> {
    const all: FeedPage = { Resources: [], nextCursor: cursor };
    for (;;) {
      const page = await server.get<FeedPage>(`/v2/Events?count=1000&cursor=${all.nextCursor}`);
      expect(page.status).toBe(200);
      all.Resources.push(...page.body.Resources);
      all.nextCursor = page.body.nextCursor;
      if (page.body.Resources.length === 0) {
        return all;
      }
    }
  }

  it('a reader does not move past an event still being committed; once committed, it comes first', async () => {
    const user = await server.post('/v2/Users', { userName: 'late-order@example.com' });
    expect(user.status).toBe(201);
    const start = (await drain('')).nextCursor;

    // A writer that appended its event and has not committed yet (its transaction id is older).
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO events (type, resource_type, resource_id, actor_kind) VALUES ('user.updated', 'User', 'late-one', 'system')`,
    );
    try {
      // A later write commits first.
      const patched = await server.patch(`/v2/Users/${user.body.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'title', value: 'after the late one' }],
      });
      expect(patched.status).toBe(200);
      // Serving it now would move the cursor past the late event: the reader gets nothing yet.
      const meanwhile = await drain(start);
      expect(meanwhile.Resources).toEqual([]);
      expect(meanwhile.nextCursor).toBe(start);
    } finally {
      await db.query('COMMIT');
    }
    const after = await drain(start);
    expect(after.Resources.map((e) => e.resource.id)).toEqual(['late-one', user.body.id]);
    expect(BigInt(after.Resources[0].id) < BigInt(after.Resources[1].id)).toBe(true);
  });
});
