import { HttpResponse, startServer, TestServer } from '../support/app';
import { JWT_BEARER, newClientKey, signAssertion, TEST_KEK, tokenEndpoint, tokenRequest } from '../support/oauth';

const LEGACY = '2025-06-18';
const MODERN = '2026-07-28';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Access tokens from the token endpoint: a jose-signed JWT-bearer assertion for a directory user. */
class Tokens {
  private key!: Awaited<ReturnType<typeof newClientKey>>;
  private clientId!: string;

  constructor(private readonly server: TestServer) {}

  async setUp(userName: string): Promise<void> {
    this.key = await newClientKey('ES256');
    const client = await this.server.post('/admin/clients', {
      client_name: 'assistant',
      grant_types: [JWT_BEARER],
      scope: 'scim.read scim.write',
      jwks: { keys: [this.key.publicJwk] },
    });
    expect(client.status).toBe(201);
    this.clientId = client.body.client_id;
    expect(
      (await this.server.post('/v2/Users', { userName, name: { givenName: 'Ada', familyName: 'Admin' } })).status,
    ).toBe(201);
    this.userName = userName;
  }

  private userName = '';

  async issue(scope: string, resource = `${this.server.baseUrl}/v2/mcp`): Promise<string> {
    const assertion = await signAssertion(this.key, {
      iss: this.clientId,
      sub: this.userName,
      aud: tokenEndpoint(this.server),
    });
    const res = await tokenRequest(this.server, { grant_type: JWT_BEARER, assertion, scope, resource });
    expect(res.status).toBe(200);
    return res.body.access_token;
  }
}

interface RpcOptions {
  token?: string | null;
  headers?: Record<string, string>;
  raw?: string;
}

