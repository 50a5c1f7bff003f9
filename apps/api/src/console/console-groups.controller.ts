import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { GroupsRepository } from '@roster/db';
import { ROSTER_GROUP_SCHEMA, ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators';
import { redirect } from '../auth/login/html';
import { PageExceptionFilter } from '../auth/login/page-exception.filter';
import { messagePage } from '../auth/login/pages';
import { BrowserSession } from '../auth/login/session.service';
import { isResourceId } from '../common/etag';
import { listLimits, parseListQuery, parseProjection } from '../common/list-query';
import { APP_CONFIG, AppConfig } from '../config';
import { GroupsService } from '../groups/groups.service';
import { UsersService } from '../users/users.service';
import { ConsoleAccess, formVersion, send } from './console-access';
import { groupPage, groupsPage, groupsResults, GroupsList, GroupView } from './console-groups.pages';
import { GROUP_SORTS, lastModified, ListSort, listQuery, sortParams } from './console-search';
import { consoleCursor, ConsoleEvents } from './console-events';

const PAGE_SIZE = 25;
const MEMBER_PAGE = 50;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const STALE =
  'This group was changed by someone else since you opened the page; nothing was changed. Here is the current state.';

type Form = Record<string, unknown>;

/** The filter for a groups search box: a SCIM filter as it is, or free text against the display name. */
export function groupSearchFilter(typed: string): string | undefined {
  const text = typed.trim();
  if (!text) {
    return undefined;
  }
  return /\s(eq|ne|co|sw|ew|gt|ge|lt|le)\s|\spr(\s|$)/i.test(text) ? text : `displayName co ${JSON.stringify(text)}`;
}

/**
 * The console's Groups pages. A group's page never loads its member list: it reads the member
 * count and one keyset page of members (50, in member-id order), so it costs the same for a group
 * of ten and of 100,000. Adding and removing go through GroupsService.patch with If-Match, as a
 * SCIM PATCH does.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller('console/Groups')
export class ConsoleGroupsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: ConsoleAccess,
    private readonly groups: GroupsService,
    private readonly groupRows: GroupsRepository,
    private readonly users: UsersService,
    private readonly events: ConsoleEvents,
  ) {}

  @Get()
  async list(@Query() query: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    const { q, cursor, sort } = listQuery(query, GROUP_SORTS);
    const list = await this.search(q, cursor, sort);
    if (query.fragment === '1') {
      return send(reply, groupsResults(list));
    }
    return send(reply, groupsPage(this.access.frame(admin, 'Groups'), list));
  }

  /**
   * The group's logo for the console's page (an <img> cannot send the bearer token that
   * /v2/Groups/{id}/Logo needs): the same service and the same strict headers, behind the session.
   */
  @Get(':id/Logo')
  async logo(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    let logo;
    try {
      logo = await this.groups.getLogo(id);
    } catch (error) {
      if (error instanceof ScimError && error.status === 404) {
        return send(reply, messagePage('Not found', 'This group has no logo.'), 404);
      }
      throw error;
    }
    return reply
      .headers({
        'content-type': logo.mediaType,
        etag: logo.etag,
        'cache-control': 'private, max-age=300',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
        'content-disposition': 'inline',
      })
      .send(logo.content);
  }

  @Get(':id')
  async group(
    @Param('id') id: string,
    @Query() query: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    const after = typeof query.after === 'string' && isResourceId(query.after) ? query.after : undefined;
    const done = query.done === 'added' ? 'Member added.' : query.done === 'removed' ? 'Member removed.' : undefined;
    return this.render(reply, admin, id, { after, notice: done, historyCursor: consoleCursor(query.history) });
  }

  @Post(':id/Members')
  async add(@Param('id') id: string, @Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.adminForm(request, reply, body?.csrf_token);
    if (!admin) {
      return reply;
    }
    const version = formVersion(body.version);
    const userName = typeof body.userName === 'string' ? body.userName.trim().slice(0, 256) : '';
    if (!version || !userName) {
      return this.render(reply, admin, id, { error: 'Enter the user name of the user to add.' }, 400);
    }
    const found = await this.users.list(
      parseListQuery({ filter: `userName eq ${JSON.stringify(userName)}`, count: '1' }, listLimits(this.config)),
    );
    const user = found.Resources[0] as Record<string, unknown> | undefined;
    if (!user) {
      return this.render(
        reply,
        admin,
        id,
        { error: `There is no user named ${userName}.`, addUserName: userName },
        400,
      );
    }
    return this.change(request, reply, admin, id, version, 'added', {
      op: 'add',
      path: 'members',
      value: [{ value: String(user.id) }],
    });
  }

  @Post(':id/Members/Remove')
  async remove(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const admin = await this.access.adminForm(request, reply, body?.csrf_token);
    if (!admin) {
      return reply;
    }
    const version = formVersion(body.version);
    const member = typeof body.member === 'string' && isResourceId(body.member) ? body.member : undefined;
    if (!version || !member) {
      return send(reply, messagePage('Bad request', 'The form was incomplete. Reload the page and try again.'), 400);
    }
    return this.change(request, reply, admin, id, version, 'removed', {
      op: 'remove',
      path: `members[value eq "${member}"]`,
    });
  }

  private async change(
    request: FastifyRequest,
    reply: FastifyReply,
    admin: BrowserSession,
    id: string,
    version: string,
    done: 'added' | 'removed',
    operation: Record<string, unknown>,
  ): Promise<FastifyReply> {
    try {
      await this.access.act(admin, request, () =>
        this.groups.patch(
          id,
          { schemas: [PATCH_OP], Operations: [operation] },
          `W/"${version}"`,
          parseProjection({ excludedAttributes: 'members' }),
        ),
      );
    } catch (error) {
      if (error instanceof ScimError && error.status === 412) {
        return this.render(reply, admin, id, { error: STALE }, 409);
      }
      if (error instanceof ScimError && error.status === 400) {
        return this.render(reply, admin, id, { error: error.detail }, 400);
      }
      throw error;
    }
    return redirect(reply, `/console/Groups/${id}?done=${done}`);
  }

  private async render(
    reply: FastifyReply,
    admin: BrowserSession,
    id: string,
    extra: Partial<GroupView> & { after?: string; historyCursor?: string } = {},
    status = 200,
  ): Promise<FastifyReply> {
    const missing = () => send(reply, messagePage('Not found', 'There is no such group.'), 404);
    if (!isResourceId(id)) {
      return missing();
    }
    let result;
    try {
      result = await this.groups.get(id, parseProjection({ excludedAttributes: 'members' }));
    } catch (error) {
      if (error instanceof ScimError && error.status === 404) {
        return missing();
      }
      throw error;
    }
    const [count, rows, history] = await Promise.all([
      this.groupRows.memberCount(id),
      this.groupRows.memberPage(id, extra.after, MEMBER_PAGE + 1),
      this.events.history(String(result.resource.id), extra.historyCursor ?? '', `/console/Groups/${id}`),
    ]);
    const page = rows.slice(0, MEMBER_PAGE);
    const { after, historyCursor: _historyCursor, ...messages } = extra;
    return send(
      reply,
      groupPage(this.access.frame(admin, 'Groups'), {
        id,
        version: result.version,
        displayName: String(result.resource.displayName),
        externalId: typeof result.resource.externalId === 'string' ? result.resource.externalId : undefined,
        hasLogo: ROSTER_GROUP_SCHEMA in result.resource,
        memberCount: count,
        members: page.map((m) => ({ id: m.memberId, type: m.type, display: m.display ?? m.memberId })),
        nextAfter: rows.length > MEMBER_PAGE ? page[page.length - 1].memberId : undefined,
        paged: after !== undefined,
        history,
        ...messages,
      }),
      status,
    );
  }

  private async search(q: string, cursor: string, sort?: ListSort): Promise<GroupsList> {
    const filter = groupSearchFilter(q);
    const sorted = sort ? { sort } : {};
    try {
      const result = await this.groups.list(
        parseListQuery(
          {
            ...(filter ? { filter } : {}),
            ...sortParams(sort),
            count: String(PAGE_SIZE),
            cursor,
            excludedAttributes: 'members',
          },
          listLimits(this.config),
        ),
      );
      const rows = result.Resources.map((r) => ({
        id: String(r.id),
        displayName: String(r.displayName),
        lastModified: lastModified(r),
      }));
      return { q, ...sorted, rows, total: result.totalResults, nextCursor: result.nextCursor };
    } catch (error) {
      if (error instanceof ScimError && error.status === 400) {
        return { q, ...sorted, rows: [], total: 0, error: `Not a search Roster can run: ${error.detail}` };
      }
      throw error;
    }
  }
}
