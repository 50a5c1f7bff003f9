import { SignJWT } from 'jose';
import { HttpResponse, startServer, TestServer } from '../support/app';
import { ClientKey, JwksServer, newClientKey, TEST_KEK, tokenRequest } from '../support/oauth';

describe('Issue 10, finding 6: failed client authentications never lock out the real client', () => {
  let server: TestServer;
  let client: { client_id: string; client_secret: string };

  beforeAll(async () => {
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      OAUTH_RATE_LIMIT_CLIENT: '60',
      OAUTH_RATE_LIMIT_ADDRESS: '1000',
      // The real client and the attacker share 127.0.0.1 here; X-Forwarded-For tells them apart.
      TRUST_PROXY: 'true',
    });
    client = (
      await server.post('/admin/clients', {
        client_name: 'gallery',
        scope: 'scim.read',
        token_endpoint_auth_method: 'client_secret_post',
      })
    ).body;
  });
  afterAll(async () => {
    await server.close();
  });

  const attempt = (secret: string, address: string): Promise<HttpResponse> =>
    tokenRequest(
      server,
      { grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret },
      { 'x-forwarded-for': address },
    );

  it('61 wrong secrets a minute for a known client_id: the attacker gets 429, the real client keeps getting tokens', async () => {
    // Windows are per minute: should one turn during the loop, the count restarts once.
    const answers: number[] = [];
    for (let i = 0; i < 125 && !answers.includes(429); i++) {
      answers.push((await attempt(`wrong-${i}`, '203.0.113.66')).status);
    }
    expect(answers.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(answers.length).toBeGreaterThanOrEqual(61);
    expect(answers.at(-1)).toBe(429);
    const limited = await attempt('wrong-again', '203.0.113.66');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('temporarily_unavailable');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The real client, from its own address, with its valid secret: never blocked.
    const real = await attempt(client.client_secret, '198.51.100.7');
    expect(real.status).toBe(200);
    // Even from the attacker's address a valid secret is not refused for others' failures.
    const sameAddress = await attempt(client.client_secret, '203.0.113.66');
    expect(sameAddress.status).toBe(200);
  });
});

describe('Issue 10, findings 9 and 10: bearer failures, per-token limits, no-store, trusted issuers', () => {
  let server: TestServer;
  let jwks: JwksServer;
  let idpKey: ClientKey;
  const ISSUER = 'https://idp.example.com';

  beforeAll(async () => {
    jwks = await JwksServer.start();
    idpKey = await newClientKey('RS256', 'idp-1');
    jwks.keys = [idpKey.publicJwk];
    server = await startServer({
      AUTH_FAILURE_LIMIT: '5',
      TRUST_PROXY: 'true',
      TRUSTED_ISSUERS: JSON.stringify([
        { issuer: ISSUER, jwksUri: jwks.url, audience: 'api://roster', maxTokenLifetime: 3600 },
        {
          issuer: `${ISSUER}/mapped`,
          jwksUri: jwks.url,
          audience: 'api://roster',
          scopeMap: { Admin: 'roster.admin' },
        },
      ]),
    });
  });
  afterAll(async () => {
    await server.close();
    await jwks.close();
  });

  async function idpToken(issuer: string, scope: string, lifetime = 600, iat?: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setSubject('svc')
      .setAudience('api://roster')
      .setIssuedAt(iat ?? now)
      .setExpirationTime(now + lifetime)
      .sign(idpKey.privateKey);
  }

  it('answers 429 with Retry-After after AUTH_FAILURE_LIMIT refused tokens from one address; a valid token still passes', async () => {
    const statuses: number[] = [];
    let last: HttpResponse | undefined;
    for (let i = 0; i < 7; i++) {
      last = await server.get('/v2/Users', {
        token: `roster_at_bogus${i}`,
        headers: { 'x-forwarded-for': '192.0.2.9' },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    // Requests without a token (MCP discovery) are not failures; other addresses are not affected.
    expect((await server.get('/v2/Users', { token: null, headers: { 'x-forwarded-for': '192.0.2.10' } })).status).toBe(
      401,
    );
    expect((await server.get('/v2/Users', { headers: { 'x-forwarded-for': '192.0.2.9' } })).status).toBe(200);
  });

  it('does not count a genuine token that was revoked or expired (its client refreshes on the 401)', async () => {
    const created = await server.post('/admin/tokens', { name: 'rotated', scope: 'scim.read' });
    expect((await server.delete(`/admin/tokens/${created.body.id}`)).status).toBe(204);
    for (let i = 0; i < 8; i++) {
      const res = await server.get('/v2/Users', {
        token: created.body.token,
        headers: { 'x-forwarded-for': '192.0.2.77' },
      });
      expect(res.status).toBe(401);
    }
  });

  it('limits an API token to its rate_limit per minute on the SCIM API, with 429 and Retry-After', async () => {
    const created = await server.post('/admin/tokens', { name: 'okta', scope: 'scim.read', rate_limit: 3 });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body.rate_limit).toBe(3);
    const statuses: number[] = [];
    let last: HttpResponse | undefined;
    for (let i = 0; i < 5; i++) {
      last = await server.get('/v2/Users?count=1', { token: created.body.token });
      statuses.push(last.status);
    }
    // A minute may turn during the loop; at least one request past the limit is refused.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    const refused = statuses.indexOf(429);
    expect(refused).toBeGreaterThanOrEqual(3);
    expect((await server.post('/admin/tokens', { name: 'bad', scope: 'scim.read', rate_limit: 0 })).status).toBe(400);
    const unlimited = await server.post('/admin/tokens', { name: 'entra', scope: 'scim.read' });
    for (let i = 0; i < 5; i++) {
      expect((await server.get('/v2/Users?count=1', { token: unlimited.body.token })).status).toBe(200);
    }
  });

  it('a trusted issuer grants roster.admin only through an explicit scopeMap entry', async () => {
    const unmapped = await idpToken(ISSUER, 'scim.read roster.admin');
    expect((await server.get('/v2/Users', { token: unmapped })).status).toBe(200);
    const admin = await server.get('/admin/tokens', { token: unmapped });
    expect(admin.status).toBe(403);
    const mapped = await idpToken(`${ISSUER}/mapped`, 'Admin');
    expect((await server.get('/admin/tokens', { token: mapped })).status).toBe(200);
  });

  it('caps the lifetime of tokens from a trusted issuer (maxTokenLifetime)', async () => {
    const long = await idpToken(ISSUER, 'scim.read', 7200);
    const res = await server.get('/v2/Users', { token: long });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('lives longer than the 3600 s accepted from its issuer');
    const old = await idpToken(ISSUER, 'scim.read', 600, Math.floor(Date.now() / 1000) - 7000);
    expect((await server.get('/v2/Users', { token: old })).status).toBe(401);
    expect((await server.get('/v2/Users', { token: await idpToken(ISSUER, 'scim.read', 600) })).status).toBe(200);
  });
});
