import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../auth/decorators';
import { listLimits, parseSearchRequest } from '../common/list-query';
import { ListResponse } from '../common/paging';
import { ScimBody, ScimErrors, scimContent } from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { APP_CONFIG, AppConfig } from '../config';
import { SEARCH_EXAMPLE, USER_LIST_EXAMPLE } from '../users/users.examples';
import { RootSearchService } from './root-search.service';

@ApiTags('Search')
@ApiConsumes('application/scim+json', 'application/json')
@ScimEndpoint()
@Controller('v2')
export class RootSearchController {
  constructor(
    private readonly search: RootSearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('.search')
  @HttpCode(200)
  @Scopes('scim.read')
  @ApiOperation({
    summary: 'Search Users and Groups with one SearchRequest (RFC 7644 §3.4.3): users first, then groups.',
  })
  @ScimBody('SearchRequest', SEARCH_EXAMPLE)
  @ApiResponse({
    status: 200,
    description: 'ListResponse of Users and Groups',
    content: scimContent(USER_LIST_EXAMPLE, 'ListResponse'),
  })
  @ScimErrors()
  find(@Body() body: unknown): Promise<ListResponse> {
    return this.search.search(parseSearchRequest(body, listLimits(this.config)));
  }
}
