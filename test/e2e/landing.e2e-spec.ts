import { startServer, TestServer } from '../support/app';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

function expectStrictPage(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('content-type')).toMatch(/^text\/html/);
  expect(headers.get('vary')).toMatch(/accept/i);
}

describe('Landing page at / and /v2', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a browser at / with a page naming the SCIM base URL, the MCP URL, the links and the health', async () => {
    const page = await server.get('/', { token: null, headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expectStrictPage(page.headers);
    expect(page.text).toContain(`<code id="scim-base-url">${server.baseUrl}/v2</code>`);
    expect(page.text).toContain(`<code id="mcp-url">${server.baseUrl}/v2/mcp</code>`);
    expect(page.text).toContain('href="/console"');
    expect(page.text).toContain('href="/docs"');
    expect(page.text).toContain('href="/docs/openapi.json"');
    expect(page.text).toMatch(
      /id="health-state" class="state ok"[^>]*>\s*Ready: the database \((pglite|postgres)\) answers\./,
    );
    // No script, no external asset: the only stylesheet is Roster's own.
    expect(page.text).not.toMatch(/<script/i);
    expect(page.text).not.toMatch(/(src|href)="https?:/);
  });

  it('still answers SCIM clients at / with the ServiceProviderConfig', async () => {
    for (const accept of [
      undefined,
      '*/*',
      'application/scim+json',
      'application/json',
      'application/scim+json, text/html',
    ]) {
      const response = await server.get('/', { token: null, headers: accept ? { accept } : {} });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(response.body.schemas).toEqual([SPC]);
    }
  });

  it('answers a browser at /v2 (and /v2/) with the same page', async () => {
    for (const path of ['/v2', '/v2/']) {
      const page = await server.get(path, { token: null, headers: { accept: BROWSER_ACCEPT } });
      expect(page.status).toBe(200);
      expectStrictPage(page.headers);
      expect(page.text).toContain(`<code id="scim-base-url">${server.baseUrl}/v2</code>`);
    }
  });

  it('answers a SCIM client at /v2 with a SCIM 404 that lists the resource endpoints', async () => {
    const response = await server.get('/v2', { headers: { accept: 'application/scim+json' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(response.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(response.body.status).toBe('404');
    for (const endpoint of [
      '/v2/Users',
      '/v2/Groups',
      '/v2/Bulk',
      '/v2/Me',
      '/v2/ServiceProviderConfig',
      '/v2/Schemas',
    ]) {
      expect(response.body.detail).toContain(endpoint);
    }
    // Without a token too: it describes the API, like discovery.
    expect((await server.get('/v2', { token: null })).status).toBe(404);
  });
});

describe('Landing page with DISCOVERY_PUBLIC=false', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ DISCOVERY_PUBLIC: 'false' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('keeps the ServiceProviderConfig at / behind a token, but shows the page to a browser', async () => {
    const anonymous = await server.get('/', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await server.get('/', { token: 'not-a-token' })).status).toBe(401);
    const withToken = await server.get('/');
    expect(withToken.status).toBe(200);
    expect(withToken.body.schemas).toEqual([SPC]);
    const page = await server.get('/', { token: null, headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Roster');
  });
});
