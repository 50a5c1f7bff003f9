import { Browser } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';

jest.setTimeout(120_000);

describe('Landing page in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let desktop: OpenedPage;
  let phone: OpenedPage;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer();
    desktop = await openPage(browser);
    phone = await openPage(browser, { width: 375, height: 740 });
  });

  afterAll(async () => {
    await desktop?.context.close();
    await phone?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('shows what Roster is, its URLs and its health at /, styled by its own stylesheet', async () => {
    const { page } = desktop;
    const response = await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Roster directory');
    expect(await page.locator('#scim-base-url').innerText()).toBe(`${server.baseUrl}/v2`);
    expect(await page.locator('#mcp-url').innerText()).toBe(`${server.baseUrl}/v2/mcp`);
    expect(await page.locator('#health-state').innerText()).toMatch(/^Ready/);
    // The stylesheet applied under the strict CSP: the card has its border and background.
    const background = await page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor");
    expect(background).toBe('rgb(255, 255, 255)');
  });

  it('links to the API documentation, which opens', async () => {
    const { page } = desktop;
    await page.goto(`${server.baseUrl}/v2`, { waitUntil: 'load' });
    await page.getByRole('link', { name: 'API documentation' }).click();
    await page.waitForURL(`${server.baseUrl}/docs**`);
    await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible', timeout: 15_000 });
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const { page } = phone;
    await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('#scim-base-url').isVisible()).toBe(true);
  });

  it('needed nothing from outside and broke no CSP rule', () => {
    for (const { diagnostics } of [desktop, phone]) {
      expect(diagnostics.pageErrors).toEqual([]);
      expect(diagnostics.blockedRequests).toEqual([]);
      expect(diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    }
  });
});
