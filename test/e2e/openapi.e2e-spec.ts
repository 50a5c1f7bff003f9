import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RouteTable } from '../../apps/api/src/common/route-table';
import { OPENAPI_SERVER } from '../../apps/api/src/openapi-constants';
import { startServer, TestServer } from '../support/app';

const COMMITTED = join(__dirname, '..', '..', 'docs', 'openapi.json');
/** Browser pages (HTML, not API), deliberately left out of the document. */
const PAGES = new Set([
  'GET /v2/Login',
  'POST /v2/Login',
  'GET /v2/Login/Assets/roster.css',
  'GET /v2/Login/SignedIn',
  'GET /v2/Login/SignedOut',
  'POST /v2/Login/SignOut',
  'POST /v2/Login/Oidc',
  'GET /v2/Login/Oidc/Callback',
  'POST /v2/Login/Oauth2/Authorize',
]);

describe('OpenAPI document', () => {
  let server: TestServer;
  let live: Record<string, any>;

  beforeAll(async () => {
    server = await startServer();
    live = (await server.get('/docs/openapi.json', { token: null })).body;
  });
  afterAll(async () => {
    await server.close();
  });

  it('matches the committed docs/openapi.json (run `npm run openapi:generate` after changing the API)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect({ ...live, servers: [{ url: OPENAPI_SERVER }] }).toEqual(committed);
  });

  it('documents every route the server registers, with bearer security on protected SCIM routes', () => {
    const documented = new Set(
      Object.entries(live.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    const routes = server.app.get(RouteTable);
    const missing = routes
      .list()
      .filter(({ method, url }) => method !== 'HEAD' && method !== 'OPTIONS' && !url.startsWith('/docs'))
      .map(({ method, url }) => `${method} ${url}`)
      .filter((route) => !documented.has(route) && !PAGES.has(route));
    expect(missing).toEqual([]);
    for (const page of PAGES) {
      const [method, path] = page.split(' ');
      expect(live.paths[path]?.[method.toLowerCase()]).toBeUndefined();
    }
    expect(live.paths['/v2/Login/Oauth2/Authorize'].get).toBeDefined();
    expect(live.paths['/v2/Users'].get.security).toEqual([{ bearer: [] }]);
    expect(live.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('shows SCIM request and response examples', () => {
    const create = live.paths['/v2/Users'].post;
    expect(create.requestBody.content['application/scim+json'].schema.example.userName).toBeDefined();
    expect(create.responses['201'].content['application/scim+json'].example.meta.resourceType).toBe('User');
    expect(live.paths['/v2/Groups/{id}'].patch.responses['204']).toBeDefined();
  });
});
