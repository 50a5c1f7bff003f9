import { INestApplication } from '@nestjs/common';
import { Context, context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { runInQueryScope } from '@roster/db';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createServer, Server } from 'node:http';
import type { Logger } from 'pino';
import { BEARER_STRATEGIES, BearerStrategy, Principal } from '../auth/principal';
import { AppConfig } from '../config';
import { redactUrl } from '../logger';
import { RequestLogService } from '../request-log/request-log.service';
import { Metrics } from './metrics';
import { requestScopeOf, RequestScope, routeOf } from '../common/request-scope';
import { TRACER_NAME, tracingOn } from './tracing';

/** Liveness, readiness and scrapes: called every few seconds, logged at debug only. */
const PROBES = new Set(['/health', '/ready', '/metrics', '/version']);

interface Observed {
  started: bigint;
  span?: Span;
  /** The request's scope and, with tracing on, its span's context: re-entered after body parsing. */
  scope?: RequestScope;
  trace?: Context;
  /** Whether the error body was read (in preSerialization, or from the text in onSend). */
  errorRead?: boolean;
  error?: { scimType?: string; detail?: string };
}

type Req = FastifyRequest & { principal?: Principal; observed?: Observed };

/** A response body sent as text, parsed when it is small JSON; undefined otherwise. */
function parseBody(payload: string): unknown {
  if (payload.length > 64 * 1024 || !payload.startsWith('{')) {
    return undefined;
  }
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}

/** What an error body says: SCIM's scimType and detail, or OAuth's error and error_description. */
function errorFields(payload: unknown): Observed['error'] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return undefined;
  }
  const body = payload as Record<string, unknown>;
  const scimType =
    typeof body.scimType === 'string' ? body.scimType : typeof body.error === 'string' ? body.error : undefined;
  const detail =
    typeof body.detail === 'string'
      ? body.detail
      : typeof body.error_description === 'string'
        ? body.error_description
        : undefined;
  if (typeof body.jsonrpc === 'string') {
    const rpc = body.error as { message?: string } | undefined;
    return rpc ? { detail: rpc.message } : undefined;
  }
  return { scimType, detail };
}

function isBulk(request: FastifyRequest): boolean {
  return routeOf(request).url === '/v2/Bulk' && request.method === 'POST';
}

export interface Observability {
  /** Called once the Nest application exists: the metrics and the bearer strategies come from it. */
  attach(app: INestApplication): void;
}

/**
 * Per request, in Fastify hooks (so that every route, Nest's or not, is covered): the request
 * context (request id for every log line), the server span when tracing is on, one log line with
 * the route, status, duration, principal and, for errors, the SCIM scimType and detail (never a
 * token), and the HTTP metrics. Also serves /metrics.
 */
