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
    expect((await this.server.post('/v2/Users', { userName, name: { givenName: 'Ada', familyName: 'Admin' } })).status).toBe(
      201,
    );
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
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, MCP_ALLOWED_ORIGINS: 'https://inspector.example' });
    tokens = new Tokens(server);
    await tokens.setUp('ada.admin@example.com');
    [readWrite, readOnly] = await Promise.all([tokens.issue('scim.read scim.write'), tokens.issue('scim.read')]);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('authentication', () => {
    const challenge = () =>
      `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/v2/mcp"`;

    it.each(['POST', 'GET', 'DELETE'])('answers %s without a token with 401 and the RFC 9728 challenge', async (method) => {
      const res = await server.request(method, '/v2/mcp', {
        token: null,
        ...(method === 'POST' ? { raw: JSON.stringify(initialize()), headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(challenge());
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '401' });
    });

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
      expect(data).toEqual([expect.objectContaining({ id: 1, result: expect.objectContaining({ protocolVersion: LEGACY }) })]);
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
      const refused = await server.request('OPTIONS', '/v2/mcp', { token: null, headers: { origin: 'https://evil.example' } });
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
});
