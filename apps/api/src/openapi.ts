import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from './config';

export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('Roster')
    .setDescription(
      'A SCIM 2.0 directory service (RFC 7643, RFC 7644). Identity providers provision users and groups into it; ' +
        'applications read it; AI assistants use it through MCP. Authenticate with a bearer token (an API token, ' +
        'the admin token, or an OAuth access token). SCIM responses use `application/scim+json`; every error is ' +
        'an RFC 7644 §3.12 error document.',
    )
    .setVersion('1.0')
    .addServer(config.publicUrl)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API token, admin token or OAuth access token' })
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
  return document;
}
