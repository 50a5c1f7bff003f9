import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { Browser } from 'playwright-core';
import { RequestLogService } from '../../apps/api/src/request-log/request-log.service';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage } from '../support/browser';
import { TEST_KEK } from '../support/oauth';
import { signInThroughPage } from '../support/oauth-browser';

/** A real (decodable) PNG of size × size pixels in two colours, for the group logo. */
function logoPng(size = 64): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const inner = x > size / 4 && x < (size * 3) / 4 && y > size / 4 && y < (size * 3) / 4;
      row.set(inner ? [255, 255, 255] : [11, 92, 173], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Not a test suite: `npm run screenshots` writes every public and console page, at desktop and
 * phone widths, into screenshots/ (git-ignored) for a reviewer to look at.
 */
const OUT = resolve(__dirname, '../../screenshots');
const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: { width: 375, height: 740 } },
];

describe('screenshots', () => {
  let server: TestServer;
  let browser: Browser;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, REQUEST_LOG_FLUSH_MS: '60000' });
    const ada = await server.post('/v2/Users', {
      userName: 'ada@example.com',
      password: 'ada-secret-1',
      displayName: 'Ada Admin',
    });
    await server.post('/v2/Users', { userName: 'olga@example.com', password: 'olga-secret-1' });
    const babs = await server.post('/v2/Users', {
      userName: 'barbara.jensen@example.com',
      displayName: 'Babs Jensen',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'barbara.jensen@example.com', type: 'work', primary: true }],
      title: 'Tour Guide',
    });
    userId = babs.body.id;
    await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada.body.id }] });
    groupId = (await server.post('/v2/Groups', { displayName: 'Tour Guides', members: [{ value: userId }] })).body.id;
    await server.request('PUT', `/v2/Groups/${groupId}/Logo`, {
      raw: logoPng(),
      headers: { 'content-type': 'image/png' },
    });
    await server.patch(`/v2/Users/${userId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'title', value: 'Senior Tour Guide' }],
    });
    await server.post('/admin/schemas', {
      id: 'urn:example:params:scim:schemas:extension:badge:2.0:User',
      name: 'Badge',
      description: 'Building access badges',
      resourceType: 'User',
      attributes: [
        { name: 'badgeNumber', type: 'string', caseExact: true, uniqueness: 'server', description: 'Printed number' },
        { name: 'floors', type: 'integer', multiValued: true },
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const { name, viewport } of WIDTHS) {
    it(`every page at ${name} width`, async () => {
      const shoot = async (page: import('playwright-core').Page, file: string) =>
        page.screenshot({ path: `${OUT}/${file}-${name}.png`, fullPage: true });
      const { context, page } = await openPage(browser, viewport);
      await page.goto(`${server.baseUrl}/`);
      await shoot(page, '01-landing');
      await page.goto(`${server.baseUrl}/console/Users`);
      await page.waitForURL(/\/v2\/Login/);
      await shoot(page, '02-sign-in');
      await signInThroughPage(page, 'ada@example.com', 'ada-secret-1');
      await page.waitForURL(`${server.baseUrl}/console/Users`);
      await shoot(page, '03-console-users');
      await page.goto(`${server.baseUrl}/console/Users/${userId}`);
      await shoot(page, '04-console-user');
      await page.goto(`${server.baseUrl}/console/Groups`);
      await shoot(page, '05-console-groups');
      await page.goto(`${server.baseUrl}/console/Groups/${groupId}`);
      await shoot(page, '06-console-group');
      await page.goto(`${server.baseUrl}/console/Connections`);
      await shoot(page, '07-console-connections');
      await page.getByLabel('Name (who will use it)').fill(`okta-${name}`);
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.locator('#created-heading').waitFor();
      await shoot(page, '08-console-token-created');
      const token = (await page.locator('#new-token').inputValue()).trim();
      await server.post('/v2/Users', { userName: `from-okta-${name}@example.com` }, { token });
      // What "a user did not arrive" looks like: a duplicate and a filter Roster refused.
      await server.post('/v2/Users', { userName: `from-okta-${name}@example.com` }, { token });
      await server.get(`/v2/Users?filter=${encodeURIComponent('userName eq "someone@example.com" and')}`, { token });
      for (let i = 0; i < 5; i++) {
        await server.get('/v2/Users?count=10', { token });
      }
      await server.app.get(RequestLogService).flush();
      await page.goto(`${server.baseUrl}/console/activity`);
      await shoot(page, '09-console-activity');
      await page.locator('section.connection details.counts summary').first().click();
      await page.getByRole('link', { name: `All errors of okta-${name}` }).click();
      await page.locator('section.connection details.counts summary').first().click();
      await shoot(page, '09b-console-activity-connection');
      await page.goto(`${server.baseUrl}/console/schemas`);
      await shoot(page, '10-console-schemas');
      await context.close();

      const refused = await openPage(browser, viewport);
      await refused.page.goto(`${server.baseUrl}/console/Users`);
      await signInThroughPage(refused.page, 'olga@example.com', 'olga-secret-1');
      await refused.page.waitForURL(`${server.baseUrl}/console/Users`);
      await shoot(refused.page, '11-console-refused');
      await refused.context.close();
    });
  }
});
