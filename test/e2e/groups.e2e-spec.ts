import { startServer, TestServer } from '../support/app';
import { nullPaths } from '../support/json';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ADSCIM = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

describe('Groups', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function user(): Promise<Record<string, any>> {
    const name = unique('member');
    const res = await server.post('/v2/Users', { schemas: [USER], userName: `${name}@example.com`, displayName: name });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function group(body: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await server.post('/v2/Groups', { schemas: [GROUP], displayName: unique('Group'), ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function patch(id: string, operations: unknown[], headers: Record<string, string> = {}, query = '') {
    return server.patch(`/v2/Groups/${id}${query}`, { schemas: [PATCH], Operations: operations }, { headers });
  }

  async function memberIds(id: string): Promise<string[]> {
    const res = await server.get(`/v2/Groups/${id}`);
    expect(res.status).toBe(200);
    return (res.body.members ?? []).map((m: { value: string }) => m.value).sort();
  }

  describe('create and read', () => {
    it('creates a group as Entra sends it (ADSCIM URN, client meta) and answers 201', async () => {
      const displayName = unique('Entra');
      const res = await server.post('/v2/Groups', {
        schemas: [GROUP, ADSCIM],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName,
        meta: { resourceType: 'Group' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`${server.baseUrl}/v2/Groups/${res.body.id}`);
      expect(res.headers.get('etag')).toBe('W/"1"');
      expect(res.body).toMatchObject({
        schemas: [GROUP],
        displayName,
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        meta: { resourceType: 'Group', version: 'W/"1"', location: `${server.baseUrl}/v2/Groups/${res.body.id}` },
      });
      expect(res.body.members).toBeUndefined();
      expect(nullPaths(res.body)).toEqual([]);
    });

    it('creates a group with members and returns them with value, $ref, display and type', async () => {
      const [u, child] = [await user(), await group()];
      const g = await group({ members: [{ value: u.id, display: 'Named by the IdP' }, { value: child.id }] });
      const members = [...g.members].sort((a: any, b: any) => a.type.localeCompare(b.type));
      // A display the client sent is echoed; otherwise it is the member's own name.
      expect(members).toEqual([
        { value: child.id, $ref: `${server.baseUrl}/v2/Groups/${child.id}`, display: child.displayName, type: 'Group' },
        { value: u.id, $ref: `${server.baseUrl}/v2/Users/${u.id}`, display: 'Named by the IdP', type: 'User' },
      ]);
    });

    it('rejects a duplicate displayName, case-insensitively, with 409 uniqueness', async () => {
      const g = await group();
      const res = await server.post('/v2/Groups', {
        schemas: [GROUP],
        displayName: String(g.displayName).toUpperCase(),
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it('rejects a member that names nobody with 400 invalidValue naming it, and creates nothing', async () => {
      const displayName = unique('Bad');
      const res = await server.post('/v2/Groups', {
        schemas: [GROUP],
        displayName,
        members: [{ value: '6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001' }],
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        scimType: 'invalidValue',
        detail: expect.stringContaining('6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001'),
      });
      const found = await server.get(`/v2/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
      expect(found.body.totalResults).toBe(0);
    });

    it('leaves members out entirely with excludedAttributes=members, on reads and lists', async () => {
      const u = await user();
      const g = await group({ members: [{ value: u.id }] });
      const one = await server.get(`/v2/Groups/${g.id}?excludedAttributes=members`);
      expect(one.status).toBe(200);
      expect(one.body).not.toHaveProperty('members');
      expect(one.body.displayName).toBe(g.displayName);
      const list = await server.get(
        `/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${String(g.displayName).toLowerCase()}"`)}`,
      );
      expect(list.body.totalResults).toBe(1);
      expect(list.body.Resources[0]).not.toHaveProperty('members');
    });

    it('answers 404 for unknown and malformed ids, and 304 for a current If-None-Match', async () => {
      expect((await server.get('/v2/Groups/6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001')).status).toBe(404);
      expect((await server.get('/v2/Groups/string%20id%201')).status).toBe(404);
      const g = await group();
      expect((await server.get(`/v2/Groups/${g.id}`, { headers: { 'if-none-match': 'W/"1"' } })).status).toBe(304);
    });
  });

  describe('membership PATCH', () => {
    it('adds several members in one op without duplicating existing ones, answering 204', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const g = await group({ members: [{ value: a.id }] });
      const res = await patch(g.id, [
        { op: 'Add', path: 'members', value: [{ $ref: null, value: a.id }, { value: b.id }, { value: c.id }] },
      ]);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers.get('etag')).toBe('W/"2"');
      expect(await memberIds(g.id)).toEqual([a.id, b.id, c.id].sort());
    });

    it("removes by value array (Entra's default job) and by filter (Okta), and tolerates absent members", async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const g = await group({ members: [{ value: a.id }, { value: b.id }, { value: c.id }] });
      expect(
        (await patch(g.id, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: a.id }] }])).status,
      ).toBe(204);
      expect((await patch(g.id, [{ op: 'remove', path: `members[value eq "${b.id}"]` }])).status).toBe(204);
      expect((await patch(g.id, [{ op: 'remove', path: `members[value eq "${b.id}"]` }])).status).toBe(204);
      expect(await memberIds(g.id)).toEqual([c.id]);
    });

    it('removes all members with remove and no value', async () => {
      const [a, b] = [await user(), await user()];
      const g = await group({ members: [{ value: a.id }, { value: b.id }] });
      expect((await patch(g.id, [{ op: 'remove', path: 'members' }])).status).toBe(204);
      expect(await memberIds(g.id)).toEqual([]);
    });

    it('replaces the member set exactly with replace members', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const g = await group({ members: [{ value: a.id }, { value: b.id }] });
      expect(
        (await patch(g.id, [{ op: 'replace', path: 'members', value: [{ value: b.id }, { value: c.id }] }])).status,
      ).toBe(204);
      expect(await memberIds(g.id)).toEqual([b.id, c.id].sort());
    });

    it('applies Okta remove+add with a rename carrying the id, atomically', async () => {
      const [a, b] = [await user(), await user()];
      const g = await group({ members: [{ value: a.id }] });
      const newName = unique('Renamed');
      const res = await patch(g.id, [
        { op: 'replace', value: { id: g.id, displayName: newName } },
        { op: 'remove', path: `members[value eq "${a.id}"]` },
        { op: 'add', path: 'members', value: [{ value: b.id, display: 'b' }] },
      ]);
      expect(res.status).toBe(204);
      const read = await server.get(`/v2/Groups/${g.id}`);
      expect(read.body.displayName).toBe(newName);
      expect(read.body.members.map((m: any) => m.value)).toEqual([b.id]);
      expect(read.body.meta.version).toBe('W/"2"');
    });

    it('applies nothing when one member is unknown', async () => {
      const [a, b] = [await user(), await user()];
      const g = await group({ members: [{ value: a.id }] });
      const res = await patch(g.id, [
        { op: 'remove', path: 'members' },
        { op: 'add', path: 'members', value: [{ value: b.id }, { value: '6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001' }] },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001');
      expect(await memberIds(g.id)).toEqual([a.id]);
    });

    it('answers 200 with the group when asked with attributes or Prefer: return=representation', async () => {
      const a = await user();
      const g = await group();
      const withAttributes = await patch(
        g.id,
        [{ op: 'add', path: 'members', value: [{ value: a.id }] }],
        {},
        '?attributes=displayName',
      );
      expect(withAttributes.status).toBe(200);
      expect(withAttributes.body).toEqual({ schemas: [GROUP], id: g.id, displayName: g.displayName });
      const represented = await patch(g.id, [{ op: 'replace', path: 'displayName', value: unique('R') }], {
        prefer: 'return=representation',
      });
      expect(represented.status).toBe(200);
      expect(represented.body.members.map((m: any) => m.value)).toEqual([a.id]);
    });

    it('replaces pathless externalId and displayName (Microsoft validator)', async () => {
      const g = await group();
      const name = unique('MSADP');
      expect((await patch(g.id, [{ op: 'replace', value: { externalId: 'c3b9' } }])).status).toBe(204);
      expect((await patch(g.id, [{ op: 'replace', value: { displayName: name } }])).status).toBe(204);
      const read = await server.get(`/v2/Groups/${g.id}?excludedAttributes=members`);
      expect(read.body).toMatchObject({ externalId: 'c3b9', displayName: name });
    });

    it('never loses a member under 20 concurrent PATCHes', async () => {
      const users = await Promise.all(Array.from({ length: 20 }, () => user()));
      const g = await group();
      const results = await Promise.all(
        users.map((u) => patch(g.id, [{ op: 'add', path: 'members', value: [{ value: u.id }] }])),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(204));
      expect(await memberIds(g.id)).toEqual(users.map((u) => u.id).sort());
      expect((await server.get(`/v2/Groups/${g.id}`)).body.meta.version).toBe('W/"21"');
    });

    it('honours If-Match on member changes', async () => {
      const a = await user();
      const g = await group();
      const stale = await patch(g.id, [{ op: 'add', path: 'members', value: [{ value: a.id }] }], {
        'if-match': 'W/"7"',
      });
      expect(stale.status).toBe(412);
      expect(await memberIds(g.id)).toEqual([]);
    });
  });

  describe('nested groups', () => {
    it('lists direct and indirect memberships on the user, and finds users through nested groups', async () => {
      const u = await user();
      const inner = await group({ members: [{ value: u.id }] });
      const outer = await group({ members: [{ value: inner.id }] });
      const read = await server.get(`/v2/Users/${u.id}`);
      const groups = [...read.body.groups].sort((a: any, b: any) => a.type.localeCompare(b.type));
      expect(groups).toEqual([
        {
          value: inner.id,
          $ref: `${server.baseUrl}/v2/Groups/${inner.id}`,
          display: inner.displayName,
          type: 'direct',
        },
        {
          value: outer.id,
          $ref: `${server.baseUrl}/v2/Groups/${outer.id}`,
          display: outer.displayName,
          type: 'indirect',
        },
      ]);
      const inOuter = await server.get(`/v2/Users?filter=${encodeURIComponent(`groups.value eq "${outer.id}"`)}`);
      expect(inOuter.body.Resources.map((r: any) => r.id)).toEqual([u.id]);
      const containing = await server.get(
        `/v2/Groups?filter=${encodeURIComponent(`members.value eq "${u.id}"`)}&excludedAttributes=members`,
      );
      expect(containing.body.Resources.map((r: any) => r.id)).toEqual([inner.id]);
      const byType = await server.get(
        `/v2/Users?filter=${encodeURIComponent(`groups[value eq "${outer.id}" and type eq "indirect"]`)}`,
      );
      expect(byType.body.totalResults).toBe(1);
    });

    it.each([
      ['a group into itself', 1],
      ['a two-group cycle', 2],
      ['a three-group cycle', 3],
    ])('rejects %s with 400', async (_, length) => {
      const chain = [await group()];
      for (let i = 1; i < length; i++) {
        chain.push(await group({ members: [{ value: chain[i - 1].id }] }));
      }
      const res = await patch(chain[0].id, [{ op: 'add', path: 'members', value: [{ value: chain[length - 1].id }] }]);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        schemas: [ERROR],
        scimType: 'invalidValue',
        detail: expect.stringMatching(/cycle|itself/),
      });
      expect(await memberIds(chain[0].id)).toEqual([]);
    });

    it('removes memberships when a user or a group is deleted', async () => {
      const [u, child] = [await user(), await group()];
      const g = await group({ members: [{ value: u.id }, { value: child.id }] });
      expect((await server.delete(`/v2/Users/${u.id}`)).status).toBe(204);
      expect((await server.delete(`/v2/Groups/${child.id}`)).status).toBe(204);
      expect(await memberIds(g.id)).toEqual([]);
      expect((await server.delete(`/v2/Groups/${g.id}`)).status).toBe(204);
      expect((await server.get(`/v2/Groups/${g.id}`)).status).toBe(404);
      expect((await server.delete(`/v2/Groups/${g.id}`)).status).toBe(404);
    });
  });

  describe('PUT', () => {
    it('replaces attributes and applies members as a diff', async () => {
      const [a, b] = [await user(), await user()];
      const g = await group({ members: [{ value: a.id }], externalId: 'old' });
      const name = unique('Put');
      const res = await server.put(`/v2/Groups/${g.id}`, {
        schemas: [GROUP],
        displayName: name,
        members: [{ value: b.id }],
      });
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe(name);
      expect(res.body).not.toHaveProperty('externalId');
      expect(res.body.members.map((m: any) => m.value)).toEqual([b.id]);
      const emptied = await server.put(`/v2/Groups/${g.id}`, { schemas: [GROUP], displayName: name, members: [] });
      expect(emptied.status).toBe(200);
      expect(emptied.body.members).toBeUndefined();
    });
  });

  describe('list', () => {
    it('filters by displayName in another case and pages', async () => {
      const g = await group({ displayName: unique('CaseTest') });
      const res = await server.get(
        `/v2/Groups?filter=${encodeURIComponent(`displayName eq "${String(g.displayName).toUpperCase()}"`)}`,
      );
      expect(res.body.totalResults).toBe(1);
      const page = await server.get('/v2/Groups?startIndex=1&count=1');
      expect(page.body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
      expect(page.body.totalResults).toBeGreaterThan(1);
    });

    it('searches with POST /Groups/.search', async () => {
      const g = await group();
      const res = await server.post('/v2/Groups/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: `displayName eq "${g.displayName}"`,
        attributes: ['displayName'],
      });
      expect(res.status).toBe(200);
      expect(res.body.Resources).toEqual([{ schemas: [GROUP], id: g.id, displayName: g.displayName }]);
    });
  });
});

describe('Groups: streamed list responses', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('streams a list of groups with their members as one valid ListResponse', async () => {
    const tag = `stream-${Date.now()}`;
    const users: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await server.post('/v2/Users', { schemas: [USER], userName: `${tag}-${i}@example.com` });
      users.push(res.body.id);
    }
    const big = await server.post('/v2/Groups', {
      schemas: [GROUP],
      displayName: `${tag}-a`,
      members: users.map((value) => ({ value })),
    });
    await server.post('/v2/Groups', { schemas: [GROUP], displayName: `${tag}-b` });
    await server.post('/v2/Groups', { schemas: [GROUP], displayName: `${tag}-c`, members: [{ value: users[0] }] });
    const res = await server.get(
      `/v2/Groups?filter=${encodeURIComponent(`displayName sw "${tag}"`)}&sortBy=displayName`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(res.body).toMatchObject({ totalResults: 3, itemsPerPage: 3, startIndex: 1 });
    const [a, b, c] = res.body.Resources;
    expect(a.id).toBe(big.body.id);
    expect(a.members.map((m: any) => m.value).sort()).toEqual([...users].sort());
    expect(b.members).toBeUndefined();
    expect(c.members).toEqual([expect.objectContaining({ value: users[0], type: 'User' })]);
    const searched = await server.post('/v2/Groups/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: `displayName eq "${tag}-a"`,
      attributes: ['members.value'],
    });
    expect(searched.body.Resources).toEqual([{ schemas: [GROUP], id: big.body.id, members: expect.any(Array) }]);
    expect(searched.body.Resources[0].members).toHaveLength(12);
    expect(Object.keys(searched.body.Resources[0].members[0])).toEqual(['value']);
  });
});
