import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { startServer, TestServer } from '../support/app';
import {
  ClientKey,
  JWT_BEARER,
  JwksServer,
  newClientKey,
  signAssertion,
  TEST_KEK,
  tokenEndpoint,
  tokenRequest,
} from '../support/oauth';

const ISSUER = 'https://login.example.com/tenant-1/v2.0';
const AUDIENCE = 'api://roster';

describe('Trusted external issuers (TRUSTED_ISSUERS) and clients with a jwks_uri', () => {
  let jwks: JwksServer;
  let idpKey: ClientKey;
  let server: TestServer;

  beforeAll(async () => {
    jwks = await JwksServer.start();
    idpKey = await newClientKey('RS256', 'idp-1');
    jwks.keys = [idpKey.publicJwk];
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      TRUSTED_ISSUERS: JSON.stringify([
        {
          issuer: ISSUER,
          jwksUri: jwks.url,
          audience: AUDIENCE,
          scopeClaim: 'roles',
          scopeMap: { 'Directory.Read': 'scim.read', 'Directory.ReadWrite': 'scim.read scim.write' },
        },
      ]),
    });
  });
  afterAll(async () => {
    await server.close();
    await jwks.close();
  });

  /** A token as an external IdP would issue it to an app (roles claim, as Entra does). */
  async function idpToken(claims: Record<string, unknown> = {}, key: ClientKey = idpKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles: ['Directory.ReadWrite'], azp: 'app-123', ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject('service-principal-9')
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime((claims.exp as number | undefined) ?? now + 600)
      .sign(key.privateKey);
  }

  it('accepts a token of the trusted issuer, with scopes mapped from its roles', async () => {
    const token = await idpToken();
    expect((await server.get('/v2/Users', { token })).status).toBe(200);
    expect((await server.post('/v2/Users', { userName: 'from-idp@example.com' }, { token })).status).toBe(201);
    expect(jwks.requests).toBeGreaterThanOrEqual(1);
  });

  it('grants only the mapped scopes', async () => {
    const token = await idpToken({ roles: ['Directory.Read', 'Something.Else'] });
    expect((await server.get('/v2/Users', { token })).status).toBe(200);
    const write = await server.post('/v2/Users', { userName: 'denied@example.com' }, { token });
    expect(write.status).toBe(403);
    expect(write.body.detail).toContain('scim.write');
  });

  it('refuses a wrong audience, an expired token and an unknown key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const wrongAudience = await new SignJWT({ roles: ['Directory.Read'] })
      .setProtectedHeader({ alg: 'RS256', kid: idpKey.kid })
      .setIssuer(ISSUER)
      .setSubject('x')
      .setAudience('api://someone-else')
      .setExpirationTime(now + 600)
      .sign(idpKey.privateKey);
    const res = await server.get('/v2/Users', { token: wrongAudience });
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('The token\'s "aud" claim is not acceptable here.');

    const expired = await idpToken({ exp: now - 600 });
    expect((await server.get('/v2/Users', { token: expired })).body.detail).toBe('The token has expired.');

    const stranger = await newClientKey('RS256', 'unknown-kid');
    const unknown = await server.get('/v2/Users', { token: await idpToken({}, stranger) });
    expect(unknown.status).toBe(401);
    expect(unknown.body.detail).toBe("No key of the token's issuer matches its kid.");
  });

  it('verifies client assertions against keys fetched from the client jwks_uri', async () => {
    const clientKey = await newClientKey('ES256', 'client-1');
    jwks.keys = [idpKey.publicJwk, clientKey.publicJwk];
    const registered = await server.post('/admin/clients', {
      client_name: 'remote keys',
      grant_types: [JWT_BEARER],
      scope: 'scim.read',
      jwks_uri: jwks.url,
    });
    expect(registered.status).toBe(201);
    expect(registered.body.jwks_uri).toBe(jwks.url);
    const id = registered.body.client_id;
    const assertion = await signAssertion(clientKey, {
      iss: id,
      sub: id,
      aud: tokenEndpoint(server),
      jti: randomUUID(),
    });
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    expect(res.status).toBe(200);
    expect((await server.get('/v2/Users', { token: res.body.access_token })).status).toBe(200);
  });
});
