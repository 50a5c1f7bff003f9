import { Browser } from 'playwright-core';
import { RequestLogService } from '../../apps/api/src/request-log/request-log.service';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { png } from '../support/images';
import { TEST_KEK } from '../support/oauth';
import { signInThroughPage } from '../support/oauth-browser';

jest.setTimeout(180_000);

/**
 * The console's answer to "a user did not arrive" (the errors each connection received, charts of
 * requests and errors per minute with their table), signing-key rotation, sorting the lists, and
 * a group's logo: in Chromium, signed in as an administrator.
 */
describe('Console requests, signing keys, sorting and logos in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, REQUEST_LOG_FLUSH_MS: '60000' });
    const ada = await server.post('/v2/Users', { userName: 'ada@example.com', password: 'ada-secret-1' });
    await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada.body.id }] });
    opened = await openPage(browser);
    await opened.page.goto(`${server.baseUrl}/console/activity`);
    await signInThroughPage(opened.page, 'ada@example.com', 'ada-secret-1');
    await opened.page.waitForURL(`${server.baseUrl}/console/activity`);
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  it("shows a token's bad-filter error under that token, with its scimType and request id, and the counts' table", async () => {
    const { page } = opened;
    const created = await server.post('/admin/tokens', { name: 'entra-production', scope: 'scim.read scim.write' });
    const token = created.body.token as string;
    expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
    expect((await server.get('/v2/Users?count=1', { token })).status).toBe(200);
    const bad = await server.get(`/v2/Users?filter=${encodeURIComponent('userName eq "ghost@example.com" or')}`, {
      token,
    });
    expect(bad.status).toBe(400);
    const requestId = bad.headers.get('x-request-id')!;
    await server.app.get(RequestLogService).flush();

    await page.goto(`${server.baseUrl}/console/activity`);
    const card = page.locator('section.connection', {
      has: page.locator('.connection-name', { hasText: /^entra-production$/ }),
    });
    await expect(card.count()).resolves.toBe(1);
    expect(await card.locator('.requests-total').innerText()).toBe('3');
    expect(await card.locator('.errors-total').innerText()).toBe('1');
    const row = card.locator(`table.errors tr[data-request-id="${requestId}"]`);
    expect(await row.locator('.status').innerText()).toBe('400');
    expect(await row.locator('.scim-type').innerText()).toBe('invalidFilter');
    expect(await row.locator('.request-id').innerText()).toBe(requestId);
    expect(await row.locator('.detail').innerText()).toBe(bad.body.detail);
    const request = await row.locator('.request').innerText();
    expect(request).toBe('GET /v2/Users?filter=userName eq "…" or');
    expect(await page.content()).not.toContain('ghost@example.com');

    // The chart is an image with a text label, and its table says the same numbers.
    const chart = card.locator('svg.chart');
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.locator('title').textContent()).toContain('3 requests, 1 errors');
    await expect(chart.locator('rect.err').count()).resolves.toBe(1);
    await card.locator('details.counts summary').click();
    const counts = card.locator('table.counts-table tbody tr');
    await expect(counts.count()).resolves.toBe(1);
    expect(await counts.first().locator('td').allInnerTexts()).toEqual([expect.any(String), '3', '1']);

    // One connection's page lists its errors only.
    await card.getByRole('link', { name: 'All errors of entra-production' }).click();
    await page.waitForURL(/connection=api-token/);
    await expect(page.locator('section.connection').count()).resolves.toBe(1);
    await expect(page.locator('table.errors tbody tr').count()).resolves.toBe(1);
  });

  it('rotates the signing key after a confirmation; the previous key stays published', async () => {
    const { page } = opened;
    const before = (await server.get('/.well-known/jwks.json', { token: null })).body.keys as { kid: string }[];
    expect(before).toHaveLength(1);
    await page.goto(`${server.baseUrl}/console/Connections`);
    const rows = page.locator('#keys tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    expect(await rows.first().getAttribute('data-kid')).toBe(before[0].kid);

    // The browser refuses the form without the confirmation ticked; the server does too.
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await expect(rows.count()).resolves.toBe(1);
    const csrf = await page
      .locator('form[action="/console/Connections/Keys/Rotate"] input[name=csrf_token]')
      .inputValue();
    const unconfirmed = await page.request.post(`${server.baseUrl}/console/Connections/Keys/Rotate`, {
      form: { csrf_token: csrf },
    });
    expect(unconfirmed.status()).toBe(400);
    const forged = await page.request.post(`${server.baseUrl}/console/Connections/Keys/Rotate`, {
      form: { confirm: 'yes' },
    });
    expect(forged.status()).toBe(403);
    expect((await server.get('/.well-known/jwks.json', { token: null })).body.keys).toHaveLength(1);

    await page.getByLabel('Yes, sign new tokens with a new key', { exact: false }).check();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.waitForURL(/rotated=1/);
    expect(await page.locator('p.state.ok').innerText()).toContain('Signing key rotated');
    await expect(rows.count()).resolves.toBe(2);
    expect(await rows.nth(0).locator('.key-status').innerText()).toContain('Active');
    expect(await rows.nth(1).getAttribute('data-kid')).toBe(before[0].kid);
    expect(await rows.nth(1).locator('.key-status').innerText()).toContain('Retired');
    const after = (await server.get('/.well-known/jwks.json', { token: null })).body.keys as { kid: string }[];
    expect(after.map((k) => k.kid).sort()).toEqual([before[0].kid, await rows.nth(0).getAttribute('data-kid')].sort());
  });

  it('sorts the users list by a column, both ways, keeping the search and the order across pages', async () => {
    const { page } = opened;
    for (const name of ['carol', 'alice', 'bob']) {
      expect((await server.post('/v2/Users', { userName: `${name}@sort.example` })).status).toBe(201);
    }
    await page.goto(`${server.baseUrl}/console/Users?q=${encodeURIComponent('sort.example')}`);
    const names = () => page.locator('#results tbody tr td:first-child').allInnerTexts();
    await page.locator('th a.sort[data-sort-by="userName"]').click();
    await page.waitForURL(/sortOrder=ascending/);
    expect(await names()).toEqual(['alice@sort.example', 'bob@sort.example', 'carol@sort.example']);
    expect(await page.locator('th[aria-sort]').getAttribute('aria-sort')).toBe('ascending');
    expect(new URL(page.url()).searchParams.get('q')).toBe('sort.example');
    await page.locator('th a.sort[data-sort-by="userName"]').click();
    await page.waitForURL(/sortOrder=descending/);
    expect(await names()).toEqual(['carol@sort.example', 'bob@sort.example', 'alice@sort.example']);
    // The search box keeps the order while typing.
    await page.getByLabel('Search by name or e-mail', { exact: false }).fill('o');
    await page.locator('#results tbody tr', { hasText: 'ada@example.com' }).waitFor({ timeout: 15_000 });
    expect(await names()).toEqual(['carol@sort.example', 'bob@sort.example', 'alice@sort.example', 'ada@example.com']);
  });

  it("shows a group's logo on its page, served to the signed-in administrator only", async () => {
    const { page } = opened;
    const group = await server.post('/v2/Groups', { displayName: 'Pilots' });
    const put = await server.request('PUT', `/v2/Groups/${group.body.id}/Logo`, {
      raw: png(8, 8),
      headers: { 'content-type': 'image/png' },
    });
    expect(put.status).toBe(200);
    await page.goto(`${server.baseUrl}/console/Groups/${group.body.id}`);
    const logo = page.locator('#group-logo');
    expect(await logo.getAttribute('alt')).toBe('Logo of Pilots');
    // The test images are headers only (nothing decodes their pixels), so compare the bytes served.
    const served = await page.request.get(new URL((await logo.getAttribute('src'))!, server.baseUrl).toString());
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toBe('image/png');
    expect(Buffer.from(await served.body()).equals(png(8, 8))).toBe(true);
    const anonymous = await fetch(`${server.baseUrl}/console/Groups/${group.body.id}/Logo`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/v2\/Login\?return_to=/);
    const noLogo = await server.post('/v2/Groups', { displayName: 'Sailors' });
    await page.goto(`${server.baseUrl}/console/Groups/${noLogo.body.id}`);
    await expect(page.locator('#group-logo').count()).resolves.toBe(0);
    expect(opened.diagnostics.consoleErrors).toEqual([]);
  });
});
