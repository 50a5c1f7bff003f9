import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { HttpResponse, startServer, TestServer } from '../support/app';
import {
  CLIENT_ASSERTION_TYPE,
  ClientKey,
  JWT_BEARER,
  newClientKey,
  signAssertion,
  TEST_KEK,
  tokenEndpoint,
  tokenRequest,
} from '../support/oauth';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('OAuth: the JWT-bearer grant end to end', () => {
  let server: TestServer;
  let key: ClientKey;
  let clientId: string;
  let userId: string;

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    key = await newClientKey('ES256');
    const registered = await server.post('/admin/clients', {
      client_name: 'HR sync',
      grant_types: [JWT_BEARER],
      scope: 'scim.read scim.write',
      jwks: { keys: [key.publicJwk] },
    });
    expect(registered.status).toBe(201);
    clientId = registered.body.client_id;
    const user = await server.post('/v2/Users', { userName: 'bjensen@example.com', name: { givenName: 'Barbara' } });
    expect(user.status).toBe(201);
    userId = user.body.id;
  });
  afterAll(async () => {
    await server.close();
  });

  it('registers the client with its RFC 7591 metadata and no secret', async () => {
    const list = await server.get('/admin/clients');
    expect(list.status).toBe(200);
    expect(list.body.clients).toEqual([
      {
        client_id: clientId,
        client_name: 'HR sync',
        client_id_issued_at: expect.any(Number),
        grant_types: [JWT_BEARER],
        scope: 'scim.read scim.write',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
        last_used_at: null,
      },
    ]);
  });

  it('exchanges a jose-signed assertion for an access token that works on /v2/Users and /v2/Me', async () => {
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: 'bjensen@example.com',
      aud: tokenEndpoint(server),
    });
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion, scope: 'scim.read' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'scim.read',
    });

    const token: string = res.body.access_token;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iss: server.baseUrl,
      sub: userId,
      aud: `${server.baseUrl}/v2`,
      client_id: clientId,
      scope: 'scim.read',
      iat: expect.any(Number),
      exp: (claims.iat as number) + 3600,
      jti: expect.any(String),
    });
    // Anyone can verify it with the published JWKS.
    const jwks = await server.get('/.well-known/jwks.json', { token: null });
    await expect(jwtVerify(token, createLocalJWKSet(jwks.body), { issuer: server.baseUrl })).resolves.toBeDefined();

    const users = await server.get('/v2/Users', { token });
    expect(users.status).toBe(200);
    expect(users.body.totalResults).toBe(1);

    const me = await server.get('/v2/Me', { token });
    const direct = await server.get(`/v2/Users/${userId}`);
    expect(me.status).toBe(200);
    expect(me.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(me.body).toEqual(direct.body);
    expect(me.headers.get('etag')).toBe(direct.headers.get('etag'));

    const projected = await server.get('/v2/me?attributes=userName', { token });
    expect(projected.body).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: userId,
      userName: 'bjensen@example.com',
    });
    const notModified = await server.get('/v2/Me', {
      token,
      headers: { 'if-none-match': direct.headers.get('etag')! },
    });
    expect(notModified.status).toBe(304);

    // scim.read only: writing needs scim.write.
    const write = await server.post('/v2/Users', { userName: 'other@example.com' }, { token });
    expect(write.status).toBe(403);
    expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="scim.write"');
  });

  it('accepts the user id as sub and the issuer URL as aud, and grants all client scopes when none is asked', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: userId, aud: server.baseUrl });
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('scim.read scim.write');
    expect(decodeJwt(res.body.access_token).sub).toBe(userId);
  });

  it('issues a token for the client itself when sub is the client; /v2/Me then says there is no user', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: tokenEndpoint(server) });
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    expect(res.status).toBe(200);
    const token = res.body.access_token;
    expect(decodeJwt(token).sub).toBe(clientId);
    expect((await server.get('/v2/Users', { token })).status).toBe(200);
    const me = await server.get('/v2/Me', { token });
    expect(me.status).toBe(404);
    expect(me.body).toEqual({
      schemas: [ERROR],
      status: '404',
      detail: expect.stringContaining('not tied to a directory user'),
    });
  });

  it('answers /v2/Me with 404 for the admin token and for API tokens', async () => {
    const admin = await server.get('/v2/Me');
    expect(admin.status).toBe(404);
    expect(admin.body.detail).toContain('the admin token');
    const created = await server.post('/admin/tokens', { name: 'reader', scope: 'scim.read' });
    const me = await server.get('/v2/Me', { token: created.body.token });
    expect(me.status).toBe(404);
    expect(me.body.detail).toContain('not tied to a directory user');
  });

  it('uses the resource parameter (RFC 8707) as the audience', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: userId, aud: tokenEndpoint(server) });
    const res = await tokenRequest(server, {
      grant_type: JWT_BEARER,
      assertion,
      resource: `${server.baseUrl}/v2/mcp/`,
    });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token).aud).toBe(`${server.baseUrl}/v2/mcp`);
  });

  it('keeps working across a signing-key rotation, and signs new tokens with the new key', async () => {
    const before = await tokenRequest(server, {
      grant_type: JWT_BEARER,
      assertion: await signAssertion(key, { iss: clientId, sub: userId, aud: tokenEndpoint(server) }),
    });
    const oldKid = decodeProtectedHeader(before.body.access_token).kid;
    const rotated = await server.post('/admin/keys/rotate', {});
    expect(rotated.status).toBe(201);
    expect(rotated.body).toEqual({
      kid: expect.any(String),
      alg: 'ES256',
      created: expect.any(String),
      retired: [{ kid: oldKid, expires_at: expect.any(String) }],
    });
    const jwks = await server.get('/.well-known/jwks.json', { token: null });
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([oldKid, rotated.body.kid].sort());

    expect((await server.get('/v2/Users', { token: before.body.access_token })).status).toBe(200);
    const after = await tokenRequest(server, {
      grant_type: JWT_BEARER,
      assertion: await signAssertion(key, { iss: clientId, sub: userId, aud: tokenEndpoint(server) }),
    });
    expect(decodeProtectedHeader(after.body.access_token).kid).toBe(rotated.body.kid);
    expect((await server.get('/v2/Users', { token: after.body.access_token })).status).toBe(200);
  });
});

