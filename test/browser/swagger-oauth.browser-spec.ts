import { Browser, Locator, Page } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { TEST_KEK } from '../support/oauth';
import { signInThroughPage } from '../support/oauth-browser';

const UI_TIMEOUT = 15_000;

jest.setTimeout(180_000);

function operation(page: Page, method: string, path: string): Locator {
  return page
    .locator('.opblock')
    .filter({ has: page.locator('.opblock-summary-method', { hasText: new RegExp(`^${method}$`, 'i') }) })
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/**
 * Swagger UI's "Authorize" through Roster's own authorization server (issue 16, item 3): the
 * built-in public client `roster-api-docs`, authorization code with PKCE, the redirect page served
 * by Roster, and a "Try it out" call made with the token it obtained. Nothing but loopback.
 */
describe('Swagger UI signs in through Roster (authorization code with PKCE)', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, DISCOVERY_PUBLIC: 'false' });
    await server.post('/v2/Users', { userName: 'ada@example.com', password: 'ada-secret-1' });
    opened = await openPage(browser);
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('serves the redirect page Swagger UI needs from Roster itself', async () => {
    const redirect = await fetch(`${server.baseUrl}/docs/oauth2-redirect.html`);
    expect(redirect.status).toBe(200);
    expect(await redirect.text()).toContain('oauth2-redirect.js');
    expect((await fetch(`${server.baseUrl}/docs/oauth2-redirect.js`)).status).toBe(200);
  });

  it('Authorize → sign in → allow; then a "Try it out" call succeeds with the token', async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/docs`, { waitUntil: 'load' });
    await page.locator('.scheme-container .btn.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const flow = dialog.locator('.auth-container', { hasText: 'authorizationCode with PKCE' });
    // initOAuth fills in the docs page's client and its scopes; it is public: no secret to type.
    expect(await flow.locator('input#client_id_authorizationCode').inputValue()).toBe('roster-api-docs');
    expect(await flow.locator('input#client_secret_authorizationCode').inputValue()).toBe('');
    for (const scope of ['scim.read', 'scim.write']) {
      expect(await flow.locator(`input[type=checkbox][data-value="${scope}"]`).isChecked()).toBe(true);
    }
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      flow.locator('.auth-btn-wrapper button.authorize').click(),
    ]);
    await popup.waitForLoadState();
    const authorize = new URL(popup.url());
    expect(authorize.pathname).toBe('/v2/Login');
    await signInThroughPage(popup, 'ada@example.com', 'ada-secret-1');
    await popup.getByRole('heading', { name: /Allow Roster API documentation/ }).waitFor({ timeout: UI_TIMEOUT });
    await Promise.all([
      popup.waitForEvent('close', { timeout: UI_TIMEOUT }),
      popup.getByRole('button', { name: 'Allow' }).click(),
    ]);

    // Back in the dialog: authorized, offering Logout.
    await flow.locator('button', { hasText: 'Logout' }).waitFor({ timeout: UI_TIMEOUT });
    expect(await dialog.locator('.errors').count()).toBe(0);
    await dialog.locator('.btn-done').first().click();

    const users = operation(page, 'GET', '/v2/Users');
    await users.locator('.opblock-summary').click();
    await users.locator('.try-out__btn').click();
    await users.locator('.execute').click();
    const live = users.locator('.responses-wrapper .live-responses-table .response').first();
    await live.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    expect((await live.locator('.response-col_status').innerText()).trim()).toMatch(/^200/);
    // The operation's example parameters (a filter among them) are what Try it out sends.
    expect(await live.locator('.response-col_description .highlight-code').first().innerText()).toContain(
      'urn:ietf:params:scim:api:messages:2.0:ListResponse',
    );
    const curl = await users.locator('.curl-command').innerText();
    const token = /Authorization: Bearer ([\w.-]+)/.exec(curl)?.[1];
    expect(token).toBeDefined();
    // A Roster access token for the SCIM API, acting for ada.
    expect((await server.get('/v2/me', { token })).body.userName).toBe('ada@example.com');
    expect(opened.diagnostics.blockedRequests).toEqual([]);
  });
});
