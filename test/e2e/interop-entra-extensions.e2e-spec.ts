import { startServer, TestServer } from '../support/app';
import {
  ENTERPRISE,
  ENTRA_HEADERS,
  expectListResponse,
  expectScimError,
  filterQuery,
  flattenSchemasLikeTheGalleryTemplate,
  guid,
  patchOp,
  unique,
  USER,
} from '../support/traces';

/**
 * Entra ID custom extension attributes (issue 15 item 5), replayed as Entra's provisioning service sends them:
 * an administrator adds attributes under `urn:ietf:params:scim:schemas:extension:<Name>:2.0:User` in the
 * attribute-mapping editor ("Edit attribute list"); the service then writes them as flat
 * `urn:...:User:<attr>` keys in POST bodies and PATCH paths, with string-typed booleans and numbers in the default
 * job, lowercase ops and pathless value objects with `aadOptscim062020`, and matches with `eq` on any mapped
 * attribute. Before the extension is registered, the same create is refused (400 naming the URN) instead of
 * answering 201 and losing the values (the issue's report).
 */

jest.setTimeout(120_000);

const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';

describe('Entra ID custom extension replays (issue 15, provisioning-traces.md §A with custom attributes)', () => {
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

  /** The tutorial create shape (A3) plus the custom attributes Entra writes as flat keys. */
  function entraCreate(custom: Record<string, unknown>): Record<string, unknown> {
    const name = unique('Test_User_');
    return {
      schemas: [USER, ENTERPRISE, CUSTOM],
      externalId: guid(),
      userName: name,
      active: true,
      emails: [{ primary: true, type: 'work', value: `${name}@testuser.com` }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [`${ENTERPRISE}:department`]: 'Sales',
      ...Object.fromEntries(Object.entries(custom).map(([k, v]) => [`${CUSTOM}:${k}`, v])),
    };
  }

  it("before registration: the issue's create (nested and flat) is 400 invalidValue naming the URN, nothing stored", async () => {
    const flat = entraCreate({ costCenter: '42' });
    const refused = await post('/v2/Users', flat);
    expectScimError(refused, 400, 'invalidValue');
    expect(refused.body.detail).toContain(CUSTOM);
    const nested = await post('/v2/Users', {
      schemas: [USER, CUSTOM],
      userName: unique('n'),
      [CUSTOM]: { costCenter: '42' },
    });
    expectScimError(nested, 400, 'invalidValue');
    const match = await get(`/v2/Users?${filterQuery(`userName eq "${String(flat.userName)}"`)}`);
    expect(match.body.totalResults).toBe(0);
  });

  describe('after the administrator registers the extension', () => {
    beforeAll(async () => {
      const res = await server.post('/admin/schemas', {
        id: CUSTOM,
        name: 'CustomExtensionName',
        resourceType: 'User',
        attributes: [
          { name: 'costCenter', type: 'string' },
          { name: 'employeeId', type: 'string', caseExact: true, uniqueness: 'server' },
          { name: 'isContractor', type: 'boolean' },
          { name: 'level', type: 'integer' },
          { name: 'hireDate', type: 'dateTime' },
        ],
      });
      expect(res.status).toBe(201);
    });

    it('A2 /Schemas: the gallery template finds every custom attribute it maps', async () => {
      const res = await get('/v2/Schemas');
      const { user } = flattenSchemasLikeTheGalleryTemplate(res.body.Resources);
      for (const name of ['costCenter', 'employeeId', 'isContractor', 'level', 'hireDate']) {
        expect(user.has(`${CUSTOM}:${name}`.toLowerCase())).toBe(true);
      }
    });

    it('A3 match on the custom attribute, then POST with flat keys and string-typed values → 201, values typed', async () => {
      const employeeId = `E-${guid()}`;
      const empty = await get(`/v2/Users?${filterQuery(`${CUSTOM}:employeeId eq "${employeeId}"`)}`);
      expectListResponse(empty);
      expect(empty.body.totalResults).toBe(0);
      const res = await post(
        '/v2/Users',
        entraCreate({
          costCenter: '42',
          employeeId,
          isContractor: 'True',
          level: '3',
          hireDate: '2024-03-01T08:00:00Z',
        }),
      );
      expect(res.status).toBe(201);
      expect(res.body.schemas).toEqual([USER, ENTERPRISE, CUSTOM]);
      expect(res.body[CUSTOM]).toEqual({
        costCenter: '42',
        employeeId,
        isContractor: true,
        level: 3,
        hireDate: '2024-03-01T08:00:00Z',
      });
      expect(Object.keys(res.body).filter((k) => k.startsWith(`${CUSTOM}:`))).toEqual([]);
      const found = await get(`/v2/Users?${filterQuery(`${CUSTOM}:employeeId eq "${employeeId}"`)}`);
      expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([res.body.id]);
      // employeeId is caseExact: Entra's match with other case finds nothing.
      const other = await get(`/v2/Users?${filterQuery(`${CUSTOM}:employeeId eq "${employeeId.toLowerCase()}"`)}`);
      expect(other.body.totalResults).toBe(0);
      // uniqueness: server, so a second user with the same employeeId is the 409 Entra expects for duplicates.
      expectScimError(await post('/v2/Users', entraCreate({ employeeId })), 409, 'uniqueness');
    });

    it('A5 default job: Replace / Add / Remove with URN paths and capitalised ops; "False" becomes false', async () => {
      const created = await post('/v2/Users', entraCreate({ costCenter: '42', isContractor: 'True' }));
      const id = created.body.id;
      let res = await patch(
        `/v2/Users/${id}`,
        patchOp(
          { op: 'Replace', path: `${CUSTOM}:costCenter`, value: '43' },
          { op: 'Add', path: `${CUSTOM}:level`, value: '7' },
          { op: 'Replace', path: `${CUSTOM}:isContractor`, value: 'False' },
        ),
      );
      expect(res.status).toBe(200);
      expect(res.body[CUSTOM]).toEqual({ costCenter: '43', isContractor: false, level: 7 });
      res = await patch(`/v2/Users/${id}`, patchOp({ op: 'Remove', path: `${CUSTOM}:costCenter` }));
      expect(res.status).toBe(200);
      expect(res.body[CUSTOM]).toEqual({ isContractor: false, level: 7 });
      const bad = await patch(`/v2/Users/${id}`, patchOp({ op: 'Replace', path: `${CUSTOM}:level`, value: 'senior' }));
      expectScimError(bad, 400, 'invalidValue');
      expect(bad.body.detail).toContain(`${CUSTOM}:level`);
      expect((await get(`/v2/Users/${id}`)).body[CUSTOM].level).toBe(7);
    });

    it('A5 aadOptscim062020: lowercase ops, a pathless value with dotted, enterprise and custom URN keys', async () => {
      const created = await post('/v2/Users', entraCreate({ costCenter: '1' }));
      const res = await patch(
        `/v2/Users/${created.body.id}`,
        patchOp(
          { op: 'replace', path: `${CUSTOM}:costCenter`, value: '2' },
          {
            op: 'replace',
            value: {
              displayName: 'Bjfe',
              'name.givenName': 'Kkom',
              [`${ENTERPRISE}:employeeNumber`]: 'Aklq',
              [`${CUSTOM}:level`]: '11',
              [`${CUSTOM}:isContractor`]: 'true',
            },
          },
        ),
      );
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe('Bjfe');
      expect(res.body[ENTERPRISE].employeeNumber).toBe('Aklq');
      expect(res.body[CUSTOM]).toEqual({ costCenter: '2', isContractor: true, level: 11 });
    });

    it('A7-style filter with and: active eq true and a custom boolean / number', async () => {
      const tag = unique('cc');
      const a = await post('/v2/Users', entraCreate({ costCenter: tag, isContractor: 'True', level: '2' }));
      const b = await post('/v2/Users', entraCreate({ costCenter: tag, isContractor: 'False', level: '5' }));
      const contractors = await get(
        `/v2/Users?${filterQuery(`active eq true and ${CUSTOM}:isContractor eq true and ${CUSTOM}:costCenter eq "${tag}"`)}`,
      );
      expect(contractors.body.Resources.map((u: { id: string }) => u.id)).toEqual([a.body.id]);
      const senior = await get(`/v2/Users?${filterQuery(`${CUSTOM}:costCenter eq "${tag}" and ${CUSTOM}:level ge 3`)}`);
      expect(senior.body.Resources.map((u: { id: string }) => u.id)).toEqual([b.body.id]);
    });
  });
});
