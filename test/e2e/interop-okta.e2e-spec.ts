import { startServer, TestServer } from '../support/app';
import {
  expectListResponse,
  expectScimError,
  expectScimJson,
  filterQuery,
  GROUP,
  guid,
  LIST,
  OKTA_HEADERS,
  OKTA_SPEC_HEADERS,
  patchOp,
  SPC,
  unique,
  USER,
} from '../support/traces';

/**
 * Replays of what Okta's OIN provisioning client sends (shared/reference/provisioning-traces.md, sections B1–B4)
 * and of the "SCIM 2.0 SPEC Test" Runscope sequence (B5), in the order Okta sends them. Okta's base URL is
 * `.../scim/v2`; here it is `/v2`.
 */

// Seeding 150 users and 105 groups for B2 can take longer than the e2e project's 60 s on a loaded machine.
jest.setTimeout(180_000);

describe('Okta provisioning replays (provisioning-traces.md §B)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (path: string) => server.get(path, { headers: OKTA_HEADERS });
  const post = (path: string, body: unknown) => server.post(path, body, { headers: OKTA_HEADERS });
  const put = (path: string, body: unknown) => server.put(path, body, { headers: OKTA_HEADERS });
  const patch = (path: string, body: unknown) => server.patch(path, body, { headers: OKTA_HEADERS });
  const del = (path: string) => server.delete(path, { headers: OKTA_HEADERS });

  /** B1's create body: password and groups:[] included, as Okta always sends them. */
  function oktaUser(userName = `${unique('test.user')}@okta.local`): Record<string, any> {
    return {
      schemas: [USER],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: `00u${guid().replace(/-/g, '').slice(0, 17)}`,
      groups: [],
      password: '1mz050nq',
      active: true,
    };
  }

  async function createUser(body = oktaUser()): Promise<Record<string, any>> {
    const res = await post('/v2/Users', body);
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('B1 assign a user: check whether it exists, then create it', () => {
    const userName = `${unique('test.user')}@okta.local`;
    const query = `/v2/Users?filter=userName%20eq%20%22${encodeURIComponent(userName)}%22&startIndex=1&count=100`;
    let created: Record<string, any>;

    it('B1 existence check: filter=userName%20eq%20%22…%22&startIndex=1&count=100 → 200 empty ListResponse', async () => {
      const res = await get(query);
      expect(res.status).toBe(200);
      expectScimJson(res);
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    });

    it('B1 create: POST with password and groups: [] → 201 with a non-empty User; the password is never echoed', async () => {
      const body = oktaUser(userName);
      const res = await post('/v2/Users', body);
      expect(res.status).toBe(201);
      expectScimJson(res);
      created = res.body;
      expect(created).toMatchObject({
        schemas: [USER],
        id: expect.any(String),
        userName,
        name: body.name,
        emails: body.emails,
        displayName: 'Test User',
        locale: 'en-US',
        externalId: body.externalId,
        active: true,
      });
      expect(res.text).not.toContain('1mz050nq');
      expect(created).not.toHaveProperty(['password']);
      // groups is readOnly: the [] Okta sends is ignored, and a user in no group has no groups attribute.
      expect(created.groups ?? []).toEqual([]);
    });

    it('B1 the same POST again → 409 SCIM Error (uniqueness)', async () => {
      const res = await post('/v2/Users', oktaUser(userName));
      expectScimError(res, 409, 'uniqueness');
    });

    it('B1 the existence check now finds the user', async () => {
      const res = await get(query);
      expectListResponse(res, { totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(res.body.Resources[0].id).toBe(created.id);
      expect(res.body.Resources[0]).not.toHaveProperty(['password']);
    });
  });

  describe('B2 import and paging', () => {
    const seededUsers: string[] = [];
    const seededGroups: string[] = [];

    beforeAll(async () => {
      const tag = unique('b2');
      // 150 users and 105 groups: more than one page of 100 each. Created 10 at a time.
      for (let i = 0; i < 150; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, (_, j) => createUser(oktaUser(`${tag}.${i + j}@okta.local`))),
        );
        seededUsers.push(...batch.map((u) => u.id));
      }
      for (let i = 0; i < 105; i += 15) {
        const batch = await Promise.all(
          Array.from({ length: 15 }, async (_, j) => {
            const res = await post('/v2/Groups', {
              schemas: [GROUP],
              displayName: `${tag} group ${i + j}`,
              members: [],
            });
            expect(res.status).toBe(201);
            return res.body.id as string;
          }),
        );
        seededGroups.push(...batch);
      }
    });

    /** Pages like Okta's import: startIndex=1, 101, 201… until totalResults is reached. */
    async function importAll(endpoint: 'Users' | 'Groups'): Promise<{ ids: string[]; pages: any[] }> {
      const ids: string[] = [];
      const pages: any[] = [];
      let startIndex = 1;
      let total = Infinity;
      while (startIndex <= total) {
        const res = await get(`/v2/${endpoint}?startIndex=${startIndex}&count=100`);
        expectListResponse(res, { startIndex });
        pages.push(res.body);
        total = res.body.totalResults;
        ids.push(...res.body.Resources.map((r: { id: string }) => r.id));
        if (res.body.Resources.length === 0) {
          break;
        }
        startIndex += 100;
      }
      return { ids, pages };
    }

    it('B2 import: pages of 100 users cover every user exactly once, with integer totalResults/startIndex/itemsPerPage', async () => {
      const { ids, pages } = await importAll('Users');
      expect(pages.length).toBeGreaterThanOrEqual(2);
      expect(pages.every((p) => p.totalResults === pages[0].totalResults)).toBe(true);
      expect(pages.slice(0, -1).every((p) => p.itemsPerPage === 100)).toBe(true);
      expect(ids).toHaveLength(pages[0].totalResults);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(seededUsers));
    });

    it('B2 import: the order is stable, paging twice gives the same sequence', async () => {
      const first = await importAll('Users');
      const second = await importAll('Users');
      expect(second.ids).toEqual(first.ids);
    });

    it('B2 import: GET /Groups?startIndex=1&count=100 pages the same way', async () => {
      const { ids, pages } = await importAll('Groups');
      expect(pages.length).toBeGreaterThanOrEqual(2);
      expect(ids).toHaveLength(pages[0].totalResults);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(seededGroups));
      expect((await importAll('Groups')).ids).toEqual(ids);
    });
  });

  describe('B3 update a user', () => {
    it('B3 read-modify-write: GET, then PUT the whole object echoing id, meta, groups and empty strings → 200', async () => {
      const user = await createUser();
      const group = await post('/v2/Groups', { schemas: [GROUP], displayName: unique('B3 group'), members: [] });
      await patch(`/v2/Groups/${group.body.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }));
      const read = await get(`/v2/Users/${user.id}`);
      expect(read.status).toBe(200);
      expect(read.body.groups).toHaveLength(1);
      const body = {
        ...read.body,
        name: { ...read.body.name, middleName: '', familyName: 'Changed' },
        title: '',
        nickName: 'Tess',
      };
      const res = await put(`/v2/Users/${user.id}`, body);
      expect(res.status).toBe(200);
      expectScimJson(res);
      expect(res.body).toMatchObject({
        id: user.id,
        userName: user.userName,
        name: { givenName: 'Test', familyName: 'Changed' },
        nickName: 'Tess',
        meta: { created: user.meta.created },
      });
      expect(res.body.name).not.toHaveProperty(['middleName']);
      expect(res.body).not.toHaveProperty(['title']);
      // groups is readOnly: echoing it back neither fails nor changes memberships.
      expect(res.body.groups.map((g: any) => g.value)).toEqual([group.body.id]);
      expect((await get(`/v2/Users/${user.id}`)).body).toEqual(res.body);
    });

    it('B3 OIN deactivate: pathless replace {"active": false} → 200 active:false; {"active": true} reactivates', async () => {
      const user = await createUser();
      const off = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }));
      expect(off.status).toBe(200);
      expect(off.body.active).toBe(false);
      expect((await get(`/v2/Users/${user.id}`)).body.active).toBe(false);
      const on = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', value: { active: true } }));
      expect(on.status).toBe(200);
      expect(on.body.active).toBe(true);
    });

    it('B3 AIW deactivate: PUT the whole user with active:false → 200, still readable', async () => {
      const user = await createUser();
      const read = (await get(`/v2/Users/${user.id}`)).body;
      const res = await put(`/v2/Users/${user.id}`, { ...read, active: false });
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect(res.body.emails).toEqual(user.emails);
      expect((await get(`/v2/Users/${user.id}`)).body.active).toBe(false);
    });

    it('B3 password sync: pathless replace {"password": …} → 200, never echoed', async () => {
      const user = await createUser();
      const res = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', value: { password: 'n3w-Pa55word!' } }));
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('n3w-Pa55word!');
      expect(res.body).not.toHaveProperty(['password']);
    });
  });

  describe('B4 Group Push', () => {
    let group: Record<string, any>;
    let first: Record<string, any>;
    let second: Record<string, any>;
    const displayName = unique('Test SCIMv2 ');

    beforeAll(async () => {
      first = await createUser();
      second = await createUser();
    });

    async function memberIds(): Promise<string[]> {
      const res = await get(`/v2/Groups/${group.id}`);
      expect(res.status).toBe(200);
      return (res.body.members ?? []).map((m: { value: string }) => m.value).sort();
    }

    it('B4 push: POST {"displayName", "members": []} → 201 Group', async () => {
      const res = await post('/v2/Groups', { schemas: [GROUP], displayName, members: [] });
      expect(res.status).toBe(201);
      expectScimJson(res);
      group = res.body;
      expect(group).toMatchObject({ schemas: [GROUP], id: expect.any(String), displayName });
    });

    it('B4 GET /Groups/{id} → 200', async () => {
      const res = await get(`/v2/Groups/${group.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: group.id, displayName });
    });

    it('B4 rename: pathless replace whose value carries the id → 204 (the readOnly id is ignored)', async () => {
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'replace', value: { id: group.id, displayName: `${displayName} renamed` } }),
      );
      expect(res.status).toBe(204);
      const read = await get(`/v2/Groups/${group.id}`);
      expect(read.body).toMatchObject({ id: group.id, displayName: `${displayName} renamed` });
    });

    it('B4 membership: the rename op, a remove by filter and an add, in one request → 204', async () => {
      await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: first.id }] }));
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp(
          { op: 'replace', value: { id: group.id, displayName } },
          { op: 'remove', path: `members[value eq "${first.id}"]` },
          { op: 'add', path: 'members', value: [{ value: second.id, display: second.userName }] },
        ),
      );
      expect(res.status).toBe(204);
      expect(await memberIds()).toEqual([second.id]);
      expect((await get(`/v2/Groups/${group.id}`)).body.displayName).toBe(displayName);
    });

    it('B4 full membership push: replace members with two → exactly those two', async () => {
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({
          op: 'replace',
          path: 'members',
          value: [
            { value: first.id, display: first.userName },
            { value: second.id, display: second.userName },
          ],
        }),
      );
      expect(res.status).toBe(204);
      expect(await memberIds()).toEqual([first.id, second.id].sort());
    });

    it('B4 AIW rename: PUT the whole group → 200 with the new name and the same members', async () => {
      const read = (await get(`/v2/Groups/${group.id}`)).body;
      const res = await put(`/v2/Groups/${group.id}`, { ...read, displayName: `${displayName} AIW` });
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe(`${displayName} AIW`);
      expect(await memberIds()).toEqual([first.id, second.id].sort());
    });

    it('B4 DELETE /Groups/{id} → 204', async () => {
      const res = await del(`/v2/Groups/${group.id}`);
      expect(res.status).toBe(204);
      expectScimError(await get(`/v2/Groups/${group.id}`), 404);
    });
  });

  describe('B5 Okta "SCIM 2.0 SPEC Test" sequence', () => {
    const spec = (path: string, options: { token?: string | null } = {}) =>
      server.get(path, { headers: OKTA_SPEC_HEADERS, ...options });
    let firstId: string;
    const email = `${unique('spec')}@example.com`;
    const createBody = {
      schemas: [USER],
      userName: email,
      name: { givenName: 'Spec', familyName: 'Tester' },
      emails: [{ primary: true, value: email, type: 'work' }],
      displayName: 'Spec Tester',
      active: true,
    };
    let newId: string;

    beforeAll(async () => {
      // The 2016 copy needs a user with names and an email to exist already, and a group.
      await createUser();
      const res = await post('/v2/Groups', { schemas: [GROUP], displayName: unique('Spec group '), members: [] });
      expect(res.status).toBe(201);
    });

    it('B5.1 GET /ServiceProviderConfig → 200 with every field the test requires non-empty', async () => {
      const res = await spec('/v2/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.body.schemas).toContain(SPC);
      const required = [
        res.body.patch?.supported,
        res.body.bulk?.supported,
        res.body.bulk?.maxOperations,
        res.body.bulk?.maxPayloadSize,
        res.body.filter?.supported,
        res.body.filter?.maxResults,
        res.body.changePassword?.supported,
        res.body.sort?.supported,
        res.body.etag?.supported,
        res.body.authenticationSchemes?.[0]?.type,
        res.body.authenticationSchemes?.[0]?.description,
      ];
      expect(required.map((v) => v === undefined || v === null || v === '')).toEqual(required.map(() => false));
    });

    it.each(['/v2/ServiceProviderConfig', '/v2/ResourceTypes', '/v2/Schemas'])(
      'B5.2 POST %s with the body "test" → 405',
      async (path) => {
        const res = await server.request('POST', path, { raw: 'test', headers: OKTA_SPEC_HEADERS });
        expectScimError(res, 405);
      },
    );

    it('B5.3 GET /ResourceTypes and /Schemas → ListResponses whose first entries have name/endpoint/schema and id/attributes', async () => {
      const types = await spec('/v2/ResourceTypes');
      expectListResponse(types);
      expect(types.body.Resources[0]).toMatchObject({
        name: expect.any(String),
        endpoint: expect.any(String),
        schema: expect.any(String),
      });
      const schemas = await spec('/v2/Schemas');
      expectListResponse(schemas);
      expect(schemas.body.Resources[0]).toMatchObject({ id: expect.any(String), attributes: expect.any(Array) });
    });

    it('B5.4 GET /Users?count=1&startIndex=1 → a ListResponse whose Resources[0] has the required fields', async () => {
      const res = await spec('/v2/Users?count=1&startIndex=1');
      expectListResponse(res, { startIndex: 1, itemsPerPage: 1 });
      const [user] = res.body.Resources;
      firstId = user.id;
      expect(user.id).toBeTruthy();
      expect(user.name.familyName).toBeTruthy();
      expect(user.name.givenName).toBeTruthy();
      expect(user.userName).toBeTruthy();
      expect(typeof user.active).toBe('boolean');
      expect(user.emails[0].value).toBeTruthy();
    });

    it('B5.5 GET /Users/{firstId} → 200 with the same fields', async () => {
      const res = await spec(`/v2/Users/${firstId}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: firstId,
        userName: expect.any(String),
        active: expect.any(Boolean),
        name: { familyName: expect.any(String), givenName: expect.any(String) },
        emails: [expect.objectContaining({ value: expect.any(String) })],
      });
    });

    it('B5.6 filter userName eq "abcdefgh@example.com" → 200, totalResults 0, ListResponse schema', async () => {
      const res = await spec(`/v2/Users?${filterQuery('userName eq "abcdefgh@example.com"')}`);
      expectListResponse(res, { totalResults: 0 });
    });

    it('B5.7 GET /Users/010101001010101011001010101011 → 404 with an Error schema and a non-empty detail', async () => {
      expectScimError(await spec('/v2/Users/010101001010101011001010101011'), 404);
    });

    it('B5.8 filter userName eq "<random email>" → 200, totalResults 0', async () => {
      const res = await spec(`/v2/Users?${filterQuery(`userName eq "${guid()}@example.com"`)}`);
      expectListResponse(res, { totalResults: 0 });
    });

    it('B5.9 POST /Users with no Content-Type (2016 copy: only Accept and Authorization) → 201, values echoed exactly', async () => {
      const res = await server.request('POST', '/v2/Users', {
        raw: new TextEncoder().encode(JSON.stringify(createBody)),
        headers: { accept: 'application/scim+json' },
      });
      expect(res.status).toBe(201);
      newId = res.body.id;
      expect(newId).toBeTruthy();
      expect(res.body.schemas).toContain(USER);
      expect(res.body).toMatchObject({
        active: true,
        userName: email,
        name: { givenName: 'Spec', familyName: 'Tester' },
        emails: createBody.emails,
        displayName: 'Spec Tester',
      });
    });

    it('B5.10 GET /Users/{newId} → 200 with the same values', async () => {
      const res = await spec(`/v2/Users/${newId}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: newId, userName: email, active: true, name: createBody.name });
    });

    it('B5 default headers: bodies sent as "application/scim+json; charset=utf-8" are parsed on POST, PUT and PATCH (not 415)', async () => {
      const userName = `${unique('charset')}@example.com`;
      const created = await server.post(
        '/v2/Users',
        { ...createBody, userName, emails: [] },
        { headers: OKTA_SPEC_HEADERS },
      );
      expect({ status: created.status, error: created.status === 201 ? undefined : created.body?.detail }).toEqual({
        status: 201,
        error: undefined,
      });
      const id = created.body.id;
      const replaced = await server.put(
        `/v2/Users/${id}`,
        { schemas: [USER], userName, displayName: 'Replaced' },
        { headers: OKTA_SPEC_HEADERS },
      );
      expect(replaced.status).toBe(200);
      const patched = await server.patch(`/v2/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }), {
        headers: OKTA_SPEC_HEADERS,
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ displayName: 'Replaced', active: false });
    });

    it('B5.11 the same POST again (with the default spec headers) → 409', async () => {
      const res = await server.post('/v2/Users', createBody, { headers: OKTA_SPEC_HEADERS });
      expectScimError(res, 409, 'uniqueness');
    });

    it('B5.12 Username Case Sensitivity Check: userName eq "<UPPERCASED>" → 200 with the one user (current suite)', async () => {
      const res = await spec(`/v2/Users?${filterQuery(`userName eq "${email.toUpperCase()}"`)}`);
      expectListResponse(res, { totalResults: 1 });
      expect(res.body.Resources[0].id).toBe(newId);
      const unquoted = await spec(`/v2/Users?${filterQuery(`userName eq ${email.toUpperCase()}`)}`);
      expectListResponse(unquoted, { totalResults: 1 });
    });

    it('B5.12 (2016 copy) filter=<UPPERCASED EMAIL>, a bare value that is no filter → 400 invalidFilter', async () => {
      const res = await spec(`/v2/Users?${filterQuery(email.toUpperCase())}`);
      expectScimError(res, 400, 'invalidFilter');
    });

    it('B5.13 GET /Groups → 200, Resources is an array and totalResults ≥ 1', async () => {
      const res = await spec('/v2/Groups');
      expectListResponse(res);
      expect(res.body.totalResults).toBeGreaterThanOrEqual(1);
    });

    it('B5.14 a bad token → 401 SCIM Error with status "401" and a detail; an unknown id → 404 with status "404"', async () => {
      const bad = await spec('/v2/Users?count=1', { token: 'bad-token-0123456789abcdefghij' });
      expectScimError(bad, 401);
      expectScimError(await spec(`/v2/Users/${guid()}`), 404);
      expectScimError(await spec(`/v2/Groups/${guid()}`), 404);
    });
  });
});
