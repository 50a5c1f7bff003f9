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
import { DEFAULT_WINDOW, requestsSection, WINDOWS } from './console-requests.pages';
import { OAuthClientsService } from '../auth/clients.service';
import { RequestLogService } from '../request-log/request-log.service';
import { MAX_KEY } from '../request-log/request-log';

type Form = Record<string, unknown>;

/** Longest actor filter the page takes (the feed's own limit). */
const MAX_ACTOR = 256;
/** Errors shown per connection on the overview, and on one connection's page. */
const ERRORS_EACH = 10;
const ERRORS_ONE = 50;

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
    private readonly requestLog: RequestLogService,
    private readonly clients: OAuthClientsService,
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
    const [page, actors, requests] = await Promise.all([
      this.events.activity(filters),
      fragment ? Promise.resolve([]) : this.events.recentActors(),
      fragment ? Promise.resolve(undefined) : this.requests(query),
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
    return send(reply, activityPage(this.access.frame(admin, 'Activity'), view, requests), status);
  }

  /** The requests and errors per connection, for the window and connection the address names. */
  private async requests(query: Form) {
    const hours = WINDOWS.find((h) => String(h) === query.hours) ?? DEFAULT_WINDOW;
    const connection =
      typeof query.connection === 'string' && query.connection.length <= MAX_KEY ? query.connection : undefined;
    const before =
      typeof query.errors_before === 'string' && /^[0-9]{1,18}$/.test(query.errors_before)
        ? BigInt(query.errors_before)
        : undefined;
    const [overview, clients] = await Promise.all([
      this.requestLog.overview({
        hours,
        errorsEach: connection === undefined ? ERRORS_EACH : ERRORS_ONE,
        ...(connection !== undefined ? { connection } : {}),
        ...(before !== undefined ? { before } : {}),
      }),
      this.clients.list(),
    ]);
    return requestsSection({
      overview,
      hours,
      ...(connection !== undefined ? { connection } : {}),
      clientNames: new Map(clients.map((c) => [c.client_id, c.client_name])),
      enabled: this.requestLog.enabled,
    });
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
