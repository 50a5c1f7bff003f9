import { readFileSync } from 'node:fs';
import { SchemaRegistry } from '@roster/scim';
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
  'GET /console',
  'GET /console/Assets/console.js',
  'GET /console/Users',
  'GET /console/Users/:id',
  'POST /console/Users/:id/Active',
  'GET /console/Groups',
  'GET /console/Groups/:id',
  'GET /console/Groups/:id/Logo',
  'POST /console/Connections/Keys/Rotate',
  'POST /console/Groups/:id/Members',
  'POST /console/Groups/:id/Members/Remove',
  'GET /console/Link',
  'GET /console/Connections',
  'POST /console/Connections/Tokens',
  'POST /console/Connections/Tokens/:id/Revoke',
  'POST /console/Connections/Clients/:id/Revoke',
  'POST /console/Connections/Grants/:id/Revoke',
  'GET /console/activity',
  'GET /console/schemas',
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
    expect(live.paths['/v2/Users'].get.security).toEqual([{ bearer: [] }, { oauth2: ['scim.read'] }]);
    expect(live.paths['/v2/Users'].post.security).toEqual([{ bearer: [] }, { oauth2: ['scim.write'] }]);
    expect(live.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // API tokens are opaque, not JWTs.
    expect(live.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
    const oauth = live.components.securitySchemes.oauth2;
    expect(oauth.type).toBe('oauth2');
    // Relative to the server, so that the document does not depend on who generated it.
    expect(oauth.flows.authorizationCode).toMatchObject({
      authorizationUrl: '/v2/Login/Oauth2/Authorize',
      tokenUrl: '/v2/Login/Oauth2/Token',
    });
    expect(oauth.flows.clientCredentials.tokenUrl).toBe('/v2/Login/Oauth2/Token');
  });

  it('shows SCIM request and response examples', () => {
    const create = live.paths['/v2/Users'].post;
    expect(create.requestBody.content['application/scim+json'].schema).toEqual({ $ref: '#/components/schemas/User' });
    expect(create.requestBody.content['application/scim+json'].examples.example.value.userName).toBeDefined();
    expect(create.responses['201'].content['application/scim+json'].example.meta.resourceType).toBe('User');
    expect(live.paths['/v2/Groups/{id}'].patch.responses['204']).toBeDefined();
  });

  it('lists the sections in order, without OPTIONS routes, with the package version', () => {
    expect(live.tags.map((t: { name: string }) => t.name)).toEqual([
      'Users',
      'Groups',
      'Bulk',
      'Search',
      'Me',
      'Discovery',
      'MCP',
      'OAuth',
      'Administration',
      'Events',
      'Webhooks',
      'Operations',
    ]);
    expect(Object.keys(live.paths)[0]).toBe('/v2/Users');
    for (const item of Object.values(live.paths as Record<string, object>)) {
      expect(Object.keys(item)).not.toContain('options');
    }
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(live.info.version).toBe(pkg.version);
  });

  it('generates User, Group and EnterpriseUser from the schema registry', () => {
    const registry = server.app.get(SchemaRegistry);
    const schemas = live.components.schemas;
    for (const type of ['User', 'Group'] as const) {
      const properties = Object.keys(schemas[type].properties);
      for (const attribute of [...registry.commonAttributes(), ...registry.coreSchema(type).attributes]) {
        expect(properties).toContain(attribute.name);
      }
      for (const extension of registry.extensionSchemas(type)) {
        expect(schemas[type].properties[extension.id].$ref).toMatch(/^#\/components\/schemas\//);
      }
    }
    expect(schemas.User.required).toEqual(['schemas', 'userName']);
    expect(schemas.User.properties.id.readOnly).toBe(true);
    expect(schemas.User.properties.password.writeOnly).toBe(true);
    expect(schemas.User.properties.emails.type).toBe('array');
    const enterprise = registry.schema('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')!;
    expect(Object.keys(schemas.EnterpriseUser.properties)).toEqual(enterprise.attributes.map((a) => a.name));
    for (const name of ['PatchOp', 'UserListResponse', 'SearchRequest', 'BulkRequest', 'BulkResponse', 'Error']) {
      expect(schemas[name]).toBeDefined();
    }
    for (const name of ['TokenResponse', 'OAuthError', 'ClientMetadata', 'ApiToken', 'GrantList']) {
      expect(schemas[name]).toBeDefined();
    }
  });

  it('types every SCIM request and response body by a component schema', () => {
    const untyped: string[] = [];
    for (const [path, item] of Object.entries(live.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        const bodies = [
          ['request', operation.requestBody?.content],
          ...Object.entries(operation.responses ?? {}).map(([status, r]: [string, any]) => [status, r.content]),
        ];
        for (const [what, content] of bodies) {
          const scim = content?.['application/scim+json'];
          if (scim && !scim.schema?.$ref) {
            untyped.push(`${method} ${path} ${what}`);
          }
        }
      }
    }
    expect(untyped).toEqual([]);
  });

  it('gives each error status its real example, 401 with WWW-Authenticate', () => {
    const responses = live.paths['/v2/Users/{id}'].put.responses;
    const example = (status: string) =>
      Object.values(responses[status].content['application/scim+json'].examples as Record<string, any>)[0].value;
    expect(responses['401'].headers['WWW-Authenticate'].example).toMatch(/^Bearer resource_metadata="/);
    expect(example('401').detail).toMatch(/Authorization: Bearer/);
    expect(example('404').detail).toMatch(/not found/);
    expect(example('409').scimType).toBe('uniqueness');
    expect(example('412').detail).toMatch(/current version/);
    const details = new Set(['400', '401', '403', '404', '409', '412', '500'].map((s) => example(s).detail));
    expect(details.size).toBe(7);
    for (const status of ['400', '401', '403', '404', '409', '412', '500']) {
      expect(example(status).status).toBe(status);
    }
    expect(live.paths['/v2/Bulk'].post.responses['413'].content['application/scim+json'].schema.$ref).toBe(
      '#/components/schemas/Error',
    );
  });
});
