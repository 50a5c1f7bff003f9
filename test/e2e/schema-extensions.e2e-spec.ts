import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startServer, TestServer } from '../support/app';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const TEAM = 'urn:example:params:scim:schemas:extension:team:1.0:Group';
const UNKNOWN = 'urn:ietf:params:scim:schemas:extension:Nobody:2.0:User';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

const CUSTOM_SCHEMA = {
  id: CUSTOM,
  name: 'CustomExtensionName',
  description: 'What Entra maps to custom attributes',
  resourceType: 'User',
  attributes: [
    { name: 'costCenter', type: 'string' },
    { name: 'badge', type: 'integer', uniqueness: 'server' },
    { name: 'remote', type: 'boolean' },
    { name: 'hired', type: 'dateTime' },
    { name: 'code', type: 'string', caseExact: true },
    { name: 'secret', type: 'string', returned: 'never' },
    { name: 'nickname', type: 'string', returned: 'request' },
    { name: 'skills', type: 'string', multiValued: true },
    {
      name: 'site',
      type: 'complex',
      subAttributes: [
        { name: 'building', type: 'string' },
        { name: 'floor', type: 'integer' },
      ],
    },
  ],
};

describe('Schema extensions at runtime (issue 15)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    const res = await server.post('/admin/schemas', CUSTOM_SCHEMA);
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
  });

  async function createUser(extra: Record<string, unknown>, schemas: string[] = [USER, CUSTOM]) {
    return server.post('/v2/Users', { schemas, userName: `${unique('ext')}@example.com`, ...extra });
  }

  describe('the admin API', () => {
    it('lists the registered schema with its indexes, and serves it in /Schemas and /ResourceTypes', async () => {
      const list = await server.get('/admin/schemas');
      expect(list.status).toBe(200);
      const found = list.body.schemas.find((s: { id: string }) => s.id === CUSTOM);
      expect(found).toMatchObject({ resourceType: 'User', required: false, version: 1 });
      expect(found.indexes.length).toBeGreaterThan(0);

      const schema = await server.get(`/v2/Schemas/${CUSTOM}`);
      expect(schema.status).toBe(200);
      expect(schema.body.attributes.map((a: { name: string }) => a.name)).toContain('costCenter');
      expect(schema.body.attributes.find((a: { name: string }) => a.name === 'badge')).toMatchObject({
        type: 'integer',
        uniqueness: 'server',
        mutability: 'readWrite',
        returned: 'default',
      });
      const all = await server.get('/v2/Schemas');
      expect(all.body.Resources.map((s: { id: string }) => s.id)).toContain(CUSTOM);

      const type = await server.get('/v2/ResourceTypes/User');
      expect(type.body.schemaExtensions).toContainEqual({ schema: CUSTOM, required: false });
    });

    it('refuses bad bodies with 400 and changes nothing', async () => {
      const bad = [
        { ...CUSTOM_SCHEMA, id: 'not a urn' },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad1', attributes: [] },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad2', attributes: [{ name: '1x', type: 'string' }] },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad3', attributes: [{ name: 'x', type: 'float' }] },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad4', resourceType: 'Device' },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad5', attributes: [{ name: 'x' }, { name: 'X' }] },
        { ...CUSTOM_SCHEMA, id: 'urn:example:bad6', attributes: [{ name: 'c', type: 'complex' }] },
        { ...CUSTOM_SCHEMA, id: `${CUSTOM}:sub` },
      ];
      for (const body of bad) {
        const res = await server.post('/admin/schemas', body);
        expect(res.status).toBe(400);
        expect(res.body.scimType).toBe('invalidValue');
      }
      const list = await server.get('/admin/schemas');
      expect(list.body.schemas.map((s: { id: string }) => s.id)).toEqual([CUSTOM]);
      expect((await server.post('/admin/schemas', CUSTOM_SCHEMA)).status).toBe(409);
      const builtIn = await server.put('/admin/schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', {
        attributes: [{ name: 'x' }],
      });
      expect(builtIn.status).toBe(400);
      const big = await server.post('/admin/schemas', { ...CUSTOM_SCHEMA, description: 'x'.repeat(70 * 1024) });
      expect(big.status).toBe(413);
    });

    it('refuses a required extension with required attributes while users exist (they could not be changed)', async () => {
      await createUser({});
      const res = await server.post('/admin/schemas', {
        id: 'urn:example:strict:1.0:User',
        resourceType: 'User',
        required: true,
        attributes: [{ name: 'must', required: true }],
      });
      expect(res.status).toBe(409);
      const optional = await server.post('/admin/schemas', {
        id: 'urn:example:strict:1.0:User',
        resourceType: 'User',
        required: true,
        attributes: [{ name: 'may' }],
      });
      expect(optional.status).toBe(201);
      expect((await server.get('/v2/ResourceTypes/User')).body.schemaExtensions).toContainEqual({
        schema: 'urn:example:strict:1.0:User',
        required: true,
      });
      expect((await server.delete('/admin/schemas/urn:example:strict:1.0:User')).status).toBe(204);
    });

    it('needs roster.admin', async () => {
      const token = await server.post('/admin/tokens', { name: unique('reader'), scope: 'scim.read scim.write' });
      expect(token.status).toBe(201);
      const res = await server.post(
        '/admin/schemas',
        { ...CUSTOM_SCHEMA, id: 'urn:example:x' },
        { token: token.body.token },
      );
      expect(res.status).toBe(403);
    });
  });

  it('the served OpenAPI document follows the registry: the extension is a component, and User refers to it', async () => {
    const res = await server.get('/docs/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const schemas = res.body.components.schemas;
    expect(schemas.CustomExtensionName.properties.costCenter).toEqual({ type: 'string' });
    expect(schemas.CustomExtensionName.properties.badge).toEqual({ type: 'integer' });
    expect(schemas.CustomExtensionName.properties.site.properties.floor).toEqual({ type: 'integer' });
    expect(schemas.User.properties[CUSTOM]).toEqual({ $ref: '#/components/schemas/CustomExtensionName' });
    // The built-in components are the ones built at start.
    expect(schemas.User.properties['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toEqual({
      $ref: '#/components/schemas/EnterpriseUser',
    });
  });

  describe('validation and storage', () => {
    it('stores nested and flat (Entra) forms, coerces Entra strings, and returns them', async () => {
      const res = await createUser({
        [CUSTOM]: { costCenter: '42', site: { building: 'B1', floor: '3' } },
        [`${CUSTOM}:remote`]: 'True',
        [`${CUSTOM}:badge`]: '1001',
      });
      expect(res.status).toBe(201);
      expect(res.body.schemas).toEqual([USER, CUSTOM]);
      expect(res.body[CUSTOM]).toEqual({
        costCenter: '42',
        badge: 1001,
        remote: true,
        site: { building: 'B1', floor: 3 },
      });
      const read = await server.get(`/v2/Users/${res.body.id}`);
      expect(read.body[CUSTOM]).toEqual(res.body[CUSTOM]);
    });

    it('answers a type error with 400 invalidValue naming the attribute', async () => {
      for (const [value, name] of [
        [{ badge: 'many' }, 'badge'],
        [{ remote: 'maybe' }, 'remote'],
        [{ hired: 'yesterday' }, 'hired'],
        [{ costCenter: { a: 1 } }, 'costCenter'],
        [{ costCenter: ['a'] }, 'costCenter'],
        [{ site: { floor: 'high' } }, 'site.floor'],
      ] as const) {
        const res = await createUser({ [CUSTOM]: value });
        expect(res.status).toBe(400);
        expect(res.body.scimType).toBe('invalidValue');
        expect(res.body.detail).toContain(`${CUSTOM}:${name}`);
      }
    });

    it('enforces uniqueness: server with 409', async () => {
      const first = await createUser({ [CUSTOM]: { badge: 777 } });
      expect(first.status).toBe(201);
      const second = await createUser({ [CUSTOM]: { badge: 777 } });
      expect(second.status).toBe(409);
      expect(second.body.scimType).toBe('uniqueness');
      expect(second.body.detail).toContain('badge');
    });

    it('honours returned and URN-qualified attributes / excludedAttributes', async () => {
      const res = await createUser({ [CUSTOM]: { costCenter: 'CC', secret: 's3', nickname: 'nick' } });
      expect(res.status).toBe(201);
      expect(res.body[CUSTOM]).toEqual({ costCenter: 'CC' });
      const id = res.body.id;
      const requested = await server.get(`/v2/Users/${id}?attributes=${CUSTOM}:nickname,userName`);
      expect(requested.body[CUSTOM]).toEqual({ nickname: 'nick' });
      expect(requested.body.userName).toBeDefined();
      const excluded = await server.get(`/v2/Users/${id}?excludedAttributes=${CUSTOM}:costCenter`);
      expect(excluded.body[CUSTOM]).toBeUndefined();
      const whole = await server.get(`/v2/Users/${id}?attributes=${CUSTOM}`);
      expect(whole.body[CUSTOM]).toEqual({ costCenter: 'CC' });
    });

    it('PATCHes with URN paths, the flat form, and pathless objects with URN keys', async () => {
      const res = await createUser({ [CUSTOM]: { costCenter: 'A' } });
      const id = res.body.id;
      const patch = (Operations: unknown[]) => server.patch(`/v2/Users/${id}`, { schemas: [PATCH], Operations });

      let out = await patch([{ op: 'Replace', path: `${CUSTOM}:costCenter`, value: 'B' }]);
      expect(out.status).toBe(200);
      expect(out.body[CUSTOM].costCenter).toBe('B');
      out = await patch([{ op: 'add', path: `${CUSTOM}:skills`, value: ['go', 'ts'] }]);
      expect(out.body[CUSTOM].skills).toEqual(['go', 'ts']);
      out = await patch([{ op: 'replace', value: { [`${CUSTOM}:remote`]: 'False', [CUSTOM]: { badge: '5' } } }]);
      expect(out.body[CUSTOM]).toMatchObject({ remote: false, badge: 5 });
      out = await patch([{ op: 'replace', path: `${CUSTOM}:site.floor`, value: 7 }]);
      expect(out.body[CUSTOM].site).toEqual({ floor: 7 });
      out = await patch([{ op: 'remove', path: `${CUSTOM}:costCenter` }]);
      expect(out.body[CUSTOM].costCenter).toBeUndefined();
      const bad = await patch([{ op: 'replace', path: `${CUSTOM}:badge`, value: 'x' }]);
      expect(bad.status).toBe(400);
      expect(bad.body.detail).toContain('badge');
      out = await patch([{ op: 'remove', path: CUSTOM }]);
      expect(out.body[CUSTOM]).toBeUndefined();
      expect(out.body.schemas).toEqual([USER]);
    });

    it('validates through Bulk and MCP-facing services alike (Bulk here)', async () => {
      const res = await server.post('/v2/Bulk', {
        schemas: [BULK],
        Operations: [
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'a',
            data: { schemas: [USER, CUSTOM], userName: `${unique('bulk')}@x.org`, [CUSTOM]: { costCenter: 'bulk' } },
          },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'b',
            data: { schemas: [USER, CUSTOM], userName: `${unique('bulk')}@x.org`, [CUSTOM]: { badge: 'nope' } },
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.Operations[0].status).toBe('201');
      expect(res.body.Operations[1].status).toBe('400');
      const created = await server.get(res.body.Operations[0].location.replace(server.baseUrl, ''));
      expect(created.body[CUSTOM]).toEqual({ costCenter: 'bulk' });
    });
  });

  describe('MCP writes (official MCP client SDK)', () => {
    it('create_user and update_user validate and store extension attributes like REST', async () => {
      const token = await server.post('/admin/tokens', {
        name: unique('mcp'),
        scope: 'scim.read scim.write',
        mcp: true,
      });
      expect(token.status).toBe(201);
      const client = new Client({ name: 'roster-ext-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/v2/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token.body.token}` } },
        }),
      );
      try {
        const userName = `${unique('mcp')}@example.com`;
        const created = (await client.callTool({
          name: 'create_user',
          arguments: { userName, attributes: { [CUSTOM]: { costCenter: 'mcp-1', badge: '4242' } } },
        })) as { isError?: boolean; structuredContent?: Record<string, any> };
        expect(created.isError).toBeFalsy();
        const rest = await server.get(`/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
        const id = rest.body.Resources[0].id;
        expect(rest.body.Resources[0][CUSTOM]).toEqual({ costCenter: 'mcp-1', badge: 4242 });

        const bad = (await client.callTool({
          name: 'update_user',
          arguments: { id, operations: [{ op: 'replace', path: `${CUSTOM}:badge`, value: 'lots' }] },
        })) as { isError?: boolean; content: { text: string }[] };
        expect(bad.isError).toBe(true);
        expect(JSON.stringify(bad.content)).toContain(`${CUSTOM}:badge`);
        const ok = (await client.callTool({
          name: 'update_user',
          arguments: { id, operations: [{ op: 'replace', path: `${CUSTOM}:costCenter`, value: 'mcp-2' }] },
        })) as { isError?: boolean };
        expect(ok.isError).toBeFalsy();
        expect((await server.get(`/v2/Users/${id}`)).body[CUSTOM].costCenter).toBe('mcp-2');
      } finally {
        await client.close();
      }
    });
  });

  describe('filters and sorting', () => {
    let ids: string[] = [];
    const tag = unique('flt').toLowerCase();
    beforeAll(async () => {
      ids = [];
      for (const [cc, floor, remote] of [
        [`${tag}-Alpha`, 1, true],
        [`${tag}-beta`, 3, false],
        [`${tag}-Gamma`, 2, true],
      ] as const) {
        const res = await createUser({ [CUSTOM]: { costCenter: cc, code: cc, remote, site: { floor } } });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
    });
    const query = async (filter: string, extra = '') => {
      const res = await server.get(`/v2/Users?filter=${encodeURIComponent(filter)}${extra}`);
      expect(res.status).toBe(200);
      return res.body.Resources.map((r: { id: string }) => r.id);
    };

    it('filters with the core case rules', async () => {
      expect(await query(`${CUSTOM}:costCenter eq "${tag}-ALPHA"`)).toEqual([ids[0]]);
      expect(await query(`${CUSTOM}:code eq "${tag}-ALPHA"`)).toEqual([]);
      expect(await query(`${CUSTOM}:code eq "${tag}-Alpha"`)).toEqual([ids[0]]);
      expect((await query(`${CUSTOM}:costCenter sw "${tag}"`)).sort()).toEqual([...ids].sort());
      expect(await query(`${CUSTOM}:costCenter ew "ta" and ${CUSTOM}:costCenter co "${tag}"`)).toEqual([ids[1]]);
      expect((await query(`${CUSTOM}:remote eq true and ${CUSTOM}:costCenter sw "${tag}"`)).sort()).toEqual(
        [ids[0], ids[2]].sort(),
      );
      expect(await query(`${CUSTOM}:site.floor gt 2 and ${CUSTOM}:costCenter sw "${tag}"`)).toEqual([ids[1]]);
      expect(await query(`${CUSTOM}:costCenter sw "${tag}" and not (${CUSTOM}:site.floor le 2)`)).toEqual([ids[1]]);
      expect((await query(`${CUSTOM}:costCenter sw "${tag}" and ${CUSTOM}:site pr`)).length).toBe(3);
      expect(await query(`${CUSTOM}:costCenter ne "${tag}-alpha" and ${CUSTOM}:code sw "${tag}-G"`)).toEqual([ids[2]]);
    });

    it('sorts by an extension attribute, case-insensitively', async () => {
      const f = `&sortBy=${encodeURIComponent(`${CUSTOM}:costCenter`)}`;
      expect(await query(`${CUSTOM}:costCenter sw "${tag}"`, f)).toEqual(ids);
      expect(await query(`${CUSTOM}:costCenter sw "${tag}"`, `${f}&sortOrder=descending`)).toEqual([...ids].reverse());
      const byFloor = `&sortBy=${encodeURIComponent(`${CUSTOM}:site.floor`)}`;
      expect(await query(`${CUSTOM}:costCenter sw "${tag}"`, byFloor)).toEqual([ids[0], ids[2], ids[1]]);
    });
  });

  describe('groups, change and removal', () => {
    it('registers a Group extension, changes it compatibly, and removes it with purge', async () => {
      const reg = await server.post('/admin/schemas', {
        id: TEAM,
        resourceType: 'Group',
        attributes: [{ name: 'budget', type: 'decimal' }],
      });
      expect(reg.status).toBe(201);
      const group = await server.post('/v2/Groups', {
        schemas: [GROUP, TEAM],
        displayName: unique('Team'),
        [TEAM]: { budget: 12.5 },
      });
      expect(group.status).toBe(201);
      expect(group.body[TEAM]).toEqual({ budget: 12.5 });
      const found = await server.get(`/v2/Groups?filter=${encodeURIComponent(`${TEAM}:budget ge 12`)}`);
      expect(found.body.Resources.map((g: { id: string }) => g.id)).toEqual([group.body.id]);

      const incompatible = await server.put(`/admin/schemas/${TEAM}`, {
        attributes: [{ name: 'budget', type: 'string' }],
      });
      expect(incompatible.status).toBe(400);
      expect(incompatible.body.detail).toMatch(/Incompatible/);
      const changed = await server.put(`/admin/schemas/${TEAM}`, {
        attributes: [
          { name: 'budget', type: 'decimal' },
          { name: 'motto', type: 'string' },
        ],
      });
      expect(changed.status).toBe(200);
      expect(changed.body.version).toBe(2);
      const patched = await server.patch(`/v2/Groups/${group.body.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'add', path: `${TEAM}:motto`, value: 'ship it' }],
      });
      expect(patched.status).toBe(204);
      const read = await server.get(`/v2/Groups/${group.body.id}`);
      expect(read.body[TEAM]).toEqual({ budget: 12.5, motto: 'ship it' });

      const refused = await server.delete(`/admin/schemas/${TEAM}`);
      expect(refused.status).toBe(409);
      const removed = await server.delete(`/admin/schemas/${TEAM}?purge=true`);
      expect(removed.status).toBe(204);
      const after = await server.get(`/v2/Groups/${group.body.id}`);
      expect(after.body[TEAM]).toBeUndefined();
      expect((await server.get(`/v2/Schemas/${TEAM}`)).status).toBe(404);
      const list = await server.get('/admin/schemas');
      expect(list.body.schemas.map((s: { id: string }) => s.id)).toEqual([CUSTOM]);
    });
  });

  describe('unknown extensions (SCHEMA_UNKNOWN_EXTENSIONS=reject, the default)', () => {
    it('refuses an unregistered URN, nested or flat, naming it, and stores nothing', async () => {
      const nested = await createUser({ [UNKNOWN]: { costCenter: '42' } }, [USER, UNKNOWN]);
      expect(nested.status).toBe(400);
      expect(nested.body.scimType).toBe('invalidValue');
      expect(nested.body.detail).toContain(UNKNOWN);
      const flat = await createUser({ [`${UNKNOWN}:costCenter`]: '42' }, [USER, UNKNOWN]);
      expect(flat.status).toBe(400);
      expect(flat.body.detail).toContain(UNKNOWN);
      const user = await createUser({});
      const patch = await server.patch(`/v2/Users/${user.body.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'add', path: `${UNKNOWN}:costCenter`, value: '42' }],
      });
      expect(patch.status).toBe(400);
      expect(patch.body.detail).toContain(UNKNOWN);
    });

    it('still accepts an unknown URN that is only listed in "schemas" (Entra ADSCIM, misspelled enterprise)', async () => {
      const res = await createUser({}, [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User']);
      expect(res.status).toBe(201);
    });
  });
});

describe('SCHEMA_UNKNOWN_EXTENSIONS=store and ignore', () => {
  it('store keeps an unregistered extension verbatim and returns it', async () => {
    const server = await startServer({ SCHEMA_UNKNOWN_EXTENSIONS: 'store' });
    try {
      const res = await server.post('/v2/Users', {
        schemas: [USER, UNKNOWN],
        userName: `${unique('store')}@example.com`,
        [UNKNOWN]: { costCenter: '42', nested: { a: [1, 2] } },
        [`${UNKNOWN}:flat`]: 'yes',
      });
      expect(res.status).toBe(201);
      expect(res.body[UNKNOWN]).toEqual({ costCenter: '42', nested: { a: [1, 2] }, flat: 'yes' });
      expect(res.body.schemas).toContain(UNKNOWN);
      const read = await server.get(`/v2/Users/${res.body.id}`);
      expect(read.body[UNKNOWN]).toEqual(res.body[UNKNOWN]);
      const filter = await server.get(`/v2/Users?filter=${encodeURIComponent(`${UNKNOWN}:costCenter eq "42"`)}`);
      expect(filter.status).toBe(400);
      // Listed in /Schemas as an open extension (recorded right after the write, for every instance).
      let open: Record<string, any> | undefined;
      for (let i = 0; i < 50 && !open; i++) {
        const schemas = await server.get('/v2/Schemas');
        open = schemas.body.Resources.find((r: { id: string }) => r.id === UNKNOWN);
        if (!open) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(open).toMatchObject({ id: UNKNOWN, attributes: [] });
      expect(open?.description).toMatch(/Open extension of User/);
      expect((await server.get(`/v2/Schemas/${UNKNOWN}`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('ignore drops it, logs the URN once and counts it', async () => {
    const lines: string[] = [];
    const server = await startServer(
      { SCHEMA_UNKNOWN_EXTENSIONS: 'ignore', LOG_LEVEL: 'warn' },
      { logStream: { write: (line) => void lines.push(line) } },
    );
    try {
      for (let i = 0; i < 2; i++) {
        const res = await server.post('/v2/Users', {
          schemas: [USER, UNKNOWN],
          userName: `${unique('ignore')}@example.com`,
          [UNKNOWN]: { costCenter: '42' },
        });
        expect(res.status).toBe(201);
        expect(res.body[UNKNOWN]).toBeUndefined();
      }
      expect(lines.filter((l) => l.includes(UNKNOWN) && l.includes('Ignored')).length).toBe(1);
      const metrics = await server.get('/metrics');
      expect(metrics.text).toContain(`roster_scim_unknown_extensions_ignored_total{urn="${UNKNOWN}"} 2`);
    } finally {
      await server.close();
    }
  });
});
