import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AdminTokenService } from '../../apps/api/src/auth/admin-token.service';
import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';
import { DATABASE, DatabaseHandle } from '@roster/db';
import { Client } from 'pg';
import { adminUrl, createTestDatabase, testDatabaseKind } from '../support/database';
import { nullPaths } from '../support/json';
import { templatedDataDir } from '../support/template';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

describe('Foundation: HTTP, discovery, errors, auth skeleton', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the ServiceProviderConfig as application/scim+json without a token', async () => {
    const res = await server.get('/v2/ServiceProviderConfig', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(res.body.schemas).toEqual([SPC]);
    expect(res.body.meta).toEqual({
      resourceType: 'ServiceProviderConfig',
      location: `${server.baseUrl}/v2/ServiceProviderConfig`,
    });
    expect(nullPaths(res.body)).toEqual([]);
  });

  it('serves the same document at the API root', async () => {
    const [root, spc] = await Promise.all([server.get('/', { token: null }), server.get('/v2/ServiceProviderConfig')]);
    expect(root.status).toBe(200);
    expect(root.body).toEqual(spc.body);
  });

  it.each(['/v2/serviceproviderconfig', '/v2/ServiceProviderConfig/', '/V2/SERVICEPROVIDERCONFIG/'])(
    'matches routes case-insensitively and with a trailing slash: %s',
    async (path) => {
      const res = await server.get(path, { token: null });
      expect(res.status).toBe(200);
      expect(res.body.schemas).toEqual([SPC]);
    },
  );

  it('lists resource types with User first and endpoint /Users', async () => {
    const res = await server.get('/v2/ResourceTypes', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    expect(res.body.totalResults).toBe(2);
    expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    expect(res.body.Resources[0]).toMatchObject({
      endpoint: '/Users',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
    });
    expect(nullPaths(res.body)).toEqual([]);
  });

  it('lists schemas with User first, containing "User Account", and no nulls', async () => {
    const res = await server.get('/v2/Schemas', { token: null });
    expect(res.status).toBe(200);
    const ids = res.body.Resources.map((r: { id: string }) => r.id);
    expect(ids[0]).toBe('urn:ietf:params:scim:schemas:core:2.0:User');
    expect(ids).toEqual(
      expect.arrayContaining([
        'urn:ietf:params:scim:schemas:core:2.0:Group',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      ]),
    );
    expect(res.text).toContain('User Account');
    expect(nullPaths(res.body)).toEqual([]);
    expect(res.body.totalResults).toBe(ids.length);
  });

  it('serves one schema and one resource type by id', async () => {
    const schema = await server.get('/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group', { token: null });
    expect(schema.status).toBe(200);
    expect(schema.body.id).toBe('urn:ietf:params:scim:schemas:core:2.0:Group');
    const type = await server.get('/v2/ResourceTypes/Group', { token: null });
    expect(type.status).toBe(200);
    expect(type.body.endpoint).toBe('/Groups');
  });

  it.each(['/v2/Schemas/urn:example:nothing', '/v2/ResourceTypes/Printer'])(
    'answers 404 for unknown %s',
    async (path) => {
      const res = await server.get(path, { token: null });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ schemas: [ERROR], status: '404', detail: expect.any(String) });
    },
  );

  it('answers an unknown route with a 404 SCIM error', async () => {
    const res = await server.get('/v2/Printers');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(res.body).toEqual({ schemas: [ERROR], status: '404', detail: 'No endpoint at GET /v2/Printers.' });
  });

  it.each(['/v2/ServiceProviderConfig', '/v2/ResourceTypes', '/v2/Schemas', '/'])(
    'answers POST %s with 405 and Allow',
    async (path) => {
      const res = await server.request('POST', path, { raw: 'test', headers: { 'content-type': 'text/plain' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('GET');
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '405' });
    },
  );

  it('answers DELETE on a discovery document with 405', async () => {
    const res = await server.delete('/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect(res.status).toBe(405);
  });

  it('refuses a filter on discovery endpoints with 403 (RFC 7644 §4)', async () => {
    const res = await server.get('/v2/Schemas?filter=id%20eq%20%22x%22', { token: null });
    expect(res.status).toBe(403);
    expect(res.body.status).toBe('403');
  });

  it('echoes a sane X-Request-Id and generates one otherwise', async () => {
    const given = await server.get('/health', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const generated = await server.get('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports health and readiness without a token', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect((await server.get('/health', { token: null })).body).toEqual({ status: 'ok', version });
    const ready = await server.get('/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: testDatabaseKind(), version });
    expect((await server.get('/version', { token: null })).body).toEqual({
      name: 'roster',
      version,
      node: process.versions.node,
      database: testDatabaseKind(),
    });
  });

  it('serves the OpenAPI document and the Swagger UI publicly', async () => {
    const doc = await server.get('/docs/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await server.get('/docs', { token: null });
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});

describe('Foundation: authentication', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ DISCOVERY_PUBLIC: 'false' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('requires a token on discovery when DISCOVERY_PUBLIC=false', async () => {
    const res = await server.get('/v2/Schemas', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(res.headers.get('www-authenticate')).not.toContain('invalid_token');
    expect(res.body).toEqual({ schemas: [ERROR], status: '401', detail: expect.stringContaining('Authorization') });
  });

  it('accepts the admin token', async () => {
    expect((await server.get('/v2/Schemas', { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it.each([
    ['a wrong token', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['another scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('rejects %s with 401 invalid_token', async (_, headers) => {
    const res = await server.get('/v2/Schemas', { headers, token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.body.status).toBe('401');
  });

  it('refuses a token in the query string', async () => {
    const res = await server.get(`/v2/Schemas?access_token=${ADMIN_TOKEN}`, { token: null });
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain('never in the URL');
  });

  it('keeps health and docs public', async () => {
    expect((await server.get('/health', { token: null })).status).toBe(200);
    expect((await server.get('/docs/openapi.json', { token: null })).status).toBe(200);
  });
});

describe('Foundation: the generated admin token and persistence', () => {
  it('generates an admin token on first start, stores only its hash, and keeps data across a restart', async () => {
    const dataDir = await templatedDataDir('roster-data-');
    try {
      const env = { DATABASE_URL: '', DATA_DIR: dataDir, SCIM_ADMIN_TOKEN: '', DISCOVERY_PUBLIC: 'false' };
      const first = await startServer(env);
      const state = first.startup.adminToken;
      const token = state.kind === 'generated' ? state.token : undefined;
      expect(token).toMatch(/^roster_admin_[A-Za-z0-9_-]{43}$/);
      // The bootstrap marks it shown once printed; a start that finds it unshown hints at a reset.
      await first.app.get(AdminTokenService).markShown();
      expect((await first.get('/v2/Schemas', { token: token! })).status).toBe(200);
      expect((await first.get('/v2/Schemas', { token: ADMIN_TOKEN })).status).toBe(401);
      await first.close();

      const second = await startServer(env);
      try {
        expect(second.startup.adminToken).toEqual({ kind: 'stored' });
        expect((await second.get('/v2/Schemas', { token: token! })).status).toBe(200);
        expect((await second.get('/v2/Schemas', { token: `${token!}x` })).status).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// Several instances on one PostgreSQL is the production topology; PGlite is in-process and
// single-instance by nature, so this suite runs in `npm run test:pg` only.
const describePostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

describePostgres('Foundation: several instances on one empty PostgreSQL database', () => {
  it('starts two instances at once; one migrates, both serve', async () => {
    const database = await createTestDatabase();
    try {
      const env = { DATABASE_URL: database.url, SCIM_ADMIN_TOKEN: '' };
      const [a, b] = await Promise.all([startServer(env), startServer(env)]);
      try {
        expect((await a.get('/ready', { token: null })).status).toBe(200);
        expect((await b.get('/ready', { token: null })).status).toBe(200);
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          const applied = await client.query(
            'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY 1',
          );
          expect(applied.rows.length).toBeGreaterThan(0);
          expect(applied.rows.every((r) => r.n === 1)).toBe(true);
        } finally {
          await client.end();
        }
        // Both adopted the same generated admin token (only its hash is shared).
        const tokens = [a, b]
          .map((s) => (s.startup.adminToken.kind === 'generated' ? s.startup.adminToken.token : undefined))
          .filter(Boolean);
        expect(tokens).toHaveLength(1);
        for (const s of [a, b]) {
          expect((await s.get('/v2/Users', { token: tokens[0]! })).status).toBe(200);
        }
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await database.drop();
    }
  });
});

/** Makes the server's database unreachable, as an outage would: no connection succeeds any more. */
async function cutOffDatabase(server: TestServer): Promise<void> {
  if (testDatabaseKind() === 'pglite') {
    await server.app.get<DatabaseHandle>(DATABASE).close();
    return;
  }
  const name = new URL(server.config.database.url!).pathname.slice(1);
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query('UPDATE pg_database SET datallowconn = false WHERE datname = $1', [name]);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
  } finally {
    await admin.end();
  }
}

describe('Foundation: database failure', () => {
  it('answers 503 with a SCIM error when the database is gone, and /ready says so', async () => {
    const server = await startServer();
    try {
      expect((await server.get('/v2/Users')).status).toBe(200);
      await cutOffDatabase(server);
      const res = await server.get('/v2/Users');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        schemas: [ERROR],
        status: '503',
        detail: expect.stringContaining('database is unavailable'),
      });
      expect(res.text).not.toMatch(/prisma|pglite|ECONN|stack/i);
      expect((await server.get('/ready', { token: null })).status).toBe(503);
      expect((await server.get('/health', { token: null })).status).toBe(200);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});
