import { PrismaService } from '@roster/db';
import { Browser } from 'playwright-core';
import { startServer, TestServer } from '../support/app';
import { launchChromium, openPage, OpenedPage } from '../support/browser';
import { signInThroughPage } from '../support/oauth-browser';

jest.setTimeout(300_000);

const UI_TIMEOUT = 30_000;
const MEMBERS = 100_000;

describe('Console Groups in a real browser, on a group of 100,000 members', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;
  let bigId: string;
  let carolId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startServer();
    const ada = await server.post('/v2/Users', { userName: 'ada@example.com', password: 'ada-secret-1' });
    expect(
      (await server.post('/v2/Groups', { displayName: 'Roster Admins', members: [{ value: ada.body.id }] })).status,
    ).toBe(201);
    const carol = await server.post('/v2/Users', { userName: 'carol@example.com', displayName: 'Carol Newcomer' });
    carolId = carol.body.id;
    const big = await server.post('/v2/Groups', { displayName: 'Everyone' });
    bigId = big.body.id;
    // 100,000 users and their memberships, by SQL: the same rows the services write.
    const db = server.app.get(PrismaService).client;
    await db.$executeRawUnsafe(
      `INSERT INTO users (id, user_name, display_name, active, doc, version, created, last_modified)
       SELECT md5('console-user-' || i)::uuid, 'member' || i || '@example.com', 'Member ' || i, true,
              jsonb_build_object('userName', 'member' || i || '@example.com', 'displayName', 'Member ' || i, 'active', true),
              1, now(), now()
       FROM generate_series(1, $1::int) AS i`,
      MEMBERS,
    );
    await db.$executeRawUnsafe(
      `INSERT INTO group_members (group_id, member_id, member_type, user_id, display)
       SELECT $1::uuid, md5('console-user-' || i)::uuid, 'User', md5('console-user-' || i)::uuid, 'Member ' || i
       FROM generate_series(1, $2::int) AS i`,
      bigId,
      MEMBERS,
    );
    await db.$executeRawUnsafe('ANALYZE group_members');
    opened = await openPage(browser);
    await opened.page.goto(`${server.baseUrl}/console/Groups`);
    await signInThroughPage(opened.page, 'ada@example.com', 'ada-secret-1');
    await opened.page.waitForURL(`${server.baseUrl}/console/Groups`);
  });

  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('finds the group by typing and shows one page of its members with the total', async () => {
    const { page } = opened;
    await page.getByLabel('Search by name, or a SCIM filter').pressSequentially('every', { delay: 30 });
    await page.locator('#result-count', { hasText: /^1 group found$/ }).waitFor({ timeout: UI_TIMEOUT });
    await page.locator('#results a', { hasText: 'Everyone' }).click();
    await page.waitForURL(`${server.baseUrl}/console/Groups/${bigId}`);
    expect(await page.locator('#member-count').innerText()).toBe(String(MEMBERS));
    await expect(page.locator('#members tbody tr').count()).resolves.toBe(50);
    // Keyset paging: the next page starts after the last member shown, and differs from the first.
    const first = await page.locator('#members tbody tr').first().innerText();
    await page.locator('#next-page').click();
    await page.waitForURL(/after=/);
    await expect(page.locator('#members tbody tr').count()).resolves.toBe(50);
    expect(await page.locator('#members tbody tr').first().innerText()).not.toBe(first);
  });

  it('adds a member by user name and removes them again, through the SCIM service', async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/console/Groups/${bigId}`);
    await page.getByLabel('User name').fill('carol@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('p.state.ok', { hasText: 'Member added.' }).waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('#member-count').innerText()).toBe(String(MEMBERS + 1));
    const filter = encodeURIComponent(`members[value eq "${carolId}"]`);
    const withCarol = await server.get(`/v2/Groups?filter=${filter}&excludedAttributes=members`);
    expect(withCarol.body.Resources.map((g: { id: string }) => g.id)).toEqual([bigId]);

    // Carol is on whichever page her id falls; remove her from the group's page through the form.
    const version = (await server.get(`/v2/Groups/${bigId}?excludedAttributes=members`)).body.meta.version.replace(
      /\D/g,
      '',
    );
    const csrf = await page.locator('input[name=csrf_token]').first().getAttribute('value');
    const status = await page.evaluate(
      `fetch('/console/Groups/${bigId}/Members/Remove', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf_token: ${JSON.stringify(csrf)}, version: '${version}', member: '${carolId}' }) }).then((r) => r.status)`,
    );
    expect(status).toBe(200);
    expect((await server.get(`/v2/Groups?filter=${filter}&excludedAttributes=members`)).body.totalResults).toBe(0);
    await page.reload();
    expect(await page.locator('#member-count').innerText()).toBe(String(MEMBERS));
  });

  it('removes a member with the Remove button on the page', async () => {
    const { page } = opened;
    await page.goto(`${server.baseUrl}/console/Groups/${bigId}`);
    const firstRow = page.locator('#members tbody tr').first();
    const name = (await firstRow.locator('td').first().innerText()).trim();
    await firstRow.getByRole('button', { name: `Remove ${name}` }).click();
    await page.locator('p.state.ok', { hasText: 'Member removed.' }).waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('#member-count').innerText()).toBe(String(MEMBERS - 1));
    expect(await page.locator('#members').innerText()).not.toContain(`${name}\n`);
  });

  it('refuses a removal without the CSRF token', async () => {
    const { page } = opened;
    const status = await page.evaluate(
      `fetch('/console/Groups/${bigId}/Members/Remove', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'version=1&member=${carolId}' }).then((r) => r.status)`,
    );
    expect(status).toBe(403);
  });

  it('broke no CSP rule', () => {
    expect(opened.diagnostics.pageErrors).toEqual([]);
    expect(opened.diagnostics.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
