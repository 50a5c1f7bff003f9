import { PrismaService } from '@roster/db';
import { base64url, decodeProtectedHeader, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessTokensService } from '../../apps/api/src/auth/access-tokens.service';
import { SigningKeysService } from '../../apps/api/src/auth/signing-keys.service';
import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';
import { testDatabaseKind } from '../support/database';
import { newClientKey, TEST_KEK } from '../support/oauth';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function challenge(server: TestServer, extra = ''): string {
  return `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource"${extra}`;
}

describe('Resource server: challenges, audiences and bearer credentials', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
  });
  afterAll(async () => {
    await server.close();
  });

  describe('401 challenges (RFC 6750, RFC 9728)', () => {
    it('names the SCIM resource metadata and the needed scope when no token is sent', async () => {
      const read = await server.get('/v2/Users', { token: null });
      expect(read.status).toBe(401);
      expect(read.headers.get('www-authenticate')).toBe(challenge(server, ', scope="scim.read"'));
      expect(read.body).toEqual({ schemas: [ERROR], status: '401', detail: expect.stringContaining('Authorization') });
      const write = await server.post('/v2/Users', { userName: 'x' }, { token: null });
      expect(write.headers.get('www-authenticate')).toBe(challenge(server, ', scope="scim.write"'));
      const admin = await server.get('/admin/tokens', { token: null });
      expect(admin.headers.get('www-authenticate')).toBe(challenge(server, ', scope="roster.admin"'));
    });

    it('adds error="invalid_token" and a description when a token was sent', async () => {
      const res = await server.get('/v2/Users', { token: 'not-a-token' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        challenge(
          server,
          ', scope="scim.read", error="invalid_token", error_description="The bearer token is invalid, expired or revoked."',
        ),
      );
    });

    it('names the path-aware MCP metadata on the MCP endpoint', async () => {
      const res = await server.post('/v2/mcp', { jsonrpc: '2.0', id: 1, method: 'ping' }, { token: null });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        new RegExp(`^Bearer resource_metadata="${server.baseUrl}/\\.well-known/oauth-protected-resource/v2/mcp"`),
      );
    });

    it('refuses a token in the query string, even next to a valid header', async () => {
      const query = await server.get(`/v2/Users?access_token=${ADMIN_TOKEN}`, { token: null });
      expect(query.status).toBe(401);
      expect(query.body.detail).toBe('Tokens are accepted only in the Authorization header, never in the URL.');
      expect(query.headers.get('www-authenticate')).not.toContain('invalid_token');
      const both = await server.get(`/v2/Users?access_token=${ADMIN_TOKEN}`);
      expect(both.status).toBe(401);
    });
  });

  describe('Roster access tokens (passport-jwt)', () => {
    let accessTokens: AccessTokensService;
    let clientId: string;

    beforeAll(async () => {
      accessTokens = server.app.get(AccessTokensService);
      const key = await newClientKey();
      clientId = (await server.post('/admin/clients', { client_name: 'probe', jwks: { keys: [key.publicJwk] } })).body
        .client_id;
    });

    const issue = (resource: 'scim' | 'mcp', lifetimeSeconds = 300): Promise<{ token: string }> =>
      accessTokens.issue({ subject: clientId, clientId, scopes: ['scim.read'], resource, lifetimeSeconds });

    async function refusal(token: string, path = '/v2/Users'): Promise<string> {
      const res = await server.get(path, { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      return res.body.detail;
    }

    /** A JWT with Roster's header and claims, `claims` overriding them, signed with `key`: for forgeries. */
    async function forged(
      claims: Record<string, unknown>,
      header: Record<string, unknown>,
      key: Parameters<SignJWT['sign']>[0],
    ) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: server.baseUrl,
        sub: clientId,
        aud: `${server.baseUrl}/v2`,
        client_id: clientId,
        scope: 'scim.read',
        jti: randomUUID(),
        iat: now,
        exp: now + 300,
        ...claims,
      };
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header }).sign(key);
    }

    it('accepts a valid token for the SCIM API', async () => {
      expect((await server.get('/v2/Users', { token: (await issue('scim')).token })).status).toBe(200);
    });

    it('refuses an expired token', async () => {
      expect(await refusal((await issue('scim', -600)).token)).toBe('The access token has expired.');
    });

    it('refuses a token signed with an unknown key (kid)', async () => {
      const stranger = await newClientKey('ES256', 'stranger');
      expect(await refusal(await forged({}, { kid: 'stranger' }, stranger.privateKey))).toBe(
        'The access token was signed with an unknown or retired key.',
      );
    });

    it('refuses a token for another audience', async () => {
      const signer = await server.app.get(SigningKeysService).activeSigner();
      const token = await forged({ aud: 'https://other.example.com/api' }, { kid: signer.kid }, signer.key);
      expect(await refusal(token)).toBe('The access token was issued for another audience.');
    });

    it('refuses a tampered token', async () => {
      const [header, , signature] = (await issue('scim')).token.split('.');
      const claims = {
        iss: server.baseUrl,
        sub: clientId,
        aud: `${server.baseUrl}/v2`,
        client_id: clientId,
        scope: 'roster.admin',
        jti: 'x',
        exp: 9999999999,
      };
      const payload = base64url.encode(JSON.stringify(claims));
      expect(await refusal(`${header}.${payload}.${signature}`)).toBe('The access token signature is invalid.');
    });

    it('refuses alg "none" and HMAC with the public key', async () => {
      const { kid } = decodeProtectedHeader((await issue('scim')).token);
      const claims = {
        iss: server.baseUrl,
        sub: clientId,
        aud: `${server.baseUrl}/v2`,
        client_id: clientId,
        scope: 'scim.read',
        jti: 'x',
        exp: 9999999999,
      };
      const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }))}.${base64url.encode(JSON.stringify(claims))}.`;
      expect(await refusal(none)).toBe('The access token algorithm does not match its key.');
      const jwks = await server.get('/.well-known/jwks.json', { token: null });
      const publicJwk = jwks.body.keys.find((k: { kid: string }) => k.kid === kid);
      const hmac = await forged({}, { alg: 'HS256', kid }, new TextEncoder().encode(JSON.stringify(publicJwk)));
      expect(await refusal(hmac)).toBe('The access token algorithm does not match its key.');
    });

    it('refuses a token for the MCP endpoint on the SCIM API, and a SCIM token on the MCP endpoint', async () => {
      const mcp = (await issue('mcp')).token;
      expect(await refusal(mcp)).toBe('This token was issued for the MCP endpoint, not for the SCIM API.');
      // GET /v2/mcp answers 405 to an accepted token (no SSE stream) and 401 to a refused one.
      expect((await server.get('/v2/mcp', { token: mcp })).status).toBe(405);
      const scimOnMcp = await server.get('/v2/mcp', { token: (await issue('scim')).token });
      expect(scimOnMcp.status).toBe(401);
      expect(scimOnMcp.body.detail).toBe('This token was issued for the SCIM API, not for the MCP endpoint.');
      expect(scimOnMcp.headers.get('www-authenticate')).toContain('/.well-known/oauth-protected-resource/v2/mcp');
    });

    it('accepts the admin token on both resources', async () => {
      expect((await server.get('/v2/mcp')).status).toBe(405);
      expect((await server.get('/v2/Users')).status).toBe(200);
    });

    it('stops accepting the tokens of a revoked client', async () => {
      const key = await newClientKey();
      const id = (await server.post('/admin/clients', { client_name: 'short-lived', jwks: { keys: [key.publicJwk] } }))
        .body.client_id;
      const token = (
        await accessTokens.issue({
          subject: id,
          clientId: id,
          scopes: ['scim.read'],
          resource: 'scim',
          lifetimeSeconds: 300,
        })
      ).token;
      expect((await server.get('/v2/Users', { token })).status).toBe(200);
      expect((await server.delete(`/admin/clients/${id}`)).status).toBe(204);
      expect(await refusal(token)).toBe('The client this access token was issued to has been revoked.');
      expect((await server.delete(`/admin/clients/${id}`)).status).toBe(404);
    });
  });

  describe('API tokens (the IdP "secret token")', () => {
    it('creates a token shown once, usable as a bearer token, listed without the secret', async () => {
      const created = await server.post('/admin/tokens', {
        name: 'entra',
        scope: 'scim.read scim.write',
        expires_in: 86400,
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('content-type')).toMatch(/^application\/json/);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'entra',
        scope: 'scim.read scim.write',
        rate_limit: null,
        mcp: false,
        created: expect.any(String),
        expires_at: expect.any(String),
        last_used_at: null,
        token: expect.stringMatching(/^roster_at_[A-Za-z0-9_-]{43}$/),
      });
      const token = created.body.token;
      const provisioned = await server.post('/v2/Users', { userName: 'entra-user@example.com' }, { token });
      expect(provisioned.status).toBe(201);
      const filtered = await server.get('/v2/Users?filter=userName%20eq%20%22entra-user@example.com%22', { token });
      expect(filtered.body.totalResults).toBe(1);

      const list = await server.get('/admin/tokens');
      const listed = list.body.tokens.find((t: { id: string }) => t.id === created.body.id);
      expect(listed).toEqual({ ...created.body, token: undefined, last_used_at: expect.any(String) });
      expect(list.text).not.toContain(token);
    });

    it('enforces the token scopes with 403 insufficient_scope', async () => {
      const { token } = (await server.post('/admin/tokens', { name: 'reader', scope: 'scim.read' })).body;
      expect((await server.get('/v2/Users', { token })).status).toBe(200);
      const write = await server.post('/v2/Users', { userName: 'nope@example.com' }, { token });
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", scope="scim.write", resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource"`,
      );
      const admin = await server.get('/admin/tokens', { token });
      expect(admin.status).toBe(403);
      expect(admin.headers.get('www-authenticate')).toContain('scope="roster.admin"');
    });

    it('refuses a token revoked on this instance at once, although its lookup was cached', async () => {
      const created = (await server.post('/admin/tokens', { name: 'cached', scope: 'scim.read' })).body;
      expect((await server.get('/v2/Users', { token: created.token })).status).toBe(200);
      expect((await server.get('/v2/Users', { token: created.token })).status).toBe(200);
      expect((await server.delete(`/admin/tokens/${created.id}`)).status).toBe(204);
      const refused = await server.get('/v2/Users', { token: created.token });
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toBe('The API token has been revoked.');
    });

    it('refuses a revoked token, an expired token and an unknown one', async () => {
      const created = (await server.post('/admin/tokens', { name: 'temp', scope: 'scim.read' })).body;
      expect((await server.delete(`/admin/tokens/${created.id}`)).status).toBe(204);
      const revoked = await server.get('/v2/Users', { token: created.token });
      expect(revoked.status).toBe(401);
      expect(revoked.body.detail).toBe('The API token has been revoked.');
      expect((await server.delete(`/admin/tokens/${created.id}`)).status).toBe(404);

      const expiring = (await server.post('/admin/tokens', { name: 'expiring', scope: 'scim.read', expires_in: 60 }))
        .body;
      await server.app
        .get(PrismaService)
        .client.apiToken.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect((await server.get('/v2/Users', { token: expiring.token })).body.detail).toBe('The API token has expired.');

      const unknown = await server.get('/v2/Users', { token: `roster_at_${'A'.repeat(43)}` });
      expect(unknown.body.detail).toBe('The API token is not known.');
    });

    it('is valid on the MCP endpoint only when created with mcp: true', async () => {
      const scimOnly = (await server.post('/admin/tokens', { name: 'scim', scope: 'scim.read' })).body.token;
      const refused = await server.get('/v2/mcp', { token: scimOnly });
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toBe('This token was issued for the SCIM API, not for the MCP endpoint.');
      const both = (await server.post('/admin/tokens', { name: 'assistant', scope: 'scim.read', mcp: true })).body
        .token;
      expect((await server.get('/v2/mcp', { token: both })).status).toBe(405);
      expect((await server.get('/v2/Users', { token: both })).status).toBe(200);
    });

    it('validates the management input and answers with SCIM errors', async () => {
      const badScope = await server.post('/admin/tokens', { name: 'x', scope: 'scim.everything' });
      expect(badScope.status).toBe(400);
      expect(badScope.body).toEqual({
        schemas: [ERROR],
        status: '400',
        scimType: 'invalidValue',
        detail: expect.stringContaining('scim.everything'),
      });
      const noName = await server.post('/admin/tokens', { scope: 'scim.read' });
      expect(noName.status).toBe(400);
      expect(noName.body.detail).toContain('name');
      const shortLife = await server.post('/admin/tokens', { name: 'x', scope: 'scim.read', expires_in: 5 });
      expect(shortLife.status).toBe(400);
      expect((await server.delete('/admin/tokens/not-a-uuid')).status).toBe(404);
    });
  });

  describe('client registration (management API)', () => {
    it('refuses private keys, both jwks and jwks_uri, insecure jwks_uri and unknown grants', async () => {
      const key = await newClientKey();
      const { d: _d, ...publicOnly } = { ...key.publicJwk, d: 'x' };
      const cases: [Record<string, unknown>, string][] = [
        [{ client_name: 'a', jwks: { keys: [{ ...publicOnly, d: 'AAAA' }] } }, 'private member "d"'],
        [{ client_name: 'a', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }, 'RSA, EC or OKP'],
        [{ client_name: 'a', jwks: { keys: [key.publicJwk] }, jwks_uri: 'https://idp.example.com/keys' }, 'not both'],
        [{ client_name: 'a', jwks_uri: 'http://idp.example.com/keys' }, 'https'],
        [{ client_name: 'a', grant_types: ['password'] }, 'grant_types'],
        [{ client_name: 'a', grant_types: ['authorization_code'] }, 'needs redirect_uris'],
        [{ client_name: 'a', redirect_uris: ['http://app.example.com/cb'] }, 'must use https'],
        [{ client_name: 'a', token_endpoint_auth_method: 'none' }, 'public client'],
        [{ client_name: 'a', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] }, 'needs the keys'],
        [{ client_name: 'a', token_endpoint_auth_method: 'private_key_jwt' }, 'needs the client public keys'],
      ];
      for (const [body, detail] of cases) {
        const res = await server.post('/admin/clients', body);
        expect({ status: res.status, detail: res.body.detail }).toEqual({
          status: 400,
          detail: expect.stringContaining(detail),
        });
      }
    });

    it('ignores unknown RFC 7591 members and issues a secret for secret-based clients', async () => {
      const res = await server.post('/admin/clients', {
        client_name: 'gallery',
        contacts: ['ops@example.com'],
        software_statement: 'x',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        client_id: expect.any(String),
        client_name: 'gallery',
        client_id_issued_at: expect.any(Number),
        grant_types: ['client_credentials'],
        scope: 'scim.read',
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret: expect.stringMatching(/^roster_cs_/),
        client_secret_expires_at: 0,
        last_used_at: null,
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
      const list = await server.get('/admin/clients');
      expect(list.headers.get('cache-control')).toBe('no-store');
      expect(list.text).not.toContain(res.body.client_secret);
    });
  });

  describe('discovery documents', () => {
    it('serves RFC 9728 metadata for the SCIM API (root and path-aware) and the MCP endpoint, from any origin', async () => {
      const scim = {
        resource: `${server.baseUrl}/v2`,
        authorization_servers: [server.baseUrl],
        scopes_supported: ['scim.read', 'scim.write', 'roster.admin', 'roster.events'],
        bearer_methods_supported: ['header'],
        jwks_uri: `${server.baseUrl}/.well-known/jwks.json`,
        resource_name: 'Roster SCIM API',
        resource_documentation: `${server.baseUrl}/docs`,
      };
      for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/v2']) {
        const res = await server.get(path, { token: null, headers: { origin: 'https://app.example.com' } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual(scim);
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
      }
      const mcp = await server.get('/.well-known/oauth-protected-resource/v2/mcp', { token: null });
      expect(mcp.body).toEqual({
        ...scim,
        resource: `${server.baseUrl}/v2/mcp`,
        scopes_supported: ['scim.read', 'scim.write'],
        resource_name: 'Roster MCP endpoint',
      });
      expect(mcp.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('serves RFC 8414 metadata listing exactly what is implemented', async () => {
      const res = await server.get('/.well-known/oauth-authorization-server', { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const base = `${server.baseUrl}/v2/Login/Oauth2`;
      expect(res.body).toEqual({
        issuer: server.baseUrl,
        authorization_endpoint: `${base}/Authorize`,
        token_endpoint: `${base}/Token`,
        registration_endpoint: `${base}/Register`,
        revocation_endpoint: `${base}/Revoke`,
        jwks_uri: `${server.baseUrl}/.well-known/jwks.json`,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
          'client_credentials',
        ],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt', 'client_secret_basic', 'client_secret_post'],
        token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['RS256', 'ES256', 'PS256', 'EdDSA']),
        revocation_endpoint_auth_methods_supported: [
          'none',
          'private_key_jwt',
          'client_secret_basic',
          'client_secret_post',
        ],
        scopes_supported: ['scim.read', 'scim.write', 'roster.admin', 'roster.events', 'offline_access'],
        authorization_response_iss_parameter_supported: true,
        client_id_metadata_document_supported: true,
        service_documentation: `${server.baseUrl}/docs`,
      });
      expect(res.body.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
      expect(res.body.code_challenge_methods_supported).not.toContain('plain');
    });

    it('publishes the public signing keys only, and answers CORS preflights', async () => {
      const jwks = await server.get('/.well-known/jwks.json', { token: null });
      expect(jwks.status).toBe(200);
      expect(jwks.headers.get('access-control-allow-origin')).toBe('*');
      expect(jwks.body.keys.length).toBeGreaterThanOrEqual(1);
      for (const key of jwks.body.keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      }
      const preflight = await server.request('OPTIONS', '/.well-known/oauth-protected-resource/v2/mcp', {
        token: null,
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    });
  });
});

describe('Signing keys: encrypted at rest under a key encryption key (KEK)', () => {
  const form = (client: { client_id: string; client_secret: string }): string =>
    `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${encodeURIComponent(client.client_secret)}`;
  const exchange = (server: TestServer, body: string) =>
    server.request('POST', '/v2/Login/Oauth2/Token', {
      raw: body,
      token: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it('embedded database: generates DATA_DIR/keys/kek (0600), keeps it across restarts, and refuses to sign under another KEK until rotation', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-kek-'));
    const env = { DATABASE_URL: '', DATA_DIR: dataDir };
    try {
      const first = await startServer(env);
      const client = (
        await first.post('/admin/clients', {
          client_name: 'cc',
          scope: 'scim.read',
          token_endpoint_auth_method: 'client_secret_post',
        })
      ).body;
      const issued = await exchange(first, form(client));
      expect(issued.status).toBe(200);
      const kid = decodeProtectedHeader(issued.body.access_token).kid;
      const row = await first.app
        .get(PrismaService)
        .client.signingKey.findUniqueOrThrow({ where: { kid: String(kid) } });
      expect(row.privateKey[0]).toBe(1);
      expect(row.publicJwk).not.toHaveProperty('d');
      await first.close();
      const kekFile = join(dataDir, 'keys', 'kek');
      expect(statSync(kekFile).mode & 0o777).toBe(0o600);

      const again = await startServer(env);
      const reissued = await exchange(again, form(client));
      expect(decodeProtectedHeader(reissued.body.access_token).kid).toBe(kid);
      await again.close();

      const otherKek = await startServer({ ...env, ROSTER_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
      try {
        const refused = await exchange(otherKek, form(client));
        expect(refused.status).toBe(503);
        expect(refused.body).toEqual({
          error: 'temporarily_unavailable',
          error_description: 'Roster cannot sign tokens right now; see its log.',
        });
        expect((await otherKek.post('/admin/keys/rotate', {})).status).toBe(201);
        expect((await exchange(otherKek, form(client))).status).toBe(200);
      } finally {
        await otherKek.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('configured database without ROSTER_KEY_ENCRYPTION_KEY: PostgreSQL refuses to sign but serves other credentials; in-memory PGlite uses a throwaway KEK', async () => {
    const server = await startServer({});
    try {
      const client = (
        await server.post('/admin/clients', {
          client_name: 'cc',
          scope: 'scim.read',
          token_endpoint_auth_method: 'client_secret_post',
        })
      ).body;
      const token = (await server.post('/admin/tokens', { name: 'idp', scope: 'scim.read' })).body.token;
      expect((await server.get('/v2/Users', { token })).status).toBe(200);
      const issued = await exchange(server, form(client));
      if (testDatabaseKind() === 'postgres') {
        expect(issued.status).toBe(503);
        const rotate = await server.post('/admin/keys/rotate', {});
        expect(rotate.status).toBe(409);
        expect(rotate.body.detail).toContain('ROSTER_KEY_ENCRYPTION_KEY');
        expect((await server.get('/.well-known/jwks.json', { token: null })).body).toEqual({ keys: [] });
      } else {
        expect(issued.status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });
});
