import { startServer, TestServer } from '../support/app';
import { nullPaths } from '../support/json';
import {
  ADSCIM,
  ENTERPRISE,
  ENTRA_DEFAULT_GROUP_TARGETS,
  ENTRA_DEFAULT_USER_TARGETS,
  ENTRA_HEADERS,
  ERROR,
  expectListResponse,
  expectScimError,
  expectScimJson,
  filterQuery,
  flattenSchemasLikeTheGalleryTemplate,
  GROUP,
  guid,
  LIST,
  patchOp,
  unique,
  USER,
} from '../support/traces';

/**
 * Replays of what Microsoft Entra ID's outbound provisioning service sends (shared/reference/provisioning-traces.md,
 * sections A0–A9 and A12), in the order the service sends them, each with the answer the service relies on. Entra's
 * Tenant URL is the SCIM base, `/v2` here; bodies are `application/scim+json`.
 */

// Some replays create a dozen resources in one test; allow for a loaded machine.
jest.setTimeout(120_000);

const MANAGER = `${ENTERPRISE}:manager`;

describe('Entra ID provisioning replays (provisioning-traces.md §A)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (path: string) => server.get(path, { headers: ENTRA_HEADERS });
  const post = (path: string, body: unknown) => server.post(path, body, { headers: ENTRA_HEADERS });
  const patch = (path: string, body: unknown) => server.patch(path, body, { headers: ENTRA_HEADERS });
  const del = (path: string) => server.delete(path, { headers: ENTRA_HEADERS });

  /** The tutorial's create shape (S1 "Create User"): extension URN listed, client meta, empty roles. */
  function tutorialUser(overrides: Record<string, unknown> = {}): Record<string, any> {
    const name = unique('Test_User_');
    return {
      schemas: [USER, ENTERPRISE],
      externalId: guid(),
      userName: name,
      active: true,
      emails: [{ primary: true, type: 'work', value: `${name}@testuser.com` }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      ...overrides,
    };
  }

  async function createUser(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await post('/v2/Users', tutorialUser(overrides));
    expect(res.status).toBe(201);
    return res.body;
  }

  async function readUser(id: string): Promise<Record<string, any>> {
    const res = await get(`/v2/Users/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function matchUsers(filter: string, extra = ''): Promise<Record<string, any>> {
    const res = await get(`/v2/Users?${filterQuery(filter)}${extra}`);
    expectListResponse(res);
    return res.body;
  }

  /** Entra creates groups with no members (A9), then adds them by PATCH. */
  async function createGroup(displayName = unique('displayName')): Promise<Record<string, any>> {
    const res = await post('/v2/Groups', {
      schemas: [GROUP, ADSCIM],
      externalId: guid(),
      displayName,
      meta: { resourceType: 'Group' },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function memberIds(groupId: string): Promise<string[]> {
    const res = await get(`/v2/Groups/${groupId}`);
    expect(res.status).toBe(200);
    return (res.body.members ?? []).map((m: { value: string }) => m.value).sort();
  }

  describe('A0 headers and transport', () => {
    it('A0 transport: application/scim+json bodies are parsed; answers, errors included, are application/scim+json', async () => {
      const body = tutorialUser();
      const created = await post('/v2/Users', body);
      expect(created.status).toBe(201);
      expectScimJson(created);
      expect(created.body.userName).toBe(body.userName);
      const missing = await get('/v2/Users/5171a35d82074e068ce2');
      expectScimError(missing, 404);
      const unauthorised = await server.get('/v2/Users', { token: 'not-the-secret-token-0123456789' });
      expectScimError(unauthorised, 401);
    });

    it('A0 transport: the Tenant URL may end with a slash, and paths may arrive in lower case', async () => {
      const user = await createUser();
      const filter = filterQuery(`userName eq "${user.userName}"`);
      for (const path of [`/v2/Users/?${filter}`, `/v2/users?${filter}`, `/v2/USERS/?${filter}`]) {
        const res = await get(path);
        expectListResponse(res, { totalResults: 1 });
        expect(res.body.Resources[0].id).toBe(user.id);
      }
      expectListResponse(await get('/v2/groups/?count=1'));
    });

    it('A0 auth: a missing or wrong Secret Token is answered 401 with a SCIM error and WWW-Authenticate', async () => {
      for (const token of [null, 'wrong-secret-token-0123456789abcdef']) {
        const res = await server.get(`/v2/Users?${filterQuery(`userName eq "${guid()}"`)}`, { token });
        expectScimError(res, 401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
    });
  });

  describe('A1 Test Connection', () => {
    it('A1 Test Connection: userName eq <random GUID> → 200 empty ListResponse with all five keys, integer types', async () => {
      const res = await get(`/v2/Users?${filterQuery(`userName eq "${guid()}"`)}`);
      expect(res.status).toBe(200);
      expectScimJson(res);
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });
      // Integers on the wire, not strings.
      expect(res.text).toMatch(/"totalResults":0[,}]/);
      expect(res.text).toMatch(/"startIndex":1[,}]/);
      expect(res.text).toMatch(/"itemsPerPage":0[,}]/);
    });

    it('A1 Test Connection: the same probe on /Groups (displayName eq <random GUID>) → 200 empty ListResponse', async () => {
      const res = await get(`/v2/Groups?${filterQuery(`displayName eq "${guid()}"`)}`);
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });
      expectListResponse(res);
    });

    it('A1 Test Connection: fetching a random user and a random group (count=1) → 200 ListResponses', async () => {
      await createUser();
      await createGroup();
      for (const path of ['/v2/Users?count=1', '/v2/Groups?count=1&excludedAttributes=members']) {
        const res = await get(path);
        expectListResponse(res, { startIndex: 1, itemsPerPage: 1 });
        expect(res.body.totalResults).toBeGreaterThanOrEqual(1);
      }
    });
  });

  describe('A2 schema discovery', () => {
    it('A2 /Schemas: a ListResponse of Schema resources with camelCase characteristic values and no nulls', async () => {
      const res = await get('/v2/Schemas');
      expectListResponse(res);
      expect(nullPaths(res.body)).toEqual([]);
      const ids = res.body.Resources.map((r: { id: string }) => r.id);
      expect(ids).toEqual(expect.arrayContaining([USER, GROUP, ENTERPRISE]));
      const characteristics: string[] = [];
      const visit = (attributes: any[]) => {
        for (const a of attributes) {
          characteristics.push(`${a.name}:${a.type}:${a.mutability}:${a.returned}:${a.uniqueness}`);
          expect(typeof a.multiValued).toBe('boolean');
          expect(typeof a.required).toBe('boolean');
          expect(typeof a.caseExact).toBe('boolean');
          visit(a.subAttributes ?? []);
        }
      };
      res.body.Resources.forEach((r: any) => visit(r.attributes));
      const pattern =
        /^[^:]+:(string|boolean|decimal|integer|dateTime|reference|complex|binary):(readOnly|readWrite|immutable|writeOnly):(always|never|default|request):(none|server|global)$/;
      expect(characteristics.filter((c) => !pattern.test(c))).toEqual([]);
    });

    it('A2 /Schemas flattening: every attribute the default mapping targets is discoverable, case-insensitively', async () => {
      const res = await get('/v2/Schemas');
      const flattened = flattenSchemasLikeTheGalleryTemplate(res.body.Resources);
      // The template compares lower-cased names; a mapping written in another case must still be found.
      const wanted = ENTRA_DEFAULT_USER_TARGETS.filter((t) => t !== 'externalId');
      const missing = wanted.filter((t) => !flattened.user.has(t.toLowerCase()));
      expect(missing).toEqual([]);
      expect(flattened.user.has('EMAILS[TYPE EQ "WORK"].VALUE'.toLowerCase())).toBe(true);
      const groupMissing = ENTRA_DEFAULT_GROUP_TARGETS.filter((t) => t !== 'externalId').filter(
        (t) => !flattened.group.has(t.toLowerCase()),
      );
      expect(groupMissing).toEqual([]);
    });

    it('A2 /Schemas flattening: externalId (mailNickname → externalId, objectId → externalId) is discoverable for Users and Groups', async () => {
      // The template's Filter_Missing_User_Attrs exempts only `id`; the default mappings target externalId.
      const res = await get('/v2/Schemas');
      const flattened = flattenSchemasLikeTheGalleryTemplate(res.body.Resources);
      expect({ user: flattened.user.has('externalid'), group: flattened.group.has('externalid') }).toEqual({
        user: true,
        group: true,
      });
    });
  });

  describe('A3 match, then create', () => {
    it('A3 tutorial shape: the userName match finds nothing, then POST (extension URN, client meta, roles: []) → 201 full User', async () => {
      const body = tutorialUser();
      const match = await matchUsers(`userName eq "${body.userName}"`);
      expect(match.totalResults).toBe(0);
      const res = await post('/v2/Users', body);
      expect(res.status).toBe(201);
      expectScimJson(res);
      const user = res.body;
      expect(user.id).toEqual(expect.any(String));
      expect(user.id.length).toBeGreaterThan(0);
      expect(res.headers.get('location')).toBe(`${server.baseUrl}/v2/Users/${user.id}`);
      expect(res.headers.get('etag')).toMatch(/^W\/".+"$/);
      expect(user).toMatchObject({
        schemas: expect.arrayContaining([USER]),
        externalId: body.externalId,
        userName: body.userName,
        active: true,
        emails: body.emails,
        name: body.name,
        meta: { resourceType: 'User', location: `${server.baseUrl}/v2/Users/${user.id}` },
      });
      expect(Date.parse(user.meta.created)).not.toBeNaN();
      expect(Date.parse(user.meta.lastModified)).not.toBeNaN();
      expect(nullPaths(user)).toEqual([]);
      // Entra caches the id and uses it for everything that follows (S3).
      expect((await readUser(user.id)).userName).toBe(body.userName);
    });

    it('A3 older shape (S1 example 2): nulls, flat unknown keys and the misspelled extension URN are accepted → 201', async () => {
      const body = {
        schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],
        externalId: 'jyoung',
        userName: 'jyoung@testuser.com',
        active: true,
        addresses: null,
        displayName: 'Joy Young',
        emails: [{ type: 'work', value: 'jyoung@Contoso.com', primary: true }],
        meta: { resourceType: 'User' },
        name: { familyName: 'Young', givenName: 'Joy' },
        phoneNumbers: null,
        preferredLanguage: null,
        title: null,
        department: null,
        manager: null,
      };
      const res = await post('/v2/Users', body);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        schemas: [USER],
        externalId: 'jyoung',
        userName: 'jyoung@testuser.com',
        displayName: 'Joy Young',
        active: true,
        emails: [{ type: 'work', value: 'jyoung@Contoso.com', primary: true }],
        name: { familyName: 'Young', givenName: 'Joy' },
      });
      for (const key of [
        'addresses',
        'phoneNumbers',
        'preferredLanguage',
        'title',
        'department',
        'manager',
        ENTERPRISE,
      ]) {
        expect(res.body).not.toHaveProperty([key]);
      }
      expect(nullPaths(res.body)).toEqual([]);
    });

    it('A3 matching queries: userName eq, externalId eq with an unquoted value, emails[type eq "work"].value eq', async () => {
      const token = unique('jyoung');
      const user = await createUser({
        userName: `${token}@testuser.com`,
        externalId: token,
        emails: [{ type: 'work', value: `${token}@Contoso.com`, primary: true }],
      });
      for (const filter of [
        `userName eq "${token}@testuser.com"`,
        `externalId eq "${token}"`,
        `externalId eq ${token}`,
        `emails[type eq "work"].value eq "${token}@Contoso.com"`,
      ]) {
        const body = await matchUsers(filter);
        expect({ filter, ids: body.Resources.map((r: any) => r.id) }).toEqual({ filter, ids: [user.id] });
      }
    });

    it('A3 matching compares userName and emails.value case-insensitively and externalId case-exactly', async () => {
      const token = unique('Mixed');
      const user = await createUser({
        userName: `${token}@TestUser.com`,
        externalId: token,
        emails: [{ type: 'work', value: `${token}@Contoso.com`, primary: true }],
      });
      const upper = token.toUpperCase();
      expect((await matchUsers(`userName eq "${token.toLowerCase()}@testuser.com"`)).Resources[0]?.id).toBe(user.id);
      expect((await matchUsers(`emails[type eq "work"].value eq "${upper}@CONTOSO.COM"`)).Resources[0]?.id).toBe(
        user.id,
      );
      expect((await matchUsers(`externalId eq "${upper}"`)).totalResults).toBe(0);
    });
  });

  describe('A4 read', () => {
    it('A4 read: GET /Users/{id} → 200 User; an unknown id → 404 Error with status "404"', async () => {
      const user = await createUser();
      const res = await get(`/v2/Users/${user.id}`);
      expect(res.status).toBe(200);
      expectScimJson(res);
      expect(res.body).toEqual(user);
      const missing = await get('/v2/Users/5171a35d82074e068ce2');
      expectScimError(missing, 404);
      expect(missing.body.schemas).toEqual([ERROR]);
    });
  });

  describe('A5 update with PATCH', () => {
    it('A5 default job: Replace emails[type eq "work"].value with capitalised op (and name.familyName) → 200 User', async () => {
      const user = await createUser();
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        ),
      );
      expect(res.status).toBe(200);
      expectScimJson(res);
      expect(res.body.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
      expect(res.body.name).toEqual({ ...user.name, familyName: 'updatedFamilyName' });
      expect(await readUser(user.id)).toEqual(res.body);
      // The next cycle matches on the new address.
      const match = await matchUsers('emails[type eq "work"].value eq "updatedemail@microsoft.com"');
      expect(match.Resources.map((r: any) => r.id)).toEqual([user.id]);
    });

    it('A5 default job: Replace userName → 200; the old name no longer matches, the new one does', async () => {
      const user = await createUser();
      const renamed = `${guid()}@testuser.com`;
      const res = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'Replace', path: 'userName', value: renamed }));
      expect(res.status).toBe(200);
      expect(res.body.userName).toBe(renamed);
      expect((await matchUsers(`userName eq "${user.userName}"`)).totalResults).toBe(0);
      expect((await matchUsers(`userName eq "${renamed}"`)).Resources.map((r: any) => r.id)).toEqual([user.id]);
    });

    it('A5 default job (S2): multi-attribute Replace with a URN path, externalId included → 200', async () => {
      const user = await createUser();
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(
          { op: 'Replace', path: 'displayName', value: 'Pvlo' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'TestBcwqnm@test.microsoft.com' },
          { op: 'Replace', path: 'name.givenName', value: 'Gtfd' },
          { op: 'Replace', path: 'name.familyName', value: 'Pkqf' },
          { op: 'Replace', path: 'externalId', value: 'Eqpj' },
          { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Eqpj' },
        ),
      );
      expect(res.status).toBe(200);
      const read = await readUser(user.id);
      expect(read).toMatchObject({
        displayName: 'Pvlo',
        emails: [{ type: 'work', value: 'TestBcwqnm@test.microsoft.com', primary: true }],
        name: { givenName: 'Gtfd', familyName: 'Pkqf', formatted: 'givenName familyName' },
        externalId: 'Eqpj',
        [ENTERPRISE]: { employeeNumber: 'Eqpj' },
      });
      expect(read.schemas).toEqual([USER, ENTERPRISE]);
      expect(read).not.toHaveProperty(['employeeNumber']);
      expect(Object.keys(read).filter((k) => k.includes('['))).toEqual([]);
    });

    it('A5 aadOptscim062020: lowercase replace on the work email plus a pathless value with dotted and URN keys → 200', async () => {
      const user = await createUser();
      // The flag is part of the Tenant URL (…/scim?aadOptscim062020); an unknown query parameter is tolerated.
      const res = await patch(
        `/v2/Users/${user.id}?aadOptscim062020`,
        patchOp(
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'TestMhvaes@test.microsoft.com' },
          {
            op: 'replace',
            value: {
              displayName: 'Bjfe',
              'name.givenName': 'Kkom',
              'name.familyName': 'Unua',
              [`${ENTERPRISE}:employeeNumber`]: 'Aklq',
            },
          },
        ),
      );
      expect(res.status).toBe(200);
      const read = await readUser(user.id);
      expect(read).toMatchObject({
        displayName: 'Bjfe',
        emails: [{ type: 'work', value: 'TestMhvaes@test.microsoft.com', primary: true }],
        name: { givenName: 'Kkom', familyName: 'Unua' },
        [ENTERPRISE]: { employeeNumber: 'Aklq' },
      });
      // The dotted and URN-qualified keys are resolved, never stored as literal keys.
      for (const key of ['name.givenName', 'name.familyName', 'employeeNumber', `${ENTERPRISE}:employeeNumber`]) {
        expect(read).not.toHaveProperty([key]);
      }
    });

    it('A5 single-valued add: "Add" nickName (default job), then "add" (aadOptscim062020) replaces it', async () => {
      const user = await createUser();
      const first = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'Add', path: 'nickName', value: 'Babs' }));
      expect(first.status).toBe(200);
      expect(first.body.nickName).toBe('Babs');
      const second = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'add', path: 'nickName', value: 'Barbie' }));
      expect(second.status).toBe(200);
      expect((await readUser(user.id)).nickName).toBe('Barbie');
    });

    it('A5 Replace on emails[type eq "work"].value creates the element when the user has no work email', async () => {
      const user = await createUser({ emails: [{ type: 'home', value: 'home@example.org' }] });
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new.work@example.com' }),
      );
      expect(res.status).toBe(200);
      const emails = (await readUser(user.id)).emails;
      expect(emails).toHaveLength(2);
      expect(emails).toEqual(
        expect.arrayContaining([
          { type: 'home', value: 'home@example.org' },
          expect.objectContaining({ type: 'work', value: 'new.work@example.com' }),
        ]),
      );
    });
  });

  describe('A6 manager', () => {
    const managerValue = (user: Record<string, any>) => user[ENTERPRISE]?.manager?.value;

    it('A6 shape 1 (SCIM sample code): Add path "manager" with [{$ref, value}] → nested {value} under the extension', async () => {
      const [manager, user] = [await createUser(), await createUser()];
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp({
          op: 'Add',
          path: 'manager',
          value: [{ $ref: `http://x/scim/Users/${manager.id}`, value: manager.id }],
        }),
      );
      expect(res.status).toBe(200);
      const read = await readUser(user.id);
      expect(managerValue(read)).toBe(manager.id);
      expect(read[ENTERPRISE].manager).toMatchObject({ value: manager.id });
      expect(read).not.toHaveProperty(['manager']);
    });

    it('A6 shape 2 (gallery SCIM_Update_Manager_Test): Add a bare id, replace it, replace with "" clears — GET after each', async () => {
      const [first, second, user] = [await createUser(), await createUser(), await createUser()];
      const steps: [Record<string, unknown>, string | undefined][] = [
        [{ op: 'Add', path: MANAGER, value: first.id }, first.id],
        [{ op: 'replace', path: MANAGER, value: second.id }, second.id],
        [{ op: 'replace', path: MANAGER, value: '' }, undefined],
      ];
      for (const [operation, expected] of steps) {
        const res = await patch(`/v2/Users/${user.id}`, patchOp(operation));
        expect([200, 204]).toContain(res.status);
        const read = await readUser(user.id);
        expect({ op: operation, manager: managerValue(read) ?? read.manager?.value }).toEqual({
          op: operation,
          manager: expected,
        });
      }
      expect(nullPaths(await readUser(user.id))).toEqual([]);
    });

    it('A6 shape 3 (SCIM Validator): add and replace {"value": id}, remove by URN path; never a flat manager key', async () => {
      const [first, second, user] = [await createUser(), await createUser(), await createUser()];
      const add = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'add', path: MANAGER, value: { value: first.id } }),
      );
      expect(add.status).toBe(200);
      expect(add.body[ENTERPRISE].manager.value).toBe(first.id);
      expect(add.body).not.toHaveProperty(['manager']);
      expect(add.body).not.toHaveProperty([MANAGER]);
      const replace = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'replace', path: MANAGER, value: { value: second.id } }),
      );
      expect(replace.body[ENTERPRISE].manager.value).toBe(second.id);
      const remove = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'remove', path: MANAGER }));
      expect(remove.status).toBe(200);
      expect(managerValue(await readUser(user.id))).toBeUndefined();
    });

    it('A6 legacy customappsso form: urn:…:enterprise:2.0:User.manager (dot before the attribute)', async () => {
      const [manager, user] = [await createUser(), await createUser()];
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'Replace', path: `${ENTERPRISE}.manager`, value: manager.id }),
      );
      expect(res.status).toBe(200);
      expect(managerValue(await readUser(user.id))).toBe(manager.id);
    });

    it('A6 reference check: id eq "<user>" and manager eq "<manager>" with attributes=id, before and after the update', async () => {
      const [manager, user] = [await createUser(), await createUser()];
      const query = () =>
        get(`/v2/Users?${filterQuery(`id eq "${user.id}" and manager eq "${manager.id}"`)}&attributes=id`);
      const before = await query();
      expectListResponse(before, { totalResults: 0 });
      await patch(`/v2/Users/${user.id}`, patchOp({ op: 'Add', path: MANAGER, value: manager.id }));
      const after = await query();
      expectListResponse(after, { totalResults: 1, itemsPerPage: 1 });
      const [resource] = after.body.Resources;
      expect(resource.id).toBe(user.id);
      expect(Object.keys(resource).filter((k) => k !== 'id' && k !== 'schemas')).toEqual([]);
    });
  });

  describe('A7 disable and re-enable', () => {
    async function expectActive(id: string, active: boolean, userName: string) {
      const read = await readUser(id);
      expect(read.active).toBe(active);
      const found = await matchUsers(`userName eq "${userName}" and active eq ${active}`);
      expect(found.Resources.map((r: any) => r.id)).toEqual([id]);
    }

    it('A7 default job: Replace active "False" (a string) → active:false boolean, still readable and filterable; "True" re-enables', async () => {
      const user = await createUser();
      const off = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
      expect(off.status).toBe(200);
      expect(off.body.active).toBe(false);
      expect(off.text).toContain('"active":false');
      await expectActive(user.id, false, user.userName);
      const on = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }));
      expect(on.body.active).toBe(true);
      await expectActive(user.id, true, user.userName);
    });

    it('A7 tutorial shape: Replace active false (boolean, Operations before schemas), then true', async () => {
      const user = await createUser();
      const body = (active: boolean) => ({
        Operations: [{ op: 'Replace', path: 'active', value: active }],
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      });
      expect((await patch(`/v2/Users/${user.id}`, body(false))).status).toBe(200);
      await expectActive(user.id, false, user.userName);
      expect((await patch(`/v2/Users/${user.id}`, body(true))).status).toBe(200);
      await expectActive(user.id, true, user.userName);
    });

    it('A7 aadOptscim062020: replace active false, then true', async () => {
      const user = await createUser();
      expect(
        (await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }))).status,
      ).toBe(200);
      await expectActive(user.id, false, user.userName);
      expect(
        (await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: true }))).status,
      ).toBe(200);
      await expectActive(user.id, true, user.userName);
    });
  });

  describe('A8 delete', () => {
    it('A8 delete: DELETE → 204 with an empty body; GET → 404; a second DELETE → 404 SCIM error', async () => {
      const user = await createUser();
      const res = await del(`/v2/Users/${user.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectScimError(await get(`/v2/Users/${user.id}`), 404);
      expectScimError(await del(`/v2/Users/${user.id}`), 404);
      expect((await matchUsers(`userName eq "${user.userName}"`)).totalResults).toBe(0);
    });

    it('A8 delete of an id that never existed (not even a UUID) → 404 SCIM error', async () => {
      expectScimError(await del('/v2/Users/5171a35d82074e068ce2'), 404);
    });
  });

  describe('A9 groups', () => {
    it('A9 match with excludedAttributes=members finds nothing, POST with the ADSCIM URN → 201, then the match finds it without members', async () => {
      const displayName = unique('displayName');
      const match = () =>
        get(`/v2/Groups?excludedAttributes=members&${filterQuery(`displayName eq "${displayName}"`)}`);
      expectListResponse(await match(), { totalResults: 0 });
      const externalId = guid();
      const res = await post('/v2/Groups', {
        schemas: [GROUP, ADSCIM],
        externalId,
        displayName,
        meta: { resourceType: 'Group' },
      });
      expect(res.status).toBe(201);
      expectScimJson(res);
      expect(res.body).toMatchObject({ schemas: [GROUP], externalId, displayName, meta: { resourceType: 'Group' } });
      expect(res.body.id).toEqual(expect.any(String));
      expect(res.body.members ?? []).toEqual([]);
      const found = await match();
      expectListResponse(found, { totalResults: 1 });
      expect(found.body.Resources[0]).toMatchObject({ id: res.body.id, displayName });
      expect(found.body.Resources[0]).not.toHaveProperty(['members']);
    });

    it('A9 GET /Groups/{id}?excludedAttributes=members → 200 with members omitted, even when it has members', async () => {
      const [user, group] = [await createUser(), await createGroup()];
      await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: user.id }] }),
      );
      const res = await get(`/v2/Groups/${group.id}?excludedAttributes=members`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: group.id, displayName: group.displayName });
      expect(res.body).not.toHaveProperty(['members']);
      expect(await memberIds(group.id)).toEqual([user.id]);
    });

    it('A9 Replace displayName → 204 and the group is matched by its new name', async () => {
      const group = await createGroup();
      const renamed = `${group.displayName}updatedDisplayName`;
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Replace', path: 'displayName', value: renamed }),
      );
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const found = await get(`/v2/Groups?excludedAttributes=members&${filterQuery(`displayName eq "${renamed}"`)}`);
      expect(found.body.Resources.map((r: any) => r.id)).toEqual([group.id]);
    });

    it('A9 Add members [{"$ref": null, "value": id}] → 204', async () => {
      const [user, group] = [await createUser(), await createGroup()];
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: user.id }] }),
      );
      expect(res.status).toBe(204);
      expect(await memberIds(group.id)).toEqual([user.id]);
    });

    it('A9 default job: Remove path "members" with a value array (no filter) → 204', async () => {
      const [a, b, group] = [await createUser(), await createUser(), await createGroup()];
      await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Add', path: 'members', value: [{ value: a.id }, { value: b.id }] }),
      );
      const res = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: a.id }] }),
      );
      expect(res.status).toBe(204);
      expect(await memberIds(group.id)).toEqual([b.id]);
    });

    it('A9 aadOptscim062020: remove members[value eq "<id>"] → 204', async () => {
      const [a, b, group] = [await createUser(), await createUser(), await createGroup()];
      await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }] }),
      );
      const res = await patch(
        `/v2/Groups/${group.id}?aadOptscim062020`,
        patchOp({ op: 'remove', path: `members[value eq "${b.id}"]` }),
      );
      expect(res.status).toBe(204);
      expect(await memberIds(group.id)).toEqual([a.id]);
    });

    it('A9 gallery checklist: several members in one Add, and several Add/Remove ops in one request → 204', async () => {
      const users = [await createUser(), await createUser(), await createUser(), await createUser()];
      const group = await createGroup();
      const many = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'Add', path: 'members', value: users.slice(0, 3).map((u) => ({ $ref: null, value: u.id })) }),
      );
      expect(many.status).toBe(204);
      expect(await memberIds(group.id)).toEqual(
        users
          .slice(0, 3)
          .map((u) => u.id)
          .sort(),
      );
      const mixed = await patch(
        `/v2/Groups/${group.id}`,
        patchOp(
          { op: 'Remove', path: 'members', value: [{ value: users[0].id }, { value: users[1].id }] },
          { op: 'Add', path: 'members', value: [{ value: users[3].id }] },
          { op: 'Add', path: 'members', value: [{ value: users[2].id }] },
        ),
      );
      expect(mixed.status).toBe(204);
      expect(await memberIds(group.id)).toEqual([users[2].id, users[3].id].sort());
    });

    it('A9 member lookups on /Groups: members[value eq "<id>"] and members eq "<id>"', async () => {
      const [user, group] = [await createUser(), await createGroup()];
      await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: user.id }] }));
      for (const filter of [
        `members[value eq "${user.id}"]`,
        `members eq "${user.id}"`,
        `members.value eq "${user.id}"`,
      ]) {
        const res = await get(`/v2/Groups?excludedAttributes=members&${filterQuery(filter)}`);
        expectListResponse(res);
        expect({ filter, ids: res.body.Resources.map((r: any) => r.id) }).toEqual({ filter, ids: [group.id] });
      }
    });

    it('A9 nested group: a group added as a member id with a single PATCH', async () => {
      const [parent, child] = [await createGroup(), await createGroup()];
      const res = await patch(
        `/v2/Groups/${parent.id}`,
        patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: child.id }] }),
      );
      expect(res.status).toBe(204);
      const read = await get(`/v2/Groups/${parent.id}`);
      expect(read.body.members).toEqual([expect.objectContaining({ value: child.id, type: 'Group' })]);
    });

    it('A9 DELETE /Groups/{id} → 204, then 404', async () => {
      const group = await createGroup();
      const res = await del(`/v2/Groups/${group.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectScimError(await get(`/v2/Groups/${group.id}`), 404);
      expectScimError(await del(`/v2/Groups/${group.id}`), 404);
    });
  });

  describe('A12 inbound (API-driven) filter shapes', () => {
    it('A12 inbound: active eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and … le "<now>")&count=5&startIndex=1', async () => {
      const user = await createUser();
      const now = new Date(Date.now() + 1000).toISOString().replace('Z', '0000Z');
      const filter =
        `active eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and ` +
        `meta.lastModified le "${now}") and userName eq "${user.userName}"`;
      const res = await get(`/v2/Users?${filterQuery(filter)}&count=5&startIndex=1`);
      expectListResponse(res, { totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(res.body.Resources[0].id).toBe(user.id);
    });

    it('A12 inbound: count=100&startindex=0 (lower-case name, zero-based) is answered from the first item', async () => {
      await createUser();
      const res = await get('/v2/Users?count=100&startindex=0');
      expectListResponse(res, { startIndex: 1 });
      expect(res.body.itemsPerPage).toBe(Math.min(100, res.body.totalResults));
    });

    it('A12 inbound: (ActiVe eq true) and meta.lastmodified ge "…" with mixed-case names, and id eq "<id>"', async () => {
      const user = await createUser();
      const mixed = await matchUsers(
        `(ActiVe eq true) and meta.lastmodified ge "2021-09-23T19:35:41.8420572Z" and userName eq "${user.userName}"`,
      );
      expect(mixed.Resources.map((r: any) => r.id)).toEqual([user.id]);
      const byId = await matchUsers(`id eq "${user.id}"`);
      expect(byId.Resources.map((r: any) => r.id)).toEqual([user.id]);
    });
  });
});
