import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Browser } from 'playwright-core';
import { freePort, startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { CallbackApp, signInThroughPage, waitForCallback } from '../support/oauth-browser';
import { authorizePath, pkce, register } from '../support/oauth-flow';
import { TEST_KEK } from '../support/oauth';
import { startIdentityProvider, TestIdentityProvider } from '../support/oidc-provider';

jest.setTimeout(180_000);

/** What an MCP client application keeps between its own OAuth steps; the SDK asks for it. */
class MemoryProvider {
  client: unknown;
  stored: unknown;
  verifier = '';
  authorizationUrl: URL | undefined;

  constructor(private readonly redirect: string) {}

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata() {
    return {
      client_name: 'Roster browser test client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return this.client as never;
  }
  saveClientInformation(info: unknown) {
    this.client = info;
  }
  tokens() {
    return this.stored as never;
  }
  saveTokens(tokens: unknown) {
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

describe('OAuth pages in Chromium: sign-in, consent, deny, framing, and the MCP SDK clients', () => {
  let server: TestServer;
  let browser: Browser;
  let app: CallbackApp;
  let clientId: string;
  const opened: OpenedPage[] = [];

  async function page(viewport?: { width: number; height: number }): Promise<OpenedPage> {
    const one = await openPage(browser, viewport);
    opened.push(one);
    return one;
  }

  function authorizeUrl(overrides: Record<string, string> = {}): string {
    return (
      server.baseUrl +
      authorizePath({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: app.redirectUri,
        state: 'browser-state',
        scope: 'scim.read scim.write',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        ...overrides,
      })
    );
  }

  beforeAll(async () => {
    app = await CallbackApp.start();
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    browser = await launchChromium();
    for (const [userName, password, displayName] of [
      ['alice@example.com', 'alice-secret-1', 'Alice Liddell'],
      ['bob@example.com', 'bob-secret-1', 'Bob Admin'],
    ]) {
      expect((await server.post('/v2/Users', { userName, password, displayName })).status).toBe(201);
    }
    const bob = (await server.get('/v2/Users?filter=userName%20eq%20%22bob@example.com%22')).body.Resources[0].id;
    expect((await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: bob }] })).status).toBe(
      201,
    );
    const registered = await register(server, {
      client_name: 'Browser App',
      redirect_uris: [app.redirectUri, 'http://127.0.0.1/mcp-callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    clientId = registered.body.client_id;
  });
  afterAll(async () => {
    for (const one of opened) {
      await one.context.close();
    }
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  it('signs in and allows through the real pages, keyboard first, with no script errors', async () => {
    const { page: tab, diagnostics } = await page();
    await tab.goto(authorizeUrl());
    await expect(tab.title()).resolves.toBe('Sign in · Roster');
    expect(await tab.getAttribute('html', 'lang')).toBe('en');
    // Focus order: the user name field has focus first, then password, then the button.
    expect(await tab.evaluate('document.activeElement?.id')).toBe('userName');
    await tab.keyboard.type('alice@example.com');
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate('document.activeElement?.id')).toBe('password');
    await tab.keyboard.type('alice-secret-1');
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate('document.activeElement?.textContent')).toBe('Sign in');
    await tab.keyboard.press('Enter');

    await tab.getByRole('heading', { name: 'Allow Browser App to use Roster?' }).waitFor();
    await expect(tab.locator('#redirect-host').innerText()).resolves.toBe(new URL(app.redirectUri).host);
    await expect(tab.locator('body').innerText()).resolves.toContain('Read users and groups in the directory');
    await expect(tab.locator('body').innerText()).resolves.toContain('Alice Liddell (alice@example.com)');
    await tab.getByRole('button', { name: 'Allow' }).click();
    const back = await waitForCallback(tab, app);
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(back.searchParams.get('state')).toBe('browser-state');
    expect(back.searchParams.get('iss')).toBe(server.baseUrl);
    expect(diagnostics.pageErrors).toEqual([]);
    expect(diagnostics.consoleErrors).toEqual([]);
    expect(diagnostics.blockedRequests).toEqual([]);
  });

  it('Deny sends access_denied back; "Not you?" switches the user', async () => {
    const { page: tab } = await page();
    await tab.goto(authorizeUrl({ prompt: 'consent' }));
    await signInThroughPage(tab, 'alice@example.com', 'alice-secret-1');
    await tab.getByRole('button', { name: 'Not you? Sign in as someone else' }).click();
    await tab.getByLabel('User name').waitFor();
    await signInThroughPage(tab, 'bob@example.com', 'bob-secret-1');
    await expect(tab.locator('body').innerText()).resolves.toContain('Bob Admin (bob@example.com)');
    // bob may grant scim.write: it is listed.
    await expect(tab.locator('body').innerText()).resolves.toContain('Create, change, deactivate and delete');
    await tab.getByRole('button', { name: 'Deny' }).click();
    const back = await waitForCallback(tab, app);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('browser-state');
  });

  it('shows a wrong password as an error tied to the field, and fits a phone screen', async () => {
    const { page: tab } = await page({ width: 360, height: 740 });
    await tab.goto(`${server.baseUrl}/v2/Login`);
    await signInThroughPage(tab, 'alice@example.com', 'not-it');
    const error = tab.getByRole('alert');
    await expect(error.innerText()).resolves.toContain('The user name or password is not right');
    expect(await tab.getAttribute('#userName', 'aria-describedby')).toBe('signin-error');
    const overflow = await tab.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const buttonHeight = await tab
      .getByRole('button', { name: 'Sign in', exact: true })
      .evaluate((b) => b.getBoundingClientRect().height);
    expect(buttonHeight).toBeGreaterThanOrEqual(44);
  });

  it('refuses to be framed (frame-ancestors none, X-Frame-Options DENY)', async () => {
    app.framed = `${server.baseUrl}/v2/Login`;
    const { page: tab, diagnostics } = await page();
    const refused = tab.waitForEvent('console', {
      predicate: (message) => /frame-ancestors|X-Frame-Options/i.test(message.text()),
      timeout: 30_000,
    });
    await tab.goto(`${app.origin}/frame`);
    await refused;
    const frame = tab.frames().find((f) => f !== tab.mainFrame());
    const rendered = frame
      ? await frame
          .locator('#userName')
          .count()
          .catch(() => 0)
      : 0;
    expect(rendered).toBe(0);
    expect(diagnostics.consoleErrors.join('\n')).toMatch(/frame-ancestors|X-Frame-Options|refused to connect/i);
  });

  /** Drives the authorization URL an SDK produced through the real pages, as its user would. */
  async function consentInChromium(url: URL, redirect: string): Promise<URLSearchParams> {
    const { page: tab } = await page();
    const reached = new Promise<URL>((resolve) => {
      void tab.route(`${redirect}**`, async (route) => {
        resolve(new URL(route.request().url()));
        await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>done</p>' });
      });
    });
    await tab.goto(url.href);
    await signInThroughPage(tab, 'bob@example.com', 'bob-secret-1');
    await tab.getByRole('button', { name: 'Allow' }).click();
    return (await reached).searchParams;
  }

  it('the MCP v2 client completes its own OAuth flow: 401 discovery, registration, PKCE, Chromium, finishAuth, tools', async () => {
    const mcpUrl = new URL(`${server.baseUrl}/v2/mcp`);
    const redirect = 'http://127.0.0.1:47001/v2-callback';
    const provider = new MemoryProvider(redirect);
    const first = new ClientV2({ name: 'roster-oauth-v2', version: '1.0.0' });
    const transport = new TransportV2(mcpUrl, { authProvider: provider as unknown as OAuthClientProvider });
    await expect(first.connect(transport)).rejects.toThrow(/Unauthorized/i);
    expect(provider.authorizationUrl?.pathname).toBe('/v2/Login/Oauth2/Authorize');
    expect(provider.authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');
    const params = await consentInChromium(provider.authorizationUrl as URL, redirect);
    expect(params.get('iss')).toBe(server.baseUrl);
    await transport.finishAuth(params);

    const client = new ClientV2({ name: 'roster-oauth-v2', version: '1.0.0' });
    await client.connect(new TransportV2(mcpUrl, { authProvider: provider as unknown as OAuthClientProvider }));
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['whoami', 'search_users', 'create_user']));
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ kind: 'access-token', user: { userName: 'bob@example.com' } });
    const found = await client.callTool({ name: 'search_users', arguments: { query: 'alice' } });
    expect(found.structuredContent).toMatchObject({ totalResults: 1 });
    await client.close();

    const token = (provider.stored as { access_token: string; refresh_token?: string }).access_token;
    expect((provider.stored as { refresh_token?: string }).refresh_token).toMatch(/^roster_rt_/);
    const rest = await server.get('/v2/Users', { token });
    expect(rest.status).toBe(401);
  });

  it('the MCP v1 client (@modelcontextprotocol/sdk) completes its own OAuth flow too', async () => {
    const mcpUrl = new URL(`${server.baseUrl}/v2/mcp`);
    const redirect = 'http://127.0.0.1:47002/v1-callback';
    const provider = new MemoryProvider(redirect);
    const first = new ClientV1({ name: 'roster-oauth-v1', version: '1.0.0' });
    const transport = new TransportV1(mcpUrl, { authProvider: provider });
    await expect(first.connect(transport)).rejects.toThrow(/Unauthorized/i);
    const params = await consentInChromium(provider.authorizationUrl as URL, redirect);
    await transport.finishAuth(params.get('code') as string);

    const client = new ClientV1({ name: 'roster-oauth-v1', version: '1.0.0' });
    await client.connect(new TransportV1(mcpUrl, { authProvider: provider }));
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('whoami');
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ user: { userName: 'bob@example.com' } });
    await client.close();
    const token = (provider.stored as { access_token: string }).access_token;
    expect((await server.get('/v2/Users', { token })).status).toBe(401);
  });
});

