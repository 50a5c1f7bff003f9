import { Browser } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { signInThroughPage } from '../support/oauth-browser';

jest.setTimeout(180_000);

const UI_TIMEOUT = 15_000;
const EXTENSION = 'urn:example:params:scim:schemas:extension:badge:2.0:User';

describe('Console history, activity and schemas in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;
  let targetId: string;
  let groupId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer();
    const ada = await server.post('/v2/Users', { userName: 'ada@example.com', password: 'ada-secret-1' });
    await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada.body.id }] });
    targetId = (await server.post('/v2/Users', { userName: 'babs@example.com', displayName: 'Babs' })).body.id;
    groupId = (await server.post('/v2/Groups', { displayName: 'Tour Guides' })).body.id;
    opened = await openPage(browser);
    await opened.page.goto(`${server.baseUrl}/console/Users/${targetId}`);
    await signInThroughPage(opened.page, 'ada@example.com', 'ada-secret-1');
    await opened.page.waitForURL(`${server.baseUrl}/console/Users/${targetId}`);
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  it("shows a user's history, newest first: a deactivation in the console by the signed-in admin", async () => {
    const { page } = opened;
    await expect(page.locator('#history-events tbody tr').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('#user-status', { hasText: 'Deactivated' }).waitFor({ timeout: UI_TIMEOUT });
    const first = page.locator('#history-events tbody tr').first();
    expect(await first.locator('.event-type').innerText()).toBe('user.deactivated');
    expect(await first.locator('.actor-name').innerText()).toBe('ada@example.com');
    expect(await first.locator('.actor-kind').innerText()).toBe('(console)');
    expect(await first.locator('.paths').innerText()).toContain('active');
    const types = await page.locator('#history-events .event-type').allInnerTexts();
    expect(types).toEqual(['user.deactivated', 'user.created']);
    // The feed says the same, through the API.
    const feed = await server.get(`/v2/Users/${targetId}/History?sortOrder=descending`);
    expect(feed.body.Resources[0].actor).toMatchObject({ kind: 'console', name: 'ada@example.com' });
  });

  it('pages a long history 20 at a time with an "Older" link', async () => {
    const { page } = opened;
    for (let i = 0; i < 22; i++) {
      const res = await server.patch(`/v2/Groups/${groupId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: `Tour Guides ${i}` }],
      });
      expect(res.status).toBe(204);
    }
    await page.goto(`${server.baseUrl}/console/Groups/${groupId}`);
    const rows = page.locator('#history-events tbody tr');
    await expect(rows.count()).resolves.toBe(20);
    expect(await rows.first().locator('.event-type').innerText()).toBe('group.updated');
    expect(await rows.first().locator('.actor-name').innerText()).toBe('admin token');
    await page.locator('#history-older').click();
    await page.waitForURL(/history=\d+/);
    // 23 events in all (created + 22 updates): the older page has the last 3, ending with the creation.
    await expect(rows.count()).resolves.toBe(3);
    expect(await rows.last().locator('.event-type').innerText()).toBe('group.created');
    await expect(page.locator('#history-older').count()).resolves.toBe(0);
  });

  it("shows a SCIM request made with a token created in the console, under the token's name", async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/console/Connections`);
    await page.getByLabel('Name (who will use it)').fill('okta-production');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#created-heading').waitFor({ timeout: UI_TIMEOUT });
    const token = (await page.locator('#new-token').inputValue()).trim();

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${server.baseUrl}/console/activity`);
    const newest = page.locator('#activity-events tbody tr').first();
    expect(await newest.locator('.event-type').innerText()).toBe('token.created');
    expect(await newest.locator('.actor-name').innerText()).toBe('ada@example.com');

    // The page refreshes itself: the token's request appears without a reload.
    const created = await server.post('/v2/Users', { userName: 'from-okta@example.com' }, { token });
    expect(created.status).toBe(201);
    await page
      .locator('#activity-events tbody tr')
      .first()
      .locator('.actor-name', { hasText: 'okta-production' })
      .waitFor({ timeout: UI_TIMEOUT });
    expect(await newest.locator('.event-type').innerText()).toBe('user.created');
    expect(await newest.locator('.actor-kind').innerText()).toBe('(api-token)');
    expect(await newest.locator('a').innerText()).toBe('User');

    // Filter by the token (offered among the recent actors) and by type.
    await page.reload();
    await page.locator('#recent-actor-links a', { hasText: 'okta-production' }).click();
    await page.waitForURL(/actor=okta-production/);
    expect(await page.locator('#activity-events .actor-name').allInnerTexts()).toEqual(['okta-production']);
    await page.getByLabel('Actor (a token', { exact: false }).fill('');
    await page.getByLabel('Type').selectOption('user.deactivated');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/type=user.deactivated/);
    expect(await page.locator('#activity-events .event-type').allInnerTexts()).toEqual(['user.deactivated']);
  });

  it('pages the feed back in time with a cursor, and refuses an unknown type with a clear message', async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/console/activity`);
    const rows = page.locator('#activity-events tbody tr');
    await expect(rows.count()).resolves.toBe(20);
    const firstPage = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
    await page.locator('#activity-older').click();
    await page.waitForURL(/cursor=\d+/);
    const secondPage = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
    expect(secondPage.length).toBeGreaterThan(0);
    expect(Math.max(...secondPage)).toBeLessThan(Math.min(...firstPage));
    expect([...secondPage].sort((a, b) => b - a)).toEqual(secondPage);

    const response = await page.goto(`${server.baseUrl}/console/activity?type=user.exploded`);
    expect(response?.status()).toBe(400);
    expect(await page.locator('p.error').innerText()).toContain('Unknown event type user.exploded');
  });

  it('filters and pages the feed without JavaScript too', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      storageState: await opened.context.storageState(),
    });
    try {
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/console/activity`);
      await page.getByLabel('Actor (a token', { exact: false }).fill('ada@example.com');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/actor=ada%40example.com/);
      const kinds = await page.locator('#activity-events .actor-kind').allInnerTexts();
      expect(kinds.length).toBeGreaterThan(0);
      expect(new Set(kinds)).toEqual(new Set(['(console)']));
      await page.goto(`${server.baseUrl}/console/activity`);
      await page.locator('#activity-older').click();
      await page.waitForURL(/cursor=\d+/);
      await expect(page.locator('#activity-events tbody tr').count()).resolves.toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it('lists the registered extensions with their attributes, read-only', async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/console/schemas`);
    expect(await page.locator('#no-extensions').count()).toBe(1);
    const registered = await server.post('/admin/schemas', {
      id: EXTENSION,
      name: 'Badge',
      description: 'Building access badges',
      resourceType: 'User',
      attributes: [
        { name: 'badgeNumber', type: 'string', caseExact: true, uniqueness: 'server', description: 'Printed number' },
        { name: 'floors', type: 'integer', multiValued: true },
      ],
    });
    expect(registered.status).toBe(201);
    await page.reload();
    expect(await page.locator('.schema-urn').innerText()).toBe(EXTENSION);
    const attributes = page.locator('table.attributes tbody tr');
    await expect(attributes.count()).resolves.toBe(2);
    const badge = await attributes.nth(0).innerText();
    expect(badge).toContain('badgeNumber');
    expect(badge).toContain('uniqueness server');
    expect(badge).toContain('case-exact');
    expect(await attributes.nth(1).innerText()).toContain('multi-valued');
    await expect(page.locator('main form').count()).resolves.toBe(0);
  });

  it('broke no CSP rule', () => {
    expect(opened.diagnostics.pageErrors).toEqual([]);
    expect(opened.diagnostics.blockedRequests).toEqual([]);
    expect(opened.diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
