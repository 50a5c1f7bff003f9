import { currentQueryScope, QueryScope, runInQueryScope } from '@roster/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal';
import type { Actor } from '../events/actor-scope';

/**
 * Everything the code serving one request finds about it without being passed it, in one
 * AsyncLocalStorage (the database layer's query scope, extended): the signal the database layer
 * cancels reads on, the request id of every log line, the request whose principal is the actor of
 * its events, and the requester it is in the password-hashing queue. One store rather than one per
 * concern: on Node 20 every AsyncLocalStorage in use adds work to every promise the process makes.
 */
export interface RequestScope extends QueryScope {
  requestId?: string;
  /** The HTTP request being served; its principal is set by the AuthGuard after the scope starts. */
  request?: FastifyRequest & { principal?: Principal };
  /** A fixed actor (the command line, the console, background work) instead of the request's principal. */
  actor?: Actor;
  /** Who waits in the password-hashing queue (common/password.ts): one requester per request. */
  requester?: object;
}

/** The scope of the code running now, if any. */
export function currentScope(): RequestScope | undefined {
  return currentQueryScope();
}

/** Runs `fn` in the current scope with some of its fields replaced (the rest, the signal included, kept). */
export function runInScope<T>(fields: Partial<RequestScope>, fn: () => T): T {
  const parent = currentScope();
  // Inherits from the parent rather than copying it: the signal stays the parent's, made lazily.
  const scope: RequestScope = parent ? Object.assign(Object.create(parent) as RequestScope, fields) : { ...fields };
  return runInQueryScope(scope, fn);
}

/**
 * A request's scope. Its signal fires when the client goes away before the response is complete
 * (a closed connection, a client that gave up): reads of the database layer are then canceled in
 * the database instead of running on for nobody (issue 10, finding 1). The AbortController is
 * made only when something asks for the signal: most requests never do.
 */
function httpRequestScope(response: ServerResponse): RequestScope {
  let controller: AbortController | undefined;
  let gone = false;
  response.once('close', () => {
    if (!response.writableFinished) {
      gone = true;
      controller?.abort();
    }
  });
  const scope: RequestScope = {
    get signal(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        if (gone) {
          controller.abort();
        }
      }
      return controller.signal;
    },
  };
  scope.requester = scope;
  return scope;
}

const SCOPE = Symbol('roster.requestScope');
type ScopedRequest = FastifyRequest & { [SCOPE]?: RequestScope };

/** Runs `next` (the rest of a request) in a new request scope for `response`. */
export function runInRequestScope(
  response: ServerResponse,
  next: () => void,
  request?: FastifyRequest & { principal?: Principal },
): void {
  const scope = httpRequestScope(response);
  if (request) {
    scope.requestId = request.id;
    scope.request = request;
    (request as ScopedRequest)[SCOPE] = scope;
  }
  runInQueryScope(scope, next);
}

/** The scope `registerRequestScope` gave a request: to re-enter it where Node's callbacks lost it. */
export function requestScopeOf(request: FastifyRequest): RequestScope | undefined {
  return (request as ScopedRequest)[SCOPE];
}

/**
 * The scope as the first onRequest hook, so that everything later in the request runs inside it
 * — also code that re-enters it after body parsing (ops/observability.ts). It also answers with
 * the request id (`x-request-id`) on every response.
 */
export function registerRequestScope(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    runInRequestScope(reply.raw, done, request);
  });
}

const ROUTE = Symbol('roster.route');
type RoutedRequest = FastifyRequest & { [ROUTE]?: RouteOf };

/** The matched route's template and config (undefined for a request no route matched). */
export interface RouteOf {
  url: string | undefined;
  config: Record<string, unknown> | undefined;
}

/**
 * A request's route, read once: Fastify's `request.routeOptions` builds a new object on every
 * read, and the hooks of one request ask for it half a dozen times.
 */
export function routeOf(request: FastifyRequest): RouteOf {
  let route = (request as RoutedRequest)[ROUTE];
  if (!route) {
    const options = request.routeOptions;
    route = { url: options?.url, config: options?.config as unknown as Record<string, unknown> | undefined };
    (request as RoutedRequest)[ROUTE] = route;
  }
  return route;
}