describe('Upstream OpenID Connect sign-in in Chromium, against a real provider in this process', () => {
  let server: TestServer;
  let idp: TestIdentityProvider;
  let browser: Browser;
  let app: CallbackApp;
  let clientId: string;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    app = await CallbackApp.start();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startIdentityProvider(`${publicUrl}/v2/Login/Oidc/Callback`);
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_NAME: 'Test IdP',
    });
    browser = await launchChromium();
    // Provisioned from the IdP: no password in Roster.
    expect((await server.post('/v2/Users', { userName: 'carol@example.com', displayName: 'Carol' })).status).toBe(201);
    expect((await server.post('/v2/Users', { userName: 'gone@example.com', active: false })).status).toBe(201);
    clientId = (
      await register(server, {
        client_name: 'Upstream App',
        redirect_uris: [app.redirectUri],
        token_endpoint_auth_method: 'none',
      })
    ).body.client_id;
  });
  afterAll(async () => {
    for (const one of opened) {
      await one.context.close();
    }
    await browser?.close();
    await server?.close();
    await idp?.close();
    await app?.close();
  });

  async function throughProvider(login: string): Promise<OpenedPage> {
    const one = await openPage(browser);
    opened.push(one);
    const { page: tab } = one;
    await tab.goto(
      server.baseUrl +
        authorizePath({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: app.redirectUri,
          state: 'upstream',
          scope: 'scim.read',
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
    );
    await tab.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    // oidc-provider's own development sign-in and consent pages.
    await tab.locator('input[name="login"]').fill(login);
    await tab.locator('input[name="password"]').fill('anything');
    await tab.locator('button[type="submit"]').click();
    const consent = tab.locator('button[type="submit"]');
    if (await consent.isVisible().catch(() => false)) {
      await consent.click();
    }
    return one;
  }

  it('signs a provisioned user in through the provider, then consents on Roster', async () => {
    const { page: tab, diagnostics } = await throughProvider('carol@example.com');
    await tab.getByRole('heading', { name: 'Allow Upstream App to use Roster?' }).waitFor({ timeout: 30_000 });
    await expect(tab.locator('body').innerText()).resolves.toContain('Carol (carol@example.com)');
    await tab.getByRole('button', { name: 'Allow' }).click();
    const back = await waitForCallback(tab, app);
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(back.searchParams.get('state')).toBe('upstream');
    expect(diagnostics.pageErrors).toEqual([]);
  });

  it.each([
    ['nobody@example.com', 'No directory user matches this identity (by email).'],
    ['gone@example.com', 'The matching directory user is deactivated.'],
  ])('refuses %s with a clear page and creates nothing', async (login, message) => {
    const before = (await server.get('/v2/Users?count=0')).body.totalResults;
    const { page: tab } = await throughProvider(login);
    await tab.getByRole('heading', { name: 'Sign-in refused' }).waitFor({ timeout: 30_000 });
    await expect(tab.getByRole('alert').innerText()).resolves.toContain(message);
    expect((await server.get('/v2/Users?count=0')).body.totalResults).toBe(before);
    expect(
      app.callbacks.filter((u) => u.searchParams.get('state') === 'upstream' && u.searchParams.has('error')),
    ).toEqual([]);
  });
});
