import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import fastifyMultipart from '@fastify/multipart';
import { SchemaRegistry, ScimError } from '@roster/scim';
import { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { AppModule } from './app.module';
import { AuthGuard } from './auth/auth.guard';
import { DOCS_CLIENT_ID, docsRedirectUri } from './auth/oauth/docs-client';
import { resourceUrl } from './auth/resources';
import { applyRouteBodyLimits } from './common/body-limit';
import { registerEarlyAuthentication, tagRoutesForEarlyAuthentication } from './common/early-auth';
import { badInput, badTextDetail, edgeServerOptions, findBadTextInForm, registerEdgeHooks } from './common/http-edge';
import { configurePasswordHashing } from './common/password';
import { findBadText, jsonMayHoldBadText, jsonNestingBeyond } from './common/text-input';
import { registerRequestScope, routeOf } from './common/request-scope';
import { registerScimResponseHeaders } from './common/scim-response';
import { RouteTable } from './common/route-table';
import { AppConfig } from './config';
import { createLogger, PinoNestLogger } from './logger';
import { buildOpenApiDocument, liveOpenApiDocument } from './openapi';
import { registerMcpOriginCheck } from './mcp/mcp-origin';
import { installObservability } from './ops/observability';

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
    // The largest body any route accepts; each parser then applies its route's own limit.
    bodyLimit: Math.max(config.bodyLimit, config.bulk.maxPayloadSize, config.logoMaxBytes + 64 * 1024),
    // RFC 7644 paths are case-sensitive in theory; real clients send /users and /Users/.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Per-address rate limits and logs use the client address; trust X-Forwarded-For only when told.
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    // No Nest middleware: @fastify/middie would add a hook that matches every request's path.
    skipMiddie: true,
    forceCloseConnections: 'idle',
    ...edgeServerOptions(config),
    // One line per request, written by ops/observability.ts (with route, principal and error
    // detail); the request id comes from the request context as `requestId`, as everywhere else.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: (
      parent: FastifyBaseLogger,
      _bindings: unknown,
      options: Parameters<FastifyBaseLogger['child']>[1],
    ) => parent.child({}, options),
  });
  const fastify: FastifyInstance = adapter.getInstance();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  // The request scope first (its id answers as x-request-id; it cancels the reads of a request
  // whose client has gone, names the actor of its events and its share of password hashing), so
  // that every later hook and the handler run inside it; then observability, so that requests the
  // edge refuses are measured and logged too.
  registerRequestScope(fastify);
  const observability = installObservability(fastify, config, logger);
  registerEdgeHooks(fastify);
  registerMcpOriginCheck(fastify, config);
  const earlyAuthentication = registerEarlyAuthentication(fastify, config);
  registerScimResponseHeaders(fastify);
  registerBodyParsers(fastify, config);
  applyRouteBodyLimits(fastify, config);
  configurePasswordHashing(config.passwordHashing);
  await fastify.register(fastifyMultipart, {
    limits: { fileSize: config.logoMaxBytes, files: 1, fields: 5, parts: 6 },
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, routes), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // Body parsing is registered on Fastify directly (registerBodyParsers), for every SCIM media type.
    bodyParser: false,
    abortOnError: false,
  });
  tagRoutesForEarlyAuthentication(app);
  earlyAuthentication.useGuard(app.get(AuthGuard, { strict: false }));
  observability.attach(app);
  const document = buildOpenApiDocument(app, config);
  const live = liveOpenApiDocument(document, app.get(SchemaRegistry));
  SwaggerModule.setup('docs', app, document, {
    patchDocumentOnRequest: () => live(),
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'Roster API',
    swaggerOptions: {
      persistAuthorization: true,
      displayRequestDuration: true,
      // "Authorize" signs in through Roster's own authorization server (auth/oauth/docs-client.ts).
      oauth2RedirectUrl: docsRedirectUri(config),
      initOAuth: {
        clientId: DOCS_CLIENT_ID,
        appName: 'Roster API documentation',
        usePkceWithAuthorizationCodeGrant: true,
        scopes: ['scim.read', 'scim.write'],
        // Without a resource the authorization server issues tokens for MCP, not the SCIM API.
        additionalQueryStringParams: { resource: resourceUrl(config, 'scim') },
      },
    },
  });
  await app.init();
  await fastify.ready();
  return app;
}

/** Bytes a JSON body may have on a route: Bulk has its own limit (RFC 7644 §3.7.4). */
export function jsonLimitFor(url: string | undefined, config: AppConfig): number {
  return url && /^\/v2\/bulk\/?$/i.test(url) ? config.bulk.maxPayloadSize : config.bodyLimit;
}

function tooLarge(limit: number): ScimError {
  return new ScimError(413, `The request body is larger than the ${limit} bytes this endpoint accepts.`);
}

/**
 * SCIM clients send `application/scim+json`, `application/json`, other `+json` types, `text/plain`
 * or nothing at all; every one of them is parsed as JSON, with the limit of the route checked on
 * the real byte count. Images stay raw bytes (group logos); forms are parsed for the OAuth token
 * endpoint; multipart is handled by @fastify/multipart.
 */
function registerBodyParsers(fastify: FastifyInstance, config: AppConfig): void {
  const json = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const limit = jsonLimitFor(routeOf(request).url, config);
    if (body.byteLength > limit) {
      done(tooLarge(limit));
      return;
    }
    if (body.byteLength === 0) {
      done(null, undefined);
      return;
    }
    // Before parsing: validators and the MCP SDK recurse into what JSON.parse builds.
    if (jsonNestingBeyond(body, config.http.jsonMaxDepth) >= 0) {
      done(
        ScimError.badRequest(
          'invalidSyntax',
          `The request body nests arrays and objects deeper than ${config.http.jsonMaxDepth} levels.`,
        ),
      );
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      done(ScimError.badRequest('invalidSyntax', 'The request body is not valid JSON.'));
      return;
    }
    const bad = jsonMayHoldBadText(body) ? findBadText(parsed) : undefined;
    if (bad !== undefined) {
      done(badInput(request, badTextDetail(`the JSON body at ${bad}`)));
      return;
    }
    done(null, parsed);
  };
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, json);
  fastify.addContentTypeParser('text/plain', { parseAs: 'buffer' }, json);
  // A regex is matched against the whole header, parameters included (`; charset=utf-8`).
  fastify.addContentTypeParser(/^application\/[\w.+-]*\+json\s*(;.*)?$/i, { parseAs: 'buffer' }, json);
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      if (body.byteLength > config.bodyLimit) {
        done(tooLarge(config.bodyLimit));
        return;
      }
      const form: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
        const existing = form[key];
        form[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
      }
      const bad = findBadTextInForm(form);
      if (bad !== undefined) {
        done(badInput(request, badTextDetail(bad)));
        return;
      }
      done(null, form);
    },
  );
  fastify.addContentTypeParser(
    // Parameters (`image/png; charset=binary`, sent by some clients) do not change the bytes.
    /^(image\/[\w.+-]+|application\/octet-stream)\s*(;.*)?$/i,
    { parseAs: 'buffer' },
    (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      if (body.byteLength > config.logoMaxBytes) {
        done(tooLarge(config.logoMaxBytes));
        return;
      }
      done(null, body);
    },
  );
  // No Content-Type at all: Fastify hands such bodies to the '*' parser.
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(new ScimError(415, `Content-Type ${String(request.headers['content-type'])} is not supported here.`));
      return;
    }
    json(request, body, done);
  });
}
