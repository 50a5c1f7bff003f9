import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, TestServer } from '../support/app';
import { createTestDatabase, testDatabaseKind } from '../support/database';
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

describe('Cursor signing key: one per deployment, kept in the database', () => {
  it('a cursor issued before a restart is accepted after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-cursor-'));
    // A persistent database: a file for PGlite, a fresh database for PostgreSQL.
    const database = testDatabaseKind() === 'postgres' ? await createTestDatabase() : undefined;
    const env = database ? { DATABASE_URL: database.url } : { DATABASE_URL: '', DATA_DIR: dir };
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
