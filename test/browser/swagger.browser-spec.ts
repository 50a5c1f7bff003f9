import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Browser, Locator, Page } from 'playwright-core';
import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';

const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const SCREENSHOT = join(__dirname, '../../test-results/swagger.png');
const UI_TIMEOUT = 15_000;

jest.setTimeout(120_000);

/** An operation block of the Swagger UI, found by its method and exact path. */
function operation(page: Page, method: string, path: string): Locator {
  return page
    .locator('.opblock')
    .filter({ has: page.locator('.opblock-summary-method', { hasText: new RegExp(`^${method}$`, 'i') }) })
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/** The response the UI shows for the last Execute ("Server response"), not the documented ones. */
interface LiveResponse {
  status: string;
  /** Swagger UI marks codes that the document does not list for the operation. */
  undocumented: boolean;
  body: string;
  curl: string;
}

/** Clears any previous result, clicks Execute, and waits for the live response to be shown. */
async function execute(op: Locator): Promise<LiveResponse> {
  const clear = op.locator('.btn-clear');
  if (await clear.isVisible()) {
    await clear.click();
  }
  const live = op.locator('.responses-wrapper .live-responses-table .response').first();
  // Swagger UI refuses to send a request whose required parameters are empty, and says so in this box.
  const invalid = op.locator('.validation-errors');
  await expect(live.count()).resolves.toBe(0);
  await op.locator('.execute').click();
  try {
    await live.or(invalid).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  } catch (error) {
    // Say what the UI shows instead (an error, a spinner, nothing), which a timeout alone does not.
    const shown = await op.locator('.opblock-body').innerText();
    throw new Error(`No live response after Execute. The operation shows:\n${shown.slice(0, 4000)}`, { cause: error });
  }
  if (await invalid.isVisible()) {
    throw new Error(`Swagger UI did not send the request: ${(await invalid.innerText()).replace(/\s+/g, ' ')}`);
  }
  const status = (await live.locator('.response-col_status').innerText()).trim();
  return {
    // The cell reads "401", or "401 Undocumented" for a code that the document does not list.
    status: status.split(/\s+/)[0],
    undocumented: /undocumented/i.test(status),
    body: await live.locator('.response-col_description .highlight-code').first().innerText(),
    curl: await op.locator('.curl-command').innerText(),
  };
}

async function openAuthorizeDialog(page: Page): Promise<Locator> {
  await page.locator('.scheme-container .btn.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  return dialog;
}

async function closeDialog(dialog: Locator): Promise<void> {
  // One Close button per security scheme (bearer, OAuth 2.0 flows); any of them closes the dialog.
  await dialog.locator('.btn-done').first().click();
  await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

describe('Swagger UI in a real browser (DISCOVERY_PUBLIC=false)', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let spc: Locator;

  beforeAll(async () => {
    // Launch first: a missing browser fails the suite at once, with the install hint.
    browser = await launchChromium();
    server = await startServer({ DISCOVERY_PUBLIC: 'false' });
    opened = await openPage(browser);
    page = opened.page;
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('really needs a token for the ServiceProviderConfig in this configuration', async () => {
    expect((await server.get('/v2/ServiceProviderConfig', { token: null })).status).toBe(401);
    expect((await server.get('/v2/ServiceProviderConfig')).status).toBe(200);
  });

  it('renders the UI with the title and the operations', async () => {
    const response = await page.goto(`${server.baseUrl}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    // The UI below works under the page's Content-Security-Policy (issue 10, finding 9).
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });

    expect(await page.title()).toBe('Roster API');
    expect(await page.locator('.swagger-ui .info .title').innerText()).toMatch(/^Roster\b/);
    expect(await page.locator('.swagger-ui .errors-wrapper').count()).toBe(0);
    expect(await page.locator('.scheme-container .btn.authorize').isVisible()).toBe(true);

    for (const [method, path] of [
      ['GET', '/v2/ServiceProviderConfig'],
      ['GET', '/v2/Users'],
      ['POST', '/v2/Users'],
    ]) {
      const op = operation(page, method, path);
      await expect(op.count()).resolves.toBe(1);
      expect(await op.locator('.opblock-summary').isVisible()).toBe(true);
    }
    spc = operation(page, 'GET', '/v2/ServiceProviderConfig');
  });

  it('shows 401 on Execute before the user authorizes', async () => {
    await spc.locator('.opblock-summary').click();
    await spc.locator('.try-out__btn').click();
    const result = await execute(spc);
    expect(result.curl).not.toMatch(/authorization/i);
    expect(result.status).toBe('401');
    expect(result.body).toContain('urn:ietf:params:scim:api:messages:2.0:Error');
  });

  it('authorizes with the admin token, then Execute shows the live 200 ServiceProviderConfig', async () => {
    const dialog = await openAuthorizeDialog(page);
    await dialog.locator('input[aria-label="auth-bearer-value"]').fill(ADMIN_TOKEN);
    await dialog.locator('.auth-btn-wrapper button[aria-label="Apply credentials"]').click();
    // Once authorized, the dialog offers Logout instead of Authorize.
    await dialog
      .locator('.auth-btn-wrapper button[aria-label="Remove authorization"]')
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await closeDialog(dialog);
    expect(await page.locator('.scheme-container .btn.authorize').getAttribute('class')).toMatch(/\blocked\b/);

    try {
      const result = await execute(spc);
      expect(result.curl).toContain(`Authorization: Bearer ${ADMIN_TOKEN}`);
      expect(result.status).toBe('200');
      expect(result.undocumented).toBe(false);
      expect(result.body).toContain(SPC);
    } finally {
      // What a developer sees at this point, whether it worked or not.
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
  });

  it('shows 401 again after logout', async () => {
    const dialog = await openAuthorizeDialog(page);
    await dialog.locator('.auth-btn-wrapper button[aria-label="Remove authorization"]').click();
    await dialog.locator('input[aria-label="auth-bearer-value"]').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await closeDialog(dialog);

    const result = await execute(spc);
    expect(result.curl).not.toMatch(/authorization/i);
    expect(result.status).toBe('401');
  });

  it('threw no error in the page and needed nothing from outside this machine', () => {
    expect(opened.diagnostics.pageErrors).toEqual([]);
    expect(opened.diagnostics.blockedRequests).toEqual([]);
    // A CSP violation is reported on the console ("Refused to load / execute / apply ...").
    expect(opened.diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
