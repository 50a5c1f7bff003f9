import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ScimHttpError } from '../common/scim-exception.filter';
import { APP_CONFIG, AppConfig } from '../config';
import { BearerLimits } from './bearer-limits.service';
import { ANY_OF_SCOPES, DISCOVERY_ROUTE, PUBLIC_ROUTE, REQUIRED_SCOPES, RESOURCE_KIND } from './decorators';
import { BEARER_STRATEGIES, BearerStrategy, InvalidTokenError, Principal, ResourceKind, Scope } from './principal';
import { resourceMetadataUrl } from './resources';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** Marks a refusal that counts as a failed authentication. */
const FAILURE = Symbol('authentication-failure');

function failure(error: ScimHttpError): ScimHttpError {
  return Object.assign(error, { [FAILURE]: true });
}
const QUERY_TOKEN = /[?&](access_token|token|bearer)=/i;

/** What a challenge is about: the route's resource, the scopes it needs, and whether a token came. */
interface Challenge {
  resource: ResourceKind;
  scopes: readonly Scope[];
  /** Scopes of which one suffices (`@AnyScope`), besides `scopes`. */
  anyOf?: readonly Scope[];
}

/** What a route's decorators say about its authorization. */
interface RouteRule {
  public: boolean;
  discovery: boolean;
  resource: ResourceKind;
  scopes: readonly Scope[] | undefined;
  anyOf: readonly Scope[] | undefined;
}
const READ: readonly Scope[] = ['scim.read'];
const WRITE: readonly Scope[] = ['scim.write'];

/** What `authorize` concluded before the body was read (see common/early-auth.ts); the guard reuses it. */
export const EARLY_AUTHORIZATION = Symbol('roster.earlyAuthorization');
export type EarlyAuthorization = { ok: true } | { error: unknown };
/** The route's handler method and its controller class, as `ExecutionContext` gives them. */
export type RouteTargets = [ReturnType<ExecutionContext['getHandler']>, ReturnType<ExecutionContext['getClass']>];
type GuardedRequest = FastifyRequest & { principal?: Principal; [EARLY_AUTHORIZATION]?: EarlyAuthorization };

