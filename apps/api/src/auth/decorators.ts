import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal, Scope } from './principal';

export const PUBLIC_ROUTE = 'roster:public';
export const DISCOVERY_ROUTE = 'roster:discovery';
export const REQUIRED_SCOPES = 'roster:scopes';

/** Reachable without a token. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Public unless DISCOVERY_PUBLIC=false; then any valid token may read it. */
export const Discovery = (): ClassDecorator & MethodDecorator => SetMetadata(DISCOVERY_ROUTE, true);

/**
 * The scopes a route needs, and its OpenAPI security. Without it a route still needs a token,
 * with `scim.read` for GET/HEAD and `scim.write` for every other method.
 */
export const Scopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired bearer token (SCIM error).' }),
    ApiForbiddenResponse({ description: `The token lacks a required scope (${scopes.join(', ')}).` }),
  );

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    (context.switchToHttp().getRequest<FastifyRequest & { principal: Principal }>()).principal,
);
