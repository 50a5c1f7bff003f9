import { Browser } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { signInThroughPage } from '../support/oauth-browser';

jest.setTimeout(180_000);

const UI_TIMEOUT = 15_000;

describe('Console Connections in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer();
    const ada = await server.post('/v2/Users', { userName: 'ada@example.com', password: 'ada-secret-1' });
    await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada.body.id }] });
    opened = await openPage(browser, { width: 375, height: 740 });
    await opened.page.goto(`${server.baseUrl}/console/Connections`);
    await signInThroughPage(opened.page, 'ada@example.com', 'ada-secret-1');
    await opened.page.waitForURL(`${server.baseUrl}/console/Connections`);
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  let token: string;

  it('creates an API token, shows it once with the values to paste into Entra ID and Okta', async () => {
    const { page } = opened;
    await page.getByLabel('Name (who will use it)').fill('entra-production');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#created-heading').waitFor({ timeout: UI_TIMEOUT });
    token = (await page.locator('#new-token').inputValue()).trim();
    expect(token).toMatch(/^roster_at_/);
    expect(await page.locator('#entra-tenant-url').innerText()).toBe(`${server.baseUrl}/v2`);
    expect(await page.locator('#okta-base-url').innerText()).toBe(`${server.baseUrl}/v2`);
    expect(await page.locator('#tokens').innerText()).toContain('entra-production');

    // The token works on the SCIM API, and the page never shows it again.
    expect((await server.get('/v2/Users', { token })).status).toBe(200);
    await page.goto(`${server.baseUrl}/console/Connections`);
    expect(await page.content()).not.toContain(token);
    expect(await page.locator('#tokens').innerText()).toContain('entra-production');
  });

  it('revokes the token, which is refused from then on', async () => {
    const { page } = opened;
    await page.getByRole('button', { name: 'Revoke token entra-production' }).click();
    await page.locator('p.state.ok', { hasText: 'Token revoked' }).waitFor({ timeout: UI_TIMEOUT });
    expect((await server.get('/v2/Users', { token })).status).toBe(401);
    expect(await page.locator('#tokens').count()).toBe(0);
  });

  it('refuses to create a token without the CSRF token', async () => {
    const { page } = opened;
    const status = await page.evaluate(
      `fetch('/console/Connections/Tokens', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=sneaky&read=yes&write=yes' }).then((r) => r.status)`,
    );
    expect(status).toBe(403);
    expect((await server.get('/admin/tokens')).body.tokens).toEqual([]);
  });

  it('broke no CSP rule', () => {
    expect(opened.diagnostics.pageErrors).toEqual([]);
    expect(opened.diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
