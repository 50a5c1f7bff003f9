import { runInQueryScope } from '@roster/db';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';

/**
 * Runs `next` (the rest of a request) in a scope whose signal fires when the client goes away
 * before the response is complete (a closed connection, a client that gave up): reads of the
 * database layer are then canceled in the database instead of running on for nobody (issue 10,
 * finding 1).
 */
export function runInRequestScope(response: ServerResponse, next: () => void): void {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) {
      controller.abort();
    }
  });
  runInQueryScope({ signal: controller.signal }, next);
}

/**
 * The scope as the first onRequest hook, so that everything later in the request runs inside it
 * — also code that restores the async context captured by a later hook (the request context of
 * ops/observability.ts carries the handler across body parsing that way).
 */
export function registerRequestScope(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (_request, reply, done) => runInRequestScope(reply.raw, done));
}
