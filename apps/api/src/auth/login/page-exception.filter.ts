import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from './html';
import { messagePage } from './pages';

/** Failures on Roster's pages are pages too: never a JSON document in a browser tab, never internals. */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Pages');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const status =
      exception instanceof ScimError
        ? exception.status
        : exception instanceof HttpException
          ? exception.getStatus()
          : 500;
    if (status >= 500) {
      this.logger.error(
        { requestId: request.id, err: exception instanceof Error ? exception.message : String(exception) },
        'Page failure',
      );
    }
    if (reply.sent) {
      return;
    }
    const message =
      status >= 500
        ? `Something went wrong on Roster's side (request ${request.id}). Try again later.`
        : status === 413
          ? 'The form was too large.'
          : 'The request could not be understood.';
    sendPage(reply, messagePage(status >= 500 ? 'Something went wrong' : 'Bad request', message), { status });
  }
}
