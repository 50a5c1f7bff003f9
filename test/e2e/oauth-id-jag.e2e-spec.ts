import { decodeJwt, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { startServer, TestServer } from '../support/app';
import { ClientKey, JWT_BEARER, JwksServer, newClientKey, TEST_KEK, tokenRequest } from '../support/oauth';
import { PageClient } from '../support/oauth-flow';

const IDP = 'https://okta.example.com/oauth2/default';

describe('Enterprise-managed authorization: ID-JAGs at the token endpoint (jwt-bearer grant)', () => {
  let server: TestServer;
  let jwks: JwksServer;
  let idpKey: ClientKey;
  let client: { client_id: string; client_secret: string };
  let alice: string;

  beforeAll(async () => {
    jwks = await JwksServer.start();
    idpKey = await newClientKey('RS256', 'okta-1');
    jwks.keys = [idpKey.publicJwk];
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      TRUSTED_ISSUERS: JSON.stringify([
        { issuer: IDP, jwksUri: jwks.url, idJag: true },
        { issuer: 'https://plain.example.com', jwksUri: jwks.url, audience: 'api://roster' },
      ]),
    });
    const registered = await server.post('/admin/clients', {
      client_name: 'Claude Enterprise',
      grant_types: [JWT_BEARER],
      scope: 'scim.read scim.write',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(registered.status).toBe(201);
    client = registered.body;
    alice = (await server.post('/v2/Users', { userName: 'alice@example.com' })).body.id;
    await server.post('/v2/Users', { userName: 'off@example.com', active: false });
  });
  afterAll(async () => {
    await server.close();
    await jwks.close();
  });

  async function idJag(claims: Record<string, unknown> = {}, typ = 'oauth-id-jag+jwt', issuer = IDP): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      client_id: client.client_id,
      email: 'alice@example.com',
      resource: `${server.baseUrl}/v2/mcp`,
      scope: 'scim.read scim.write',
      jti: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'okta-1', typ })
      .setIssuer(issuer)
      .setSubject('00u1abcd')
      .setAudience((claims.aud as string | undefined) ?? server.baseUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(idpKey.privateKey);
  }

  const basic = (): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
  });

  it('issues a token for the matched directory user, for the resource it names, with scopes narrowed by roles', async () => {
    const assertion = await idJag();
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion }, basic());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'scim.read',
    });
    expect(decodeJwt(res.body.access_token)).toMatchObject({
      sub: alice,
      aud: `${server.baseUrl}/v2/mcp`,
      client_id: client.client_id,
      scope: 'scim.read',
    });
    const replay = await tokenRequest(server, { grant_type: JWT_BEARER, assertion }, basic());
    expect(replay.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The ID-JAG has already been used (its jti was seen before).',
    });
  });

  it.each([
    ['another client', { client_id: 'someone-else' }, 'invalid_grant', 'issued for another client'],
    ['another audience', { aud: 'https://elsewhere.example' }, 'invalid_grant', 'audience must be'],
    ['an unknown user', { email: 'nobody@example.com' }, 'invalid_grant', 'No directory user matches'],
    ['a deactivated user', { email: 'off@example.com' }, 'invalid_grant', 'deactivated'],
    ['only what the user may not grant', { scope: 'scim.write' }, 'invalid_scope', 'Nothing requested'],
    ['an unknown resource', { resource: 'https://elsewhere.example/mcp' }, 'invalid_target', 'resource'],
  ])('refuses an ID-JAG for %s', async (_label, claims, error, words) => {
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion: await idJag(claims) }, basic());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(error);
    expect(res.body.error_description).toContain(words);
  });

  it('needs client authentication, and an issuer marked for ID-JAGs', async () => {
    const anonymous = await tokenRequest(server, { grant_type: JWT_BEARER, assertion: await idJag() });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const plain = await tokenRequest(
      server,
      { grant_type: JWT_BEARER, assertion: await idJag({}, 'oauth-id-jag+jwt', 'https://plain.example.com') },
      basic(),
    );
    expect(plain.body.error_description).toContain('not trusted for ID-JAGs');
    // The ID-JAG issuer's bearer tokens are not accepted on the API (it has no audience here).
    const bearer = await server.get('/v2/Users', { token: await idJag() });
    expect(bearer.status).toBe(401);
  });

  it('an upstream sign-in callback that this browser did not start is refused with a page', async () => {
    const browser = new PageClient(server);
    const res = await browser.get('/v2/Login/Oidc/Callback?state=forged&code=x');
    expect(res.status).toBe(403);
    expect(res.text).toContain('This sign-in was not started here');
    expect((await browser.post('/v2/Login/Oidc', { csrf_token: 'x' })).status).toBe(404);
  });
});
