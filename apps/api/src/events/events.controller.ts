import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import { AnyScope } from '../auth/decorators';
import { EVENTS_READER_SCOPES } from '../auth/principal';
import { isResourceId } from '../common/etag';
import { ScimErrors, scimContent } from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { APP_CONFIG, AppConfig } from '../config';
import { feedPage, parseFeedQuery, EVENT_SCHEMA, MAX_EVENT_PAGE } from './events-feed';
import { EVENT_TYPES, EventsService } from './events.service';

const EVENT_PAGE_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  itemsPerPage: 1,
  totalResults: 1,
  nextCursor: '42',
  Resources: [
    {
      schemas: [EVENT_SCHEMA],
      id: '42',
      type: 'user.deactivated',
      time: '2026-12-04T10:00:00.000Z',
      resource: {
        type: 'User',
        id: '2819c223-7f76-453a-919d-413861904646',
        version: 'W/"3"',
        location: 'https://roster.example.com/v2/Users/2819c223-7f76-453a-919d-413861904646',
      },
      changes: [{ path: 'active', value: false }],
      detail: { cascade: ['oauth_grants', 'refresh_tokens', 'access_tokens', 'consents'] },
      actor: {
        kind: 'api-token',
        id: '0b4f5a1e-8f0e-4b8e-9d7a-1c2d3e4f5a6b',
        name: 'Okta',
        requestId: 'a3f1c2d4',
        clientAddress: '203.0.113.7',
        userAgent: 'Okta SCIM Client 1.0.0',
      },
    },
  ],
};

const FeedQueries = (): MethodDecorator => (target, key, descriptor) => {
  const decorators = [
    ApiQuery({
      name: 'cursor',
      required: false,
      description:
        'RFC 9865 cursor: empty or absent for the oldest event kept; then the nextCursor of the previous page.',
    }),
    ApiQuery({ name: 'count', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_EVENT_PAGE } }),
    ApiQuery({
      name: 'sortOrder',
      required: false,
      enum: ['ascending', 'descending'],
      description:
        'ascending (default): oldest first, for following the feed; descending: newest first, and nextCursor pages back in time.',
    }),
    ApiQuery({ name: 'type', required: false, description: `Comma-separated event types: ${EVENT_TYPES.join(', ')}.` }),
    ApiQuery({
      name: 'actor',
      required: false,
      description: "The actor's id or name (an API token's id or name, an OAuth client, a user id).",
    }),
    ApiQuery({ name: 'since', required: false, description: 'Events at or after this RFC 3339 instant.' }),
    ApiQuery({ name: 'until', required: false, description: 'Events before this RFC 3339 instant.' }),
  ];
  for (const decorate of decorators) {
    decorate(target, key, descriptor);
  }
};

/**
 * The change log (a Roster extension): every change of the directory, in feed-position order, with who
 * made it. Read with cursor paging; a follower that keeps the last nextCursor sees each event once.
 */
@ApiTags('Events')
@ScimEndpoint()
@Controller('v2')
export class EventsController {
  private readonly baseUrl: string;

  constructor(
    private readonly events: EventsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/v2`;
  }

  @Get('Events')
  @AnyScope(...EVENTS_READER_SCOPES)
  @ApiOperation({ summary: 'The change feed: every change with its actor, in sequence order (Roster extension).' })
  @FeedQueries()
  @ApiQuery({ name: 'resourceId', required: false, description: 'Only the events of this resource.' })
  @ApiResponse({ status: 200, description: 'ListResponse of events', content: scimContent(EVENT_PAGE_EXAMPLE) })
  @ScimErrors()
  async feed(@Query() query: Record<string, unknown>): Promise<Record<string, unknown>> {
    const request = parseFeedQuery(query);
    return feedPage(request, await this.events.list(request), this.baseUrl);
  }

  @Get('Users/:id/History')
  @AnyScope(...EVENTS_READER_SCOPES)
  @ApiOperation({ summary: "One user's events, oldest first, with cursor paging (Roster extension)." })
  @ApiParam({ name: 'id' })
  @FeedQueries()
  @ApiResponse({ status: 200, description: 'ListResponse of events', content: scimContent(EVENT_PAGE_EXAMPLE) })
  @ScimErrors(404)
  userHistory(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.history('User', id, query);
  }

  @Get('Groups/:id/History')
  @AnyScope(...EVENTS_READER_SCOPES)
  @ApiOperation({ summary: "One group's events, oldest first, with cursor paging (Roster extension)." })
  @ApiParam({ name: 'id' })
  @FeedQueries()
  @ApiResponse({ status: 200, description: 'ListResponse of events', content: scimContent(EVENT_PAGE_EXAMPLE) })
  @ScimErrors(404)
  groupHistory(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.history('Group', id, query);
  }

  /** A deleted resource keeps its history (until retention prunes it); an id with no events is 404. */
  private async history(type: 'User' | 'Group', id: string, query: Record<string, unknown>) {
    if (!isResourceId(id)) {
      throw ScimError.notFound(`${type} ${id} not found.`);
    }
    const request = parseFeedQuery(query, { resourceId: id.toLowerCase() });
    const records = await this.events.list(request);
    const unknown =
      !records.length && !(await this.events.list({ after: 0n, limit: 1, resourceId: request.resourceId })).length;
    if (unknown) {
      throw ScimError.notFound(`${type} ${id} has no history.`);
    }
    return feedPage(request, records, this.baseUrl);
  }
}
