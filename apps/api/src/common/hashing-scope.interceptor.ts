import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { asPasswordHashingRequester } from './password';

/**
 * Makes each request one requester of the password-hashing queue (common/password.ts), so that
 * its share is bounded whichever path hashes (REST, Bulk, MCP) and callers keep their signatures.
 */
@Injectable()
export class PasswordHashingScopeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return new Observable((subscriber) => asPasswordHashingRequester(() => next.handle().subscribe(subscriber)));
  }
}
