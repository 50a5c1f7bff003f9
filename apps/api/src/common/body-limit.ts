import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppConfig } from '../config';

const BODY_LIMIT = 'rosterBodyLimit';

export interface RouteBodyLimit {
  /** The most bytes this route accepts; read from the configuration when the route is registered. */
  bytes: (config: AppConfig) => number;
  /** The SCIM error detail for a larger body. */
  detail?: (limit: number) => string;
}

/**
 * A body limit for one route, other than the server-wide BODY_LIMIT (Bulk takes larger bodies).
 * Nest does not pass Fastify's `bodyLimit` route option through, so the limit travels in the
 * route config and `applyRouteBodyLimits` turns it into that option. Fastify then counts the bytes
 * it actually receives (chunked bodies included), not only the Content-Length a client announces.
 */
export const BodyLimit = (limit: RouteBodyLimit): MethodDecorator => RouteConfig({ [BODY_LIMIT]: limit });

function routeLimit(config: unknown): RouteBodyLimit | undefined {
  if (typeof config !== 'object' || config === null || !(BODY_LIMIT in config)) {
    return undefined;
  }
  return (config as Record<typeof BODY_LIMIT, RouteBodyLimit>)[BODY_LIMIT];
}

/** Must be registered before the routes are (an `onRoute` hook only sees routes added after it). */
export function applyRouteBodyLimits(fastify: FastifyInstance, config: AppConfig): void {
  fastify.addHook('onRoute', (route) => {
    const limit = routeLimit(route.config);
    if (limit) {
      route.bodyLimit = limit.bytes(config);
    }
  });
}

/** The 413 detail for a body over the limit of the route it was sent to, naming the limit. */
export function bodyTooLargeDetail(request: FastifyRequest): string {
  const limit = request.routeOptions.bodyLimit;
  const custom = routeLimit(request.routeOptions.config);
  return custom?.detail
    ? custom.detail(limit)
    : `The request body is larger than ${limit} bytes, the most this endpoint accepts.`;
}
