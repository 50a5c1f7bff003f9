import { Injectable, NestMiddleware } from '@nestjs/common';
import { runInQueryScope } from '@roster/db';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Gives each request a signal that fires when its client goes away before the response is
 * complete (a closed connection, a client that gave up), and runs the rest of the request in
 * that scope: reads of the database layer are then canceled in the database instead of running
 * on for nobody (issue 10, finding 1).
 */
@Injectable()
export class RequestScopeMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  use(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const controller = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) {
        controller.abort();
      }
    });
    runInQueryScope({ signal: controller.signal }, next);
  }
}
