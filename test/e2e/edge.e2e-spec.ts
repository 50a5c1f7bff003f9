import { startServer, TestServer } from '../support/app';
import { jpeg, png } from '../support/images';
import { newClientKey, signAssertion, TEST_KEK, tokenEndpoint, tokenRequest } from '../support/oauth';
import { rawExchange } from '../support/raw-http';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const BODY_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1500;

/**
 * Issue 10, findings 4 (NUL and surrogates, multipart, nesting, router errors), 5 (slow clients)
 * and 9 (query-string tokens in logs, no-store, the docs' CSP, logo headers): each reproducer of
 * the security review, answered at the HTTP edge with a 4xx that changes nothing.
 */
describe('The HTTP edge', () => {
  let server: TestServer;
  let port: number;
  const logs: string[] = [];

  beforeAll(async () => {
    server = await startServer(
      {
        ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
        LOG_LEVEL: 'info',
        HTTP_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
        LOGO_MAX_DIMENSION: '1024',
      },
      { logStream: { write: (line: string) => logs.push(line) } },
    );
    port = Number(new URL(server.baseUrl).port);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Counts and versions: what any accepted write would move. */
  async function fingerprint(): Promise<string> {
    const users = await server.get('/v2/Users?count=1000&attributes=meta.version');
    const groups = await server.get('/v2/Groups?count=1000&excludedAttributes=members');
    const tokens = await server.get('/admin/tokens');
    const clients = await server.get('/admin/clients');
    return JSON.stringify([
      users.body.totalResults,
      users.body.Resources.map((u: { meta: { version: string } }) => u.meta.version),
      groups.body.totalResults,
      groups.body.Resources.map((g: { meta: { version: string } }) => g.meta.version),
      tokens.body.length ?? tokens.body,
      clients.body.length ?? clients.body,
    ]);
  }

  function expectScim400(res: { status: number; body: any; headers: Headers }, scimType = 'invalidValue'): void {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas).toEqual([ERROR]);
    expect(res.body.scimType).toBe(scimType);
  }

  describe('NUL bytes and lone surrogates are refused with 400 wherever text comes in', () => {
    let before: string;
    let userId: string;
    let groupId: string;

    beforeAll(async () => {
      userId = (await server.post('/v2/Users', { schemas: [USER], userName: 'edge-nul@example.com' })).body.id;
      groupId = (await server.post('/v2/Groups', { schemas: [GROUP], displayName: 'Edge NUL group' })).body.id;
      before = await fingerprint();
    });
    afterAll(async () => {
      expect(await fingerprint()).toBe(before);
    });

    it.each([
      [
        'a NUL in client_id (unauthenticated)',
        { grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' },
      ],
      ['a NUL in client_secret', { grant_type: 'client_credentials', client_id: 'a', client_secret: 'x\u0000' }],
      ['a NUL in a parameter name', { grant_type: 'client_credentials', ['a\u0000']: 'b' }],
    ])('token endpoint: %s → invalid_request in RFC 6749 shape', async (_name, form) => {
      const res = await tokenRequest(server, form);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('U+0000') });
    });

    it.each([
      ['a NUL byte', Buffer.from('a\u0000b:secret').toString('base64')],
      ['a form-encoded NUL (%00)', Buffer.from('a%00b:secret').toString('base64')],
    ])('token endpoint: %s in the Basic credentials → invalid_request', async (_name, basic) => {
      const res = await tokenRequest(server, { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it("token endpoint: a NUL in an assertion's iss → invalid_request", async () => {
      const key = await newClientKey();
      const assertion = await signAssertion(key, { iss: 'client\u0000', sub: 'client', aud: tokenEndpoint(server) });
      const res = await tokenRequest(server, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('assertion') });
    });

    it('/admin: names in bodies and ids in paths', async () => {
      expectScim400(await server.post('/admin/tokens', { name: 'entra\u0000', scope: 'scim.read' }));
      expectScim400(
        await server.request('POST', '/admin/clients', {
          raw: '{"client_name":"half \\ud800 a pair","scope":"scim.read"}',
          headers: { 'content-type': 'application/json' },
        }),
      );
      expectScim400(await server.delete('/admin/tokens/a%00b'));
      expectScim400(await server.delete('/admin/clients/%00'));
    });

    it('SCIM bodies: values, keys, PATCH values, Bulk data and PUT bodies', async () => {
      expectScim400(await server.post('/v2/Users', { schemas: [USER], userName: 'nul\u0000@example.com' }));
      expectScim400(
        await server.post('/v2/Users', { schemas: [USER], userName: 'key@example.com', ['title\u0000']: 'x' }),
      );
      expectScim400(
        await server.request('POST', '/v2/Users', {
          raw: `{"schemas":["${USER}"],"userName":"lone\\udc00@example.com"}`,
        }),
      );
      expectScim400(
        await server.patch(`/v2/Users/${userId}`, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'displayName', value: 'x\u0000' }],
        }),
      );
      expectScim400(
        await server.put(`/v2/Groups/${groupId}`, { schemas: [GROUP], displayName: 'Edge NUL group\u0000' }),
      );
      const bulk = await server.post('/v2/Bulk', {
        schemas: [BULK],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER], userName: 'b\u0000' } }],
      });
      expectScim400(bulk);
    });

    it('query parameters and path ids', async () => {
      expectScim400(await server.get('/v2/Users?attributes=userName%00'));
      expectScim400(await server.get('/v2/Users?filter=userName%20eq%20%22a%00b%22'));
      expectScim400(await server.get('/v2/Groups?%00=1'));
      expectScim400(await server.get(`/v2/Users/${userId}%00`));
      expectScim400(await server.request('DELETE', '/v2/Groups/%00'));
      expectScim400(
        await server.request('PUT', `/v2/Groups/${groupId}%00/Logo`, {
          raw: png(),
          headers: { 'content-type': 'image/png' },
        }),
      );
    });

    it('MCP tool arguments', async () => {
      const res = await server.request('POST', '/v2/mcp', {
        raw: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'search_users', arguments: { query: 'x\u0000' } },
        }),
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expectScim400(res);
    });
  });

  it('answers a broken multipart logo upload with 400, not 500', async () => {
    const group = (await server.post('/v2/Groups', { schemas: [GROUP], displayName: 'Edge multipart' })).body;
    const res = await server.request('PUT', `/v2/Groups/${group.id}/Logo`, {
      raw: 'garbage',
      headers: { 'content-type': 'multipart/form-data; boundary=BnD' },
    });
    expectScim400(res, 'invalidSyntax');
    expect((await server.get(`/v2/Groups/${group.id}`)).body.meta.version).toBe(group.meta.version);
  });

  describe('deeply nested JSON', () => {
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

    it('an MCP tools/call 100,000 levels deep → 400 JSON-RPC parse error, and the process lives on', async () => {
      const raw = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_users","arguments":{"query":${deep(100_000)}}}}`;
      const res = await server.request('POST', '/v2/mcp', {
        raw,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
      expect(res.body.error.message).toContain('deeper than 64');
      expect((await server.get('/health', { token: null })).status).toBe(200);
    });

    it.each(['/v2/Users', '/v2/Bulk', '/admin/tokens'])('any JSON route: %s → 400 invalidSyntax', async (path) => {
      const res = await server.request('POST', path, { raw: `{"a":${deep(100_000)}}` });
      expectScim400(res, 'invalidSyntax');
    });

    it('accepts nesting up to JSON_MAX_DEPTH, refuses one level more', async () => {
      const nested = (levels: number) =>
        `{"schemas":["${USER}"],"userName":"deep-${levels}@example.com","x":${deep(levels - 1)}}`;
      // 64 levels in all pass the edge (then the SCIM normaliser refuses more than 8, as before).
      const ok = await server.request('POST', '/v2/Users', { raw: nested(64) });
      expect(ok.status).toBe(400);
      expect(ok.body.detail).not.toContain('arrays and objects deeper');
      const tooDeep = await server.request('POST', '/v2/Users', { raw: nested(65) });
      expectScim400(tooDeep, 'invalidSyntax');
      expect(tooDeep.body.detail).toContain('deeper than 64');
    });
  });

  describe('router and parser errors are SCIM envelopes that echo nothing', () => {
    it('a malformed percent-encoding: GET /v2/Users/%ZZ → 400', async () => {
      const res = await server.get('/v2/Users/%ZZ<script>');
      expectScim400(res);
      expect(res.text).not.toContain('%ZZ');
      expect(res.text).not.toContain('<script>');
    });

    it('a 5,000-character id → 414', async () => {
      const res = await server.get(`/v2/Users/${'a'.repeat(5000)}`);
      expect(res.status).toBe(414);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '414' });
      expect(res.text).not.toContain('aaaaaaaaaa');
    });

    it('a header over 16 KB → 431 as SCIM JSON, and the connection closed', async () => {
      const big = `<b>${'x'.repeat(17 * 1024)}`;
      const res = await rawExchange(port, [`GET /v2/Users HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`]);
      expect(res.status).toBe(431);
      expect(res.text).toMatch(/content-type: application\/scim\+json/i);
      expect(JSON.parse(res.body)).toMatchObject({ schemas: [ERROR], status: '431' });
      expect(res.text).not.toContain('<b>');
      expect(res.closedByServer).toBe(true);
    });

    it('bytes that are not HTTP → 400 as SCIM JSON', async () => {
      const res = await rawExchange(port, ['HELLO <i>there</i>\r\n\r\n']);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ schemas: [ERROR], status: '400' });
      expect(res.text).not.toContain('<i>');
    });
  });

  describe('slow clients (raw sockets)', () => {
    const slowPost = (headers: string) =>
      `POST /v2/Users HTTP/1.1\r\nHost: x\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n${headers}\r\n{"sc`;

    it('an unauthenticated POST announcing 100 bytes and sending 4 is refused at once: 401, connection closed', async () => {
      const res = await rawExchange(port, [slowPost('')]);
      // Not the body timeout's 408: the answer came without waiting for the body.
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/www-authenticate: Bearer/i);
      expect(res.closedByServer).toBe(true);
    });

    it.each([
      ['POST', '/v2/Bulk'],
      ['POST', '/v2/Groups'],
      ['POST', '/v2/Users/.search'],
      ['PATCH', '/v2/Users/00000000-0000-0000-0000-000000000000'],
      ['PUT', '/v2/Groups/00000000-0000-0000-0000-000000000000/Logo'],
      ['POST', '/admin/tokens'],
      ['POST', '/v2/mcp'],
    ])('%s %s without a token: 401 before the body is read', async (method, path) => {
      const res = await rawExchange(port, [
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sc`,
      ]);
      expect(res.status).toBe(401);
      expect(res.closedByServer).toBe(true);
      if (path === '/v2/mcp') {
        // The MCP controller's own filter still shapes the challenge.
        expect(res.text).toMatch(/www-authenticate: Bearer [^\r]*scope="scim\.read scim\.write"/i);
      }
    });

    it('a token without the needed scope is refused before the body too: 403', async () => {
      const reader = (await server.post('/admin/tokens', { name: 'edge-reader', scope: 'scim.read' })).body.token;
      const res = await rawExchange(port, [slowPost(`Authorization: Bearer ${reader}\r\n`)]);
      expect(res.status).toBe(403);
      expect(res.closedByServer).toBe(true);
    });

    it('an authenticated POST whose body never completes gets 408 after HTTP_BODY_TIMEOUT_MS, and is closed', async () => {
      const before = (await server.get('/v2/Users?count=0')).body.totalResults;
      const res = await rawExchange(port, [slowPost(`Authorization: Bearer ${server.adminToken}\r\n`)]);
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body)).toMatchObject({ schemas: [ERROR], status: '408' });
      expect(res.closedByServer).toBe(true);
      expect((await server.get('/v2/Users?count=0')).body.totalResults).toBe(before);
    });

    it('the token endpoint (public) has the body timeout as well, answered in its OAuth shape', async () => {
      const res = await rawExchange(port, [
        'POST /v2/Login/Oauth2/Token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
          'Content-Length: 100\r\n\r\ngrant',
      ]);
      // The token endpoint's filter answers every client error as RFC 6749 invalid_request (400).
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
      expect(res.closedByServer).toBe(true);
    });

    it('headers that never end get 408 after HTTP_HEADERS_TIMEOUT_MS', async () => {
      const res = await rawExchange(port, ['GET /v2/Users HTTP/1.1\r\nHost: x\r\n']);
      expect(res.status).toBe(408);
      expect(res.closedByServer).toBe(true);
    });

    it('a connection that sends nothing is closed', async () => {
      const res = await rawExchange(port, []);
      expect(res.closedByServer).toBe(true);
    });

    it('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
      const res = await rawExchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\n\r\n']);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/keep-alive: timeout=1\b/i);
      expect(res.closedByServer).toBe(true);
    });

    it('a complete request on the same kind of connection is served as usual', async () => {
      const body = JSON.stringify({ schemas: [USER], userName: 'edge-raw@example.com' });
      const res = await rawExchange(port, [
        `POST /v2/Users HTTP/1.1\r\nHost: x\r\nContent-Type: application/scim+json\r\nConnection: close\r\n` +
          `Authorization: Bearer ${server.adminToken}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        body.slice(0, 10),
        body.slice(10),
      ]);
      expect(res.status).toBe(201);
    });
  });

  describe('finding 9 at the edge', () => {
    it.each(['access_token', 'bearer', 'client_secret', 'id_token', 'apiKey'])(
      'a token in ?%s= is refused and never logged',
      async (name) => {
        const secret = `edge-secret-${name}-0123456789`;
        const res = await server.get(`/v2/Users?${name}=${secret}`, { token: null });
        expect(res.status).toBe(401);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(logs.some((line) => line.includes(`${name}=[REDACTED]`))).toBe(true);
        expect(logs.join('\n')).not.toContain(secret);
      },
    );

    it('SCIM responses carry Cache-Control: no-store, and ETag / 304 still work', async () => {
      const created = await server.post('/v2/Users', { schemas: [USER], userName: 'edge-cache@example.com' });
      expect(created.headers.get('cache-control')).toBe('no-store');
      const read = await server.get(`/v2/Users/${created.body.id}`);
      expect(read.headers.get('cache-control')).toBe('no-store');
      const etag = read.headers.get('etag')!;
      expect(etag).toMatch(/^W\/"/);
      const again = await server.get(`/v2/Users/${created.body.id}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      for (const path of ['/v2/Users', '/v2/Groups', `/v2/Users/${created.body.id}`]) {
        expect((await server.get(path)).headers.get('cache-control')).toBe('no-store');
      }
      // Discovery documents describe the server only; they stay cacheable.
      expect((await server.get('/v2/ServiceProviderConfig')).headers.get('cache-control')).toBeNull();
    });

    it('/docs has a Content-Security-Policy without inline scripts', async () => {
      const res = await server.get('/docs', { token: null });
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    });

    it('logos: a charset parameter is accepted; headers are decoded and dimensions bounded', async () => {
      const group = (await server.post('/v2/Groups', { schemas: [GROUP], displayName: 'Edge logo' })).body;
      const put = (content: Buffer, type: string) =>
        server.request('PUT', `/v2/Groups/${group.id}/Logo`, { raw: content, headers: { 'content-type': type } });
      expect((await put(png(), 'image/png; charset=binary')).status).toBe(200);
      expect((await put(jpeg(64, 64), 'image/jpeg;charset=UTF-8')).status).toBe(200);
      const huge = await put(png(1025, 10), 'image/png');
      expectScim400(huge);
      expect(huge.body.detail).toContain('1024');
      const headerless = Buffer.from('89504e470d0a1a0a0000000049454e44ae426082', 'hex');
      expect((await put(headerless, 'image/png')).status).toBe(415);
    });
  });
});
