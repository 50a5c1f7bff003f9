import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators';
import { redirect } from '../auth/login/html';
import { PageExceptionFilter } from '../auth/login/page-exception.filter';
import { messagePage } from '../auth/login/pages';
import { BrowserSession, SessionService } from '../auth/login/session.service';
import { isResourceId } from '../common/etag';
import { listLimits, parseListQuery } from '../common/list-query';
import { APP_CONFIG, AppConfig } from '../config';
import { UsersService } from '../users/users.service';
import { ConsoleAccess, formVersion, send } from './console-access';
import { CONSOLE_LINK_METHOD, ConsoleLinkService } from './console-link.service';
import { CONSOLE_SCRIPT } from './console.assets';
import { consoleCursor, ConsoleEvents } from './console-events';
import { userPage, usersPage, usersResults, UsersList } from './console.pages';
import { lastModified, ListSort, listQuery, sortParams, USER_SORTS, userSearchFilter } from './console-search';

const PAGE_SIZE = 25;

type Form = Record<string, unknown>;

/**
 * The administrators' console: server-rendered pages for members of ROSTER_ADMIN_GROUPS, signed
 * in through Roster's sign-in pages (the same browser session as the OAuth flow). Every change
 * goes through the services SCIM uses, with If-Match; every form that changes something carries
 * the session's CSRF token.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: ConsoleAccess,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly links: ConsoleLinkService,
    private readonly events: ConsoleEvents,
  ) {}

  @Get('Assets/console.js')
  script(@Res() reply: FastifyReply): FastifyReply {
    return reply
      .headers({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
      .send(CONSOLE_SCRIPT);
  }

  /** The one-time link of `roster console link`: taken once, it opens a session for the admin token holder. */
  @Get('Link')
  async link(@Query('code') code: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!(await this.links.redeem(code))) {
      return send(
        reply,
        messagePage(
          'Link not valid',
          'This sign-in link is unknown, was already used, or has expired.',
          'Print a new one with `roster console link`, or sign in with a directory account.',
        ),
        403,
      );
    }
    await this.sessions.startWithoutUser(reply, await this.sessions.current(request), CONSOLE_LINK_METHOD);
    return redirect(reply, '/console/Users');
  }

  @Get()
  async home(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    return admin ? redirect(reply, '/console/Users') : reply;
  }

  @Get('Users')
  async usersList(@Query() query: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    const { q, cursor, sort } = listQuery(query, USER_SORTS);
    const list = await this.search(q, cursor, sort);
    if (query.fragment === '1') {
      return send(reply, usersResults(list));
    }
    return send(reply, usersPage(this.access.frame(admin, 'Users'), list));
  }

  @Get('Users/:id')
  async user(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    return this.renderUser(reply, admin, id);
  }

  @Post('Users/:id/Active')
  async setActive(
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
    if (!version || (body.active !== 'true' && body.active !== 'false')) {
      return send(reply, messagePage('Bad request', 'The form was incomplete. Reload the page and try again.'), 400);
    }
    const active = body.active === 'true';
    try {
      await this.access.act(admin, request, () =>
        this.users.patch(
          id,
          {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'replace', path: 'active', value: active }],
          },
          `W/"${version}"`,
        ),
      );
    } catch (error) {
      if (error instanceof ScimError && error.status === 412) {
        return this.renderUser(
          reply,
          admin,
          id,
          {
            error:
              'This user was changed by someone else since you opened the page; nothing was changed. Here is the current state.',
          },
          409,
        );
      }
      throw error;
    }
    return redirect(reply, `/console/Users/${id}?done=${active ? 'reactivated' : 'deactivated'}`);
  }

  private async renderUser(
    reply: FastifyReply,
    admin: BrowserSession,
    id: string,
    messages: { error?: string } = {},
    status = 200,
  ): Promise<FastifyReply> {
    if (!isResourceId(id)) {
      return send(reply, messagePage('Not found', 'There is no such user.'), 404);
    }
    let result;
    try {
      result = await this.users.get(id);
    } catch (error) {
      if (error instanceof ScimError && error.status === 404) {
        return send(reply, messagePage('Not found', 'There is no such user.'), 404);
      }
      throw error;
    }
    const query = reply.request.query as Form | undefined;
    const done = query?.done;
    const history = await this.events.history(
      result.resource.id as string,
      consoleCursor(query?.history),
      `/console/Users/${id}`,
    );
    return send(
      reply,
      userPage(this.access.frame(admin, 'Users'), {
        id,
        version: result.version,
        resource: result.resource,
        error: messages.error,
        notice: done === 'deactivated' ? 'Deactivated.' : done === 'reactivated' ? 'Reactivated.' : undefined,
        history,
      }),
      status,
    );
  }

  private async search(q: string, cursor: string, sort?: ListSort): Promise<UsersList> {
    const filter = userSearchFilter(q);
    try {
      const result = await this.users.list(
        parseListQuery(
          { ...(filter ? { filter } : {}), ...sortParams(sort), count: String(PAGE_SIZE), cursor },
          listLimits(this.config),
        ),
      );
      const rows = result.Resources.map((r) => ({
        id: String(r.id),
        userName: String(r.userName),
        displayName: typeof r.displayName === 'string' ? r.displayName : undefined,
        active: r.active !== false,
        lastModified: lastModified(r),
      }));
      return { q, ...(sort ? { sort } : {}), rows, total: result.totalResults, nextCursor: result.nextCursor };
    } catch (error) {
      if (error instanceof ScimError && error.status === 400) {
        return {
          q,
          ...(sort ? { sort } : {}),
          rows: [],
          total: 0,
          error: `Not a search Roster can run: ${error.detail}`,
        };
      }
      throw error;
    }
  }
}
