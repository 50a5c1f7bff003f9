import { request as httpRequest } from 'node:http';
import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

type Operation = Record<string, unknown>;

const createUser = (bulkId: string, userName: string, extra: Record<string, unknown> = {}): Operation => ({
  method: 'POST',
  path: '/Users',
  bulkId,
  data: { schemas: [USER], userName, ...extra },
});

const createGroup = (bulkId: string, displayName: string, members?: unknown[]): Operation => ({
  method: 'POST',
  path: '/Groups',
  bulkId,
  data: { schemas: [GROUP], displayName, ...(members ? { members } : {}) },
});

const patchOp = (path: string, operations: unknown[], extra: Record<string, unknown> = {}): Operation => ({
  method: 'PATCH',
  path,
  data: { schemas: [PATCH], Operations: operations },
  ...extra,
});

const idOf = (location: string) => location.split('/').pop() as string;

describe('Bulk', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function bulk(operations: Operation[], extra: Record<string, unknown> = {}) {
    return server.post('/v2/Bulk', { schemas: [BULK_REQUEST], ...extra, Operations: operations });
  }

  async function usersNamed(prefix: string): Promise<number> {
    const res = await server.get(`/v2/Users?filter=${encodeURIComponent(`userName sw "${prefix}"`)}&count=0`);
    expect(res.status).toBe(200);
    return res.body.totalResults;
  }

  async function groupsNamed(prefix: string): Promise<number> {
    const res = await server.get(`/v2/Groups?filter=${encodeURIComponent(`displayName sw "${prefix}"`)}&count=0`);
    expect(res.status).toBe(200);
    return res.body.totalResults;
  }

  async function memberIds(groupId: string): Promise<string[]> {
    const res = await server.get(`/v2/Groups/${groupId}`);
    expect(res.status).toBe(200);
    return (res.body.members ?? []).map((m: { value: string }) => m.value).sort();
  }

  async function managerOf(userId: string): Promise<string | undefined> {
    const res = await server.get(`/v2/Users/${userId}`);
    expect(res.status).toBe(200);
    return res.body[ENTERPRISE]?.manager?.value;
  }

  it('is advertised in ServiceProviderConfig with its configured limits', async () => {
    const res = await server.get('/v2/ServiceProviderConfig');
    expect(res.body.bulk).toEqual({
      supported: true,
      maxOperations: server.config.bulk.maxOperations,
      maxPayloadSize: server.config.bulk.maxPayloadSize,
    });
  });

  describe('operations and answers', () => {
    it('runs mixed Users and Groups operations and answers each, in request order, as the RFC shows', async () => {
      const name = unique('mixed');
      const existing = await server.post('/v2/Users', { schemas: [USER], userName: `${name}-old@example.com` });
      const doomed = await server.post('/v2/Groups', { schemas: [GROUP], displayName: `${name}-doomed` });
      const res = await bulk([
        createUser('u1', `${name}-u1@example.com`),
        createGroup('g1', `${name}-g1`, [{ value: 'bulkId:u1' }, { value: existing.body.id }]),
        {
          method: 'PUT',
          path: `/Users/${existing.body.id}`,
          bulkId: 'put-1',
          data: { schemas: [USER], userName: `${name}-old@example.com`, displayName: 'Replaced' },
        },
        patchOp('/Users/bulkId:u1', [{ op: 'replace', path: 'displayName', value: 'Patched' }]),
        { method: 'DELETE', path: `/Groups/${doomed.body.id}` },
      ]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body.schemas).toEqual([BULK_RESPONSE]);
      const [post, group, put, patch, del] = res.body.Operations;
      expect(post).toEqual({
        method: 'POST',
        bulkId: 'u1',
        location: expect.stringMatching(new RegExp(`^${server.baseUrl}/v2/Users/[0-9a-f-]{36}$`)),
        version: 'W/"1"',
        status: '201',
      });
      expect(group).toMatchObject({ method: 'POST', bulkId: 'g1', status: '201', version: 'W/"1"' });
      expect(group.location).toMatch(new RegExp(`^${server.baseUrl}/v2/Groups/`));
      expect(put).toEqual({
        method: 'PUT',
        bulkId: 'put-1',
        location: `${server.baseUrl}/v2/Users/${existing.body.id}`,
        version: 'W/"2"',
        status: '200',
      });
      expect(patch).toEqual({ method: 'PATCH', location: post.location, version: 'W/"2"', status: '200' });
      expect(del).toEqual({
        method: 'DELETE',
        location: `${server.baseUrl}/v2/Groups/${doomed.body.id}`,
        status: '204',
      });

      const u1 = idOf(post.location);
      expect((await server.get(`/v2/Users/${u1}`)).body.displayName).toBe('Patched');
      expect((await server.get(`/v2/Users/${existing.body.id}`)).body.displayName).toBe('Replaced');
      expect(await memberIds(idOf(group.location))).toEqual([u1, existing.body.id].sort());
      expect((await server.get(`/v2/Groups/${doomed.body.id}`)).status).toBe(404);
    });

    it('answers an empty request with an empty BulkResponse', async () => {
      const res = await bulk([]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [BULK_RESPONSE], Operations: [] });
    });

    it('reports a failed operation with its SCIM error and carries on with the next', async () => {
      const name = unique('carry');
      const res = await bulk([
        createUser('bad', ''),
        createUser('good', `${name}@example.com`),
        patchOp('/Users/6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001', [{ op: 'replace', path: 'title', value: 'x' }]),
        { method: 'DELETE', path: '/Groups/not-an-id' },
      ]);
      expect(res.status).toBe(200);
      const [bad, good, missing, malformed] = res.body.Operations;
      expect(bad).toEqual({
        method: 'POST',
        bulkId: 'bad',
        status: '400',
        response: {
          schemas: [ERROR],
          status: '400',
          scimType: 'invalidValue',
          detail: expect.stringContaining('userName'),
        },
      });
      expect(good.status).toBe('201');
      expect(missing).toMatchObject({
        status: '404',
        location: `${server.baseUrl}/v2/Users/6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001`,
        response: { status: '404' },
      });
      expect(malformed).toMatchObject({ method: 'DELETE', status: '404' });
      expect(await usersNamed(name)).toBe(1);
    });

    it('answers what the HTTP request would for paths that name no endpoint', async () => {
      const res = await bulk([
        { method: 'POST', path: '/Widgets', bulkId: 'w', data: {} },
        { method: 'POST', path: '/Users/6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001', bulkId: 'p', data: { schemas: [USER] } },
        { method: 'DELETE', path: '/Users' },
        {
          method: 'POST',
          path: '/users',
          bulkId: 'lower',
          data: { schemas: [USER], userName: `${unique('lower')}@example.com` },
        },
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['404', '405', '405', '201']);
      expect(res.body.Operations[0].response.detail).toContain('/Widgets');
    });

    it('checks version like If-Match: a stale one fails with 412 and changes nothing, a current one applies', async () => {
      const name = unique('version');
      const user = (await server.post('/v2/Users', { schemas: [USER], userName: `${name}@example.com` })).body;
      const group = (await server.post('/v2/Groups', { schemas: [GROUP], displayName: name })).body;
      const res = await bulk([
        patchOp(`/Users/${user.id}`, [{ op: 'replace', path: 'title', value: 'stale' }], { version: 'W/"7"' }),
        { method: 'DELETE', path: `/Groups/${group.id}`, version: 'W/"2"' },
        {
          method: 'PUT',
          path: `/Users/${user.id}`,
          version: 'W/"1"',
          data: { schemas: [USER], userName: `${name}@example.com`, title: 'current' },
        },
        patchOp(`/Users/${user.id}`, [{ op: 'replace', path: 'title', value: 'again' }], { version: 'W/"2"' }),
      ]);
      const [stale, staleDelete, put, patch] = res.body.Operations;
      expect(stale).toMatchObject({
        status: '412',
        location: `${server.baseUrl}/v2/Users/${user.id}`,
        response: { status: '412' },
      });
      expect(stale.response.detail).toContain('W/"1"');
      expect(staleDelete).toMatchObject({ status: '412' });
      expect(put).toMatchObject({ status: '200', version: 'W/"2"' });
      expect(patch).toMatchObject({ status: '200', version: 'W/"3"' });
      expect((await server.get(`/v2/Groups/${group.id}`)).status).toBe(200);
      expect((await server.get(`/v2/Users/${user.id}`)).body.title).toBe('again');
    });

    it('leaves nothing behind of a failed operation', async () => {
      const name = unique('atomic');
      const user = (
        await server.post('/v2/Users', { schemas: [USER], userName: `${name}-kept@example.com`, title: 'before' })
      ).body;
      const res = await bulk([
        createGroup('g', `${name}-group`, [{ value: user.id }, { value: '6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001' }]),
        patchOp(`/Users/${user.id}`, [
          { op: 'replace', path: 'title', value: 'after' },
          { op: 'replace', path: 'userName', value: '' },
        ]),
        createUser('dup', `${name}-KEPT@example.com`),
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['400', '400', '409']);
      expect(res.body.Operations[2].response.scimType).toBe('uniqueness');
      expect(await groupsNamed(name)).toBe(0);
      const after = await server.get(`/v2/Users/${user.id}`);
      expect(after.body.title).toBe('before');
      expect(after.body.meta.version).toBe('W/"1"');
      expect(await usersNamed(name)).toBe(1);
      expect(
        (await server.get(`/v2/Groups?filter=${encodeURIComponent(`displayName eq "${name}-group"`)}`)).body
          .totalResults,
      ).toBe(0);
    });

    it('needs a token with scim.write', async () => {
      const res = await server.post('/v2/Bulk', { schemas: [BULK_REQUEST], Operations: [] }, { token: null });
      expect(res.status).toBe(401);
    });
  });

  describe('bulkId references', () => {
    it('resolves backward references in members, manager, PATCH values, PATCH filters and paths', async () => {
      const name = unique('backward');
      const res = await bulk([
        createUser('boss', `${name}-boss@example.com`),
        createUser('a', `${name}-a@example.com`, { [ENTERPRISE]: { manager: { value: 'bulkId:boss' } } }),
        createUser('b', `${name}-b@example.com`, { [`${ENTERPRISE}:manager`]: 'bulkId:boss' }),
        createGroup('team', `${name}-team`, [{ value: 'bulkId:a', type: 'User' }, { value: 'bulkId:b' }]),
        createGroup('parent', `${name}-parent`, [{ value: 'bulkId:team', type: 'Group' }]),
        patchOp('/Groups/bulkId:team', [
          { op: 'add', path: 'members', value: [{ value: 'bulkId:boss' }] },
          { op: 'remove', path: 'members[value eq "bulkId:a"]' },
        ]),
        patchOp('/Users/bulkId:b', [{ op: 'replace', path: `${ENTERPRISE}:manager.value`, value: 'bulkId:a' }]),
        patchOp('/Users/bulkId:a', [{ op: 'add', value: { [ENTERPRISE]: { manager: 'bulkId:b' } } }]),
        {
          method: 'PUT',
          path: '/Groups/bulkId:parent',
          data: {
            schemas: [GROUP],
            displayName: `${name}-parent`,
            members: [{ value: 'bulkId:team' }, { value: 'bulkId:boss' }],
          },
        },
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual([
        '201',
        '201',
        '201',
        '201',
        '201',
        '200',
        '200',
        '200',
        '200',
      ]);
      const ids = Object.fromEntries(res.body.Operations.slice(0, 5).map((o: any) => [o.bulkId, idOf(o.location)]));
      expect(await memberIds(ids.team)).toEqual([ids.boss, ids.b].sort());
      expect(await memberIds(ids.parent)).toEqual([ids.team, ids.boss].sort());
      expect(await managerOf(ids.b)).toBe(ids.a);
      expect(await managerOf(ids.a)).toBe(ids.b);
      expect(res.body.Operations[8].location).toBe(`${server.baseUrl}/v2/Groups/${ids.parent}`);
    });

    it('resolves forward references whatever the order, and answers in request order', async () => {
      const name = unique('forward');
      const res = await bulk([
        createGroup('all', `${name}-all`, [{ value: 'bulkId:eng' }, { value: 'bulkId:carol' }]),
        patchOp('/Users/bulkId:dave', [{ op: 'replace', path: 'title', value: 'Engineer' }]),
        createUser('carol', `${name}-carol@example.com`, { [ENTERPRISE]: { manager: 'bulkId:dave' } }),
        createGroup('eng', `${name}-eng`, [{ value: 'bulkId:dave' }]),
        createUser('dave', `${name}-dave@example.com`),
      ]);
      expect(res.status).toBe(200);
      expect(res.body.Operations.map((o: any) => [o.method, o.bulkId, o.status])).toEqual([
        ['POST', 'all', '201'],
        ['PATCH', undefined, '200'],
        ['POST', 'carol', '201'],
        ['POST', 'eng', '201'],
        ['POST', 'dave', '201'],
      ]);
      const [all, title, carol, eng, dave] = res.body.Operations.map((o: any) => idOf(o.location));
      expect(title).toBe(dave);
      expect(await memberIds(all)).toEqual([eng, carol].sort());
      expect(await memberIds(eng)).toEqual([dave]);
      expect(await managerOf(carol)).toBe(dave);
      expect((await server.get(`/v2/Users/${dave}`)).body.title).toBe('Engineer');
    });

    it('treats only whole values where an id belongs as references, never substrings or other attributes', async () => {
      const name = unique('literal');
      const res = await bulk([
        createUser('x', `${name}-x@example.com`, { displayName: 'bulkId:x', title: 'see bulkId:x' }),
        createUser('x1', `${name}-x1@example.com`, { [ENTERPRISE]: { manager: { value: 'bulkId:x' } } }),
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['201', '201']);
      const [x, x1] = res.body.Operations.map((o: any) => idOf(o.location));
      const read = (await server.get(`/v2/Users/${x}`)).body;
      expect([read.displayName, read.title]).toEqual(['bulkId:x', 'see bulkId:x']);
      expect(await managerOf(x1)).toBe(x);
    });

    it('fails an operation that references an unknown bulkId, or a failed one, with 409 and runs the rest', async () => {
      const name = unique('unresolved');
      const res = await bulk([
        createGroup('g1', `${name}-g1`, [{ value: 'bulkId:nobody' }]),
        createUser('taken', ''),
        createGroup('g2', `${name}-g2`, [{ value: 'bulkId:taken' }]),
        patchOp('/Users/bulkId:taken', [{ op: 'replace', path: 'title', value: 'x' }]),
        { method: 'DELETE', path: '/Users/bulkId:patch', bulkId: 'patch' },
        createUser('ok', `${name}-ok@example.com`),
      ]);
      const [unknown, failed, dependent, path, notPost, ok] = res.body.Operations;
      expect(unknown).toMatchObject({
        status: '409',
        response: { status: '409', detail: expect.stringContaining('bulkId:nobody') },
      });
      expect(failed.status).toBe('400');
      expect(dependent).toMatchObject({ status: '409', response: { detail: expect.stringContaining('failed') } });
      expect(path).toMatchObject({ status: '409' });
      expect(path.location).toBeUndefined();
      expect(notPost).toMatchObject({
        status: '409',
        bulkId: 'patch',
        response: { detail: expect.stringContaining('POST') },
      });
      expect(ok.status).toBe('201');
      expect(await groupsNamed(name)).toBe(0);
    });
  });

  describe('circular references (RFC 7644 §3.7.1)', () => {
    it('resolves users whose managers refer to each other: create first, then add the reference', async () => {
      const name = unique('managers');
      const res = await bulk([
        createUser('ann', `${name}-ann@example.com`, { [ENTERPRISE]: { manager: { value: 'bulkId:ben' } } }),
        createUser('ben', `${name}-ben@example.com`, { [ENTERPRISE]: { manager: 'bulkId:ann' } }),
        createUser('cyd', `${name}-cyd@example.com`, { [ENTERPRISE]: { manager: 'bulkId:cyd' } }),
      ]);
      expect(res.body.Operations.map((o: any) => [o.bulkId, o.status])).toEqual([
        ['ann', '201'],
        ['ben', '201'],
        ['cyd', '201'],
      ]);
      const [ann, ben, cyd] = res.body.Operations.map((o: any) => idOf(o.location));
      expect(await managerOf(ann)).toBe(ben);
      expect(await managerOf(ben)).toBe(ann);
      expect(await managerOf(cyd)).toBe(cyd);
      // The one created first and completed by a PATCH reports the version it ends with.
      const versions = await Promise.all(
        [ann, ben].map(async (id) => (await server.get(`/v2/Users/${id}`)).body.meta.version),
      );
      expect(res.body.Operations.slice(0, 2).map((o: any) => o.version)).toEqual(versions);
    });

    it('resolves a three-user manager cycle', async () => {
      const name = unique('ring');
      const res = await bulk([
        createUser('r1', `${name}-1@example.com`, { [ENTERPRISE]: { manager: 'bulkId:r2' } }),
        createUser('r2', `${name}-2@example.com`, { [ENTERPRISE]: { manager: 'bulkId:r3' } }),
        createUser('r3', `${name}-3@example.com`, { [ENTERPRISE]: { manager: 'bulkId:r1' } }),
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['201', '201', '201']);
      const [r1, r2, r3] = res.body.Operations.map((o: any) => idOf(o.location));
      expect([await managerOf(r1), await managerOf(r2), await managerOf(r3)]).toEqual([r2, r3, r1]);
    });

    it('refuses two groups that contain each other: the closing operation fails with 409, and nothing is left', async () => {
      const name = unique('cycle');
      const res = await bulk([
        createGroup('qwerty', `${name}-a`, [{ value: 'bulkId:ytrewq', type: 'Group' }]),
        createGroup('ytrewq', `${name}-b`, [{ value: 'bulkId:qwerty', type: 'Group' }]),
        createGroup('self', `${name}-self`, [{ value: 'bulkId:self' }]),
      ]);
      expect(res.status).toBe(200);
      const [a, b, self] = res.body.Operations;
      expect(b).toMatchObject({
        method: 'POST',
        bulkId: 'ytrewq',
        status: '409',
        response: { schemas: [ERROR], status: '409' },
      });
      expect(b.response.detail).toMatch(/circular reference/i);
      expect(b.response.detail).toContain('bulkId:qwerty');
      expect(b.location).toBeUndefined();
      expect(a).toMatchObject({
        bulkId: 'qwerty',
        status: '409',
        response: { detail: expect.stringContaining('bulkId:ytrewq') },
      });
      expect(self).toMatchObject({
        status: '409',
        response: { detail: expect.stringContaining('cannot contain itself') },
      });
      expect(await groupsNamed(name)).toBe(0);
    });

    it('undoes the create of a cycle member whose partner failed', async () => {
      const name = unique('undo');
      await server.post('/v2/Users', { schemas: [USER], userName: `${name}-taken@example.com` });
      // q is created first, without its manager; p then fails, so q's manager can never be set.
      const res = await bulk([
        createUser('p', `${name}-taken@example.com`, { [ENTERPRISE]: { manager: 'bulkId:q' } }),
        createUser('q', `${name}-q@example.com`, { [ENTERPRISE]: { manager: 'bulkId:p' } }),
      ]);
      const [p, q] = res.body.Operations;
      expect(p).toMatchObject({ status: '409', response: { scimType: 'uniqueness' } });
      expect(q).toMatchObject({ status: '409', response: { detail: expect.stringContaining('bulkId:p') } });
      expect(await usersNamed(`${name}-q`)).toBe(0);
    });
  });

  describe('failOnErrors', () => {
    it('stops at the first error with failOnErrors=1: later operations neither run nor appear', async () => {
      const name = unique('fail1');
      const res = await bulk(
        [
          createUser('ok', `${name}-ok@example.com`),
          patchOp('/Groups/6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001', [{ op: 'add', path: 'members', value: [] }]),
          createUser('never', `${name}-never@example.com`),
          createGroup('never-g', `${name}-never`),
        ],
        { failOnErrors: 1 },
      );
      expect(res.status).toBe(200);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['201', '404']);
      expect(await usersNamed(name)).toBe(1);
      expect(await groupsNamed(name)).toBe(0);
    });

    it('stops after the third error with failOnErrors=3, in batched creates too', async () => {
      const name = unique('fail3');
      await server.post('/v2/Users', { schemas: [USER], userName: `${name}-07@example.com` });
      const operations = Array.from({ length: 20 }, (_, i) => {
        const n = String(i).padStart(2, '0');
        // Operation 3 is invalid, 7 and 12 clash with taken userNames; the third error is 12.
        if (i === 3) {
          return createUser(`u${n}`, '');
        }
        return createUser(`u${n}`, `${name}-${i === 12 ? '05' : n}@example.com`);
      });
      const res = await bulk(operations, { failOnErrors: 3 });
      expect(res.body.Operations.map((o: any) => o.status)).toEqual([
        ...['201', '201', '201', '400', '201', '201', '201', '409'],
        ...['201', '201', '201', '201', '409'],
      ]);
      expect(res.body.Operations.map((o: any) => o.bulkId)).toEqual(operations.slice(0, 13).map((o) => o.bulkId));
      // 10 of the first 13 created, plus the user made beforehand.
      expect(await usersNamed(name)).toBe(11);
    });

    it('undoes a half-resolved circular create when failOnErrors stops the request', async () => {
      const name = unique('stop');
      await server.post('/v2/Users', { schemas: [USER], userName: `${name}-taken@example.com` });
      const res = await bulk(
        [
          createUser('m', `${name}-taken@example.com`, { [ENTERPRISE]: { manager: 'bulkId:n' } }),
          createUser('n', `${name}-n@example.com`, { [ENTERPRISE]: { manager: 'bulkId:m' } }),
        ],
        { failOnErrors: 1 },
      );
      // n was created, waiting for m; m's failure stops the request, so n is undone and not reported.
      expect(res.body.Operations).toEqual([expect.objectContaining({ bulkId: 'm', status: '409' })]);
      expect(await usersNamed(`${name}-n`)).toBe(0);
    });
  });

  describe('malformed requests', () => {
    it.each<[string, unknown]>([
      ['a body that is not an object', [1, 2]],
      ['no BulkRequest schema', { schemas: [USER], Operations: [] }],
      ['no Operations', { schemas: [BULK_REQUEST] }],
      ['Operations that is not an array', { schemas: [BULK_REQUEST], Operations: {} }],
      ['an operation that is not an object', { schemas: [BULK_REQUEST], Operations: ['POST /Users'] }],
      ['an unsupported method', { schemas: [BULK_REQUEST], Operations: [{ method: 'GET', path: '/Users' }] }],
      ['a missing path', { schemas: [BULK_REQUEST], Operations: [{ method: 'DELETE' }] }],
      [
        'a POST without bulkId',
        { schemas: [BULK_REQUEST], Operations: [{ method: 'POST', path: '/Users', data: {} }] },
      ],
      ['a PATCH without data', { schemas: [BULK_REQUEST], Operations: [{ method: 'PATCH', path: '/Users/x' }] }],
      [
        'a version that is not a string',
        { schemas: [BULK_REQUEST], Operations: [{ method: 'DELETE', path: '/Users/x', version: 3 }] },
      ],
      ['failOnErrors that is not a positive integer', { schemas: [BULK_REQUEST], failOnErrors: 0, Operations: [] }],
    ])('rejects %s with 400 invalidSyntax', async (_, body) => {
      const res = await server.post('/v2/Bulk', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    });

    it('rejects duplicate bulkIds whole, before running anything', async () => {
      const name = unique('dup');
      const res = await bulk([
        createUser('same', `${name}-1@example.com`),
        createUser('same', `${name}-2@example.com`),
      ]);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ scimType: 'invalidSyntax', detail: expect.stringContaining('"same"') });
      expect(await usersNamed(name)).toBe(0);
    });

    it('rejects a body that is not JSON', async () => {
      const res = await server.request('POST', '/v2/Bulk', {
        raw: '{"schemas": [',
        headers: { 'content-type': 'application/scim+json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ scimType: 'invalidSyntax' });
    });

    it('accepts member names in any case, as PATCH does', async () => {
      const res = await server.post('/v2/Bulk', {
        Schemas: [BULK_REQUEST],
        operations: [
          {
            Method: 'post',
            Path: '/Users',
            BulkId: 'c',
            Data: { schemas: [USER], userName: `${unique('case')}@example.com` },
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.Operations[0]).toMatchObject({ method: 'POST', bulkId: 'c', status: '201' });
    });
  });

  describe('batched creates', () => {
    it('creates 1,000 users in one request, each answered and all stored', async () => {
      const name = unique('thousand');
      const operations = Array.from({ length: 1000 }, (_, i) =>
        createUser(`t${i}`, `${name}-${String(i).padStart(4, '0')}@example.com`, {
          name: { givenName: `Given${i}`, familyName: 'Thousand' },
          emails: [{ value: `${name}-${i}@example.com`, type: 'work', primary: true }],
          [ENTERPRISE]: { employeeNumber: String(i) },
        }),
      );
      const res = await bulk(operations);
      expect(res.status).toBe(200);
      expect(res.body.Operations).toHaveLength(1000);
      expect(
        res.body.Operations.every(
          (o: any, i: number) => o.status === '201' && o.bulkId === `t${i}` && o.version === 'W/"1"',
        ),
      ).toBe(true);
      expect(new Set(res.body.Operations.map((o: any) => o.location)).size).toBe(1000);
      expect(await usersNamed(name)).toBe(1000);

      const sample = await server.get(res.body.Operations[417].location.replace(server.baseUrl, ''));
      expect(sample.body).toMatchObject({
        userName: `${name}-0417@example.com`,
        active: true,
        name: { givenName: 'Given417', familyName: 'Thousand' },
        emails: [{ value: `${name}-417@example.com`, type: 'work', primary: true }],
        [ENTERPRISE]: { employeeNumber: '417' },
        meta: { version: 'W/"1"', location: res.body.Operations[417].location },
      });
      const byEmail = await server.get(
        `/v2/Users?filter=${encodeURIComponent(`emails.value eq "${name}-999@example.com"`)}`,
      );
      expect(byEmail.body.totalResults).toBe(1);
    });

    it('answers each item of a batch on its own when some userNames are taken', async () => {
      const name = unique('clash');
      await server.post('/v2/Users', { schemas: [USER], userName: `${name}-10@example.com` });
      const operations = Array.from({ length: 30 }, (_, i) =>
        createUser(`c${i}`, `${name}-${i === 20 ? 5 : i}@example.com`),
      );
      const res = await bulk(operations);
      const statuses = res.body.Operations.map((o: any) => o.status);
      expect(statuses.filter((s: string) => s === '409')).toHaveLength(2);
      expect([statuses[10], statuses[20]]).toEqual(['409', '409']);
      expect(res.body.Operations[20].response).toMatchObject({
        scimType: 'uniqueness',
        detail: expect.stringContaining(`${name}-5@`),
      });
      expect(await usersNamed(name)).toBe(29);
    });

    it('refuses a request with a NUL in any item as a whole, at the edge, before anything is created', async () => {
      const name = unique('refused');
      // PostgreSQL refuses NUL in text; the edge refuses it in every text input (issue 10, finding 4).
      const refused = { schemas: [USER], userName: `${name}-nul@example.com`, displayName: 'a\u0000b' };
      const alone = await server.post('/v2/Users', refused);
      expect(alone.status).toBe(400);
      const res = await bulk([
        createUser('before', `${name}-1@example.com`),
        { method: 'POST', path: '/Users', bulkId: 'nul', data: refused },
        createUser('after', `${name}-2@example.com`),
      ]);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        scimType: 'invalidValue',
        detail: expect.stringContaining('/Operations/1/data/displayName'),
      });
      expect(await usersNamed(name)).toBe(0);
    });

    it('stores passwords hashed when a batch carries them', async () => {
      const name = unique('pw');
      const res = await bulk([
        createUser('p1', `${name}-1@example.com`, { password: 'Correct-horse-1' }),
        createUser('p2', `${name}-2@example.com`),
      ]);
      expect(res.body.Operations.map((o: any) => o.status)).toEqual(['201', '201']);
      const read = await server.get(res.body.Operations[0].location.replace(server.baseUrl, ''));
      expect(read.text).not.toContain('Correct-horse-1');
      expect(read.body.password).toBeUndefined();
    });
  });
});

describe('Bulk limits', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ BULK_MAX_OPERATIONS: '3', BULK_MAX_PAYLOAD_SIZE: '4096', BODY_LIMIT: '2048' });
  });
  afterAll(async () => {
    await server.close();
  });

  const operation = (i: number, padding = '') =>
    createUser(`l${i}`, `${unique('limit')}@example.com`, padding ? { title: padding } : {});

  it('advertises the configured limits', async () => {
    const res = await server.get('/v2/ServiceProviderConfig');
    expect(res.body.bulk).toEqual({ supported: true, maxOperations: 3, maxPayloadSize: 4096 });
  });

  it('answers 413 naming maxOperations for more operations, and runs none of them', async () => {
    const operations = [0, 1, 2, 3].map((i) => operation(i));
    const res = await server.post('/v2/Bulk', { schemas: [BULK_REQUEST], Operations: operations });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({
      schemas: [ERROR],
      status: '413',
      detail: expect.stringContaining('maxOperations (3)'),
    });
    const names = operations.map((o: any) => o.data.userName);
    for (const userName of names) {
      const found = await server.get(`/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(found.body.totalResults).toBe(0);
    }
  });

  it('accepts a body up to maxPayloadSize, beyond the server-wide body limit', async () => {
    const body = { schemas: [BULK_REQUEST], Operations: [operation(0, 'x'.repeat(3000))] };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(2048);
    const res = await server.post('/v2/Bulk', body);
    expect(res.status).toBe(200);
    expect(res.body.Operations[0].status).toBe('201');
  });

  it('answers 413 naming maxPayloadSize for a larger body, counting bytes, not characters', async () => {
    // 1,400 three-byte characters: under 4,096 characters, over 4,096 bytes.
    const body = { schemas: [BULK_REQUEST], Operations: [operation(0, '€'.repeat(1400))] };
    expect(JSON.stringify(body).length).toBeLessThan(4096);
    const res = await server.post('/v2/Bulk', body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({
      schemas: [ERROR],
      status: '413',
      detail: expect.stringContaining('maxPayloadSize (4096 bytes)'),
    });
  });

  it('counts the bytes it receives when no Content-Length announces them (chunked)', async () => {
    const payload = JSON.stringify({ schemas: [BULK_REQUEST], Operations: [operation(0, 'y'.repeat(5000))] });
    const url = new URL(`${server.baseUrl}/v2/Bulk`);
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/scim+json',
            authorization: `Bearer ${ADMIN_TOKEN}`,
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      // Several small chunks, so that no single header or chunk reveals the size up front.
      for (let i = 0; i < payload.length; i += 1000) {
        req.write(payload.slice(i, i + 1000));
      }
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      status: '413',
      detail: expect.stringContaining('maxPayloadSize (4096 bytes)'),
    });
  });

  it('keeps the server-wide body limit on other endpoints', async () => {
    const res = await server.post('/v2/Users', {
      schemas: [USER],
      userName: `${unique('big')}@example.com`,
      title: 'z'.repeat(3000),
    });
    expect(res.status).toBe(413);
    expect(res.body.detail).toContain('2048 bytes');
  });
});
