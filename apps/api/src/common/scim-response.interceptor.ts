import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { SCIM_CONTENT_TYPE } from './http';

const SCIM_ENDPOINT = 'roster:scim-endpoint';

/** Marks a controller whose responses are SCIM documents (`application/scim+json`). */
export const ScimEndpoint = (): ClassDecorator & MethodDecorator => SetMetadata(SCIM_ENDPOINT, true);

@Injectable()
export class ScimResponseInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const scim = this.reflector.getAllAndOverride<boolean>(SCIM_ENDPOINT, [context.getHandler(), context.getClass()]);
    if (scim) {
      context.switchToHttp().getResponse<FastifyReply>().header('content-type', SCIM_CONTENT_TYPE);
    }
    return next.handle();
  }
}