describe('OAuth: assertion security (RFC 7523 §3), each with its exact error', () => {
  let server: TestServer;
  let key: ClientKey;
  let clientId: string;
  const aud = (): string => tokenEndpoint(server);

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    key = await newClientKey('RS256');
    const registered = await server.post('/admin/clients', {
      client_name: 'service account',
      grant_types: [JWT_BEARER],
      scope: 'scim.read',
      jwks: { keys: [key.publicJwk] },
    });
    clientId = registered.body.client_id;
  });
  afterAll(async () => {
    await server.close();
  });

  async function refused(assertion: string): Promise<{ status: number; error: string; description: string }> {
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
    return { status: res.status, error: res.body.error, description: res.body.error_description };
  }

  it('refuses an expired assertion', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: clientId,
      aud: aud(),
      iat: now - 900,
      exp: now - 600,
    });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion has expired.',
    });
  });

  it('refuses an assertion that is not valid yet (nbf)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: clientId,
      aud: aud(),
      nbf: now + 600,
      exp: now + 900,
    });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion is not valid yet (nbf).',
    });
  });

  it('refuses an assertion issued in the future (iat)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: clientId,
      aud: aud(),
      iat: now + 600,
      exp: now + 900,
    });
    expect((await refused(assertion)).error).toBe('invalid_grant');
  });

  it('refuses an assertion without exp, and one that expires more than an hour ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const noExp = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud(), exp: undefined });
    expect(await refused(noExp)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion lacks the required "exp" claim.',
    });
    const far = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud(), exp: now + 7200 });
    expect(await refused(far)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion expires too far ahead; exp may be at most 3600 s from now.',
    });
  });

  it('refuses a wrong audience', async () => {
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: clientId,
      aud: 'https://login.example.com/token',
    });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: `The assertion audience must be ${server.baseUrl} or ${tokenEndpoint(server)}.`,
    });
  });

  it('refuses a wrong issuer (not a registered client)', async () => {
    const assertion = await signAssertion(key, { iss: randomUUID(), sub: clientId, aud: aud() });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion issuer (iss) is not a registered client.',
    });
  });

  it('refuses an unknown kid', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud() }, { kid: 'not-registered' });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'No registered key of the client matches the assertion (kid and alg).',
    });
  });

  it('refuses a tampered signature', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud() });
    const [header, payload, signature] = assertion.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'roster.admin', jti: randomUUID() })).toString(
      'base64url',
    );
    expect(await refused(`${header}.${forged}.${signature}`)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion signature is invalid.',
    });
    const flipped = signature.slice(0, -4) + (signature.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await refused(`${header}.${payload}.${flipped}`)).description).toBe('The assertion signature is invalid.');
  });

  it('refuses alg "none"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = new UnsecuredJWT({ jti: randomUUID() })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(aud())
      .setExpirationTime(now + 300)
      .encode();
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: expect.stringMatching(/^The assertion algorithm "none" is not accepted; sign with one of RS256/),
    });
  });

  it('refuses HMAC signed with the public key (algorithm confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    // The attacker knows the registered public key and uses it as an HMAC secret.
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(aud())
      .setExpirationTime(now + 300)
      .sign(secret);
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: expect.stringMatching(/^The assertion algorithm "HS256" is not accepted/),
    });
  });

  it('refuses a replayed jti', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud() });
    const first = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    expect(first.status).toBe(200);
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion has already been used (its jti was seen before).',
    });
  });

  it('refuses an assertion without jti', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud(), jti: undefined });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion lacks the required "jti" claim.',
    });
  });

  it('refuses an oversized assertion (over 8 KiB)', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: clientId, aud: aud(), padding: 'x'.repeat(9000) });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion is larger than 8192 bytes.',
    });
  });

  it('refuses a sub that is neither a directory user nor the client', async () => {
    const assertion = await signAssertion(key, { iss: clientId, sub: 'nobody@example.com', aud: aud() });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion subject (sub) is neither a directory user (id or userName) nor the client.',
    });
  });

  it('refuses a deactivated user as sub', async () => {
    await server.post('/v2/Users', { userName: 'gone@example.com', active: false });
    const assertion = await signAssertion(key, { iss: clientId, sub: 'gone@example.com', aud: aud() });
    expect(await refused(assertion)).toEqual({
      status: 400,
      error: 'invalid_grant',
      description: 'The assertion subject is a deactivated user.',
    });
  });
});

