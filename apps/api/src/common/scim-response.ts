import { SetMetadata } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DISCOVERY_ROUTE } from '../auth/decorators';
import { EARLY_AUTHORIZATION, EarlyAuthorization, RouteTargets } from '../auth/auth.guard';
import { routeTargetsOf } from './early-auth';
import { SCIM_CONTENT_TYPE } from './http';

const SCIM_ENDPOINT = 'roster:scim-endpoint';

/** Marks a controller whose responses are SCIM documents (`application/scim+json`). */
export const ScimEndpoint = (): ClassDecorator & MethodDecorator => SetMetadata(SCIM_ENDPOINT, true);

/** What a route's responses get: nothing, the SCIM type with `no-store`, or the SCIM type alone. */
type ResponseKind = 'other' | 'resource' | 'discovery';

/** Metadata of the handler, else of its controller: what Nest's `Reflector.getAllAndOverride` reads. */
function metadata(key: string, [handler, controller]: RouteTargets): unknown {
  return Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
}

const kinds = new WeakMap<RouteTargets[0], ResponseKind>();

function kindOf(targets: RouteTargets): ResponseKind {
  let kind = kinds.get(targets[0]);
  if (kind === undefined) {
    kind = metadata(SCIM_ENDPOINT, targets) ? (metadata(DISCOVERY_ROUTE, targets) ? 'discovery' : 'resource') : 'other';
    kinds.set(targets[0], kind);
  }
  return kind;
}

/**
 * The response headers of SCIM endpoints, set in a Fastify hook rather than a Nest interceptor
 * (whose rxjs chain cost more than the headers): `application/scim+json`, and, but for discovery
 * documents, `Cache-Control: no-store` (users and groups are personal data: no shared or browser
 * cache keeps them; ETags and 304 still work). Set once the request is authorised, before its
 * handler runs, as the interceptor did; errors get their type from the exception filter.
 */
export function registerScimResponseHeaders(fastify: FastifyInstance): void {
  fastify.addHook(
    'preHandler',
    (request: FastifyRequest & { [EARLY_AUTHORIZATION]?: EarlyAuthorization }, reply, done) => {
      const targets = routeTargetsOf(request);
      const early = request[EARLY_AUTHORIZATION];
      if (targets && (!early || 'ok' in early)) {
        const kind = kindOf(targets);
        if (kind !== 'other') {
          reply.header('content-type', SCIM_CONTENT_TYPE);
          if (kind === 'resource') {
            reply.header('cache-control', 'no-store');
          }
        }
      }
      done();
    },
  );
}
