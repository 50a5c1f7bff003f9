import { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthGuard, EARLY_AUTHORIZATION, EarlyAuthorization, RouteTargets } from '../auth/auth.guard';
import { AppConfig } from '../config';
import { unreadBody, withBodyTimeout } from './http-edge';
import { routeOf } from './request-scope';

const ROUTE_TARGETS = 'rosterRouteTargets';

type EarlyRequest = FastifyRequest & { [EARLY_AUTHORIZATION]?: EarlyAuthorization };

/**
 * Tags every controller method's Fastify route with its handler and controller, so that the
 * preParsing hook can ask the guard about a route exactly as the guard would ask itself. Must run
 * after the Nest application is created and before it is initialised (when routes are registered):
 * Nest copies a method's metadata, route config included, onto the route it registers.
 */
export function tagRoutesForEarlyAuthentication(app: INestApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller || typeof controller !== 'function') {
        continue;
      }
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const method = prototype[name];
        if (
          name === 'constructor' ||
          typeof method !== 'function' ||
          Reflect.getMetadata(PATH_METADATA, method) === undefined ||
          Reflect.getMetadata(METHOD_METADATA, method) === undefined
        ) {
          continue;
        }
        const existing = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, method) ?? {}) as Record<string, unknown>;
        const targets: RouteTargets = [method, controller];
        Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...existing, [ROUTE_TARGETS]: targets }, method);
      }
    }
  }
}

/** The handler and controller of a request's route, as tagged above; undefined for routes outside Nest. */
export function routeTargetsOf(request: FastifyRequest): RouteTargets | undefined {
  return routeOf(request).config?.[ROUTE_TARGETS] as RouteTargets | undefined;
}

/**
 * Authentication before the body: for a route that needs a token, the guard's whole decision is
 * taken in Fastify's preParsing hook, so a request without a valid token (or scope) is answered
 * without reading its body, and its connection closed. The guard then reuses the outcome, and
 * failures still leave through the route's own exception filters. The body of an accepted request
 * must then arrive within HTTP_BODY_TIMEOUT_MS.
 */
export function registerEarlyAuthentication(
  fastify: FastifyInstance,
  config: AppConfig,
): { useGuard(guard: AuthGuard): void } {
  // Hooks must be added before Nest registers its routes; the guard exists only once Nest has
  // created the application.
  let authGuard: AuthGuard | undefined;
  fastify.addHook('preParsing', async (request: EarlyRequest, reply, payload) => {
    const targets = routeTargetsOf(request);
    if (targets && authGuard) {
      try {
        await authGuard.authorize(request, targets);
        request[EARLY_AUTHORIZATION] = { ok: true };
      } catch (error) {
        request[EARLY_AUTHORIZATION] = { error };
        return hasBody(request) ? unreadBody(request, reply) : payload;
      }
    }
    return hasBody(request) ? withBodyTimeout(payload, reply, config.http.bodyTimeout) : payload;
  });
  return {
    useGuard: (guard) => {
      authGuard = guard;
    },
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}
