import { Controller, Get, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators';
import { PageExceptionFilter } from '../auth/login/page-exception.filter';
import { EVENT_TYPES } from '../events/events.service';
import { SchemaExtensionsService } from '../schemas/schema-extensions.service';
import { ConsoleAccess, send } from './console-access';
import { consoleCursor, ConsoleEvents } from './console-events';
import { activityPage, activityResults, ActivityView } from './console-events.pages';
import { schemasPage } from './console-schemas.pages';

type Form = Record<string, unknown>;

/** Longest actor filter the page takes (the feed's own limit). */
const MAX_ACTOR = 256;

/**
 * The console's Activity page (the change feed, newest first, by actor and type, with cursor
 * paging and auto-refresh) and its Schemas page (the registered extensions, read-only). Both read
 * through the services: EventsService and SchemaExtensionsService.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller('console')
export class ConsoleActivityController {
  constructor(
    private readonly access: ConsoleAccess,
    private readonly events: ConsoleEvents,
    private readonly extensions: SchemaExtensionsService,
  ) {}

  @Get('activity')
  async activity(@Query() query: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    const filters = {
      actor: typeof query.actor === 'string' ? query.actor.trim().slice(0, MAX_ACTOR) : '',
      type: typeof query.type === 'string' ? query.type.slice(0, 64) : '',
      cursor: consoleCursor(query.cursor),
    };
    const fragment = query.fragment === '1';
    const [page, actors] = await Promise.all([
      this.events.activity(filters),
      fragment ? Promise.resolve([]) : this.events.recentActors(),
    ]);
    const view: ActivityView = {
      filters,
      records: page.records,
      ...(page.older ? { olderCursor: page.older } : {}),
      ...(page.error ? { error: page.error } : {}),
      actors,
      types: EVENT_TYPES,
    };
    const status = page.error ? 400 : 200;
    if (fragment) {
      return send(reply, activityResults(view), status);
    }
    return send(reply, activityPage(this.access.frame(admin, 'Activity'), view), status);
  }

  @Get('schemas')
  async schemas(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    return send(reply, schemasPage(this.access.frame(admin, 'Schemas'), await this.extensions.list()));
  }
}
