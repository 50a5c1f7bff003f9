import { Browser } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { signInThroughPage } from '../support/oauth-browser';

jest.setTimeout(180_000);

const UI_TIMEOUT = 15_000;

describe('Admin console in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: OpenedPage;
  let ordinary: OpenedPage;
  let targetId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer();
    const people: [string, string | undefined, string][] = [
      ['ada@example.com', 'ada-secret-1', 'Ada Admin'],
      ['olga@example.com', 'olga-secret-1', 'Olga Ordinary'],
      ['barbara.jensen@example.com', undefined, 'Babs Jensen'],
      ['bert.jansen@example.com', undefined, 'Bert Jansen'],
    ];
    for (const [userName, password, displayName] of people) {
      const created = await server.post('/v2/Users', { userName, displayName, ...(password ? { password } : {}) });
      expect(created.status).toBe(201);
      if (userName.startsWith('barbara')) {
        targetId = created.body.id;
      }
    }
    const ada = (await server.get('/v2/Users?filter=userName%20eq%20%22ada@example.com%22')).body.Resources[0].id;
    expect((await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada }] })).status).toBe(
      201,
    );
    expect(
      (await server.post('/v2/Groups', { displayName: 'Tour Guides', members: [{ value: targetId }] })).status,
    ).toBe(201);
    admin = await openPage(browser);
    ordinary = await openPage(browser, { width: 375, height: 740 });
  });

  afterAll(async () => {
    await admin?.context.close();
    await ordinary?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('sends a visitor to the sign-in page, and an administrator back to the console after it', async () => {
    const { page } = admin;
    await page.goto(`${server.baseUrl}/console`);
    await page.waitForURL(/\/v2\/Login\?return_to=%2Fconsole/);
    await signInThroughPage(page, 'ada@example.com', 'ada-secret-1');
    await page.waitForURL(`${server.baseUrl}/console/Users`);
    expect(await page.locator('h1').innerText()).toBe('Users');
    expect(await page.locator('#signed-in-as').innerText()).toBe('ada@example.com');
  });

  it('finds a user while the administrator types, without submitting', async () => {
    const { page } = admin;
    const search = page.getByLabel('Search by name or e-mail, or a SCIM filter');
    await search.focus();
    await page.keyboard.type('babs', { delay: 30 });
    // The first page lists everyone; typing narrows it down to one.
    await page.locator('#result-count', { hasText: /^1 user found$/ }).waitFor({ timeout: UI_TIMEOUT });
    const link = page.locator('#results a', { hasText: 'barbara.jensen@example.com' });
    await expect(link.count()).resolves.toBe(1);
    // The address follows the search, so reloading or sharing it shows the same results.
    expect(new URL(page.url()).searchParams.get('q')).toBe('babs');

    // A SCIM filter works in the same box.
    await search.fill('userName sw "bert"');
    await page.locator('#results a', { hasText: 'bert.jansen@example.com' }).waitFor({ timeout: UI_TIMEOUT });
    await expect(page.locator('#results tbody tr').count()).resolves.toBe(1);
    await search.fill('babs');
    await link.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await expect(page.locator('#results tbody tr').count()).resolves.toBe(1);
    await link.click();
    await page.waitForURL(`${server.baseUrl}/console/Users/${targetId}`);
    expect(await page.locator('h1').innerText()).toBe('Babs Jensen');
    expect(await page.locator('#groups').innerText()).toContain('Tour Guides');
  });

  it('deactivates and reactivates the user through the SCIM service', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('#user-status', { hasText: 'Deactivated' }).waitFor({ timeout: UI_TIMEOUT });
    expect((await server.get(`/v2/Users/${targetId}`)).body.active).toBe(false);

    await page.getByRole('button', { name: 'Reactivate' }).click();
    await page.locator('#user-status', { hasText: 'Active' }).waitFor({ timeout: UI_TIMEOUT });
    expect((await server.get(`/v2/Users/${targetId}`)).body.active).toBe(true);
  });

  it('refuses a stale form (If-Match) instead of overwriting a change made elsewhere', async () => {
    const { page } = admin;
    await page.goto(`${server.baseUrl}/console/Users/${targetId}`);
    // Someone else changes the user after the page was loaded.
    expect((await server.patch(`/v2/Users/${targetId}`, patchTitle())).status).toBe(200);
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('p.error', { hasText: 'changed by someone else' }).waitFor({ timeout: UI_TIMEOUT });
    expect((await server.get(`/v2/Users/${targetId}`)).body.active).toBe(true);
  });

  it('refuses a form post without its CSRF token, and changes nothing', async () => {
    const { page } = admin;
    const version = (await server.get(`/v2/Users/${targetId}`)).body.meta.version.replace(/\D/g, '');
    // Same browser, same session cookie: only the token is missing.
    const status = await page.evaluate(
      `fetch('/console/Users/${targetId}/Active', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'version=${version}&active=false' }).then((r) => r.status)`,
    );
    expect(status).toBe(403);
    expect((await server.get(`/v2/Users/${targetId}`)).body.active).toBe(true);
  });

  it('refuses a signed-in user who is not an administrator', async () => {
    const { page } = ordinary;
    await page.goto(`${server.baseUrl}/console/Users`);
    await signInThroughPage(page, 'olga@example.com', 'olga-secret-1');
    await page.waitForURL(`${server.baseUrl}/console/Users`);
    expect(await page.locator('h1').innerText()).toBe('Not an administrator');
    const response = await page.reload();
    expect(response?.status()).toBe(403);
    expect(await page.content()).not.toContain('barbara.jensen@example.com');
  });

  it('needed nothing from outside and broke no CSP rule', () => {
    for (const { diagnostics } of [admin, ordinary]) {
      expect(diagnostics.pageErrors).toEqual([]);
      expect(diagnostics.blockedRequests).toEqual([]);
      expect(diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    }
  });
});

function patchTitle() {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path: 'title', value: 'Guide' }],
  };
}
