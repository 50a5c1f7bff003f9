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
import { parseListQuery, parseProjection, parseSearchRequest, Projected, listLimits } from '../common/list-query';
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
import { ListResult } from '../users/users.service';
import {
  GROUP_CREATE_EXAMPLE,
  GROUP_EXAMPLE,
  GROUP_LIST_EXAMPLE,
  GROUP_PATCH_EXAMPLE,
  GROUP_SEARCH_EXAMPLE,
} from './groups.examples';
import { GroupResult, GroupsService } from './groups.service';

@ApiTags('Groups')
@ApiConsumes('application/scim+json', 'application/json')
@ScimEndpoint()
@Controller('v2/Groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Scopes('scim.read')
  @ApiOperation({ summary: 'List or filter groups. Use excludedAttributes=members for large groups.' })
  @ListQueries('displayName eq "Sales"')
  @ApiResponse({
    status: 200,
    description: 'ListResponse',
    content: scimContent(GROUP_LIST_EXAMPLE, 'GroupListResponse'),
  })
  @ScimErrors()
  list(@Query() query: Record<string, unknown>): Promise<ListResult | Readable> {
    return this.groups.listForHttp(parseListQuery(query, listLimits(this.config)));
  }

  @Post('.search')
  @HttpCode(200)
  @Scopes('scim.read')
  @ApiOperation({ summary: 'Search groups with a SearchRequest body (RFC 7644 §3.4.3).' })
  @ScimBody('SearchRequest', GROUP_SEARCH_EXAMPLE)
  @ApiResponse({
    status: 200,
    description: 'ListResponse',
    content: scimContent(GROUP_LIST_EXAMPLE, 'GroupListResponse'),
  })
  @ScimErrors()
  search(@Body() body: unknown): Promise<ListResult | Readable> {
    return this.groups.listForHttp(parseSearchRequest(body, listLimits(this.config)));
  }

  @Get(':id')
  @Scopes('scim.read')
  @ApiOperation({ summary: 'Read one group; its members are streamed, however many there are.' })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @ProjectionQuery()
  @ApiResponse({
    status: 200,
    description: 'The group, with an ETag header.',
    content: scimContent(GROUP_EXAMPLE, 'Group'),
  })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag.' })
  @ScimErrors(404)
  async get(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const projected = parseProjection(query);
    const result = await this.groups.get(id, projected);
    if (ifNoneMatchHits(ifNoneMatch, result.version)) {
      reply.status(304).header('etag', `W/"${result.version}"`);
      return undefined;
    }
    return this.send(reply, result, projected);
  }

  @Post()
  @HttpCode(201)
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Create a group, optionally with members.' })
  @ScimBody('Group', GROUP_CREATE_EXAMPLE)
  @ProjectionQuery()
  @ApiResponse({
    status: 201,
    description: 'The created group, with Location and ETag.',
    content: scimContent(GROUP_EXAMPLE, 'Group'),
  })
  @ScimErrors(409)
  async create(
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const projected = parseProjection(query);
    const result = await this.groups.create(body, projected);
    reply.header('location', result.location);
    return this.send(reply, result, projected);
  }

  @Put(':id')
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Replace a group; its member set becomes exactly the given one (applied as a diff).' })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @ScimBody('Group', GROUP_CREATE_EXAMPLE)
  @IfMatchHeader()
  @ProjectionQuery()
  @ApiResponse({ status: 200, description: 'The replaced group.', content: scimContent(GROUP_EXAMPLE, 'Group') })
  @ScimErrors(404, 409, 412)
  async replace(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const projected = parseProjection(query);
    return this.send(reply, await this.groups.replace(id, body, ifMatch, projected), projected);
  }

  @Patch(':id')
  @Scopes('scim.write')
  @ApiOperation({
    summary: 'Modify a group (RFC 7644 §3.5.2); member changes are applied as deltas.',
    description:
      'Answers 204 by default, as Entra ID and Okta expect; 200 with the group when the request has ' +
      '`attributes`/`excludedAttributes` or `Prefer: return=representation`.',
  })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @ScimBody('PatchOp', GROUP_PATCH_EXAMPLE)
  @IfMatchHeader()
  @PreferHeader()
  @ProjectionQuery()
  @ApiResponse({ status: 204, description: 'Modified.' })
  @ApiResponse({
    status: 200,
    description: 'The modified group, when asked for.',
    content: scimContent(GROUP_EXAMPLE, 'Group'),
  })
  @ScimErrors(404, 409, 412)
  async patch(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const projected = parseProjection(query);
    const wantsBody =
      preferredReturn(prefer) === 'representation' ||
      (preferredReturn(prefer) !== 'minimal' &&
        (projected.attributes !== undefined || projected.excludedAttributes !== undefined));
    const result = await this.groups.patch(id, body, ifMatch, projected);
    if (!wantsBody) {
      reply.status(204).header('etag', `W/"${result.version}"`);
      return undefined;
    }
    return this.send(reply, result, projected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Scopes('scim.write')
  @ApiOperation({ summary: 'Delete a group and its memberships.' })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @IfMatchHeader()
  @ApiResponse({ status: 204, description: 'Deleted.' })
  @ScimErrors(404, 412)
  async delete(@Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.groups.delete(id, ifMatch);
  }

  private send(reply: FastifyReply, result: GroupResult, projected: Projected): unknown {
    reply.header('etag', `W/"${result.version}"`);
    return result.members === 'stream' ? this.groups.stream(result, projected) : result.resource;
  }
}