describe('OAuth: token endpoint request rules (RFC 6749 §5.2)', () => {
  let server: TestServer;
  let key: ClientKey;
  let jwtClient: string;
  let secretClient: { client_id: string; client_secret: string };

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    key = await newClientKey('ES256');
    jwtClient = (
      await server.post('/admin/clients', {
        client_name: 'jwt',
        grant_types: [JWT_BEARER, 'client_credentials'],
        scope: 'scim.read',
        jwks: { keys: [key.publicJwk] },
      })
    ).body.client_id;
    const registered = await server.post('/admin/clients', {
      client_name: 'Entra gallery validation',
      grant_types: ['client_credentials'],
      scope: 'scim.read scim.write',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      client_secret: expect.stringMatching(/^roster_cs_[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    secretClient = registered.body;
  });
  afterAll(async () => {
    await server.close();
  });

  const basic = (id: string, secret: string): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  });

  it('issues client-credentials tokens with client_secret_basic and client_secret_post', async () => {
    const viaBasic = await tokenRequest(
      server,
      { grant_type: 'client_credentials' },
      basic(secretClient.client_id, secretClient.client_secret),
    );
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'scim.read scim.write',
    });
    expect(decodeJwt(viaBasic.body.access_token)).toMatchObject({
      sub: secretClient.client_id,
      client_id: secretClient.client_id,
    });
    expect(
      (await server.post('/v2/Users', { userName: 'cc@example.com' }, { token: viaBasic.body.access_token })).status,
    ).toBe(201);

    // The registered method is enforced (issue 10, finding 9): this client registered
    // client_secret_basic, so its secret in the body is refused even though it is right.
    const wrongMethod = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_id: secretClient.client_id,
      client_secret: secretClient.client_secret,
      scope: 'scim.read',
    });
    expect(wrongMethod.status).toBe(401);
    expect(wrongMethod.body).toEqual({
      error: 'invalid_client',
      error_description: 'This client must authenticate with client_secret_basic, as it registered.',
    });

    const postClient = await server.post('/admin/clients', {
      client_name: 'posting',
      scope: 'scim.read',
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(postClient.status).toBe(201);
    const viaPost = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_id: postClient.body.client_id,
      client_secret: postClient.body.client_secret,
      scope: 'scim.read',
    });
    expect(viaPost.status).toBe(200);
    expect(viaPost.body.scope).toBe('scim.read');
    const postInBasic = await tokenRequest(
      server,
      { grant_type: 'client_credentials' },
      basic(postClient.body.client_id, postClient.body.client_secret),
    );
    expect(postInBasic.status).toBe(401);
    expect(postInBasic.body.error_description).toBe(
      'This client must authenticate with client_secret_post, as it registered.',
    );
  });

  it('answers a wrong secret with 401 invalid_client, and a Basic challenge when Basic was used', async () => {
    const viaBasic = await tokenRequest(
      server,
      { grant_type: 'client_credentials' },
      basic(secretClient.client_id, 'wrong'),
    );
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
    expect(viaBasic.headers.get('www-authenticate')).toBe('Basic realm="roster"');
    const viaPost = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_id: secretClient.client_id,
      client_secret: 'wrong',
    });
    expect(viaPost.status).toBe(401);
    expect(viaPost.body.error).toBe('invalid_client');
    expect(viaPost.headers.get('www-authenticate')).toBeNull();
    const unknown = await tokenRequest(server, { grant_type: 'client_credentials' }, basic(randomUUID(), 'whatever'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
  });

  it('issues client-credentials tokens with private_key_jwt (RFC 7523 §2.2) and refuses a replayed client assertion', async () => {
    const clientAssertion = await signAssertion(key, { iss: jwtClient, sub: jwtClient, aud: tokenEndpoint(server) });
    const form = {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: clientAssertion,
    };
    const res = await tokenRequest(server, form);
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token).sub).toBe(jwtClient);
    const replay = await tokenRequest(server, form);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({
      error: 'invalid_client',
      error_description: 'The client assertion has already been used (its jti was seen before).',
    });
  });

  it('refuses a client assertion whose sub is not the client, or of the wrong type', async () => {
    const wrongSub = await signAssertion(key, { iss: jwtClient, sub: 'someone', aud: tokenEndpoint(server) });
    const res = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: wrongSub,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    const wrongType = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:example:saml',
      client_assertion: wrongSub,
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toBe('invalid_request');
  });

  it('refuses client_credentials without client authentication (invalid_client)', async () => {
    const res = await tokenRequest(server, { grant_type: 'client_credentials', client_id: secretClient.client_id });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a grant the client is not registered for (unauthorized_client)', async () => {
    const assertion = await signAssertion(key, {
      iss: secretClient.client_id,
      sub: secretClient.client_id,
      aud: tokenEndpoint(server),
    });
    const res = await tokenRequest(
      server,
      { grant_type: JWT_BEARER, assertion },
      basic(secretClient.client_id, secretClient.client_secret),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'This client is not registered for the jwt-bearer grant.',
    });
  });

  it('grants only the part of a scope the client may have, and refuses a scope with nothing of it (invalid_scope)', async () => {
    const narrowed = await tokenRequest(
      server,
      { grant_type: 'client_credentials', scope: 'scim.read roster.admin' },
      basic(secretClient.client_id, secretClient.client_secret),
    );
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('scim.read');
    const res = await tokenRequest(
      server,
      { grant_type: 'client_credentials', scope: 'roster.admin' },
      basic(secretClient.client_id, secretClient.client_secret),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  it('refuses an unknown resource (invalid_target) and two different resources', async () => {
    const auth = basic(secretClient.client_id, secretClient.client_secret);
    const unknown = await tokenRequest(
      server,
      { grant_type: 'client_credentials', resource: 'https://elsewhere.example.com/api' },
      auth,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_target');
    const two = await tokenRequest(
      server,
      { grant_type: 'client_credentials', resource: [`${server.baseUrl}/v2`, `${server.baseUrl}/v2/mcp`] },
      auth,
    );
    expect(two.status).toBe(400);
    expect(two.body).toEqual({
      error: 'invalid_target',
      error_description: 'Request a token for one resource at a time.',
    });
  });

  it('refuses unsupported grant types, missing parameters and repeated parameters', async () => {
    const password = await tokenRequest(server, { grant_type: 'password', username: 'a', password: 'b' });
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
    const missing = await tokenRequest(server, {});
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'grant_type is required.' });
    const otherClient = await tokenRequest(server, {
      grant_type: JWT_BEARER,
      client_id: secretClient.client_id,
      assertion: await signAssertion(key, { iss: jwtClient, sub: jwtClient, aud: tokenEndpoint(server) }),
    });
    expect(otherClient.body).toEqual({
      error: 'invalid_request',
      error_description: 'client_id differs from the assertion issuer.',
    });
    const noAssertion = await tokenRequest(server, { grant_type: JWT_BEARER });
    expect(noAssertion.body.error).toBe('invalid_request');
    const twice = await tokenRequest(server, { grant_type: [JWT_BEARER, JWT_BEARER], assertion: 'x' });
    expect(twice.body).toEqual({
      error: 'invalid_request',
      error_description: 'The parameter grant_type was sent more than once.',
    });
    const twoMethods = await tokenRequest(
      server,
      {
        grant_type: 'client_credentials',
        client_id: secretClient.client_id,
        client_secret: secretClient.client_secret,
      },
      basic(secretClient.client_id, secretClient.client_secret),
    );
    expect(twoMethods.body).toEqual({
      error: 'invalid_request',
      error_description: 'Use exactly one client authentication method.',
    });
  });

  it('accepts form-encoded bodies only, and answers in RFC 6749 JSON, never as a SCIM error', async () => {
    const json = await server.request('POST', '/v2/Login/Oauth2/Token', {
      token: null,
      body: { grant_type: 'client_credentials' },
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.headers.get('cache-control')).toBe('no-store');
    expect(json.body).toEqual({
      error: 'invalid_request',
      error_description: 'The token endpoint accepts application/x-www-form-urlencoded bodies only.',
    });
    const xml = await server.request('POST', '/v2/Login/Oauth2/Token', {
      token: null,
      raw: '<grant/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(400);
    expect(xml.body.error).toBe('invalid_request');
    expect(xml.body.schemas).toBeUndefined();
  });
});

describe('OAuth: token lifetime and rate limits', () => {
  let server: TestServer;
  let client: { client_id: string; client_secret: string };

  beforeAll(async () => {
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES: '360',
      OAUTH_RATE_LIMIT_CLIENT: '3',
      OAUTH_RATE_LIMIT_ADDRESS: '10',
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

  it('gives client-credentials tokens the configured lifetime (360 minutes here)', async () => {
    const res = await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(21600);
  });

  it('limits requests per client, then per address, with 429 and Retry-After', async () => {
    const form = { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret };
    // Windows are per minute; a few spare attempts cover a minute turning during the test.
    let limited: HttpResponse | undefined;
    for (let i = 0; i < 8 && !limited; i++) {
      const res = await tokenRequest(server, form);
      limited = res.status === 429 ? res : undefined;
    }
    expect(limited?.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringMatching(/^Too many token requests for this client; retry in \d+ s\.$/),
    });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);

    let fromAddress: HttpResponse | undefined;
    for (let i = 0; i < 25 && !fromAddress; i++) {
      const res = await tokenRequest(server, {
        grant_type: 'client_credentials',
        client_id: randomUUID(),
        client_secret: 'x',
      });
      fromAddress = res.status === 429 ? res : undefined;
    }
    expect(fromAddress?.body.error_description).toMatch(/^Too many token requests for this address/);
  });
});
