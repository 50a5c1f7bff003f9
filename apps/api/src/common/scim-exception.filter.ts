import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { classifyDatabaseError } from '@roster/db';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isOAuthEndpoint, OAuthExceptionFilter } from '../auth/oauth/oauth-exception.filter';
import { bodyTooLargeDetail } from './body-limit';
import { answerDatabaseFailure } from './database-errors';
import { SCIM_CONTENT_TYPE } from './http';
import { RouteTable } from './route-table';

/** An error that must carry response headers as well (WWW-Authenticate, Allow, Retry-After). */
export class ScimHttpError extends ScimError {
  constructor(
    status: number,
    detail: string,
    readonly headers: Record<string, string>,
    scimType?: ScimError['scimType'],
  ) {
    super(status, detail, scimType);
  }
}

interface ErrorWithCode {
  code?: unknown;
  statusCode?: unknown;
  meta?: Record<string, unknown>;
  cause?: unknown;
  message?: unknown;
}

/**
 * The one place where failures become HTTP responses: every error leaves as the RFC 7644
 * §3.12 envelope, and nothing internal (stack, SQL, driver text) reaches the client.
 */
@Catch()
@Injectable()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private readonly oauth = new OAuthExceptionFilter();

  constructor(private readonly routes: RouteTable) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (isOAuthEndpoint(request)) {
      // Failures before the token controller runs (body parsing) must still leave as OAuth JSON.
      this.oauth.catch(exception, host);
      return;
    }
    const { error, headers, log } = this.translate(exception, request);
    if (error.scimType === 'invalidSyntax' && /^\/v2\/mcp\/?$/i.test(request.url.split('?')[0]) && !reply.sent) {
      // The MCP endpoint speaks JSON-RPC: a body that is not JSON at all is a -32700 parse error.
      reply
        .status(400)
        .header('content-type', 'application/json')
        .send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${error.detail}` } });
      return;
    }
    if (log) {
      this.logger.error(
        { requestId: request.id, method: request.method, err: describe(exception) },
        `Unhandled ${error.status} on ${request.method} ${request.routeOptions?.url ?? 'unknown route'}`,
      );
    }
    if (reply.sent) {
      return;
    }
    reply.status(error.status).headers(headers).header('content-type', SCIM_CONTENT_TYPE).send(error.toJSON());
  }

  private translate(
    exception: unknown,
    request: FastifyRequest,
  ): { error: ScimError; headers: Record<string, string>; log: boolean } {
    const answer = this.answer(exception, request);
    return { log: answer.error.status >= 500, ...answer };
  }

  private answer(
    exception: unknown,
    request: FastifyRequest,
  ): { error: ScimError; headers: Record<string, string>; log?: boolean } {
    if (request.is404) {
      // No route matched, so what went wrong with the body (Okta POSTs "test" to discovery
      // endpoints) matters less than the missing route or method.
      return this.routeNotFound(request);
    }
    if (exception instanceof ScimHttpError) {
      return { error: exception, headers: exception.headers };
    }
    if (exception instanceof ScimError) {
      return { error: exception, headers: {} };
    }
    // Nest wraps Fastify's own 4xx errors (body parsing, limits) in an HttpException.
    const raw = exception instanceof HttpException && exception.cause ? exception.cause : exception;
    const code = typeof (raw as ErrorWithCode)?.code === 'string' ? ((raw as ErrorWithCode).code as string) : undefined;
    if (code?.startsWith('FST_')) {
      return { error: fromFastify(code, Number((raw as ErrorWithCode).statusCode) || 400, request), headers: {} };
    }
    if (exception instanceof HttpException) {
      return this.fromHttpException(exception, request);
    }
    if (exception instanceof SyntaxError) {
      return { error: ScimError.badRequest('invalidSyntax', 'The request body is not valid JSON.'), headers: {} };
    }
    const failure = classifyDatabaseError(exception);
    if (failure) {
      return answerDatabaseFailure(failure, request.id);
    }
    return {
      error: new ScimError(500, `An unexpected error occurred (request id ${request.id}).`),
      headers: {},
    };
  }

  private fromHttpException(
    exception: HttpException,
    request: FastifyRequest,
  ): { error: ScimError; headers: Record<string, string> } {
    const status = exception.getStatus();
    if (status === 404 && request.is404) {
      return this.routeNotFound(request);
    }
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response ? response.message : exception.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    return { error: new ScimError(status, detail, status === 400 ? 'invalidValue' : undefined), headers: {} };
  }

  /** 405 with Allow when the path exists under other methods, 404 otherwise. */
  private routeNotFound(request: FastifyRequest): { error: ScimError; headers: Record<string, string> } {
    const allowed = this.routes.allowedMethods(request.url);
    if (allowed.length && !allowed.includes(request.method.toUpperCase())) {
      return {
        error: new ScimError(405, `${request.method} is not supported on this endpoint; use ${allowed.join(', ')}.`),
        headers: { allow: allowed.join(', ') },
      };
    }
    return { error: ScimError.notFound(`No endpoint at ${request.method} ${request.url.split('?')[0]}.`), headers: {} };
  }
}

function fromFastify(code: string, status: number, request: FastifyRequest): ScimError {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ScimError.badRequest('invalidSyntax', 'The request body is not valid JSON.');
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ScimError(413, bodyTooLargeDetail(request));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ScimError(415, `Content-Type ${String(request.headers['content-type'])} is not supported here.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ScimError.badRequest('invalidSyntax', 'The Content-Length header does not match the body.');
    default:
      return new ScimError(status >= 400 && status < 600 ? status : 400, 'The request could not be processed.');
  }
}

function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error) {
    return { type: exception.name, message: exception.message, stack: exception.stack };
  }
  return { value: String(exception) };
}
