import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { Scopes } from '../auth/decorators';
import { ifNoneMatchHits } from '../common/etag';
import { parseListQuery, parseProjection, parseSearchRequest, listLimits } from '../common/list-query';
import { preferredReturn } from '../common/prefer';
import {
  IfMatchHeader,
  ListQueries,
  PreferHeader,
  ProjectionQuery,
  ScimBody,
  ScimErrors,
  scimContent,
} from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { APP_CONFIG, AppConfig } from '../config';
import {
  SEARCH_EXAMPLE,
  USER_CREATE_EXAMPLE,
  USER_EXAMPLE,
  USER_LIST_EXAMPLE,
  USER_PATCH_EXAMPLE,
} from './users.examples';
import { ListResult, UserResult, UsersService } from './users.service';

@ApiTags('Users')
@ApiConsumes('application/scim+json', 'application/json')
@ScimEndpoint()
@Controller('v2/Users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Scopes('scim.read')
  @ApiOperation({ summary: 'List or filter users (RFC 7644 §3.4.2).' })
  @ListQueries('userName eq "bjensen@example.com"')
  @ApiResponse({
    status: 200,
    description: 'ListResponse',
    content: scimContent(USER_LIST_EXAMPLE, 'UserListResponse'),
  })
  @ScimErrors()
  list(@Query() query: Record<string, unknown>): Promise<ListResult | Readable> {
    return this.users.listForHttp(parseListQuery(query, listLimits(this.config)));
  }

  @Post('.search')
  @HttpCode(200)
  @Scopes('scim.read')
  @ApiOperation({ summary: 'Search users with a SearchRequest body (RFC 7644 §3.4.3).' })
  @ScimBody('SearchRequest', SEARCH_EXAMPLE)
  @ApiResponse({
    status: 200,
    description: 'ListResponse',
    content: scimContent(USER_LIST_EXAMPLE, 'UserListResponse'),
  })
  @ScimErrors()
  search(@Body() body: unknown): Promise<ListResult | Readable> {
    return this.users.listForHttp(parseSearchRequest(body, listLimits(this.config)));
  }

  @Get(':id')
  @Scopes('scim.read')
  @ApiOperation({ summary: 'Read one user.' })
  @ApiParam({ name: 'id', example: USER_EXAMPLE.id })
  @ProjectionQuery()
  @ApiResponse({
    status: 200,
    description: 'The user, with an ETag header.',
    content: scimContent(USER_EXAMPLE, 'User'),
  })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag.' })
  @ScimErrors(404)
  async get(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown> | undefined> {
    const result = await this.users.get(id, parseProjection(query));
    if (ifNoneMatchHits(ifNoneMatch, result.version)) {
      reply.status(304).header('etag', `W/"${result.version}"`);
      return undefined;
    }
    return this.send(reply, result);
  }

  @Post()
  @HttpCode(201)
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Create a user.' })
  @ScimBody('User', USER_CREATE_EXAMPLE)
  @ProjectionQuery()
  @ApiResponse({
    status: 201,
    description: 'The created user, with Location and ETag.',
    content: scimContent(USER_EXAMPLE, 'User'),
  })
  @ScimErrors(409)
  async create(
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const result = await this.users.create(body, parseProjection(query));
    reply.header('location', result.location);
    return this.send(reply, result);
  }

  @Put(':id')
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Replace a user (RFC 7644 §3.5.1).' })
  @ApiParam({ name: 'id', example: USER_EXAMPLE.id })
  @ScimBody('User', USER_CREATE_EXAMPLE)
  @IfMatchHeader()
  @ProjectionQuery()
  @ApiResponse({ status: 200, content: scimContent(USER_EXAMPLE, 'User'), description: 'The replaced user.' })
  @ScimErrors(404, 409, 412)
  async replace(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.send(reply, await this.users.replace(id, body, ifMatch, parseProjection(query)));
  }

  @Patch(':id')
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Modify a user with PatchOp operations (RFC 7644 §3.5.2).' })
  @ApiParam({ name: 'id', example: USER_EXAMPLE.id })
  @ScimBody('PatchOp', USER_PATCH_EXAMPLE)
  @IfMatchHeader()
  @PreferHeader()
  @ProjectionQuery()
  @ApiResponse({ status: 200, content: scimContent(USER_EXAMPLE, 'User'), description: 'The modified user.' })
  @ApiResponse({ status: 204, description: 'Modified; sent when the request has Prefer: return=minimal.' })
  @ScimErrors(404, 409, 412)
  async patch(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown> | undefined> {
    const result = await this.users.patch(id, body, ifMatch, parseProjection(query));
    if (preferredReturn(prefer) === 'minimal') {
      reply.status(204).header('etag', `W/"${result.version}"`);
      return undefined;
    }
    return this.send(reply, result);
  }

  @Delete(':id')
  @HttpCode(204)
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Delete a user; a second delete answers 404.' })
  @ApiParam({ name: 'id', example: USER_EXAMPLE.id })
  @IfMatchHeader()
  @ApiResponse({ status: 204, description: 'Deleted.' })
  @ScimErrors(404, 412)
  async delete(@Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.users.delete(id, ifMatch);
  }

  private send(reply: FastifyReply, result: UserResult): Record<string, unknown> {
    reply.header('etag', `W/"${result.version}"`);
    return result.resource;
  }
}
