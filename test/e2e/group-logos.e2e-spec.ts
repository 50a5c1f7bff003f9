import { startServer, TestServer } from '../support/app';
import { LOGOS } from '../support/images';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ROSTER_GROUP = 'urn:roster:params:scim:schemas:extension:group:1.0:Group';

const IMAGES = LOGOS;

describe('Group logos', () => {
  let server: TestServer;
  let n = 0;

  beforeAll(async () => {
    server = await startServer({ LOGO_MAX_BYTES: '4096' });
  });
  afterAll(async () => {
    await server.close();
  });

  async function group(): Promise<Record<string, any>> {
    const res = await server.post('/v2/Groups', { schemas: [GROUP], displayName: `Logo group ${++n} ${Date.now()}` });
    return res.body;
  }

  const putRaw = (id: string, body: Uint8Array, type: string, headers: Record<string, string> = {}) =>
    server.request('PUT', `/v2/Groups/${id}/Logo`, { raw: body, headers: { 'content-type': type, ...headers } });

  it.each(Object.keys(IMAGES))(
    'stores a %s logo sent as the raw body and serves it back with strict headers',
    async (type) => {
      const g = await group();
      const put = await putRaw(g.id, IMAGES[type], type);
      expect(put.status).toBe(200);
      expect(put.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
      expect(put.body.schemas).toEqual([GROUP, ROSTER_GROUP]);
      expect(put.body[ROSTER_GROUP]).toEqual({ logo: `${server.baseUrl}/v2/Groups/${g.id}/Logo` });
      expect(put.body.meta.version).toBe('W/"2"');

      const res = await fetch(`${server.baseUrl}/v2/Groups/${g.id}/Logo`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
      expect(res.headers.get('cache-control')).toContain('max-age');
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(Buffer.from(await res.arrayBuffer()).equals(IMAGES[type])).toBe(true);

      const cached = await fetch(`${server.baseUrl}/v2/Groups/${g.id}/Logo`, {
        headers: { authorization: `Bearer ${server.adminToken}`, 'if-none-match': etag! },
      });
      expect(cached.status).toBe(304);
    },
  );

  it('accepts multipart/form-data field "logo"', async () => {
    const g = await group();
    const form = new FormData();
    form.append('logo', new Blob([IMAGES['image/png']], { type: 'image/png' }), 'logo.png');
    const res = await fetch(`${server.baseUrl}/v2/Groups/${g.id}/Logo`, {
      method: 'PUT',
      body: form,
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    const logo = await fetch(`${server.baseUrl}/v2/Groups/${g.id}/Logo`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(logo.headers.get('content-type')).toBe('image/png');
  });

  it('answers 204 with Prefer: return=minimal', async () => {
    const g = await group();
    const res = await putRaw(g.id, IMAGES['image/gif'], 'image/gif', { prefer: 'return=minimal' });
    expect(res.status).toBe(204);
  });

  it.each([
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
    ['SVG claiming to be PNG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png'],
    ['a PNG claiming to be a GIF', IMAGES['image/png'], 'image/gif'],
    ['HTML', Buffer.from('<html></html>'), 'text/html'],
    ['a PDF', Buffer.from('%PDF-1.7'), 'application/pdf'],
  ])('refuses %s with 415 and stores nothing', async (_, body, type) => {
    const g = await group();
    const res = await putRaw(g.id, body, type);
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '415' });
    expect((await server.get(`/v2/Groups/${g.id}/Logo`)).status).toBe(404);
  });

  it('refuses a logo over LOGO_MAX_BYTES with 413, raw and multipart', async () => {
    const g = await group();
    const big = Buffer.concat([IMAGES['image/png'], Buffer.alloc(5000)]);
    const raw = await putRaw(g.id, big, 'image/png');
    expect(raw.status).toBe(413);
    expect(raw.body.status).toBe('413');
    const form = new FormData();
    form.append('logo', new Blob([big], { type: 'image/png' }), 'big.png');
    const multipart = await fetch(`${server.baseUrl}/v2/Groups/${g.id}/Logo`, {
      method: 'PUT',
      body: form,
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(multipart.status).toBe(413);
    expect((await server.get(`/v2/Groups/${g.id}/Logo`)).status).toBe(404);
  });

  it('deletes a logo, drops it from the group, and answers 404 afterwards', async () => {
    const g = await group();
    await putRaw(g.id, IMAGES['image/png'], 'image/png');
    expect((await server.delete(`/v2/Groups/${g.id}/Logo`)).status).toBe(204);
    expect((await server.get(`/v2/Groups/${g.id}/Logo`)).status).toBe(404);
    const read = await server.get(`/v2/Groups/${g.id}`);
    expect(read.body.schemas).toEqual([GROUP]);
    expect(read.body[ROSTER_GROUP]).toBeUndefined();
    expect((await server.delete(`/v2/Groups/${g.id}/Logo`)).status).toBe(404);
  });

  it('needs a token and answers 404 for an unknown group', async () => {
    const g = await group();
    expect((await putRaw(g.id, IMAGES['image/png'], 'image/png', {})).status).toBe(200);
    expect((await server.get(`/v2/Groups/${g.id}/Logo`, { token: null })).status).toBe(401);
    expect((await putRaw('6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001', IMAGES['image/png'], 'image/png')).status).toBe(404);
  });

  it('lists the logo extension in /Schemas and the Group resource type', async () => {
    const schemas = await server.get('/v2/Schemas');
    expect(schemas.body.Resources.map((s: any) => s.id)).toContain(ROSTER_GROUP);
    const type = await server.get('/v2/ResourceTypes/Group');
    expect(type.body.schemaExtensions).toEqual([{ schema: ROSTER_GROUP, required: false }]);
  });
});
