import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PrismaService } from '@roster/db';
import { startServer, TestServer } from '../support/app';
import { authorizePath, PageClient, pkce, register, runFlow } from '../support/oauth-flow';
import { TEST_KEK, tokenRequest } from '../support/oauth';

/** Le Chat's registration, as third-party fixtures record it: many optional members, a public client. */
const LE_CHAT = {
  client_name: 'Le Chat',
  'client_name#fr': 'Le Chat (fr)',
  redirect_uris: ['https://chat.mistral.ai/connectors/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  application_type: 'web',
  contacts: ['support@mistral.ai'],
  logo_uri: 'https://chat.mistral.ai/logo.png',
  client_uri: 'https://chat.mistral.ai',
  policy_uri: 'https://mistral.ai/privacy',
  tos_uri: 'https://mistral.ai/terms',
  software_id: 'le-chat',
  software_version: '1.0',
  software_statement: 'eyJhbGciOiJub25lIn0.e30.',
  jwks: null,
  scope: 'scim.read offline_access',
};

describe('Dynamic client registration (RFC 7591)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, OAUTH_REGISTRATION_RATE_LIMIT: '12' });
  });
  afterAll(async () => {
    await server.close();
  });

  it("accepts Le Chat's registration with its optional members, keeps them, and issues no secret", async () => {
    const res = await register(server, LE_CHAT);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      client_id: expect.any(String),
      client_id_issued_at: expect.any(Number),
      client_name: 'Le Chat',
      'client_name#fr': 'Le Chat (fr)',
      redirect_uris: LE_CHAT.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      contacts: ['support@mistral.ai'],
      scope: 'scim.read',
    });
    expect(res.body).not.toHaveProperty('client_secret');
    expect(res.body).not.toHaveProperty('software_statement');
    const listed = await server.get('/admin/clients');
    expect(listed.body.clients).toContainEqual(
      expect.objectContaining({ client_id: res.body.client_id, dynamic: true, redirect_uris: LE_CHAT.redirect_uris }),
    );
  });

  it("issues a secret once to Claude's client_secret_post registration, and the token endpoint holds it to that method", async () => {
    const res = await register(server, {
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      client_secret: expect.stringMatching(/^roster_cs_/),
      client_secret_expires_at: 0,
    });
    const basic = `Basic ${Buffer.from(`${res.body.client_id}:${res.body.client_secret}`).toString('base64')}`;
    const viaBasic = await tokenRequest(
      server,
      { grant_type: 'refresh_token', refresh_token: 'roster_rt_x' },
      { authorization: basic },
    );
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.body.error_description).toBe(
      'This client must authenticate with client_secret_post, as it registered.',
    );
    const viaPost = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: 'roster_rt_x',
      client_id: res.body.client_id,
      client_secret: res.body.client_secret,
    });
    // Authenticated; the refresh token itself is what is wrong.
    expect(viaPost.body.error).toBe('invalid_grant');
    const publicStyle = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: 'roster_rt_x',
      client_id: res.body.client_id,
    });
    expect(publicStyle.status).toBe(401);
  });

  it.each([
    [{ redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri', 'must use https'],
    [{ redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri', 'fragment'],
    [{ redirect_uris: [] }, 'invalid_redirect_uri', '1 to 20'],
    [{ redirect_uris: 'https://app.example.com/cb' }, 'invalid_redirect_uri', '1 to 20'],
    [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', 'https'],
    [
      { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'tls_client_auth' },
      'invalid_client_metadata',
      'token_endpoint_auth_method',
    ],
    [
      { redirect_uris: ['https://a.example/cb'], grant_types: ['client_credentials'] },
      'invalid_client_metadata',
      'authorization_code',
    ],
    [
      { redirect_uris: ['https://a.example/cb'], response_types: ['token'] },
      'invalid_client_metadata',
      'response_types',
    ],
    [
      { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
      'jwks',
    ],
  ])('refuses %j with %s', async (metadata, error, words) => {
    const res = await register(server, metadata);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(error);
    expect(res.body.error_description).toContain(words);
  });

  it('answers a body that is not JSON with an OAuth error, not a SCIM one', async () => {
    const res = await server.request('POST', '/v2/Login/Oauth2/Register', {
      raw: '{"redirect_uris":',
      token: null,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('lets a never-used dynamic client expire after a day (then 401 invalid_client: Claude registers again)', async () => {
    const res = await register(server, { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none' });
    const form = { grant_type: 'refresh_token', refresh_token: 'roster_rt_x', client_id: res.body.client_id };
    expect((await tokenRequest(server, form)).status).toBe(400);
    await server.app.get(PrismaService).client.oAuthClient.update({
      where: { id: res.body.client_id },
      data: { created: new Date(Date.now() - 25 * 3600_000) },
    });
    const expired = await tokenRequest(server, form);
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_client');
    const page = await new PageClient(server).get(
      authorizePath({ response_type: 'code', client_id: res.body.client_id, redirect_uri: 'https://a.example/cb' }),
    );
    expect(page.status).toBe(400);
  });

  it('limits registrations per address (OAUTH_REGISTRATION_RATE_LIMIT a minute)', async () => {
    let limited;
    for (let i = 0; i < 30 && !limited; i++) {
      const res = await register(server, { redirect_uris: ['https://a.example/cb'] });
      limited = res.status === 429 ? res : undefined;
    }
    expect(limited?.body.error).toBe('temporarily_unavailable');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('Registration modes', () => {
  it('admin: needs a roster.admin bearer token; off: refused and not advertised', async () => {
    const admin = await startServer({ OAUTH_REGISTRATION: 'admin' });
    try {
      expect((await register(admin, { redirect_uris: ['https://a.example/cb'] })).status).toBe(401);
      const allowed = await register(admin, { redirect_uris: ['https://a.example/cb'] }, admin.adminToken);
      expect(allowed.status).toBe(201);
    } finally {
      await admin.close();
    }
    const off = await startServer({ OAUTH_REGISTRATION: 'off' });
    try {
      expect((await register(off, { redirect_uris: ['https://a.example/cb'] })).status).toBe(403);
      const metadata = await off.get('/.well-known/oauth-authorization-server', { token: null });
      expect(metadata.body).not.toHaveProperty('registration_endpoint');
    } finally {
      await off.close();
    }
  });
});

/** A loopback server that serves client ID metadata documents. */
class DocumentServer {
  documents = new Map<string, { body: string; headers?: Record<string, string>; status?: number }>();
  fetches = 0;
  private readonly server: Server = createServer((request, response) => {
    this.fetches++;
    const doc = this.documents.get(request.url ?? '');
    if (!doc) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(doc.status ?? 200, { 'content-type': 'application/json', ...(doc.headers ?? {}) });
    response.end(doc.body);
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Client ID metadata documents', () => {
  let docs: DocumentServer;

  beforeAll(async () => {
    docs = await new DocumentServer().start();
  });
  afterAll(async () => {
    await docs.close();
  });

  function request(clientId: string, redirectUri: string): string {
    return authorizePath({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      state: 's',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
  }

  it('never fetches from loopback or private addresses unless told to (the address guard)', async () => {
    const server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    try {
      const before = docs.fetches;
      for (const clientId of [
        docs.url('/client.json'),
        'https://127.0.0.1/client.json',
        'https://10.0.0.8/client.json',
        'https://[::1]/client.json',
        'https://169.254.169.254/latest/meta-data',
        'https://localhost/client.json',
      ]) {
        const res = await new PageClient(server).get(request(clientId, 'https://app.example/cb'));
        expect(res.status).toBe(400);
        expect(res.location).toBeUndefined();
        expect(res.text).toMatch(
          /Unknown application\. (No client with this client_id|The client metadata document is on a private, loopback or link-local address)/,
        );
      }
      expect(docs.fetches).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('with the guard relaxed for tests: the document must name itself, its redirect URIs bind the request, caching is honoured', async () => {
    const server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      OAUTH_CIMD_ALLOW_PRIVATE_ADDRESSES: 'true',
    });
    try {
      const alice = await server.post('/v2/Users', { userName: 'alice@example.com', password: 'alice-secret-1' });
      expect(alice.status).toBe(201);
      const id = docs.url('/oauth/client.json');
      const redirect = 'http://127.0.0.1/cb';
      docs.documents.set('/oauth/client.json', {
        body: JSON.stringify({
          client_id: id,
          client_name: 'Doc Client',
          redirect_uris: [redirect],
          token_endpoint_auth_method: 'none',
        }),
        headers: { 'cache-control': 'max-age=600' },
      });
      docs.documents.set('/liar.json', {
        body: JSON.stringify({ client_id: 'https://someone-else.example/client.json', redirect_uris: [redirect] }),
      });
      docs.documents.set('/moved.json', { body: '', status: 302, headers: { location: 'https://evil.example/' } });
      docs.documents.set('/huge.json', {
        body: JSON.stringify({ client_id: docs.url('/huge.json'), pad: 'x'.repeat(70_000) }),
      });

      const liar = await new PageClient(server).get(request(docs.url('/liar.json'), redirect));
      expect(liar.text).toContain('names another client_id than its own URL');
      expect((await new PageClient(server).get(request(docs.url('/moved.json'), redirect))).text).toContain(
        'does not follow redirects',
      );
      expect((await new PageClient(server).get(request(docs.url('/huge.json'), redirect))).text).toContain(
        'larger than',
      );
      const unlisted = await new PageClient(server).get(request(id, 'http://127.0.0.1/elsewhere'));
      expect(unlisted.status).toBe(400);

      const browser = new PageClient(server);
      const { verifier, challenge } = pkce();
      const before = docs.fetches;
      const { redirect: back, consent } = await runFlow(
        browser,
        {
          response_type: 'code',
          client_id: id,
          redirect_uri: 'http://127.0.0.1:40001/cb',
          state: 's',
          scope: 'scim.read',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        },
        { userName: 'alice@example.com', password: 'alice-secret-1' },
      );
      expect(consent?.text).toContain('Allow Doc Client to use Roster?');
      expect(consent?.text).toContain('This name was given by the application itself');
      const tokens = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code: back.searchParams.get('code') as string,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1:40001/cb',
        client_id: id,
      });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('scim.read');
      // max-age=600: one fetch served the authorization request and the token request.
      expect(docs.fetches - before).toBeLessThanOrEqual(1);
      const grants = await server.get('/admin/grants');
      expect(grants.body.grants).toContainEqual(
        expect.objectContaining({ client_id: id, client_name: null, dynamic: true }),
      );
    } finally {
      await server.close();
    }
  });
});