export function installObservability(fastify: FastifyInstance, config: AppConfig, logger: Logger): Observability {
  let metrics: Metrics | undefined;
  let requestLog: RequestLogService | undefined;
  let strategies: BearerStrategy[] = [];
  const tracer = trace.getTracer(TRACER_NAME);

  fastify.addHook('onRequest', (request: Req, _reply, done) => {
    const observed: Observed = { started: process.hrtime.bigint(), scope: requestScopeOf(request) };
    request.observed = observed;
    if (!tracingOn()) {
      done();
      return;
    }
    const route = routeOf(request).url ?? 'unmatched';
    const parent = propagation.extract(context.active(), request.headers);
    observed.span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': redactUrl(request.url).split('?')[0],
          'roster.request_id': request.id,
        },
      },
      parent,
    );
    observed.trace = trace.setSpan(parent, observed.span);
    context.with(observed.trace, done);
  });
  // Body parsing runs in the socket's callbacks, outside the request's async context: the handler
  // re-enters its scope (and span) here.
  fastify.addHook('preValidation', (request: Req, _reply, done) => {
    const observed = request.observed;
    if (!observed?.scope) {
      done();
    } else if (observed.trace) {
      context.with(observed.trace, () => runInQueryScope(observed.scope!, done));
    } else {
      runInQueryScope(observed.scope, done);
    }
  });
  // Error bodies and Bulk responses are read before they are serialised, rather than parsed back.
  fastify.addHook('preSerialization', (request: Req, reply, payload, done) => {
    if (request.observed && reply.statusCode >= 400) {
      request.observed.errorRead = true;
      request.observed.error = errorFields(payload);
    }
    if (isBulk(request) && metrics && reply.statusCode < 300) {
      countBulk(metrics, request.body, payload);
    }
    done(null, payload);
  });
  // What was sent as text (OAuth errors, the MCP SDK's answers, streamed lists are not objects).
  fastify.addHook('onSend', (request: Req, reply, payload, done) => {
    if (reply.statusCode >= 400 && request.observed && !request.observed.errorRead) {
      request.observed.error = errorFields(typeof payload === 'string' ? parseBody(payload) : undefined);
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request: Req, reply: FastifyReply, done) => {
    const observed = request.observed;
    const route = routeOf(request).url ?? 'unmatched';
    const status = reply.statusCode;
    const seconds = observed ? Number(process.hrtime.bigint() - observed.started) / 1e9 : 0;
    const labels = { method: request.method, route, status: String(status) };
    metrics?.httpRequests.inc(labels);
    metrics?.httpDuration.observe(labels, seconds);
    if (status >= 400) {
      metrics?.scimErrors.inc({ status: String(status), scimType: observed?.error?.scimType ?? 'none' });
    }
    if (route === '/v2/Login/Oauth2/Token' && metrics) {
      const grant = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
      metrics.tokenRequests.inc({
        grant: typeof grant === 'string' && grant.length < 80 ? grant : 'unknown',
        outcome: status < 300 ? 'issued' : (observed?.error?.scimType ?? 'error'),
      });
    }
    // The console's per-connection counts and errors: an in-memory update, flushed in the background.
    requestLog?.record({
      method: request.method,
      url: request.url,
      status,
      principal: request.principal,
      scimType: observed?.error?.scimType,
      detail: observed?.error?.detail,
      requestId: request.id,
    });
    const level =
      PROBES.has(route) && status < 400 ? 'debug' : status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    // The line is built only when it is written (LOG_LEVEL=warn skips every 2xx line for free).
    if (logger.isLevelEnabled(level)) {
      const principal = request.principal
        ? { kind: request.principal.kind, name: request.principal.subject }
        : undefined;
      const fields = {
        requestId: request.id,
        method: request.method,
        route,
        url: redactUrl(request.url),
        statusCode: status,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
        remoteAddress: request.ip,
        userAgent: request.headers['user-agent'],
        ...(principal ? { principal } : {}),
        ...(observed?.error?.scimType ? { scimType: observed.error.scimType } : {}),
        ...(observed?.error?.detail ? { detail: observed.error.detail } : {}),
        ...(observed?.span ? { traceId: observed.span.spanContext().traceId } : {}),
      };
      logger[level](fields, `${request.method} ${route} ${status}`);
    }
    if (observed?.span) {
      observed.span.setAttribute('http.response.status_code', status);
      if (status >= 500) {
        observed.span.setStatus({ code: SpanStatusCode.ERROR });
      }
      observed.span.end();
    }
    done();
  });

  const serveMetrics = async (
    authorization: string | undefined,
  ): Promise<{ status: number; type: string; body: string }> => {
    if (!metrics || !config.ops.metrics.enabled) {
      return { status: 404, type: 'text/plain', body: 'Metrics are off (METRICS_ENABLED=false).\n' };
    }
    if (!config.ops.metrics.public) {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      let principal: Principal | null = null;
      for (const strategy of token ? strategies : []) {
        principal = await strategy.authenticate(token!).catch(() => null);
        if (principal) {
          break;
        }
      }
      if (!principal?.scopes.has('roster.admin')) {
        return {
          status: principal ? 403 : 401,
          type: 'text/plain',
          body: 'Metrics need a token with the roster.admin scope (or METRICS_PUBLIC=true).\n',
        };
      }
    }
    return { status: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
  };

  let separate: Server | undefined;
  if (config.ops.metrics.port === undefined) {
    fastify.get('/metrics', async (request, reply) => {
      const answer = await serveMetrics(request.headers.authorization);
      if (answer.status === 401) {
        reply.header('www-authenticate', 'Bearer');
      }
      return reply.status(answer.status).type(answer.type).send(answer.body);
    });
  } else {
    // Its own port, for scrapers on a private network; the same token rule applies.
    separate = createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      serveMetrics(req.headers.authorization).then(
        (answer) => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body),
        () => res.writeHead(500).end(),
      );
    });
    separate.listen(config.ops.metrics.port, config.host);
    separate.unref();
    fastify.addHook('onClose', (_instance, done) => {
      separate?.close(() => done());
    });
  }

  return {
    attach(app) {
      metrics = app.get(Metrics);
      strategies = app.get<BearerStrategy[]>(BEARER_STRATEGIES);
      requestLog = app.get(RequestLogService, { strict: false });
    },
  };
}

/** Each operation of a BulkResponse, by method, resource type and status class. */
function countBulk(metrics: Metrics, body: unknown, payload: unknown): void {
  const requested = (body as { Operations?: { method?: unknown; path?: unknown }[] } | undefined)?.Operations;
  const answered = (payload as { Operations?: { method?: unknown; status?: unknown }[] } | undefined)?.Operations;
  if (!Array.isArray(requested) || !Array.isArray(answered)) {
    return;
  }
  for (const [i, op] of answered.entries()) {
    const method = typeof op?.method === 'string' ? op.method.toUpperCase() : 'unknown';
    const path = typeof requested[i]?.path === 'string' ? requested[i].path : '';
    const resource = /^\/?users/i.test(path) ? 'User' : /^\/?groups/i.test(path) ? 'Group' : 'unknown';
    const status = Number(op?.status);
    metrics.bulkOperations.inc({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? method : 'unknown',
      resource,
      outcome: status >= 200 && status < 300 ? 'ok' : status >= 400 && status < 500 ? 'client_error' : 'server_error',
    });
  }
}
