import { runCli } from '../../apps/cli/src/cli';
import { startServer, TestServer } from '../support/app';

/** The console's one-time sign-in link for the admin token holder, printed by `roster console link`. */
describe('Console sign-in link (roster console link)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function printLink(): Promise<string> {
    let stdout = '';
    const code = await runCli(['console', 'link'], {
      env: { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken, LOG_LEVEL: 'silent' },
      stdout: (text) => (stdout += text),
      stderr: () => undefined,
      cwd: process.cwd(),
    });
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { url: string; expires_at: string };
    expect(new Date(printed.expires_at).getTime()).toBeGreaterThan(Date.now());
    return printed.url;
  }

  const open = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  it('opens a console session once, for the admin token holder', async () => {
    const url = await printLink();
    expect(url.startsWith(`${server.baseUrl}/console/Link?code=`)).toBe(true);
    const first = await open(url);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/console/Users');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^roster_session=/);

    const users = await open(`${server.baseUrl}/console/Users`, cookie);
    expect(users.status).toBe(200);
    expect(await users.text()).toContain('Admin token holder');

    // Used once: a second visit is refused and opens nothing.
    const again = await open(url);
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a made-up or malformed code', async () => {
    for (const code of ['A'.repeat(43), 'short', '']) {
      expect((await open(`${server.baseUrl}/console/Link?code=${code}`)).status).toBe(403);
    }
  });

  it('needs roster.admin to make a link', async () => {
    expect((await server.post('/admin/console/links', undefined, { token: null })).status).toBe(401);
    const reader = (await server.post('/admin/tokens', { name: 'reader', scope: 'scim.read scim.write' })).body.token;
    expect((await server.post('/admin/console/links', undefined, { token: reader })).status).toBe(403);
  });

  it('still needs the CSRF token on the forms of a link session', async () => {
    const first = await open(await printLink());
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    const user = (await server.post('/v2/Users', { userName: 'linked@example.com' })).body;
    const post = await fetch(`${server.baseUrl}/console/Users/${user.id}/Active`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'version=1&active=false',
    });
    expect(post.status).toBe(403);
    expect((await server.get(`/v2/Users/${user.id}`)).body.active).toBe(true);
  });
});
