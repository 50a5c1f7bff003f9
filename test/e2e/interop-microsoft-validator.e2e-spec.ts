import { startServer, TestServer } from '../support/app';
import { nullPaths } from '../support/json';
import {
  ENTERPRISE,
  ENTRA_HEADERS,
  expectListResponse,
  expectScimError,
  filterQuery,
  GROUP,
  guid,
  isNullOrEmpty,
  patchOp,
  unique,
  USER,
} from '../support/traces';

/**
 * Microsoft's own test tooling against a SCIM server:
 * - the hosted SCIM Validator (conformance.md §3, shapes captured by S7 and listed in provisioning-traces.md A5/A8/A9),
 * - the gallery onboarding validation template's direct SCIM tests (conformance.md §2, traces A10),
 * - the SCIMReferenceCode Postman collection's request shapes (conformance.md §1, traces A11).
 */

// The pagination replays create a dozen resources in one test; allow for a loaded machine.
jest.setTimeout(120_000);

describe('Microsoft SCIM Validator, gallery template and reference collection replays', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (path: string) => server.get(path, { headers: ENTRA_HEADERS });
  const post = (path: string, body: unknown) => server.post(path, body, { headers: ENTRA_HEADERS });
  const put = (path: string, body: unknown) => server.put(path, body, { headers: ENTRA_HEADERS });
  const patch = (path: string, body: unknown) => server.patch(path, body, { headers: ENTRA_HEADERS });
  const del = (path: string) => server.delete(path, { headers: ENTRA_HEADERS });

  /** The validator's generated user: `{%generateRandomString 6%}@contoso.com`-style values. */
  function validatorUser(overrides: Record<string, unknown> = {}): Record<string, any> {
    const token = unique('V');
    return {
      schemas: [USER, ENTERPRISE],
      userName: `${token}@contoso.com`,
      active: true,
      displayName: `Validator ${token}`,
      externalId: guid(),
      name: { givenName: 'Vgiven', familyName: 'Vfamily', formatted: 'Vgiven Vfamily' },
      emails: [{ type: 'work', value: `${token}@contoso.com`, primary: true }],
      ...overrides,
    };
  }

  async function createUser(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await post('/v2/Users', validatorUser(overrides));
    expect(res.status).toBe(201);
    return res.body;
  }

  async function readUser(id: string): Promise<Record<string, any>> {
    const res = await get(`/v2/Users/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function createGroup(body: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await post('/v2/Groups', { schemas: [GROUP], displayName: unique('VGroup'), ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('§3 Microsoft SCIM Validator (scimvalidator.microsoft.com)', () => {
    it('§3 Create User → 201; Filter existing user (userName eq) and Get User by id return it', async () => {
      const body = validatorUser();
      const res = await post('/v2/Users', body);
      expect(res.status).toBe(201);
      const filtered = await get(`/v2/Users?${filterQuery(`userName eq "${body.userName}"`)}`);
      expectListResponse(filtered, { totalResults: 1 });
      expect(filtered.body.Resources[0]).toEqual(res.body);
      expect(await readUser(res.body.id)).toEqual(res.body);
    });

    it('§3 Filter user with different case → the same user', async () => {
      const user = await createUser();
      const res = await get(`/v2/Users?${filterQuery(`userName eq "${user.userName.toUpperCase()}"`)}`);
      expectListResponse(res, { totalResults: 1 });
      expect(res.body.Resources[0].id).toBe(user.id);
    });

    it('§3 Disable User: replace active false → 200 with the JSON boolean false', async () => {
      const user = await createUser();
      const res = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect((await readUser(user.id)).active).toBe(false);
    });

    it('§3 Patch User – Add Attributes: add with a path and a pathless add of several attributes → 200', async () => {
      const user = await createUser();
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(
          { op: 'add', path: 'nickName', value: 'Nick' },
          { op: 'add', value: { title: 'Tour Guide', preferredLanguage: 'en-US', 'name.middleName': 'M' } },
          { op: 'add', path: 'phoneNumbers', value: [{ type: 'mobile', value: '07-272-0829' }] },
        ),
      );
      expect(res.status).toBe(200);
      expect(await readUser(user.id)).toMatchObject({
        nickName: 'Nick',
        title: 'Tour Guide',
        preferredLanguage: 'en-US',
        name: { middleName: 'M', givenName: 'Vgiven' },
        phoneNumbers: [{ type: 'mobile', value: '07-272-0829' }],
      });
    });

    it('§3 Patch User – Replace Attributes: work email, phone and address valuePaths update or create one element each', async () => {
      const user = await createUser();
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'replaced@contoso.com' },
          { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '07-272-0828' },
          { op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '2809 Johns Walk' },
          { op: 'replace', path: 'addresses[type eq "work"].locality', value: 'KMYVNUJVVZWC' },
        ),
      );
      expect(res.status).toBe(200);
      const read = await readUser(user.id);
      expect(read.emails).toEqual([{ type: 'work', value: 'replaced@contoso.com', primary: true }]);
      expect(read.phoneNumbers).toEqual([expect.objectContaining({ type: 'work', value: '07-272-0828' })]);
      expect(read.addresses).toEqual([
        expect.objectContaining({ type: 'work', streetAddress: '2809 Johns Walk', locality: 'KMYVNUJVVZWC' }),
      ]);
      expect(Object.keys(read).filter((k) => k.includes('['))).toEqual([]);
    });

    it('§3 Update userName: a pathless replace {"userName": …} → 200', async () => {
      const user = await createUser();
      const userName = `${unique('emilio')}@hermann.uk`;
      const res = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', value: { userName } }));
      expect(res.status).toBe(200);
      expect(res.body.userName).toBe(userName);
      const found = await get(`/v2/Users?${filterQuery(`userName eq "${userName}"`)}`);
      expect(found.body.Resources.map((r: any) => r.id)).toEqual([user.id]);
    });

    it('§3 preview: several ops on different attributes and several ops on the same attribute in one request → 200', async () => {
      const user = await createUser();
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(
          { op: 'replace', path: 'displayName', value: 'First' },
          { op: 'replace', path: 'title', value: 'Title' },
          { op: 'replace', path: 'displayName', value: 'Second' },
          { op: 'add', path: 'name.givenName', value: 'G1' },
          { op: 'replace', path: 'name.givenName', value: 'G2' },
          { op: 'replace', path: 'name.familyName', value: 'F2' },
        ),
      );
      expect(res.status).toBe(200);
      expect(await readUser(user.id)).toMatchObject({
        displayName: 'Second',
        title: 'Title',
        name: { givenName: 'G2', familyName: 'F2' },
      });
    });

    it('§3 known issue S4: PATCH remove of the required userName → 400 and the user is unchanged', async () => {
      const user = await createUser();
      const res = await patch(`/v2/Users/${user.id}`, patchOp({ op: 'remove', path: 'userName' }));
      expect(res.status).toBe(400);
      expect(['invalidValue', 'mutability']).toContain(res.body.scimType);
      expect(await readUser(user.id)).toEqual(user);
    });

    it('§3 strict booleans: "True"/"False" strings sent in active and roles[].primary come back as JSON booleans', async () => {
      const user = await createUser({
        active: 'True',
        roles: [{ value: 'Admin', primary: 'True', type: 'WindowsAzureActiveDirectoryRole' }],
      });
      expect(user.active).toBe(true);
      expect(user.roles).toEqual([{ value: 'Admin', primary: true, type: 'WindowsAzureActiveDirectoryRole' }]);
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'roles[value eq "Admin"].primary', value: 'False' }),
      );
      expect(res.status).toBe(200);
      expect(res.body.roles[0].primary).toBe(false);
      expect(res.text).not.toMatch(/"(True|False|true|false)"/);
    });

    it('§3 Delete User; delete a non-existent user; delete the same user twice → 204, 404, 404', async () => {
      const user = await createUser();
      expect((await del(`/v2/Users/${user.id}`)).status).toBe(204);
      expectScimError(await del(`/v2/Users/${guid()}`), 404);
      expectScimError(await del(`/v2/Users/${user.id}`), 404);
    });

    it('§3 groups: Create Group, Filter group (displayName eq), in another case, Get excluding members, Filter excluding members', async () => {
      const member = await createUser();
      const displayName = unique('MSADPJJZWBUS');
      const created = await post('/v2/Groups', {
        schemas: [GROUP],
        displayName,
        externalId: guid(),
        members: [{ value: member.id }],
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      for (const name of [displayName, displayName.toLowerCase()]) {
        const filtered = await get(`/v2/Groups?${filterQuery(`displayName eq "${name}"`)}`);
        expectListResponse(filtered, { totalResults: 1 });
        expect(filtered.body.Resources[0]).toMatchObject({ id, displayName });
      }
      const one = await get(`/v2/Groups/${id}?excludedAttributes=members`);
      expect(one.status).toBe(200);
      expect(one.body).not.toHaveProperty(['members']);
      const list = await get(`/v2/Groups?excludedAttributes=members&${filterQuery(`displayName eq "${displayName}"`)}`);
      expect(list.body.Resources[0]).not.toHaveProperty(['members']);
    });

    it('§3 Create duplicate Group (same displayName) → 409 uniqueness', async () => {
      const group = await createGroup();
      expectScimError(
        await post('/v2/Groups', { schemas: [GROUP], displayName: group.displayName }),
        409,
        'uniqueness',
      );
    });

    it('§3 Patch Group – Replace Attributes (pathless externalId) and Update displayName (pathless) → 204, GET shows both', async () => {
      const group = await createGroup();
      const externalId = guid();
      const name = unique('MSADP');
      expect((await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'replace', value: { externalId } }))).status).toBe(
        204,
      );
      expect(
        (await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'replace', value: { displayName: name } }))).status,
      ).toBe(204);
      expect((await get(`/v2/Groups/${group.id}`)).body).toMatchObject({ externalId, displayName: name });
    });

    it('§3 group add member and remove member → 204 each; delete group; delete a non-existent group; delete twice', async () => {
      const [user, group] = [await createUser(), await createGroup()];
      const add = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }),
      );
      expect(add.status).toBe(204);
      expect((await get(`/v2/Groups/${group.id}`)).body.members.map((m: any) => m.value)).toEqual([user.id]);
      const remove = await patch(
        `/v2/Groups/${group.id}`,
        patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }),
      );
      expect(remove.status).toBe(204);
      expect((await get(`/v2/Groups/${group.id}`)).body.members ?? []).toEqual([]);
      expect((await del(`/v2/Groups/${group.id}`)).status).toBe(204);
      expectScimError(await del(`/v2/Groups/${guid()}`), 404);
      expectScimError(await del(`/v2/Groups/${group.id}`), 404);
    });
  });

  describe('A10 gallery validation template, direct SCIM tests (SCIMTests_Workflow)', () => {
    it('A10 SCIM_User_Create_Test: POST built from the mappings → 201 with a non-empty id and the same userName', async () => {
      const body = validatorUser({
        title: 'Engineer',
        preferredLanguage: 'en-US',
        addresses: [
          {
            type: 'work',
            streetAddress: '1 Main',
            locality: 'Town',
            region: 'WA',
            postalCode: '98052',
            country: 'US',
            primary: true,
          },
        ],
        phoneNumbers: [
          { type: 'work', value: '+1 555 0100', primary: true },
          { type: 'mobile', value: '+1 555 0101', primary: false },
        ],
        [ENTERPRISE]: { employeeNumber: 'E1', department: 'Dept' },
      });
      const res = await post('/v2/Users', body);
      expect([200, 201]).toContain(res.status);
      expect(res.body.id).toBeTruthy();
      expect(res.body.userName).toBe(body.userName);
      expect(res.body).toMatchObject({
        addresses: body.addresses,
        phoneNumbers: body.phoneNumbers,
        [ENTERPRISE]: body[ENTERPRISE],
      });
    });

    it('A10 SCIM_User_Update_Test: PATCH replacing every eligible single-valued attribute → 200, then GET matches exactly', async () => {
      const user = await createUser();
      const values: Record<string, string> = {
        displayName: 'Upd Display',
        nickName: 'UpdNick',
        title: 'UpdTitle',
        userType: 'UpdType',
        preferredLanguage: 'fr-FR',
        locale: 'fr-FR',
        timezone: 'Europe/Paris',
        'name.givenName': 'UpdGiven',
        'name.familyName': 'UpdFamily',
        'name.formatted': 'UpdGiven UpdFamily',
        'name.middleName': 'UpdMiddle',
        [`${ENTERPRISE}:employeeNumber`]: 'E42',
        [`${ENTERPRISE}:department`]: 'UpdDept',
        [`${ENTERPRISE}:costCenter`]: 'UpdCC',
        [`${ENTERPRISE}:organization`]: 'UpdOrg',
        [`${ENTERPRISE}:division`]: 'UpdDiv',
      };
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp(...Object.entries(values).map(([path, value]) => ({ op: 'replace', path, value }))),
      );
      expect([200, 204]).toContain(res.status);
      const read = await readUser(user.id);
      const actual = Object.fromEntries(
        Object.keys(values).map((path) => {
          if (path.startsWith(`${ENTERPRISE}:`)) {
            return [path, read[ENTERPRISE]?.[path.slice(ENTERPRISE.length + 1)]];
          }
          const [attr, sub] = path.split('.');
          return [path, sub ? read[attr]?.[sub] : read[attr]];
        }),
      );
      expect(actual).toEqual(values);
    });

    describe('A10 SCIM_Null_Update_Test', () => {
      const TARGETS = [
        'title',
        'name.givenName',
        'preferredLanguage',
        `${ENTERPRISE}:department`,
        `${ENTERPRISE}:employeeNumber`,
        'phoneNumbers[type eq "work"].value',
        'addresses[type eq "work"].locality',
      ];
      const SCALARS = TARGETS.filter((t) => !t.includes('['));
      const FILTERED = TARGETS.filter((t) => t.includes('['));

      /** The template's verification: the value at each target path, read from the GET (null/"" pass). */
      function valueAt(user: Record<string, any>, target: string): unknown {
        const valuePath = /^(\w+)\[type eq "(\w+)"\]\.(\w+)$/.exec(target);
        if (valuePath) {
          const [, attr, type, sub] = valuePath;
          const element = (user[attr] ?? []).find((e: any) => String(e.type).toLowerCase() === type);
          return element?.[sub];
        }
        if (target.startsWith('urn:')) {
          return user[ENTERPRISE]?.[target.slice(target.lastIndexOf(':') + 1)];
        }
        const [attr, sub] = target.split('.');
        return sub ? user[attr]?.[sub] : user[attr];
      }

      async function filledUser(): Promise<Record<string, any>> {
        const user = await createUser({
          title: 'Title',
          preferredLanguage: 'en-US',
          name: { givenName: 'Given', familyName: 'Family' },
          phoneNumbers: [{ type: 'work', value: '+1 555 0100', primary: true }],
          addresses: [{ type: 'work', locality: 'Town', streetAddress: 'Street' }],
          [ENTERPRISE]: { department: 'Dept', employeeNumber: 'E7' },
        });
        expect(TARGETS.map((t) => isNullOrEmpty(valueAt(user, t)))).toEqual(TARGETS.map(() => false));
        return user;
      }

      /** Non-verbose mode: scalar targets batched into one pathless op, filtered paths as separate ops. */
      const batched = (value: '' | null) =>
        patchOp(...FILTERED.map((path) => ({ op: 'replace', path, value })), {
          op: 'replace',
          value: Object.fromEntries(SCALARS.map((t) => [t, value])),
        });

      async function expectCleared(id: string) {
        const read = await readUser(id);
        const left = TARGETS.filter((t) => !isNullOrEmpty(valueAt(read, t)));
        expect(left).toEqual([]);
        expect(nullPaths(read)).toEqual([]);
        // Attributes the test did not touch are kept.
        expect(read.name.familyName).toBe('Family');
        expect(read.addresses[0].streetAddress).toBe('Street');
        return read;
      }

      it('A10 SCIM_Null_Update_Test phase 1: pathless {"title":"","name.givenName":"","urn:…:department":""} plus filtered paths with "" → all null or empty', async () => {
        const user = await filledUser();
        const res = await patch(`/v2/Users/${user.id}`, batched(''));
        expect([200, 204]).toContain(res.status);
        await expectCleared(user.id);
      });

      it('A10 SCIM_Null_Update_Test phase 2: the same requests with null → the attributes stay null or empty', async () => {
        const user = await filledUser();
        expect([200, 204]).toContain((await patch(`/v2/Users/${user.id}`, batched(''))).status);
        const res = await patch(`/v2/Users/${user.id}`, batched(null));
        expect([200, 204]).toContain(res.status);
        await expectCleared(user.id);
      });

      it('A10 SCIM_Null_Update_Test verbose mode: one replace op per attribute with "", then with null', async () => {
        const user = await filledUser();
        for (const value of ['', null]) {
          const res = await patch(
            `/v2/Users/${user.id}`,
            patchOp(...TARGETS.map((path) => ({ op: 'replace', path, value }))),
          );
          expect({ value, status: res.status }).toEqual({ value, status: 200 });
          await expectCleared(user.id);
        }
      });
    });

    describe('A10 pagination', () => {
      /** Walks startIndex=1, 6, 11… with count=5 until a short page, checking startIndex on every page. */
      async function paginate(endpoint: 'Users' | 'Groups'): Promise<string[]> {
        const ids: string[] = [];
        for (let page = 0; ; page++) {
          const startIndex = page * 5 + 1;
          const res = await get(`/v2/${endpoint}?startIndex=${startIndex}&count=5`);
          expectListResponse(res, { startIndex });
          ids.push(...res.body.Resources.map((r: { id: string }) => r.id));
          if (res.body.Resources.length < 5 || startIndex + 5 > res.body.totalResults) {
            expect(ids).toHaveLength(res.body.totalResults);
            expect(page).toBeGreaterThanOrEqual(1);
            return ids;
          }
        }
      }

      it('A10 SCIM_User_Pagination_Test: with ≥ 11 users, startIndex=1,6,11… count=5 → 200 with startIndex echoed', async () => {
        for (let i = 0; i < 11; i++) {
          await createUser();
        }
        const ids = await paginate('Users');
        expect(ids.length).toBeGreaterThanOrEqual(11);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('A10 SCIM_Group_Pagination_Test: the same on /Groups', async () => {
        for (let i = 0; i < 11; i++) {
          await createGroup();
        }
        const ids = await paginate('Groups');
        expect(ids.length).toBeGreaterThanOrEqual(11);
        expect(new Set(ids).size).toBe(ids.length);
      });
    });

    it('A10 SCIM_Group_Create_Test and SCIM_Group_Update_Test: POST → 201 with id and displayName; PATCH single-valued attributes → 204, GET matches', async () => {
      const displayName = unique('SCIM Group ');
      const created = await post('/v2/Groups', { schemas: [GROUP], displayName, externalId: guid() });
      expect([200, 201]).toContain(created.status);
      expect(created.body.id).toBeTruthy();
      expect(created.body.displayName).toBe(displayName);
      const updated = { displayName: `${displayName} upd`, externalId: guid() };
      const res = await patch(
        `/v2/Groups/${created.body.id}`,
        patchOp(...Object.entries(updated).map(([path, value]) => ({ op: 'replace', path, value }))),
      );
      expect([200, 204]).toContain(res.status);
      expect((await get(`/v2/Groups/${created.body.id}`)).body).toMatchObject(updated);
    });
  });

  describe('A11 SCIMReferenceCode Postman collection shapes', () => {
    it('A11 endpoint tests: GET /users (lower case), /ResourceTypes first endpoint "/Users", /ServiceProviderConfig patch.supported, /Schemas contains "User Account"', async () => {
      expect((await get('/v2/users')).status).toBe(200);
      expect((await get('/v2/Groups')).status).toBe(200);
      const types = await get('/v2/ResourceTypes');
      expect(types.body.Resources[0].endpoint).toBe('/Users');
      const spc = await get('/v2/ServiceProviderConfig');
      expect(spc.body.patch.supported).toBe(true);
      const schemas = await get('/v2/Schemas');
      expect(schemas.status).toBe(200);
      expect(schemas.text).toContain('User Account');
    });

    it('A11 capitalised attribute names in bodies (emails[].Primary, Department, Manager.Value) are understood', async () => {
      const manager = await createUser();
      const token = unique('cap');
      const res = await post('/v2/Users', {
        schemas: [USER, ENTERPRISE],
        userName: `${token}@example.com`,
        Emails: [{ Primary: true, Type: 'work', Value: `${token}@example.com` }],
        [ENTERPRISE]: { Department: 'Tour Operations', Manager: { Value: manager.id } },
      });
      expect(res.status).toBe(201);
      expect(res.body.emails).toEqual([{ primary: true, type: 'work', value: `${token}@example.com` }]);
      expect(res.body[ENTERPRISE]).toMatchObject({ department: 'Tour Operations', manager: { value: manager.id } });
    });

    it('A11 filters: DisplayName eq, name.FamilyName eq Employee and (emails.Value co …), userName sw O, meta.Created gt <unquoted>, "+" spaces, trailing slash', async () => {
      const token = unique('bob');
      const user = await createUser({
        userName: `O${token}@example.com`,
        displayName: `BobIsAmazing${token}`,
        name: { givenName: 'Bob', familyName: `Employee${token}` },
        emails: [{ type: 'work', value: `${token}@example.org` }],
      });
      const ids = async (query: string) => {
        const res = await get(`/v2/Users/?${query}`);
        expectListResponse(res);
        return res.body.Resources.map((r: any) => r.id);
      };
      expect(await ids(filterQuery(`DisplayName eq "BobIsAmazing${token}"`))).toEqual([user.id]);
      expect(
        await ids(
          filterQuery(
            `name.FamilyName eq Employee${token} and (emails.Value co example.com or emails.Value co example.org)`,
          ),
        ),
      ).toEqual([user.id]);
      expect(await ids(filterQuery(`userName sw O${token}`))).toEqual([user.id]);
      expect(
        await ids(
          filterQuery(`meta.Created gt 2015-10-10T14:38:21.8617979-07:00 and displayName eq "BobIsAmazing${token}"`),
        ),
      ).toEqual([user.id]);
      expect(await ids(`filter=DisplayName+eq+%22BobIsAmazing${token}%22`)).toEqual([user.id]);
    });

    it('A11 attributes=emails[type eq "work"] and attributes=emails[value eq "emailName357…"] on the list → 200 with the email', async () => {
      const token = unique('emailName357');
      const user = await createUser({
        emails: [
          { type: 'work', value: token, primary: true },
          { type: 'home', value: `${token}@home.example.org` },
        ],
      });
      const filter = filterQuery(`id eq "${user.id}"`);
      const byType = await get(`/v2/Users?${filter}&attributes=${encodeURIComponent('emails[type eq "work"]')}`);
      expect(byType.status).toBe(200);
      expect(byType.body.Resources[0].emails).toEqual([{ type: 'work', value: token, primary: true }]);
      const byValue = await get(`/v2/Users?${filter}&attributes=${encodeURIComponent(`emails[value eq "${token}"]`)}`);
      expect(byValue.status).toBe(200);
      expect(byValue.text).toContain(token);
    });

    it('A11 garbage POST: client meta.created, null address sub-attributes, primary on addresses, roles: [], "active": "True" → 201', async () => {
      const token = unique('garbage');
      const res = await post('/v2/Users', {
        schemas: [USER],
        externalId: guid(),
        userName: `${token}@example.com`,
        active: 'True',
        addresses: [
          { type: 'work', streetAddress: '1 Way', locality: null, region: null, primary: true, country: 'Germany' },
        ],
        meta: { resourceType: 'User', created: '2015-10-10T14:38:21Z', lastModified: '2015-10-10T14:38:21Z' },
        roles: [],
      });
      expect(res.status).toBe(201);
      expect(res.body.userName).toBe(`${token}@example.com`);
      expect(res.body.active).toBe(true);
      expect(res.body.addresses).toEqual([{ type: 'work', streetAddress: '1 Way', primary: true, country: 'Germany' }]);
      expect(res.body.meta.created).not.toBe('2015-10-10T14:38:21Z');
      expect(nullPaths(res.body)).toEqual([]);
    });

    it('A11 PUT with id in the body → 200; PUT with the misspelled "adreses" → 200 and the old addresses are gone', async () => {
      const user = await createUser({ addresses: [{ type: 'work', country: 'Germany' }] });
      const withId = await put(`/v2/Users/${user.id}`, {
        ...validatorUser(),
        id: user.id,
        userName: user.userName,
        name: { formatted: 'New Formatted' },
      });
      expect(withId.status).toBe(200);
      expect((await readUser(user.id)).name.formatted).toBe('New Formatted');
      const typo = await put(`/v2/Users/${user.id}`, {
        schemas: [USER],
        id: user.id,
        userName: user.userName,
        adreses: [{ type: 'work', country: 'France' }],
      });
      expect(typo.status).toBe(200);
      expect(typo.text).not.toMatch(/addresses/i);
    });

    it('A11 PATCH Replace userName and active false → 200 with the user (known deviation: the collection expects 204)', async () => {
      const user = await createUser();
      const userName = `${unique('ryan')}@example.com`;
      const res = await patch(
        `/v2/Users/${user.id}`,
        patchOp({ op: 'Replace', path: 'userName', value: userName }, { op: 'Replace', path: 'active', value: false }),
      );
      expect(res.status).toBe(200);
      expect(await readUser(user.id)).toMatchObject({ userName, active: false });
    });

    it('A11 group members: add [{displayName, value}] with an extra "name" key → 204; remove by filter; add again; remove all', async () => {
      const [user, group] = [await createUser(), await createGroup({ members: [] })];
      const add = () =>
        patch(`/v2/Groups/${group.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [
            { name: 'addMember', op: 'add', path: 'members', value: [{ displayName: 'new User', value: user.id }] },
          ],
        });
      const members = async () => ((await get(`/v2/Groups/${group.id}`)).body.members ?? []).map((m: any) => m.value);
      expect((await add()).status).toBe(204);
      expect(await members()).toEqual([user.id]);
      expect(
        (await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` })))
          .status,
      ).toBe(204);
      expect(await members()).toEqual([]);
      expect((await add()).status).toBe(204);
      expect((await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'remove', path: 'members' }))).status).toBe(204);
      expect(await members()).toEqual([]);
    });

    it('A11 members given as the plain string "string id 1" → 400 invalidValue naming it (listed deviation: the reference server answers 204)', async () => {
      const group = await createGroup();
      const res = await patch(`/v2/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: 'string id 1' }));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).toContain('string id 1');
    });

    it('A11 GET /Groups/{id}?excludedAttributes=members → 200; PUT → 200 with the new displayName', async () => {
      const user = await createUser();
      const group = await createGroup({ members: [{ value: user.id }] });
      const read = await get(`/v2/Groups/${group.id}?excludedAttributes=members`);
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty(['members']);
      const displayName = unique('Put group ');
      const res = await put(`/v2/Groups/${group.id}`, { schemas: [GROUP], displayName, members: [{ value: user.id }] });
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe(displayName);
    });

    it('A11 paging: startIndex=1&count=2 → itemsPerPage 2 and totalResults counting every user', async () => {
      await createUser();
      await createUser();
      await createUser();
      const all = await get('/v2/Users?count=0');
      const res = await get('/v2/Users?startIndex=1&count=2');
      expectListResponse(res, { startIndex: 1, itemsPerPage: 2, totalResults: all.body.totalResults });
      expect(res.body.totalResults).toBeGreaterThanOrEqual(3);
    });
  });
});
