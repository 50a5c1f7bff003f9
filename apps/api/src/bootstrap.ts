import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { AppModule } from './app.module';
import { RouteTable } from './common/route-table';
import { AppConfig } from './config';
import { createLogger, PinoNestLogger } from './logger';
import { buildOpenApiDocument } from './openapi';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CreateAppOptions {
  logger?: Logger;
}

/**
 * Builds the application exactly as `main.ts` runs it; tests use this too, so that body
 * parsing, routing rules, error envelopes and docs behave the same everywhere.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const routes = new RouteTable();
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimit,
    // RFC 7644 paths are case-sensitive in theory; real clients send /users and /Users/.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerBodyParsers(fastify);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, routes), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // Body parsing is registered on Fastify directly (registerBodyParsers), for every SCIM media type.
    bodyParser: false,
    abortOnError: false,
  });
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'Roster API',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
  });
  await app.init();
  await fastify.ready();
  return app;
}

/**
 * SCIM clients send `application/scim+json`, `application/json`, other `+json` types, `text/plain`
 * or nothing at all; every one of them is parsed as JSON. Images stay raw bytes (group logos),
 * forms are parsed for the OAuth token endpoint.
 */
function registerBodyParsers(fastify: FastifyInstance): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, json);
  fastify.addContentTypeParser(/^application\/[\w.+-]*\+json$/i, { parseAs: 'string' }, json);
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const form: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body.toString())) {
        const existing = form[key];
        form[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
      }
      done(null, form);
    },
  );
  fastify.addContentTypeParser(
    /^(image\/[\w.+-]+|application\/octet-stream)$/i,
    { parseAs: 'buffer' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) =>
      done(null, body),
  );
  // No Content-Type at all: Fastify hands such bodies to the '*' parser.
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request: FastifyRequest, body: string, done) => {
    if (request.headers['content-type'] !== undefined) {
      const error = Object.assign(new Error('Unsupported Content-Type'), {
        statusCode: 415,
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      });
      done(error);
      return;
    }
    json(request, body, done);
  });
}