/**
 * Every route needs a bearer token unless it is marked public. The strategies decide what a
 * token is; this guard extracts it, asks them in order, checks that the token was issued for
 * the route's resource (audience) and that it has the scopes the route needs. Every 401 and 403
 * names the resource's RFC 9728 metadata, so OAuth clients can discover how to get a token.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly rules = new WeakMap<RouteTargets[0], RouteRule>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(BEARER_STRATEGIES) private readonly strategies: BearerStrategy[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limits: BearerLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const early = request[EARLY_AUTHORIZATION];
    if (early) {
      if ('error' in early) {
        throw early.error;
      }
      return true;
    }
    return this.authorize(request, [context.getHandler(), context.getClass()]);
  }

  /** The whole decision for one request and its route's handler and controller; sets `request.principal`. */
  async authorize(request: GuardedRequest, targets: RouteTargets): Promise<boolean> {
    const rule = this.ruleFor(targets);
    if (rule.public || (rule.discovery && this.config.discoveryPublic)) {
      return true;
    }
    const challenge: Challenge = {
      resource: rule.resource,
      scopes: rule.scopes ?? (rule.discovery ? [] : SAFE_METHODS.has(request.method.toUpperCase()) ? READ : WRITE),
      anyOf: rule.anyOf,
    };
    const principal = await this.authenticate(request, challenge);
    if (!principal.resources.has(challenge.resource)) {
      throw this.unauthorized(
        challenge,
        challenge.resource === 'mcp'
          ? 'This token was issued for the SCIM API, not for the MCP endpoint.'
          : 'This token was issued for the MCP endpoint, not for the SCIM API.',
        true,
      );
    }
    request.principal = principal;
    if (challenge.resource === 'scim') {
      await this.limits.request(principal);
    }
    const missing = challenge.scopes.filter((scope) => !principal.scopes.has(scope));
    if (missing.length) {
      const params = [
        'error="insufficient_scope"',
        `scope="${challenge.scopes.join(' ')}"`,
        `resource_metadata="${resourceMetadataUrl(this.config, challenge.resource)}"`,
      ];
      throw new ScimHttpError(403, `This token lacks the scope ${missing.join(' ')} that the request needs.`, {
        'www-authenticate': `Bearer ${params.join(', ')}`,
      });
    }
    if (challenge.anyOf?.length && !challenge.anyOf.some((scope) => principal.scopes.has(scope))) {
      // The challenge names the narrowest scope that would do (the last one listed).
      const params = [
        'error="insufficient_scope"',
        `scope="${challenge.anyOf[challenge.anyOf.length - 1]}"`,
        `resource_metadata="${resourceMetadataUrl(this.config, challenge.resource)}"`,
      ];
      throw new ScimHttpError(
        403,
        `This token needs one of the scopes ${challenge.anyOf.join(', ')} for this request.`,
        {
          'www-authenticate': `Bearer ${params.join(', ')}`,
        },
      );
    }
    return true;
  }

  /** A route's metadata, read once per handler (it is fixed once the application is built). */
  private ruleFor(targets: RouteTargets): RouteRule {
    let rule = this.rules.get(targets[0]);
    if (!rule) {
      rule = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false,
        discovery: this.reflector.getAllAndOverride<boolean>(DISCOVERY_ROUTE, targets) ?? false,
        resource: this.reflector.getAllAndOverride<ResourceKind>(RESOURCE_KIND, targets) ?? 'scim',
        scopes: this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets),
        anyOf: this.reflector.getAllAndOverride<Scope[] | undefined>(ANY_OF_SCOPES, targets),
      };
      this.rules.set(targets[0], rule);
    }
    return rule;
  }

  private async authenticate(request: FastifyRequest, challenge: Challenge): Promise<Principal> {
    try {
      return await this.verify(request, challenge);
    } catch (error) {
      // A forged, unknown or malformed token: counted per address, and 429 past the limit. An
      // expired or revoked token of a real client is not counted (hosted assistants share their
      // addresses, and they refresh on the 401).
      if (error instanceof ScimHttpError && FAILURE in error) {
        throw (await this.limits.failed(request.ip)) ?? error;
      }
      throw error;
    }
  }

  private async verify(request: FastifyRequest, challenge: Challenge): Promise<Principal> {
    // RFC 6750 §2.3 allows URI query tokens, but they end up in logs and histories: refused even
    // next to a header token.
    if (QUERY_TOKEN.test(request.url)) {
      throw this.unauthorized(
        challenge,
        'Tokens are accepted only in the Authorization header, never in the URL.',
        false,
      );
    }
    const header = request.headers.authorization;
    if (!header) {
      throw this.unauthorized(challenge, 'Authentication required: send Authorization: Bearer <token>.', false);
    }
    const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
    if (!match) {
      throw failure(this.unauthorized(challenge, 'The Authorization header must use the Bearer scheme.', true));
    }
    const token = match[1];
    for (const strategy of this.strategies) {
      let principal: Principal | null;
      try {
        principal = await strategy.authenticate(token);
      } catch (error) {
        if (error instanceof InvalidTokenError) {
          const refusal = this.unauthorized(challenge, error.description, true);
          throw error.lapsed ? refusal : failure(refusal);
        }
        throw error;
      }
      if (principal) {
        return principal;
      }
    }
    throw failure(this.unauthorized(challenge, 'The bearer token is invalid, expired or revoked.', true));
  }

  /** RFC 6750 §3 / RFC 9728 §5.1 challenge: where the metadata is, and what went wrong with a sent token. */
  private unauthorized(challenge: Challenge, detail: string, tokenSent: boolean): ScimHttpError {
    const params = [`resource_metadata="${resourceMetadataUrl(this.config, challenge.resource)}"`];
    if (challenge.scopes.length) {
      params.push(`scope="${challenge.scopes.join(' ')}"`);
    }
    if (tokenSent) {
      params.push('error="invalid_token"', `error_description="${detail.replace(/["\\]/g, "'")}"`);
    }
    return new ScimHttpError(401, detail, { 'www-authenticate': `Bearer ${params.join(', ')}` });
  }
}