describe('MCP endpoint over raw HTTP', () => {
  let server: TestServer;
  let tokens: Tokens;
  let readWrite: string;
  let readOnly: string;

  function post(body: unknown, options: RpcOptions = {}): Promise<HttpResponse> {
    return server.request('POST', '/v2/mcp', {
      token: options.token === undefined ? readWrite : options.token,
      raw: options.raw ?? JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...options.headers,
      },
    });
  }

  const initialize = (id: number | string = 1) => ({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });

  /** A legacy request after initialize (stateless: no session, the version header is enough). */
  function legacy(method: string, params: Record<string, unknown> = {}, options: RpcOptions = {}) {
    return post(
      { jsonrpc: '2.0', id: 7, method, params },
      { ...options, headers: { 'mcp-protocol-version': LEGACY, ...options.headers } },
    );
  }

  async function callTool(name: string, args: Record<string, unknown>, token = readWrite) {
    const res = await legacy('tools/call', { name, arguments: args }, { token });
    expect(res.status).toBe(200);
    return res.body.result;
  }

  beforeAll(async () => {
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      MCP_ALLOWED_ORIGINS: 'https://inspector.example',
    });
    tokens = new Tokens(server);
    await tokens.setUp('ada.admin@example.com');
    [readWrite, readOnly] = await Promise.all([tokens.issue('scim.read scim.write'), tokens.issue('scim.read')]);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('authentication', () => {
    const challenge = () =>
      `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/v2/mcp", scope="scim.read scim.write"`;

    it.each(['POST', 'GET', 'DELETE'])(
      'answers %s without a token with 401 and the RFC 9728 challenge',
      async (method) => {
        const res = await server.request(method, '/v2/mcp', {
          token: null,
          ...(method === 'POST'
            ? { raw: JSON.stringify(initialize()), headers: { 'content-type': 'application/json' } }
            : {}),
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe(challenge());
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '401' });
      },
    );

    it('adds error="invalid_token" for a bad token', async () => {
      const res = await post(initialize(), { token: 'not-a-real-token' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(challenge());
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('refuses a token issued for the SCIM API (wrong audience)', async () => {
      const scimToken = await tokens.issue('scim.read scim.write', `${server.baseUrl}/v2`);
      expect((await server.get('/v2/Users', { token: scimToken })).status).toBe(200);
      const res = await post(initialize(), { token: scimToken });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(res.body.detail).toBe('This token was issued for the SCIM API, not for the MCP endpoint.');
    });

    it('accepts API tokens created with mcp: true (the "API key" mode of Le Chat) and the admin token', async () => {
      const created = await server.post('/admin/tokens', { name: 'le-chat', scope: 'scim.read', mcp: true });
      expect(created.status).toBe(201);
      const apiToken: string = created.body.token;
      const who = await legacy('tools/call', { name: 'whoami', arguments: {} }, { token: apiToken });
      expect(who.body.result.structuredContent).toMatchObject({ kind: 'api-token', scopes: ['scim.read'], user: null });
      const tools = await legacy('tools/list', {}, { token: apiToken });
      expect(tools.body.result.tools.map((t: { name: string }) => t.name)).not.toContain('create_user');

      const scimOnly = (await server.post('/admin/tokens', { name: 'entra', scope: 'scim.read' })).body.token;
      const refused = await post(initialize(), { token: scimOnly });
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toBe('This token was issued for the SCIM API, not for the MCP endpoint.');

      const admin = await legacy('tools/call', { name: 'whoami', arguments: {} }, { token: server.adminToken });
      expect(admin.body.result.structuredContent).toMatchObject({ kind: 'admin' });
    });

    it.each(['GET', 'DELETE'])('answers %s with a valid token with 405 and Allow: POST', async (method) => {
      const res = await server.request(method, '/v2/mcp', { token: readWrite });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });
  });

  describe('HTTP behaviour', () => {
    it('answers a legacy initialize with JSON, no session', async () => {
      const res = await post(initialize());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      expect(res.body).toMatchObject({
        jsonrpc: '2.0',
        id: 1,
        result: {
          protocolVersion: LEGACY,
          serverInfo: { name: 'roster' },
          capabilities: { tools: {}, resources: {}, prompts: {} },
          instructions: expect.stringContaining('search_users'),
        },
      });
    });

    it.each([['*/*'], ['application/json'], ['application/json;q=0.9'], [undefined]])(
      'answers Accept: %s with JSON instead of 406',
      async (accept) => {
        const headers: Record<string, string> = accept === undefined ? {} : { accept };
        const res = await server.request('POST', '/v2/mcp', {
          token: readWrite,
          raw: JSON.stringify(initialize()),
          headers: { 'content-type': 'application/json', ...headers },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.body.result.protocolVersion).toBe(LEGACY);
      },
    );

    it('answers Accept: text/event-stream alone with an SSE stream', async () => {
      const res = await post(initialize(), { headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const data = res.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)));
      expect(data).toEqual([
        expect.objectContaining({ id: 1, result: expect.objectContaining({ protocolVersion: LEGACY }) }),
      ]);
    });

    it('serves the trailing-slash spelling of the endpoint the same way', async () => {
      const res = await server.request('POST', '/v2/mcp/', {
        token: readWrite,
        raw: JSON.stringify(initialize()),
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expect(res.status).toBe(200);
      const refused = await server.request('POST', '/v2/mcp/', {
        token: readWrite,
        raw: JSON.stringify(initialize()),
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      });
      expect(refused.status).toBe(403);
      expect((await server.request('GET', '/v2/mcp/', { token: null })).status).toBe(401);
    });

    it('reads JSON sent as text/plain, and refuses a form with 415', async () => {
      const plain = await post(initialize(), { headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(200);
      expect(plain.body.result.protocolVersion).toBe(LEGACY);
      const form = await post(undefined, {
        raw: 'jsonrpc=2.0&method=ping',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
      expect(form.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    });

    it('accepts a notification with 202 and no body', async () => {
      const res = await post(
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { headers: { 'mcp-protocol-version': LEGACY } },
      );
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
    });

    it('answers a 2025-03-26 batch with an array of responses', async () => {
      const res = await post(
        [
          { jsonrpc: '2.0', id: 'a', method: 'ping' },
          { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
        ],
        { headers: { 'mcp-protocol-version': '2025-03-26' } },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { jsonrpc: '2.0', id: 'a', result: {} },
        { jsonrpc: '2.0', id: 'b', result: { tools: expect.any(Array) } },
      ]);
    });

    it('answers a body that is not JSON-RPC with a JSON-RPC error', async () => {
      const res = await post({ hello: 'world' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
      expect([-32600, -32700]).toContain(res.body.error.code);
    });

    it('answers an unsupported protocol version header with 400', async () => {
      const res = await legacy('tools/list', {}, { headers: { 'mcp-protocol-version': '1999-01-01' } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    });

    it('answers an unknown method with -32601', async () => {
      const res = await legacy('no/such/method');
      expect(res.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32601 } });
    });

    it('refuses a request from an origin that is not allowed with 403, before authentication', async () => {
      for (const token of [readWrite, null]) {
        const res = await post(initialize(), { token, headers: { origin: 'https://evil.example' } });
        expect(res.status).toBe(403);
        expect(res.body.detail).toContain('https://evil.example');
      }
    });

    it('serves allowed origins (the configured list and PUBLIC_URL) with CORS headers, also on the 401', async () => {
      for (const origin of ['https://inspector.example', server.baseUrl]) {
        const res = await post(initialize(), { headers: { origin } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      }
      const challenge = await post(initialize(), { token: null, headers: { origin: 'https://inspector.example' } });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('access-control-allow-origin')).toBe('https://inspector.example');
      expect(challenge.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    });

    it('answers a CORS preflight without a token', async () => {
      const res = await server.request('OPTIONS', '/v2/mcp', {
        token: null,
        headers: {
          origin: 'https://inspector.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://inspector.example');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      const refused = await server.request('OPTIONS', '/v2/mcp', {
        token: null,
        headers: { origin: 'https://evil.example' },
      });
      expect(refused.status).toBe(403);
    });
  });

  describe('tools and scopes', () => {
    it('lists read and write tools for scim.read scim.write, with schemas and annotations', async () => {
      const res = await legacy('tools/list');
      const tools: { name: string; annotations: Record<string, boolean>; inputSchema: object; outputSchema: object }[] =
        res.body.result.tools;
      expect(tools.map((t) => t.name).sort()).toEqual(
        [
          'whoami',
          'search_users',
          'get_user',
          'list_user_groups',
          'search_groups',
          'get_group',
          'list_group_members',
          'create_user',
          'update_user',
          'deactivate_user',
          'reactivate_user',
          'create_group',
          'add_group_members',
          'remove_group_members',
          'recent_changes',
        ].sort(),
      );
      for (const tool of tools) {
        expect(tool.inputSchema).toMatchObject({ type: 'object' });
        expect(tool.outputSchema).toMatchObject({ type: 'object' });
        expect(tool.annotations).toEqual({
          readOnlyHint: expect.any(Boolean),
          destructiveHint: expect.any(Boolean),
          idempotentHint: expect.any(Boolean),
          openWorldHint: false,
        });
      }
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect(byName.get('search_users')?.annotations.readOnlyHint).toBe(true);
      expect(byName.get('deactivate_user')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    });

    it('lists no write tools for a scim.read token, and refuses to call one', async () => {
      const list = await legacy('tools/list', {}, { token: readOnly });
      const names: string[] = list.body.result.tools.map((t: { name: string }) => t.name);
      expect(names).toContain('search_users');
      expect(names).not.toContain('create_user');
      const call = await legacy(
        'tools/call',
        { name: 'create_user', arguments: { userName: 'sneaky@example.com' } },
        { token: readOnly },
      );
      expect(call.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('create_user') });
      expect((await server.get('/v2/Users?filter=userName eq "sneaky@example.com"')).body.totalResults).toBe(0);
    });

    it('whoami names the principal, its scopes and its user', async () => {
      const result = await callTool('whoami', {}, readOnly);
      expect(result.structuredContent).toMatchObject({
        kind: 'access-token',
        scopes: ['scim.read'],
        user: { userName: 'ada.admin@example.com', name: 'Ada Admin', active: true },
      });
      expect(JSON.parse(result.content[0].text)).toEqual(result.structuredContent);
    });
  });

  describe('directory tools', () => {
    const ids: Record<string, string> = {};

    async function createUser(body: Record<string, unknown>): Promise<string> {
      const res = await server.post('/v2/Users', body);
      expect(res.status).toBe(201);
      return res.body.id;
    }

    beforeAll(async () => {
      ids.bjensen = await createUser({
        userName: 'bjensen@example.com',
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        emails: [{ value: 'babs@corp.example', type: 'work', primary: true }],
        title: 'Tour Guide',
      });
      ids.obrien = await createUser({ userName: 'sean', displayName: 'Seán O"Brien' });
      ids.inactive = await createUser({ userName: 'gone@example.com', active: false });
    });

    it('search_users finds free text in names, emails and userNames, escaped as a SCIM string', async () => {
      for (const [query, userName] of [
        ['barb', 'bjensen@example.com'],
        ['JENSEN', 'bjensen@example.com'],
        ['corp.example', 'bjensen@example.com'],
        ['O"Brien', 'sean'],
      ]) {
        const result = await callTool('search_users', { query }, readOnly);
        expect(result.isError).toBeUndefined();
        expect(result.structuredContent.users.map((u: { userName: string }) => u.userName)).toEqual([userName]);
      }
      const summary = (await callTool('search_users', { query: 'barb' })).structuredContent.users[0];
      expect(summary).toEqual({
        id: ids.bjensen,
        userName: 'bjensen@example.com',
        name: 'Barbara Jensen',
        email: 'babs@corp.example',
        title: 'Tour Guide',
        active: true,
        etag: 'W/"1"',
      });
    });

    it('search_users takes a SCIM filter, alone or with free text, and attributes', async () => {
      const inactive = await callTool('search_users', { filter: 'active eq false' });
      expect(inactive.structuredContent).toMatchObject({ totalResults: 1, users: [{ userName: 'gone@example.com' }] });
      const both = await callTool('search_users', { query: 'example.com', filter: 'active eq true' });
      expect(both.structuredContent.users.map((u: { userName: string }) => u.userName)).toEqual([
        'ada.admin@example.com',
        'bjensen@example.com',
      ]);
      const projected = await callTool('search_users', { query: 'barb', attributes: ['userName', 'title'] });
      expect(projected.structuredContent.users).toEqual([
        {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          id: ids.bjensen,
          userName: 'bjensen@example.com',
          title: 'Tour Guide',
        },
      ]);
    });

    it('pages search results with an opaque cursor that continues the same search', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const result = await callTool('search_users', {
          filter: 'userName pr',
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        expect(result.structuredContent.totalResults).toBe(4);
        seen.push(...result.structuredContent.users.map((u: { userName: string }) => u.userName));
        cursor = result.structuredContent.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(seen).toEqual(['ada.admin@example.com', 'bjensen@example.com', 'gone@example.com', 'sean']);
    });

    it('answers bad filters, cursors and arguments with isError results the model can act on', async () => {
      const filter = await callTool('search_users', { filter: 'userName zz "x"' });
      expect(filter.isError).toBe(true);
      expect(filter.content[0].text).toMatch(/^SCIM error 400 invalidFilter: /);
      // Out-of-range dates are the client's 400, not a failing cast (issue 10, finding 4).
      for (const date of [
        '2020-13-01T00:00:00Z',
        '2020-02-30T00:00:00Z',
        '0000-01-01T00:00:00Z',
        '2020-01-01T00:00:00+99:99',
      ]) {
        const dated = await callTool('search_users', { filter: `meta.created gt "${date}"` });
        expect({ date, isError: dated.isError, text: dated.content[0].text }).toEqual({
          date,
          isError: true,
          text: expect.stringMatching(/^SCIM error 400 invalidFilter: /),
        });
      }
      const cursor = await callTool('search_users', { cursor: 'bm90LWEtY3Vyc29y' });
      expect(cursor.isError).toBe(true);
      expect(cursor.content[0].text).toContain('invalidCursor');
      const tooMany = await callTool('search_users', { limit: 1000 });
      expect(tooMany.isError).toBe(true);
      expect(tooMany.content[0].text).toContain('limit');
      const neither = await callTool('get_user', {});
      expect(neither.isError).toBe(true);
      expect(neither.content[0].text).toContain('Give either id or userName');
      const missing = await callTool('get_user', { id: '00000000-0000-4000-8000-000000000000' });
      expect(missing.isError).toBe(true);
      expect(missing.content[0].text).toMatch(/^SCIM error 404: User 00000000-0000-4000-8000-000000000000 not found\./);
    });

    it('get_user reads by id or userName, as the REST API does, with its etag', async () => {
      const rest = await server.get(`/v2/Users/${ids.bjensen}`);
      const byId = await callTool('get_user', { id: ids.bjensen });
      expect(byId.structuredContent).toEqual({ user: rest.body, etag: rest.headers.get('etag') });
      const byName = await callTool('get_user', { userName: 'BJENSEN@example.com' });
      expect(byName.structuredContent.user.id).toBe(ids.bjensen);
    });

    it('update_user applies SCIM PATCH with If-Match; a stale etag is a 412 the model can recover from', async () => {
      const stale = await callTool('update_user', {
        id: ids.bjensen,
        operations: [{ op: 'replace', path: 'title', value: 'Director' }],
        if_match: 'W/"7"',
      });
      expect(stale.isError).toBe(true);
      expect(stale.content[0].text).toContain('SCIM error 412');
      expect(stale.content[0].text).toContain('current etag');

      const updated = await callTool('update_user', {
        id: ids.bjensen,
        operations: [
          { op: 'replace', path: 'title', value: 'Director' },
          { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0100', type: 'work' }] },
        ],
        if_match: 'W/"1"',
      });
      expect(updated.structuredContent).toMatchObject({ user: { title: 'Director' }, etag: 'W/"2"' });
      const rest = await server.get(`/v2/Users/${ids.bjensen}`);
      expect(rest.body).toMatchObject({ title: 'Director', phoneNumbers: [{ value: '+1 555 0100', type: 'work' }] });
      expect(rest.headers.get('etag')).toBe('W/"2"');

      const invalid = await callTool('update_user', {
        id: ids.bjensen,
        operations: [{ op: 'replace', path: 'id', value: 'x' }],
      });
      expect(invalid.isError).toBe(true);
      expect(invalid.content[0].text).toMatch(/^SCIM error 400 /);
    });

    it('deactivate_user and reactivate_user flip active, seen by the REST API', async () => {
      const off = await callTool('deactivate_user', { id: ids.obrien });
      expect(off.structuredContent).toMatchObject({ user: { userName: 'sean', active: false }, etag: 'W/"2"' });
      expect((await server.get(`/v2/Users/${ids.obrien}`)).body.active).toBe(false);
      const on = await callTool('reactivate_user', { id: ids.obrien, if_match: 'W/"2"' });
      expect(on.structuredContent.user.active).toBe(true);
      expect((await server.get(`/v2/Users/${ids.obrien}`)).body.active).toBe(true);
    });

    it('create_user goes through SCIM validation and uniqueness', async () => {
      const created = await callTool('create_user', {
        userName: 'new.hire@example.com',
        givenName: 'New',
        familyName: 'Hire',
        attributes: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' } },
      });
      expect(created.isError).toBeUndefined();
      const rest = await server.get(`/v2/Users/${created.structuredContent.user.id}`);
      expect(rest.body).toMatchObject({
        userName: 'new.hire@example.com',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
      });
      const taken = await callTool('create_user', { userName: 'NEW.HIRE@example.com' });
      expect(taken.isError).toBe(true);
      expect(taken.content[0].text).toMatch(/^SCIM error 409 uniqueness: /);
    });

    it('manages groups: create, add and remove members, with paged member lists', async () => {
      const members: string[] = [];
      for (let i = 0; i < 12; i++) {
        members.push(await createUser({ userName: `member${String(i).padStart(2, '0')}@example.com` }));
      }
      const created = await callTool('create_group', { displayName: 'Engineering', member_ids: members.slice(0, 5) });
      expect(created.structuredContent).toMatchObject({
        group: { displayName: 'Engineering' },
        memberCount: 5,
        etag: 'W/"1"',
      });
      const groupId: string = created.structuredContent.group.id;

      const added = await callTool('add_group_members', {
        group_id: groupId,
        member_ids: members.slice(5),
        if_match: 'W/"1"',
      });
      expect(added.structuredContent).toMatchObject({ memberCount: 12, etag: 'W/"2"' });
      const removed = await callTool('remove_group_members', { group_id: groupId, member_ids: [members[0]] });
      expect(removed.structuredContent.memberCount).toBe(11);
      const rest = await server.get(`/v2/Groups/${groupId}`);
      expect(rest.body.members.map((m: { value: string }) => m.value).sort()).toEqual(members.slice(1).sort());

      const group = await callTool('get_group', { displayName: 'engineering', member_limit: 4 }, readOnly);
      expect(group.structuredContent).toMatchObject({ group: { id: groupId }, memberCount: 11, etag: 'W/"3"' });
      expect(group.structuredContent.members).toHaveLength(4);
      expect(group.structuredContent.members[0]).toEqual({
        id: expect.any(String),
        type: 'User',
        display: expect.stringMatching(/^member\d\d@example\.com$/),
        $ref: expect.stringContaining('/v2/Users/'),
      });
      const listed = group.structuredContent.members.map((m: { id: string }) => m.id);
      let cursor: string | undefined = group.structuredContent.nextMemberCursor;
      while (cursor) {
        const page = await callTool('list_group_members', { group_id: groupId, cursor, limit: 4 }, readOnly);
        expect(page.structuredContent.memberCount).toBe(11);
        listed.push(...page.structuredContent.members.map((m: { id: string }) => m.id));
        cursor = page.structuredContent.nextCursor;
      }
      expect(listed.sort()).toEqual(members.slice(1).sort());

      const nested = await callTool('create_group', { displayName: 'All staff', member_ids: [groupId] });
      const groups = await callTool('list_user_groups', { user_id: members[3] }, readOnly);
      expect(groups.structuredContent).toMatchObject({ totalGroups: 2 });
      expect(groups.structuredContent.groups).toEqual(
        expect.arrayContaining([
          { id: groupId, displayName: 'Engineering', membership: 'direct' },
          { id: nested.structuredContent.group.id, displayName: 'All staff', membership: 'indirect' },
        ]),
      );
      const search = await callTool('search_groups', { query: 'ENG' }, readOnly);
      expect(search.structuredContent).toMatchObject({
        totalResults: 1,
        groups: [{ id: groupId, displayName: 'Engineering' }],
      });
      const other = await callTool('list_group_members', {
        group_id: nested.structuredContent.group.id,
        cursor: group.structuredContent.nextMemberCursor,
      });
      expect(other.isError).toBe(true);
      expect(other.content[0].text).toContain('another group');
    });

    it('keeps results within the size budget: long values are cut and large pages come back smaller', async () => {
      const long = 'x'.repeat(3_990);
      for (let i = 0; i < 30; i++) {
        await createUser({
          userName: `bulky${String(i).padStart(2, '0')}`,
          nickName: long,
          profileUrl: `https://example.com/${long}`,
        });
      }
      const page = await callTool('search_users', {
        query: 'bulky',
        attributes: ['userName', 'nickName', 'profileUrl'],
        limit: 30,
      });
      const size = JSON.stringify(page.structuredContent).length;
      expect(size).toBeLessThanOrEqual(100_000);
      const first: string[] = page.structuredContent.users.map((u: { userName: string }) => u.userName);
      expect(first.length).toBeLessThan(30);
      const rest = await callTool('search_users', {
        cursor: page.structuredContent.nextCursor,
        attributes: ['userName'],
        limit: 30,
      });
      expect([...first, ...rest.structuredContent.users.map((u: { userName: string }) => u.userName)]).toHaveLength(30);

      const id = await createUser({ userName: 'huge', nickName: 'y'.repeat(50_000) });
      const user = await callTool('get_user', { id });
      expect(user.structuredContent.user.nickName).toHaveLength(4_001);
      expect(user.structuredContent.truncated).toEqual(['user.nickName: 50000 characters, first 4000 shown']);
    });
  });

  describe('resources and prompts', () => {
    it('lists the SCIM schemas and the ServiceProviderConfig, and reads them', async () => {
      const list = await legacy('resources/list', {}, { token: readOnly });
      const uris: string[] = list.body.result.resources.map((r: { uri: string }) => r.uri);
      expect(uris).toEqual(
        expect.arrayContaining([
          'roster://scim/ServiceProviderConfig',
          'roster://scim/ResourceTypes',
          'roster://scim/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
          'roster://scim/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group',
          'roster://scim/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        ]),
      );
      const spc = await legacy('resources/read', { uri: 'roster://scim/ServiceProviderConfig' }, { token: readOnly });
      const rest = await server.get('/v2/ServiceProviderConfig', { token: null });
      expect(JSON.parse(spc.body.result.contents[0].text)).toEqual(rest.body);
      const schema = await legacy('resources/read', {
        uri: 'roster://scim/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
      });
      expect(JSON.parse(schema.body.result.contents[0].text)).toMatchObject({
        id: 'urn:ietf:params:scim:schemas:core:2.0:User',
        name: 'User',
      });
    });

    it('reads a user and a group through resource templates', async () => {
      const templates = await legacy('resources/templates/list', {}, { token: readOnly });
      expect(templates.body.result.resourceTemplates.map((t: { uriTemplate: string }) => t.uriTemplate).sort()).toEqual(
        ['roster://groups/{id}', 'roster://users/{id}'],
      );
      const found = (await callTool('search_users', { query: 'ada.admin' })).structuredContent.users[0];
      const user = await legacy('resources/read', { uri: `roster://users/${found.id}` }, { token: readOnly });
      expect(JSON.parse(user.body.result.contents[0].text)).toMatchObject({
        user: { userName: 'ada.admin@example.com' },
      });
      const missing = await legacy('resources/read', { uri: 'roster://users/00000000-0000-4000-8000-000000000000' });
      expect(missing.body.error).toMatchObject({ code: -32602 });
    });

    it('offers an access review prompt (and offboarding with scim.write)', async () => {
      const readOnlyPrompts = await legacy('prompts/list', {}, { token: readOnly });
      expect(readOnlyPrompts.body.result.prompts.map((p: { name: string }) => p.name)).toEqual(['access_review']);
      const all = await legacy('prompts/list');
      expect(all.body.result.prompts.map((p: { name: string }) => p.name)).toEqual(['access_review', 'offboard_user']);
      const review = await legacy(
        'prompts/get',
        { name: 'access_review', arguments: { group: 'Engineering' } },
        { token: readOnly },
      );
      const text: string = review.body.result.messages[0].content.text;
      expect(text).toContain('"Engineering"');
      expect(text).toContain('list_group_members');
      expect(text).toContain('read-only review');
      const noArgs = await legacy('prompts/get', { name: 'access_review', arguments: {} });
      expect(noArgs.body.error).toMatchObject({ code: -32602 });
    });
  });

  describe('the 2026-07-28 era over raw HTTP', () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
    };

    function modern(method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
      return post(
        { jsonrpc: '2.0', id: 9, method, params: { ...params, _meta: meta } },
        { headers: { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...headers } },
      );
    }

    it('answers server/discover (what Claude Code probes first) with the modern revision', async () => {
      const res = await modern('server/discover', {});
      expect(res.status).toBe(200);
      expect(res.body.result).toMatchObject({
        supportedVersions: expect.arrayContaining([MODERN]),
        capabilities: { tools: {}, resources: {}, prompts: {} },
        instructions: expect.stringContaining('search_users'),
      });
    });

    it('calls a tool statelessly, with the Mcp-Name header', async () => {
      const res = await modern('tools/call', { name: 'whoami', arguments: {} }, { 'mcp-name': 'whoami' });
      expect(res.status).toBe(200);
      expect(res.body.result).toMatchObject({ structuredContent: { kind: 'access-token' }, resultType: 'complete' });
    });

    it('marks tool lists private (they follow the token) and discovery documents publicly cacheable', async () => {
      const tools = await modern('tools/list', {});
      expect(tools.body.result).toMatchObject({ cacheScope: 'private', ttlMs: 0 });
      const uri = 'roster://scim/ServiceProviderConfig';
      const spc = await modern('resources/read', { uri }, { 'mcp-name': uri });
      expect(spc.body.result).toMatchObject({ cacheScope: 'public', ttlMs: 3_600_000 });
    });

    it('streams the answer when the client accepts only text/event-stream', async () => {
      const res = await modern('tools/list', {}, { accept: 'text/event-stream' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.text).toContain('"name":"search_users"');
    });

    it('refuses a request whose headers do not match its body (-32020)', async () => {
      const res = await modern('tools/call', { name: 'whoami', arguments: {} }, { 'mcp-name': 'search_users' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(-32020);
    });
  });

  describe('limits', () => {
    let limited: TestServer;

    beforeAll(async () => {
      limited = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, MCP_RATE_LIMIT: '3' });
    });
    afterAll(async () => {
      await limited.close();
    });

    it('limits tool calls per token and minute, with an isError result saying when to retry', async () => {
      const call = () =>
        limited.request('POST', '/v2/mcp', {
          raw: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'whoami', arguments: {} },
          }),
          headers: { 'content-type': 'application/json', 'mcp-protocol-version': LEGACY },
        });
      const results = [];
      for (let i = 0; i < 4; i++) {
        results.push((await call()).body.result);
      }
      expect(results.slice(0, 3).every((r) => r.isError === undefined)).toBe(true);
      expect(results[3].isError).toBe(true);
      expect(results[3].content[0].text).toMatch(
        /^Rate limit reached: at most 3 tool calls per minute for this token; retry in \d+ s\.$/,
      );
      // Listing is not counted.
      const list = await limited.request('POST', '/v2/mcp', {
        raw: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
        headers: { 'content-type': 'application/json', 'mcp-protocol-version': LEGACY },
      });
      expect(list.body.result.tools.length).toBeGreaterThan(0);
    });

    it('answers a body that is not JSON at all with 400', async () => {
      const res = await post(undefined, { raw: '{"jsonrpc": "2.0", "id": 1, "method": ' });
      expect(res.status).toBe(400);
    });
  });
});

describe('MCP: a body that is not JSON', () => {
  it('answers a JSON-RPC -32700 parse error, not a SCIM error', async () => {
    const server = await startServer();
    try {
      const res = await server.request('POST', '/v2/mcp', {
        raw: '{"jsonrpc": "2.0", "id": 1, "method": ',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    } finally {
      await server.close();
    }
  });
});
