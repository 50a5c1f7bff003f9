import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SchemaRegistry } from '@roster/scim';
import { AppConfig } from './config';
import { SET_COMPONENT_SCHEMAS } from './events/sets/set-openapi';
import { OAUTH_COMPONENT_SCHEMAS } from './openapi-oauth-schemas';
import { WEBHOOK_COMPONENT_SCHEMAS } from './webhooks/webhooks.openapi';
import { registryComponentSchemas } from './openapi-schemas';
import { versionInfo } from './ops/version';

/** The order of the Swagger UI's sections: what SCIM clients use first, plumbing last. */
export const TAG_ORDER: { name: string; description: string }[] = [
  { name: 'Users', description: 'SCIM users (RFC 7644 §3).' },
  { name: 'Groups', description: 'SCIM groups, their members and logos.' },
  { name: 'Bulk', description: 'Many operations in one request (RFC 7644 §3.7).' },
  { name: 'Search', description: 'POST /v2/.search across Users and Groups (RFC 7644 §3.4.3).' },
  { name: 'Me', description: 'The user the token belongs to (RFC 7644 §3.11).' },
  { name: 'Discovery', description: 'ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 §4).' },
  { name: 'MCP', description: 'The Model Context Protocol endpoint for AI assistants.' },
  { name: 'OAuth', description: 'Authorization server: metadata, authorization, token, registration, revocation.' },
  { name: 'Administration', description: 'OAuth clients, API tokens, grants, signing keys (scope roster.admin).' },
  {
    name: 'Events',
    description:
      'Change events: the feed and the history of a resource (scope roster.admin or roster.events); SCIM security events by RFC 8936 poll.',
  },
  {
    name: 'Webhooks',
    description:
      'Webhook subscriptions, their delivery log and replay (scope roster.admin; see the README, "Webhooks").',
  },
  { name: 'Operations', description: 'Health, readiness, version and metrics.' },
];

export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('Roster')
    .setDescription(
      'A SCIM 2.0 directory service (RFC 7643, RFC 7644). Identity providers provision users and groups into it; ' +
        'applications read it; AI assistants use it through MCP. Authenticate with a bearer token (an API token, ' +
        'the admin token, or an OAuth access token). SCIM responses use `application/scim+json`; every error is ' +
        'an RFC 7644 §3.12 error document.',
    )
    .setVersion(versionInfo().version)
    .addServer(config.publicUrl)
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description:
        'An opaque API token (created with `roster tokens create` or POST /admin/tokens), the admin token, ' +
        'or an OAuth access token from the token endpoint.',
    })
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          "Roster's own authorization server: authorization code with PKCE (S256) for people signing in, client " +
          'credentials for registered machine clients. On this page, Authorize with the authorization code flow ' +
          'uses the built-in public client `roster-api-docs` (no secret) and signs you in in a pop-up.',
        flows: {
          authorizationCode: {
            authorizationUrl: '/v2/Login/Oauth2/Authorize',
            tokenUrl: '/v2/Login/Oauth2/Token',
            refreshUrl: '/v2/Login/Oauth2/Token',
            scopes: {
              'scim.read': 'Read users and groups',
              'scim.write': 'Create, change and delete users and groups',
              offline_access: 'A refresh token',
            },
          },
          clientCredentials: {
            tokenUrl: '/v2/Login/Oauth2/Token',
            scopes: {
              'scim.read': 'Read users and groups',
              'scim.write': 'Create, change and delete users and groups',
              'roster.admin': 'Manage clients, tokens, keys and webhooks',
              'roster.events': 'Read the change log (events and history), nothing else',
            },
          },
        },
      },
      'oauth2',
    )
    .build();
  const document = SwaggerModule.createDocument(app, options, { deepScanRoutes: true });
  if (config.ops.metrics.enabled && config.ops.metrics.port === undefined) {
    // Served by a Fastify route of its own (ops/observability.ts), so Nest's scanner does not see it.
    document.paths['/metrics'] = {
      get: {
        tags: ['Operations'],
        summary: 'Prometheus metrics (text exposition format); scope roster.admin unless METRICS_PUBLIC=true.',
        operationId: 'metrics',
        ...(config.ops.metrics.public ? {} : { security: [{ bearer: [] }] }),
        responses: {
          '200': {
            description: 'The metrics.',
            content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
          },
          '401': { description: 'No token, or not a valid one.' },
          '403': { description: 'The token lacks roster.admin.' },
        },
      },
    };
  }
  document.components = {
    ...document.components,
    schemas: {
      ...registryComponentSchemas(app.get(SchemaRegistry)),
      ...OAUTH_COMPONENT_SCHEMAS,
      ...SET_COMPONENT_SCHEMAS,
      ...WEBHOOK_COMPONENT_SCHEMAS,
      ...document.components?.schemas,
    },
  };
  // DocumentBuilder names every bearer scheme a JWT; Roster's API tokens are opaque.
  const bearer = document.components.securitySchemes?.bearer;
  if (bearer && 'bearerFormat' in bearer) {
    delete bearer.bearerFormat;
  }
  return orderAndPrune(document);
}

/**
 * The document `/docs/openapi.json` serves: the one built at start, plus what the schema registry
 * holds now, so extensions registered at run time (/admin/schemas) appear as component schemas,
 * and in User and Group, as soon as this instance has loaded them. Rebuilt only when they change.
 */
export function liveOpenApiDocument(document: OpenAPIObject, registry: SchemaRegistry): () => OpenAPIObject {
  let key = '';
  let live = document;
  return () => {
    const custom = registry.customExtensions();
    if (!custom.length) {
      return document;
    }
    const next = JSON.stringify(custom);
    if (next !== key) {
      const built = document.components?.schemas ?? {};
      const fresh = registryComponentSchemas(registry);
      const added = Object.fromEntries(
        Object.entries(fresh).filter(([name]) => name === 'User' || name === 'Group' || !(name in built)),
      );
      live = { ...document, components: { ...document.components, schemas: { ...built, ...added } } };
      key = next;
    }
    return live;
  };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'trace'] as const;
type PathItem = OpenAPIObject['paths'][string];

function operationsOf(item: PathItem) {
  return METHODS.map((m) => item[m]).filter((op) => op !== undefined);
}

/**
 * CORS preflight (OPTIONS) routes are left out: no client calls them on purpose. Paths are listed
 * in the order of their first operation's tag, so the document reads like the UI.
 */
function orderAndPrune(document: OpenAPIObject): OpenAPIObject {
  const rank = (tag: string | undefined) => {
    const at = TAG_ORDER.findIndex((t) => t.name === tag);
    return at < 0 ? TAG_ORDER.length : at;
  };
  const kept = Object.entries(document.paths)
    .map(([path, item]): [string, PathItem] => {
      const rest = { ...item };
      delete rest.options;
      return [path, rest];
    })
    .filter(([, item]) => operationsOf(item).length > 0);
  const sorted = kept
    .map((entry, index) => ({ entry, index, rank: rank(operationsOf(entry[1])[0]?.tags?.[0]) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ entry }) => entry);
  const used = new Set(sorted.flatMap(([, item]) => operationsOf(item).flatMap((op) => op.tags ?? [])));
  const others = [...used].filter((t) => rank(t) === TAG_ORDER.length).sort();
  return {
    ...document,
    tags: [...TAG_ORDER.filter((t) => used.has(t.name)), ...others.map((name) => ({ name }))],
    paths: Object.fromEntries(sorted),
  };
}
