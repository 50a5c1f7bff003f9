import { startServer, TestServer } from '../support/app';
import {
  expectListResponse,
  expectScimError,
  expectScimJson,
  filterQuery,
  GROUP,
  guid,
  patchOp,
  SCHEMA,
  SPC,
  unique,
  USER,
} from '../support/traces';

/**
 * The checks of Apache SCIMple's `scim-compliance-tests` (conformance.md §4: UsersIT, GroupsIT, SchemasIT,
 * ResourceTypesIT, ServiceProviderConfigIT), ported to requests against Roster.
 */

describe('Apache SCIMple compliance checks (conformance.md §4)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  function userBody(userName = `${unique('scimple')}@example.com`): Record<string, any> {
    return {
      schemas: [USER],
      userName,
      name: { givenName: 'Sim', familyName: 'Ple' },
      displayName: 'Sim Ple',
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    };
  }

  async function createUser(): Promise<Record<string, any>> {
    const res = await server.post('/v2/Users', userBody());
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('§4 UsersIT', () => {
    it('§4 UsersIT: GET /Users?count=1&startIndex=1 → Resources[0] has id, name.familyName, userName, boolean active, emails[0].value', async () => {
      await createUser();
      const res = await server.get('/v2/Users?count=1&startIndex=1');
      expectListResponse(res, { startIndex: 1, itemsPerPage: 1 });
      const [user] = res.body.Resources;
      expect(user.id).toBeTruthy();
      expect(user.name.familyName).toBeTruthy();
      expect(user.userName).toBeTruthy();
      expect(typeof user.active).toBe('boolean');
      expect(user.emails[0].value).toBeTruthy();
    });

    it('§4 UsersIT: a filter on a random userName → totalResults 0', async () => {
      expectListResponse(await server.get(`/v2/Users?${filterQuery(`userName eq "${guid()}"`)}`), { totalResults: 0 });
    });

    it('§4 UsersIT: an unknown id → 404 Error with a non-empty detail', async () => {
      expectScimError(await server.get(`/v2/Users/${guid()}`), 404);
    });

    it('§4 UsersIT: create → 201 with schemas == [core User] exactly; GET returns the same; a re-POST → 409 with detail', async () => {
      const body = userBody();
      const res = await server.post('/v2/Users', body);
      expect(res.status).toBe(201);
      expect(res.body.schemas).toEqual([USER]);
      expect(res.body.userName.toLowerCase()).toBe(body.userName.toLowerCase());
      const read = await server.get(`/v2/Users/${res.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
      expectScimError(await server.post('/v2/Users', body), 409);
    });

    it('§4 UsersIT: PUT that adds phoneNumbers → 200 with phoneNumbers[0]', async () => {
      const user = await createUser();
      const res = await server.put(`/v2/Users/${user.id}`, {
        ...userBody(user.userName),
        phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
      });
      expect(res.status).toBe(200);
      expect(res.body.phoneNumbers[0]).toEqual({ value: '+1 555 0100', type: 'work' });
    });

    it('§4 UsersIT: filter userName eq with the exact and the upper-cased value → totalResults 1, Content-Type application/scim+json', async () => {
      const user = await createUser();
      for (const value of [user.userName, user.userName.toUpperCase()]) {
        const res = await server.get(`/v2/Users?${filterQuery(`userName eq "${value}"`)}`);
        expectListResponse(res, { totalResults: 1 });
        expectScimJson(res);
        expect(res.body.Resources[0].id).toBe(user.id);
      }
    });

    it('§4 UsersIT: PATCH {"op":"replace","value":{"active":false}} → 200 with active false', async () => {
      const user = await createUser();
      const res = await server.patch(`/v2/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }));
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
    });
  });

  describe('§4 GroupsIT', () => {
    it('§4 GroupsIT: GET /Groups is a non-empty ListResponse', async () => {
      await server.post('/v2/Groups', { schemas: [GROUP], displayName: unique('SCIMple ') });
      const res = await server.get('/v2/Groups');
      expectListResponse(res);
      expect(res.body.Resources.length).toBeGreaterThan(0);
    });

    it('§4 GroupsIT: create with members → 201 with members[0].value and display; a duplicate → 409', async () => {
      const user = await createUser();
      const body = {
        schemas: [GROUP],
        displayName: unique('SCIMple '),
        members: [{ value: user.id, display: user.displayName }],
      };
      const res = await server.post('/v2/Groups', body);
      expect(res.status).toBe(201);
      expect(res.body.members[0]).toMatchObject({ value: user.id, display: user.displayName });
      expectScimError(await server.post('/v2/Groups', body), 409);
    });

    it('§4 GroupsIT: an unknown id → 404; DELETE → 204', async () => {
      expectScimError(await server.get(`/v2/Groups/${guid()}`), 404);
      const res = await server.post('/v2/Groups', { schemas: [GROUP], displayName: unique('SCIMple ') });
      expect((await server.delete(`/v2/Groups/${res.body.id}`)).status).toBe(204);
    });

    it('§4 GroupsIT: PUT with members: [] → 200 and the members are gone', async () => {
      const user = await createUser();
      const displayName = unique('SCIMple ');
      const created = await server.post('/v2/Groups', { schemas: [GROUP], displayName, members: [{ value: user.id }] });
      const res = await server.put(`/v2/Groups/${created.body.id}`, { schemas: [GROUP], displayName, members: [] });
      expect(res.status).toBe(200);
      expect(res.body.members ?? []).toEqual([]);
    });

    it('§4 GroupsIT: PATCH remove members[value eq "id"] → 204 by default (deviation: SCIMple expects 200), 200 with members empty under Prefer: return=representation', async () => {
      const user = await createUser();
      const displayName = unique('SCIMple ');
      const created = await server.post('/v2/Groups', { schemas: [GROUP], displayName, members: [{ value: user.id }] });
      const remove = patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` });
      expect((await server.patch(`/v2/Groups/${created.body.id}`, remove)).status).toBe(204);
      await server.patch(
        `/v2/Groups/${created.body.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }),
      );
      const represented = await server.patch(`/v2/Groups/${created.body.id}`, remove, {
        headers: { prefer: 'return=representation' },
      });
      expect(represented.status).toBe(200);
      expect(represented.body.members ?? []).toEqual([]);
    });
  });

  describe('§4 SchemasIT, ResourceTypesIT, ServiceProviderConfigIT', () => {
    it('§4 SchemasIT: GET /Schemas lists the User, Group and EnterpriseUser schemas; GET /Schemas/{id} returns one', async () => {
      const res = await server.get('/v2/Schemas');
      expectListResponse(res);
      for (const resource of res.body.Resources) {
        expect(resource.schemas).toEqual([SCHEMA]);
      }
      const one = await server.get(`/v2/Schemas/${USER}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: USER, name: 'User', attributes: expect.any(Array) });
      expectScimError(await server.get('/v2/Schemas/urn:example:nosuch'), 404);
    });

    it('§4 ResourceTypesIT: GET /ResourceTypes lists User and Group; GET /ResourceTypes/User returns one', async () => {
      const res = await server.get('/v2/ResourceTypes');
      expectListResponse(res);
      expect(res.body.Resources.map((r: any) => r.name)).toEqual(['User', 'Group']);
      const one = await server.get('/v2/ResourceTypes/User');
      expect(one.body).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER });
    });

    it('§4 ServiceProviderConfigIT: GET /ServiceProviderConfig → 200 with its schema', async () => {
      const res = await server.get('/v2/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.body.schemas).toEqual([SPC]);
    });
  });
});
