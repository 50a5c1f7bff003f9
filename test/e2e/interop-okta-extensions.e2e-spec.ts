import { startServer, TestServer } from '../support/app';
import { expectScimError, filterQuery, OKTA_HEADERS, patchOp, unique, USER } from '../support/traces';

/**
 * Okta custom attributes (issue 15 item 5): an administrator adds attributes in the app's Profile Editor with an
 * external namespace of their own; Okta then sends them as a nested object under that URN, in the create, in the
 * read-modify-write PUT of every later update (B3), and in pathless PATCH value objects. Okta filters only with
 * `userName eq`; the custom attributes are filterable for everyone else (here with Okta's headers).
 */

jest.setTimeout(120_000);

const NAMESPACE = 'urn:okta:roster_app:1.0:user:custom';

describe('Okta custom namespace replays (issue 15, provisioning-traces.md §B with custom attributes)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    const res = await server.post('/admin/schemas', {
      id: NAMESPACE,
      name: 'OktaCustom',
      resourceType: 'User',
      attributes: [
        { name: 'badgeNumber', type: 'string' },
        { name: 'isManager', type: 'boolean' },
        { name: 'seniority', type: 'integer' },
        { name: 'officeLocations', type: 'string', multiValued: true },
      ],
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (path: string) => server.get(path, { headers: OKTA_HEADERS });
  const post = (path: string, body: unknown) => server.post(path, body, { headers: OKTA_HEADERS });
  const put = (path: string, body: unknown) => server.put(path, body, { headers: OKTA_HEADERS });
  const patch = (path: string, body: unknown) => server.patch(path, body, { headers: OKTA_HEADERS });

  function oktaCreate(custom: Record<string, unknown>): Record<string, unknown> {
    const userName = `${unique('okta.user')}@okta.local`;
    return {
      schemas: [USER, NAMESPACE],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: unique('00u'),
      groups: [],
      password: '1mz050nq',
      active: true,
      [NAMESPACE]: custom,
    };
  }

  it('B1 create with the custom namespace as a nested object → 201, the values returned under the URN', async () => {
    const res = await post(
      '/v2/Users',
      oktaCreate({ badgeNumber: '1234', isManager: true, seniority: 4, officeLocations: ['Paris', 'Oslo'] }),
    );
    expect(res.status).toBe(201);
    expect(res.body.schemas).toEqual([USER, NAMESPACE]);
    expect(res.body[NAMESPACE]).toEqual({
      badgeNumber: '1234',
      isManager: true,
      seniority: 4,
      officeLocations: ['Paris', 'Oslo'],
    });
    expect(res.body.password).toBeUndefined();
  });

  it('B1 a wrongly typed custom value is 400 invalidValue naming it, not a silent drop', async () => {
    const res = await post('/v2/Users', oktaCreate({ seniority: 'senior' }));
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain(`${NAMESPACE}:seniority`);
  });

  it('B3 read-modify-write: GET, change a custom value, PUT the whole object back → 200 with the change', async () => {
    const created = await post('/v2/Users', oktaCreate({ badgeNumber: 'A1', isManager: false }));
    const read = await get(`/v2/Users/${created.body.id}`);
    const body = { ...read.body, [NAMESPACE]: { ...read.body[NAMESPACE], badgeNumber: 'A2', seniority: 2 } };
    const res = await put(`/v2/Users/${created.body.id}`, body);
    expect(res.status).toBe(200);
    expect(res.body[NAMESPACE]).toEqual({ badgeNumber: 'A2', isManager: false, seniority: 2 });
    // PUT replaces: a namespace left out of the body is gone.
    const { [NAMESPACE]: _dropped, ...without } = res.body;
    const cleared = await put(`/v2/Users/${created.body.id}`, without);
    expect(cleared.status).toBe(200);
    expect(cleared.body[NAMESPACE]).toBeUndefined();
  });

  it('PATCH: pathless replace/add with the namespace object, and remove by URN path', async () => {
    const created = await post('/v2/Users', oktaCreate({ badgeNumber: 'P1' }));
    const id = created.body.id;
    let res = await patch(`/v2/Users/${id}`, patchOp({ op: 'replace', value: { [NAMESPACE]: { isManager: true } } }));
    expect(res.status).toBe(200);
    expect(res.body[NAMESPACE]).toEqual({ badgeNumber: 'P1', isManager: true });
    res = await patch(`/v2/Users/${id}`, patchOp({ op: 'add', path: `${NAMESPACE}:officeLocations`, value: ['Lyon'] }));
    expect(res.body[NAMESPACE].officeLocations).toEqual(['Lyon']);
    res = await patch(`/v2/Users/${id}`, patchOp({ op: 'remove', path: `${NAMESPACE}:badgeNumber` }));
    expect(res.body[NAMESPACE]).toEqual({ isManager: true, officeLocations: ['Lyon'] });
    res = await patch(`/v2/Users/${id}`, patchOp({ op: 'remove', path: NAMESPACE }));
    expect(res.body[NAMESPACE]).toBeUndefined();
  });

  it('filters: userName eq (what Okta sends) and the custom attributes (every operator family)', async () => {
    const badge = unique('B');
    const created = await post(
      '/v2/Users',
      oktaCreate({ badgeNumber: badge, seniority: 9, officeLocations: ['Berlin'] }),
    );
    const byUserName = await get(
      `/v2/Users?${filterQuery(`userName eq "${String(created.body.userName)}"`)}&startIndex=1&count=100`,
    );
    expect(byUserName.body.Resources[0][NAMESPACE].badgeNumber).toBe(badge);
    for (const filter of [
      `${NAMESPACE}:badgeNumber eq "${badge.toUpperCase()}"`,
      `${NAMESPACE}:badgeNumber sw "${badge.slice(0, 4)}" and ${NAMESPACE}:seniority gt 8`,
      `${NAMESPACE}:officeLocations eq "berlin" and ${NAMESPACE}:badgeNumber co "${badge.slice(1)}"`,
    ]) {
      const res = await get(`/v2/Users?${filterQuery(filter)}`);
      expect(res.status).toBe(200);
      expect(res.body.Resources.map((u: { id: string }) => u.id)).toContain(created.body.id);
    }
  });
});
