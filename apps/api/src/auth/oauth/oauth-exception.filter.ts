import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from './oauth-error';

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const OAUTH_ROUTES = /^\/v2\/Login\/Oauth2\/(Token|Register|Revoke)\/?$/i;

/** Routes whose errors are OAuth errors, even when they happen before a controller runs. */
export function isOAuthEndpoint(request: FastifyRequest): boolean {
  const route = request.routeOptions?.url;
  return route !== undefined && !request.is404 && OAUTH_ROUTES.test(route);
}

/**
 * Renders every failure of the token endpoint as RFC 6749 §5.2 JSON. Scoped to the token
 * controller, so the global SCIM filter never wraps an OAuth answer in a SCIM envelope.
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuth');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const error = this.translate(exception, request);
    if (error.status >= 500) {
      this.logger.error(
        {
          requestId: request.id,
          err: exception instanceof Error ? { type: exception.name, message: exception.message } : String(exception),
        },
        'Token endpoint failure',
      );
    }
    if (reply.sent) {
      return;
    }
    reply
      .status(error.status)
      .headers({ ...NO_STORE, ...error.headers })
      .header('content-type', 'application/json; charset=utf-8')
      .send(error.toJSON());
  }

  private translate(exception: unknown, request: FastifyRequest): OAuthError {
    if (exception instanceof OAuthError) {
      return exception;
    }
    const status =
      exception instanceof ScimError
        ? exception.status
        : exception instanceof HttpException
          ? exception.getStatus()
          : 500;
    if (status === 413) {
      return new OAuthError('invalid_request', 'The request body is too large.', 413);
    }
    if (status >= 400 && status < 500) {
      return OAuthError.invalidRequest('The request could not be parsed; send application/x-www-form-urlencoded.');
    }
    return new OAuthError('server_error', `The token could not be issued (request id ${request.id}).`, 500);
  }
}
