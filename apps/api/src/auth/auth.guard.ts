import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ScimHttpError } from '../common/scim-exception.filter';
import { APP_CONFIG, AppConfig } from '../config';
import { DISCOVERY_ROUTE, PUBLIC_ROUTE, REQUIRED_SCOPES } from './decorators';
import { BEARER_STRATEGIES, BearerStrategy, Principal, Scope } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const QUERY_TOKEN = /[?&](access_token|token|bearer)=/i;

/**
 * Every route needs a bearer token unless it is marked public. The strategies decide what a
 * token is; this guard only extracts it, asks them in order, and checks scopes.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(BEARER_STRATEGIES) private readonly strategies: BearerStrategy[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) {
      return true;
    }
    const discovery = this.reflector.getAllAndOverride<boolean>(DISCOVERY_ROUTE, targets);
    if (discovery && this.config.discoveryPublic) {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const principal = await this.authenticate(request);
    request.principal = principal;
    const required =
      this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets) ??
      (discovery ? [] : [SAFE_METHODS.has(request.method.toUpperCase()) ? 'scim.read' : 'scim.write']);
    const missing = required.filter((scope) => !principal.scopes.has(scope));
    if (missing.length) {
      throw new ScimHttpError(403, `This token lacks the scope ${missing.join(' ')} that the request needs.`, {
        'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"`,
      });
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) {
      if (QUERY_TOKEN.test(request.url)) {
        throw this.unauthorized('Tokens are accepted only in the Authorization header, never in the URL.', false);
      }
      throw this.unauthorized('Authentication required: send Authorization: Bearer <token>.', false);
    }
    const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
    if (!match) {
      throw this.unauthorized('The Authorization header must use the Bearer scheme.', true);
    }
    const token = match[1];
    for (const strategy of this.strategies) {
      const principal = await strategy.authenticate(token);
      if (principal) {
        return principal;
      }
    }
    throw this.unauthorized('The bearer token is invalid, expired or revoked.', true);
  }

  private unauthorized(detail: string, tokenSent: boolean): ScimHttpError {
    const params = ['realm="roster"'];
    if (tokenSent) {
      params.push('error="invalid_token"');
    }
    return new ScimHttpError(401, detail, { 'www-authenticate': `Bearer ${params.join(', ')}` });
  }
}
