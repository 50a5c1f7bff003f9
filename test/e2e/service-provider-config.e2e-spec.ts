import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * ServiceProviderConfig must state only what is implemented. Each claim it makes is checked
 * here against what the server does, so a flag cannot drift from the behaviour.
 */
describe('ServiceProviderConfig tells the truth', () => {
  let server: TestServer;
  let spc: Record<string, any>;
  let user: Record<string, any>;

  beforeAll(async () => {
    server = await startServer({ FILTER_MAX_RESULTS: '3', BULK_MAX_OPERATIONS: '7', BULK_MAX_PAYLOAD_SIZE: '65536' });
    spc = (await server.get('/v2/ServiceProviderConfig')).body;
    for (let i = 0; i < 4; i++) {
      const res = await server.post('/v2/Users', {
        schemas: [USER],
        userName: `spc${i}@example.com`,
        nickName: `n${3 - i}`,
      });
      user = res.body;
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it('has every field that Okta and Microsoft check, with configured limits', () => {
    expect(spc).toMatchObject({
      patch: { supported: expect.any(Boolean) },
      bulk: { supported: expect.any(Boolean), maxOperations: 7, maxPayloadSize: 65536 },
      filter: { supported: expect.any(Boolean), maxResults: 3 },
      changePassword: { supported: expect.any(Boolean) },
      sort: { supported: expect.any(Boolean) },
      etag: { supported: expect.any(Boolean) },
    });
    expect(spc.authenticationSchemes[0]).toMatchObject({
      type: 'oauthbearertoken',
      name: expect.any(String),
      description: expect.any(String),
    });
  });

  it('patch: PATCH works exactly when advertised', async () => {
    const res = await server.patch(`/v2/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'title', value: 't' }],
    });
    expect(res.status === 200).toBe(spc.patch.supported);
  });

  it('filter: filters work and results are capped at maxResults', async () => {
    const filtered = await server.get(`/v2/Users?filter=${encodeURIComponent('userName sw "spc"')}&count=100`);
    expect(filtered.status === 200).toBe(spc.filter.supported);
    expect(filtered.body.totalResults).toBe(4);
    expect(filtered.body.itemsPerPage).toBe(spc.filter.maxResults);
  });

  it('sort: sortBy orders results when advertised', async () => {
    const res = await server.get(`/v2/Users?filter=${encodeURIComponent('userName sw "spc"')}&sortBy=nickName`);
    const nickNames = res.body.Resources.map((u: any) => u.nickName);
    expect(res.status === 200 && nickNames.join() === 'n0,n1,n2').toBe(spc.sort.supported);
  });

  it('etag: versions are sent and If-Match is enforced when advertised', async () => {
    const read = await server.get(`/v2/Users/${user.id}`);
    const stale = await server.patch(
      `/v2/Users/${user.id}`,
      { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'u' }] },
      { headers: { 'if-match': 'W/"999"' } },
    );
    expect(read.headers.get('etag') !== null && stale.status === 412).toBe(spc.etag.supported);
  });

  it('changePassword: a password can be changed and is never returned, when advertised', async () => {
    const res = await server.patch(`/v2/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'password', value: 'N3w-passw0rd!' }],
    });
    expect(res.status === 200 && !res.text.includes('N3w-passw0rd')).toBe(spc.changePassword.supported);
  });

  it('bulk: the endpoint exists exactly when advertised', async () => {
    const res = await server.post('/v2/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'b1', data: { schemas: [USER], userName: 'bulk-spc@example.com' } },
      ],
    });
    expect(res.status === 200).toBe(spc.bulk.supported);
  });

  it('pagination: cursors work when advertised', async () => {
    const res = await server.get('/v2/Users?count=1&cursor=');
    expect(res.status === 200 && typeof res.body.nextCursor === 'string').toBe(spc.pagination.cursor);
    const index = await server.get('/v2/Users?count=1&startIndex=2');
    expect(index.status === 200 && index.body.startIndex === 2).toBe(spc.pagination.index);
  });

  it('authenticationSchemes: the bearer scheme is the one that works', async () => {
    expect((await server.get('/v2/Users', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await server.get('/v2/Users', { token: null })).status).toBe(401);
  });
});
