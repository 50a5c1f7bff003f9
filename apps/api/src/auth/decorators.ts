import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiOAuth2, ApiResponse } from '@nestjs/swagger';
import { scimErrorResponse } from '../common/scim-openapi';
import type { FastifyRequest } from 'fastify';
import { Principal, ResourceKind, Scope } from './principal';

export const PUBLIC_ROUTE = 'roster:public';
export const DISCOVERY_ROUTE = 'roster:discovery';
export const REQUIRED_SCOPES = 'roster:scopes';
export const ANY_OF_SCOPES = 'roster:any-of-scopes';
export const RESOURCE_KIND = 'roster:resource';

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
    // Either scheme: an opaque bearer token, or an OAuth access token with these scopes.
    ApiBearerAuth(),
    ApiOAuth2(scopes, 'oauth2'),
    ApiResponse(scimErrorResponse(401)),
    ApiResponse(
      scimErrorResponse(403, {
        detail: `This token lacks the scope ${scopes[0] ?? 'scim.read'} that the request needs.`,
      }),
    ),
  );

/**
 * A route that any one of these scopes opens (`roster.admin` or `roster.events` for the change
 * log), where `@Scopes` needs all of its scopes. In OpenAPI each scope is an alternative security
 * requirement.
 */
export const AnyScope = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ANY_OF_SCOPES, scopes),
    SetMetadata(REQUIRED_SCOPES, []),
    ApiBearerAuth(),
    ...scopes.map((scope) => ApiOAuth2([scope], 'oauth2')),
    ApiResponse(scimErrorResponse(401)),
    ApiResponse(
      scimErrorResponse(403, {
        detail: `This token needs one of the scopes ${scopes.join(', ')} for this request.`,
      }),
    ),
  );

/**
 * Which protected resource (token audience) a route belongs to. Routes without it are part of
 * the SCIM API; the MCP endpoint is marked `@Resource('mcp')`. A token issued for one resource
 * is refused on the other; the admin token is accepted on both.
 */
export const Resource = (kind: ResourceKind): ClassDecorator & MethodDecorator => SetMetadata(RESOURCE_KIND, kind);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<FastifyRequest & { principal: Principal }>().principal,
);
