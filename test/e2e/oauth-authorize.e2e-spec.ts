import { randomBytes, scryptSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import { PrismaService } from '@roster/db';
import { startServer, TestServer } from '../support/app';
import { authorizePath, formFields, PageClient, pkce, register, runFlow, signIn } from '../support/oauth-flow';
import { TEST_KEK, tokenRequest } from '../support/oauth';

const REDIRECT = 'https://claude.ai/api/mcp/auth_callback';
const LOOPBACK = 'http://127.0.0.1/callback';

describe('OAuth authorization server: authorization code with PKCE through the real pages', () => {
  let server: TestServer;
  let mcp: string;
  let alice: string;
  let bob: string;
  let client: string;

  async function user(
    userName: string,
    password: string | undefined,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await server.post('/v2/Users', { userName, ...(password ? { password } : {}), ...extra });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  function params(
    overrides: Record<string, string | undefined> = {},
  ): Record<string, string | undefined> & { verifier: string } {
    const { verifier, challenge } = pkce();
    return {
      response_type: 'code',
      client_id: client,
      redirect_uri: REDIRECT,
      state: 'st-123',
      scope: 'scim.read scim.write offline_access',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: mcp,
      ...overrides,
      verifier,
    };
  }

  async function codeFor(
    browser: PageClient,
    p: ReturnType<typeof params>,
    who = { userName: 'alice@example.com', password: 'alice-secret-1' },
  ): Promise<string> {
    const { verifier: _v, ...query } = p;
    const { redirect } = await runFlow(browser, query, who);
    expect(redirect.searchParams.get('error')).toBeNull();
    return redirect.searchParams.get('code') as string;
  }

  function redeem(code: string, verifier: string, extra: Record<string, string> = {}) {
    return tokenRequest(server, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: client,
      resource: mcp,
      ...extra,
    });
  }

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, ROSTER_ADMIN_GROUPS: 'Roster Admins, Other' });
    mcp = `${server.baseUrl}/v2/mcp`;
    alice = await user('alice@example.com', 'alice-secret-1', { displayName: 'Alice Liddell' });
    bob = await user('bob@example.com', 'bob-secret-1');
    await user('nopass@example.com', undefined);
    // bob is an administrator through a nested group: Roster Admins ⊃ Ops ⊃ bob.
    const ops = await server.post('/v2/Groups', { displayName: 'Ops', members: [{ value: bob }] });
    expect(ops.status).toBe(201);
    const admins = await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ops.body.id }] });
    expect(admins.status).toBe(201);
    const registered = await register(server, {
      client_name: 'Claude',
      redirect_uris: [REDIRECT, LOOPBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    expect(registered.status).toBe(201);
    client = registered.body.client_id;
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs in, asks for consent on a page that names the client, its redirect host, the scopes and the user', async () => {
    const browser = new PageClient(server);
    const p = params();
    const { verifier: _v, ...query } = p;
    const start = await browser.get(authorizePath(query));
    expect(start.status).toBe(303);
    expect(start.location).toMatch(/^\/v2\/Login\?return_to=%2Fv2%2FLogin%2FOauth2%2FAuthorize%3F/);
    const signInPage = await browser.follow(start);
    expect(signInPage.status).toBe(200);
    for (const [header, value] of [
      ['content-security-policy', "frame-ancestors 'none'"],
      ['content-security-policy', "default-src 'none'"],
      ['x-frame-options', 'DENY'],
      ['cache-control', 'no-store'],
      ['referrer-policy', 'no-referrer'],
    ]) {
      expect(signInPage.headers.get(header)).toContain(value);
    }
    expect(signInPage.headers.get('content-security-policy')).not.toContain('script-src');
    expect(signInPage.headers.getSetCookie()[0]).toMatch(
      /^roster_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/,
    );
    expect(signInPage.text).toContain('<html lang="en">');
    expect(signInPage.text).toContain('<label for="userName">');

    const consent = await browser.follow(await signIn(browser, signInPage, 'Alice@Example.com', 'alice-secret-1'));
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Allow Claude to use Roster?');
    expect(consent.text).toContain('This name was given by the application itself');
    expect(consent.text).toContain('<p class="host" id="redirect-host">claude.ai</p>');
    expect(consent.text).toContain('Read users and groups in the directory');
    // alice is no administrator: scim.write is not offered, and the page says so.
    expect(consent.text).not.toContain('<li>Create, change');
    expect(consent.text).toContain('Not granted, because your account may not');
    expect(consent.text).toContain('Alice Liddell (alice@example.com)');
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self' https://claude.ai");

    const fields = formFields(consent.text, '/v2/Login/Oauth2/Authorize');
    const answer = await browser.post('/v2/Login/Oauth2/Authorize', { ...fields, decision: 'allow', remember: 'yes' });
    expect(answer.status).toBe(303);
    const back = new URL(answer.location as string);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe(server.baseUrl);
    const code = back.searchParams.get('code') as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const tokens = await redeem(code, p.verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'scim.read',
      refresh_token: expect.stringMatching(/^roster_rt_/),
    });
    expect(decodeJwt(tokens.body.access_token)).toMatchObject({
      iss: server.baseUrl,
      sub: alice,
      aud: mcp,
      client_id: client,
      scope: 'scim.read',
      gid: expect.any(String),
    });
    // An MCP-audience token is refused by the REST API.
    const rest = await server.get('/v2/Me', { token: tokens.body.access_token });
    expect(rest.status).toBe(401);
    expect(rest.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('grants scim.write to a member (nested) of ROSTER_ADMIN_GROUPS, and /v2/Me returns the user for a SCIM-audience token', async () => {
    const browser = new PageClient(server);
    const p = params({ resource: `${server.baseUrl}/v2/` });
    const code = await codeFor(browser, p, { userName: 'bob@example.com', password: 'bob-secret-1' });
    const tokens = await redeem(code, p.verifier, { resource: `${server.baseUrl}/v2` });
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe('scim.read scim.write');
    expect(decodeJwt(tokens.body.access_token)).toMatchObject({ sub: bob, aud: `${server.baseUrl}/v2` });
    const me = await server.get('/v2/Me', { token: tokens.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.userName).toBe('bob@example.com');
  });

  it('remembers consent; prompt=consent asks again, prompt=none answers without a page', async () => {
    const browser = new PageClient(server);
    await codeFor(browser, params());
    // Remembered: straight back with a code.
    const { verifier: _a, ...again } = params();
    const remembered = await browser.get(authorizePath(again));
    expect(remembered.status).toBe(302);
    expect(new URL(remembered.location as string).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { verifier: _b, ...forced } = params({ prompt: 'consent' });
    const asked = await browser.get(authorizePath(forced));
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Allow Claude');
    const { verifier: _c, ...silent } = params({ prompt: 'none' });
    const none = await browser.get(authorizePath(silent));
    expect(new URL(none.location as string).searchParams.get('code')).toBeTruthy();

    const stranger = new PageClient(server);
    const notSignedIn = await stranger.get(authorizePath(silent));
    const url = new URL(notSignedIn.location as string);
    expect(url.searchParams.get('error')).toBe('login_required');
    expect(url.searchParams.get('state')).toBe('st-123');
    expect(url.searchParams.get('iss')).toBe(server.baseUrl);
    // bob never allowed this client: consent_required.
    await runFlow(
      stranger,
      { ...silent, prompt: undefined, scope: 'scim.read' },
      {
        userName: 'bob@example.com',
        password: 'bob-secret-1',
        decision: 'deny',
      },
    );
    const bobSilent = await stranger.get(authorizePath(silent));
    expect(new URL(bobSilent.location as string).searchParams.get('error')).toBe('consent_required');
  });

  it('prompt=login asks a signed-in browser to sign in again, then continues with the remembered consent', async () => {
    const browser = new PageClient(server);
    await codeFor(browser, params());
    const { verifier: _v, ...query } = params({ prompt: 'login' });
    const start = await browser.get(authorizePath(query));
    expect(start.status).toBe(303);
    const signInAt = new URL(start.location as string, server.baseUrl);
    expect(signInAt.pathname).toBe('/v2/Login');
    const returnTo = new URL(signInAt.searchParams.get('return_to') as string, server.baseUrl);
    expect(returnTo.pathname).toBe('/v2/Login/Oauth2/Authorize');
    expect(returnTo.searchParams.has('prompt')).toBe(false);
    const page = await browser.follow(start);
    expect(page.text).toContain('<label for="userName">');
    const back = await signIn(browser, page, 'alice@example.com', 'alice-secret-1');
    expect(back.status).toBe(303);
    const done = await browser.get(back.location as string);
    expect(done.status).toBe(302);
    expect(new URL(done.location as string).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // prompt=login together with none is refused (none forbids any page).
    const { verifier: _n, ...both } = params({ prompt: 'none login' });
    const refused = await browser.get(authorizePath(both));
    expect(new URL(refused.location as string).searchParams.get('error')).toBe('invalid_request');
  });

  it('Deny redirects with access_denied, state and iss', async () => {
    const browser = new PageClient(server);
    const { verifier: _v, ...query } = params();
    const { redirect } = await runFlow(browser, query, {
      userName: 'bob@example.com',
      password: 'bob-secret-1',
      decision: 'deny',
    });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('st-123');
    expect(redirect.searchParams.get('iss')).toBe(server.baseUrl);
    expect(redirect.searchParams.get('code')).toBeNull();
  });

  describe('attacks on the authorization endpoint', () => {
    it.each([
      ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/cb' }],
      ['a look-alike host', { redirect_uri: 'https://claude.ai.evil.example/api/mcp/auth_callback' }],
      ['a look-alike path', { redirect_uri: 'https://claude.ai/api/mcp/auth_callback/../evil' }],
      ['an added query', { redirect_uri: `${REDIRECT}?next=https://evil.example` }],
      ['another loopback host', { redirect_uri: 'http://localhost:5000/callback' }],
      ['an unknown client', { client_id: 'no-such-client' }],
      ['no client at all', { client_id: undefined }],
    ])('%s: an error page, never a redirect', async (_label, overrides) => {
      const browser = new PageClient(server);
      const { verifier: _v, ...query } = params(overrides);
      const res = await browser.get(authorizePath(query));
      expect(res.status).toBe(400);
      expect(res.location).toBeUndefined();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    });

    it('takes a missing resource, or the bare origin with a slash (as claude.ai sends it), for the MCP endpoint', async () => {
      for (const resource of [undefined, `${server.baseUrl}/`, `${server.baseUrl}/v2/mcp/`]) {
        const browser = new PageClient(server);
        const p = params({ resource });
        const { verifier, ...query } = p;
        const { redirect } = await runFlow(browser, query, {
          userName: 'alice@example.com',
          password: 'alice-secret-1',
        });
        const tokens = await redeem(
          redirect.searchParams.get('code') as string,
          verifier,
          resource ? { resource } : {},
        );
        expect(tokens.status).toBe(200);
        expect(decodeJwt(tokens.body.access_token).aud).toBe(mcp);
      }
    });

    it('accepts a loopback redirect on any port (RFC 8252 §7.3)', async () => {
      const browser = new PageClient(server);
      const p = params({ redirect_uri: 'http://127.0.0.1:51789/callback' });
      const { verifier, ...query } = p;
      const { redirect } = await runFlow(browser, query, { userName: 'alice@example.com', password: 'alice-secret-1' });
      expect(redirect.host).toBe('127.0.0.1:51789');
      const code = redirect.searchParams.get('code') as string;
      const tokens = await redeem(code, verifier, { redirect_uri: 'http://127.0.0.1:51789/callback' });
      expect(tokens.status).toBe(200);
    });

    it.each([
      ['PKCE missing', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['PKCE plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['another response type', { response_type: 'token' }, 'unsupported_response_type'],
      ['an unknown resource', { resource: 'https://elsewhere.example/mcp' }, 'invalid_target'],
    ])('%s: redirected back with %s', async (_label, overrides, error) => {
      const browser = new PageClient(server);
      const { verifier: _v, ...query } = params(overrides);
      const res = await browser.get(authorizePath(query));
      const url = new URL(res.location as string);
      expect(url.origin + url.pathname).toBe(REDIRECT);
      expect(url.searchParams.get('error')).toBe(error);
      expect(url.searchParams.get('state')).toBe('st-123');
      expect(url.searchParams.get('iss')).toBe(server.baseUrl);
    });

    it('refuses form posts without the session CSRF token (sign-in, consent, sign-out)', async () => {
      const browser = new PageClient(server);
      const { verifier: _v, ...query } = params({ prompt: 'consent' });
      const page = await browser.follow(await browser.get(authorizePath(query)));
      const fields = formFields(page.text, '/v2/Login');
      const noToken = await browser.post('/v2/Login', {
        return_to: fields.return_to,
        userName: 'alice@example.com',
        password: 'alice-secret-1',
      });
      expect(noToken.status).toBe(403);
      expect(noToken.location).toBeUndefined();
      const forged = await browser.post('/v2/Login', {
        ...fields,
        csrf_token: 'x'.repeat(43),
        userName: 'a',
        password: 'b',
      });
      expect(forged.status).toBe(403);

      const consent = await browser.follow(await signIn(browser, page, 'alice@example.com', 'alice-secret-1'));
      const consentFields = formFields(consent.text, '/v2/Login/Oauth2/Authorize');
      const { csrf_token: _c, ...withoutToken } = consentFields;
      const post = await browser.post('/v2/Login/Oauth2/Authorize', { ...withoutToken, decision: 'allow' });
      expect(post.status).toBe(403);
      expect(post.location).toBeUndefined();
      // A cross-site page cannot read the token, and another session's token does not fit this one.
      const other = new PageClient(server);
      const otherPage = await other.get('/v2/Login');
      const otherToken = formFields(otherPage.text, '/v2/Login').csrf_token;
      const mixed = await browser.post('/v2/Login/Oauth2/Authorize', {
        ...withoutToken,
        csrf_token: otherToken,
        decision: 'allow',
      });
      expect(mixed.status).toBe(403);
    });

    it('an ordinary user asking only for scim.write gets invalid_scope; asking for more gets what the user may grant', async () => {
      const browser = new PageClient(server);
      const { verifier: _v, ...query } = params({ scope: 'scim.write' });
      const { redirect } = await runFlow(browser, query, { userName: 'alice@example.com', password: 'alice-secret-1' });
      expect(redirect.searchParams.get('error')).toBe('invalid_scope');
      expect(redirect.searchParams.get('state')).toBe('st-123');
    });
  });

  describe('attacks on the token endpoint', () => {
    it('refuses a wrong verifier, and the code is burnt', async () => {
      const browser = new PageClient(server);
      const p = params();
      const code = await codeFor(browser, p);
      const wrong = await redeem(code, pkce().verifier);
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The code_verifier does not match the code_challenge (PKCE).',
      });
      expect((await redeem(code, p.verifier)).body.error).toBe('invalid_grant');
      expect((await redeem(await codeFor(browser, params()), '')).body.error).toBe('invalid_request');
    });

    it('refuses a reused code and revokes what its first redemption issued (RFC 6749 §4.1.2)', async () => {
      const browser = new PageClient(server);
      const p = params();
      const code = await codeFor(browser, p);
      const first = await redeem(code, p.verifier);
      expect(first.status).toBe(200);
      const again = await redeem(code, p.verifier);
      expect(again.status).toBe(400);
      expect(again.body.error_description).toBe(
        'The authorization code has already been used; what it issued is revoked.',
      );
      const refresh = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: first.body.refresh_token,
        client_id: client,
      });
      expect(refresh.body.error).toBe('invalid_grant');
      const used = await server.post(
        '/v2/mcp',
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        {
          token: first.body.access_token,
          headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        },
      );
      expect(used.status).toBe(401);
    });

    it('refuses a code redeemed by another client or with another redirect URI', async () => {
      const other = await register(server, {
        client_name: 'Other',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
      });
      const browser = new PageClient(server);
      const p1 = params();
      const code1 = await codeFor(browser, p1);
      const byOther = await redeem(code1, p1.verifier, { client_id: other.body.client_id });
      expect(byOther.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The authorization code was issued to another client.',
      });

      const p2 = params();
      const code2 = await codeFor(browser, p2);
      const elsewhere = await redeem(code2, p2.verifier, { redirect_uri: LOOPBACK });
      expect(elsewhere.body.error_description).toBe('redirect_uri differs from the one of the authorization request.');
    });

    it('rotates refresh tokens, and a reused one revokes the whole family', async () => {
      const browser = new PageClient(server);
      const p = params();
      const first = await redeem(await codeFor(browser, p), p.verifier);
      const r1 = first.body.refresh_token;
      const second = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: r1, client_id: client });
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(r1);
      const narrowed = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: second.body.refresh_token,
        client_id: client,
        scope: 'scim.write',
      });
      expect(narrowed.body).toEqual({
        error: 'invalid_scope',
        error_description: 'A refresh may only narrow the grant; refused: scim.write.',
      });
      // The refused request still used the token up: rotation is strict.
      const replay = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: r1, client_id: client });
      expect(replay.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The refresh token was already used; its whole family is revoked.',
      });
      const third = await redeem(await codeFor(browser, params()), 'x'.repeat(43));
      expect(third.body.error).toBe('invalid_grant');
    });

    it('revokes at the revocation endpoint (RFC 7009): refresh token family, then access tokens; unknown tokens get 200', async () => {
      const browser = new PageClient(server);
      const p = params();
      const tokens = await redeem(await codeFor(browser, p), p.verifier);
      const revoke = (form: Record<string, string>) =>
        server.request('POST', '/v2/Login/Oauth2/Revoke', {
          raw: new URLSearchParams(form).toString(),
          token: null,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      expect((await revoke({ token: 'roster_rt_nothing', client_id: client })).status).toBe(200);
      expect((await revoke({ token: 'garbage', client_id: client })).status).toBe(200);
      const done = await revoke({
        token: tokens.body.refresh_token,
        client_id: client,
        token_type_hint: 'refresh_token',
      });
      expect(done.status).toBe(200);
      expect(done.headers.get('cache-control')).toBe('no-store');
      const refresh = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token,
        client_id: client,
      });
      expect(refresh.body.error_description).toBe('The refresh token has been revoked.');
      const mcpCall = await server.post(
        '/v2/mcp',
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        {
          token: tokens.body.access_token,
          headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        },
      );
      expect(mcpCall.status).toBe(401);
      expect(mcpCall.headers.get('www-authenticate')).toContain('grant this access token belongs to has been revoked');
      expect((await revoke({ token: 'x', client_id: 'no-such-client' })).status).toBe(401);
    });

    it('answers 401 invalid_client for a client that no longer exists, and enforces the public client method', async () => {
      const gone = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code: 'x',
        code_verifier: 'y'.repeat(43),
        redirect_uri: REDIRECT,
        client_id: 'vanished',
      });
      expect(gone.status).toBe(401);
      expect(gone.body.error).toBe('invalid_client');
      const withSecret = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: 'roster_rt_x',
        client_id: client,
        client_secret: 'guess',
      });
      expect(withSecret.status).toBe(401);
    });
  });

  describe('users who may not sign in, and throttling', () => {
    it('one generic error for unknown users, wrong passwords, users without a password and deactivated users', async () => {
      const carol = await user('carol@example.com', 'carol-secret-1');
      expect(
        (
          await server.patch(`/v2/Users/${carol}`, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'replace', path: 'active', value: false }],
          })
        ).status,
      ).toBe(200);
      const messages = new Set<string>();
      for (const [name, password] of [
        ['nobody@example.com', 'whatever'],
        ['alice@example.com', 'wrong'],
        ['nopass@example.com', 'anything'],
        ['carol@example.com', 'carol-secret-1'],
      ]) {
        const browser = new PageClient(server, { 'x-forwarded-for': name });
        const page = await browser.get('/v2/Login');
        const res = await signIn(browser, page, name, password);
        expect(res.status).toBe(401);
        messages.add(/<p class="error" role="alert" id="signin-error">([^<]*)<\/p>/.exec(res.text)?.[1] ?? '');
      }
      expect([...messages]).toEqual(['The user name or password is not right, or this account cannot sign in here.']);
    });

    it('deactivating a user ends their sessions, consents and refresh tokens at once', async () => {
      const dave = await user('dave@example.com', 'dave-secret-1');
      const browser = new PageClient(server);
      const p = params({ scope: 'scim.read' });
      const tokens = await redeem(
        await codeFor(browser, p, { userName: 'dave@example.com', password: 'dave-secret-1' }),
        p.verifier,
      );
      expect(tokens.status).toBe(200);
      const grants = await server.get(`/admin/grants?user=${dave}`);
      expect(grants.body.grants).toEqual([
        expect.objectContaining({
          user_id: dave,
          client_id: client,
          client_name: 'Claude',
          dynamic: true,
          scope: 'scim.read',
          resource: 'mcp',
        }),
      ]);
      const off = await server.patch(`/v2/Users/${dave}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      expect(off.status).toBe(200);
      const refresh = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token,
        client_id: client,
      });
      expect(refresh.body.error).toBe('invalid_grant');
      expect((await server.get(`/admin/grants?user=${dave}`)).body.grants).toEqual([]);
      // The browser session is gone: the next authorization request goes to the sign-in page.
      const { verifier: _v, ...query } = params({ scope: 'scim.read' });
      const next = await browser.get(authorizePath(query));
      expect(next.location).toMatch(/^\/v2\/Login\?/);
    });

    it("deactivation refuses the user's access tokens: at once for one not yet seen, within the revocation cache for one in use", async () => {
      const name = 'cascade-erin@example.com';
      const erin = await user(name, 'erin-secret-1');
      const issue = async () => {
        const p = params({ resource: `${server.baseUrl}/v2/` });
        const code = await codeFor(new PageClient(server), p, { userName: name, password: 'erin-secret-1' });
        const tokens = await redeem(code, p.verifier, { resource: `${server.baseUrl}/v2` });
        expect(tokens.status).toBe(200);
        return tokens.body.access_token as string;
      };
      const [inUse, unseen] = [await issue(), await issue()];
      expect((await server.get('/v2/Me', { token: inUse })).status).toBe(200);
      const off = await server.patch(`/v2/Users/${erin}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      expect(off.status).toBe(200);
      // The consent the sign-in remembered, and the cascade, are in the change log.
      const consents = await server.get(`/v2/Events?type=consent.granted&resourceId=${erin}`);
      expect(consents.body.Resources[0]).toMatchObject({
        type: 'consent.granted',
        resource: { type: 'OAuthConsent', id: erin },
        actor: { kind: 'user', id: erin, name: 'cascade-erin@example.com' },
      });
      const refused = await server.get('/v2/Me', { token: unseen });
      expect(refused.status).toBe(401);
      // The token in use passed both checks a moment ago; its grant's liveness is cached for 30 s,
      // the user's revocation time for USER_REVOCATION_CACHE_SECONDS (5): the cascade refuses it first.
      let last = await server.get('/v2/Me', { token: inUse });
      for (let i = 0; i < 40 && last.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        last = await server.get('/v2/Me', { token: inUse });
      }
      expect(last.status).toBe(401);
      expect(last.headers.get('www-authenticate')).toContain('deactivated or deleted');
      // Reactivated, the user signs in again and the new token works; the old ones stay refused.
      expect(
        (
          await server.patch(`/v2/Users/${erin}`, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'replace', path: 'active', value: true }],
          })
        ).status,
      ).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await server.get('/v2/Me', { token: await issue() })).status).toBe(200);
      expect((await server.get('/v2/Me', { token: unseen })).status).toBe(401);
    });

    it.each([
      ['a SCIM DELETE', 'delete'],
      ['a Bulk PATCH active=false', 'bulk'],
      ['a SCIM PUT active=false', 'put'],
    ])("%s revokes the user's refresh tokens in the same transaction", async (_label, how) => {
      const name = `deprovision-${how}@example.com`;
      const id = await user(name, 'deprovision-secret-1');
      const p = params({ scope: 'scim.read' });
      const tokens = await redeem(
        await codeFor(new PageClient(server), p, { userName: name, password: 'deprovision-secret-1' }),
        p.verifier,
      );
      expect(tokens.status).toBe(200);
      if (how === 'delete') {
        expect((await server.delete(`/v2/Users/${id}`)).status).toBe(204);
      } else if (how === 'put') {
        expect((await server.put(`/v2/Users/${id}`, { userName: name, active: false })).status).toBe(200);
      } else {
        const bulk = await server.post('/v2/Bulk', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [
            {
              method: 'PATCH',
              path: `/Users/${id}`,
              data: {
                schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                Operations: [{ op: 'replace', path: 'active', value: false }],
              },
            },
          ],
        });
        expect(bulk.body.Operations[0].status).toBe('200');
      }
      const refresh = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token,
        client_id: client,
      });
      expect(refresh.body.error).toBe('invalid_grant');
    });

    it('pauses sign-in after LOGIN_MAX_FAILURES failures, with a clear message; the right password waits too', async () => {
      await user('erin@example.com', 'erin-secret-1');
      const browser = new PageClient(server);
      let page = await browser.get('/v2/Login');
      for (let i = 0; i < 5; i++) {
        page = await signIn(browser, page, 'erin@example.com', `wrong-${i}`);
        expect(page.status).toBe(401);
      }
      const paused = await signIn(browser, page, 'erin@example.com', 'erin-secret-1');
      expect(paused.status).toBe(429);
      expect(paused.text).toMatch(/Too many failed sign-ins\. Try again in \d+ minutes?\./);
      expect(Number(paused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another user from the same address is not paused by erin's failures.
      const other = await signIn(browser, paused, 'bob@example.com', 'bob-secret-1');
      expect(other.status).toBe(303);
    });

    it('upgrades a hash made with weaker scrypt parameters at the next successful sign-in', async () => {
      const id = await user('frank@example.com', undefined);
      const prisma = server.app.get(PrismaService);
      // A hash as an earlier release or an import made it: N=2^13, below what this server makes now.
      const salt = randomBytes(16);
      const key = scryptSync('frank-secret-1', salt, 32, { N: 2 ** 13, r: 8, p: 1 });
      const weak = ['scrypt', 8192, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
      expect(weak.startsWith('scrypt$8192$')).toBe(true);
      await prisma.client.$executeRawUnsafe(`UPDATE users SET password_hash = $2 WHERE id = $1::uuid`, id, weak);
      const version = (await server.get(`/v2/Users/${id}`)).body.meta.version;

      const browser = new PageClient(server, { 'x-forwarded-for': '192.0.2.77' });
      const signedIn = await signIn(browser, await browser.get('/v2/Login'), 'frank@example.com', 'frank-secret-1');
      expect(signedIn.status).toBe(303);
      let stored = weak;
      for (let i = 0; i < 100 && stored === weak; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const rows = await prisma.client.$queryRawUnsafe<{ h: string }[]>(
          `SELECT password_hash AS h FROM users WHERE id = $1::uuid`,
          id,
        );
        stored = rows[0].h;
      }
      expect(stored).not.toBe(weak);
      expect(stored.startsWith(`scrypt$${server.config.passwordHashing.scryptN}$`)).toBe(true);
      // The new hash verifies the same password; the representation did not change.
      const again = new PageClient(server, { 'x-forwarded-for': '192.0.2.78' });
      expect((await signIn(again, await again.get('/v2/Login'), 'frank@example.com', 'frank-secret-1')).status).toBe(
        303,
      );
      expect((await server.get(`/v2/Users/${id}`)).body.meta.version).toBe(version);
    });
  });
});
