import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Scopes } from '../auth/decorators';
import { Principal } from '../auth/principal';
import { ifNoneMatchHits } from '../common/etag';
import { parseProjection } from '../common/list-query';
import { ProjectionQuery, ScimErrors, scimContent } from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { USER_EXAMPLE } from '../users/users.examples';
import { MeService } from './me.service';

@ApiTags('Me')
@ScimEndpoint()
@Controller('v2/Me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @Scopes('scim.read')
  @ApiOperation({
    summary: 'The User the token acts for (RFC 7644 §3.11); 404 for tokens not tied to a directory user.',
  })
  @ProjectionQuery()
  @ApiResponse({
    status: 200,
    description: 'The user, with an ETag header.',
    content: scimContent(USER_EXAMPLE, 'User'),
  })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag.' })
  @ScimErrors(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown> | undefined> {
    const result = await this.me.get(principal, parseProjection(query));
    reply.header('etag', `W/"${result.version}"`);
    if (ifNoneMatchHits(ifNoneMatch, result.version)) {
      reply.status(304);
      return undefined;
    }
    return result.resource;
  }
}
