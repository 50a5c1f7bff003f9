import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { DISCOVERY_ROUTE } from '../auth/decorators';
import { SCIM_CONTENT_TYPE } from './http';

const SCIM_ENDPOINT = 'roster:scim-endpoint';

/** Marks a controller whose responses are SCIM documents (`application/scim+json`). */
export const ScimEndpoint = (): ClassDecorator & MethodDecorator => SetMetadata(SCIM_ENDPOINT, true);

@Injectable()
export class ScimResponseInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const targets = [context.getHandler(), context.getClass()];
    const scim = this.reflector.getAllAndOverride<boolean>(SCIM_ENDPOINT, targets);
    if (scim) {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      reply.header('content-type', SCIM_CONTENT_TYPE);
      // Users and groups are personal data: no shared or browser cache keeps them (ETags and 304
      // still work). Discovery documents describe the server only and stay cacheable.
      if (!this.reflector.getAllAndOverride<boolean>(DISCOVERY_ROUTE, targets)) {
        reply.header('cache-control', 'no-store');
      }
    }
    return next.handle();
  }
}
