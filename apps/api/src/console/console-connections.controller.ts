import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiTokensService } from '../auth/api-tokens.service';
import { OAuthClientsService } from '../auth/clients.service';
import { Public } from '../auth/decorators';
import { redirect } from '../auth/login/html';
import { PageExceptionFilter } from '../auth/login/page-exception.filter';
import { BrowserSession } from '../auth/login/session.service';
import { UserGrantsService } from '../auth/management/user-grants.service';
import { resourceUrl } from '../auth/resources';
import { SigningKeysService } from '../auth/signing-keys.service';
import { APP_CONFIG, AppConfig } from '../config';
import { ConsoleAccess, send } from './console-access';
import { connectionsPage, ConnectionsView } from './console-connections.pages';

type Form = Record<string, unknown>;

const NOTICES: Record<string, string> = {
  token: 'Token revoked: it is refused from the next request on.',
  client: 'Client revoked: its tokens stop working within 30 seconds.',
  grant: "Access revoked: the application's refresh tokens no longer work.",
};
const ROTATED = 'Signing key rotated: new tokens are signed with the new key; the previous one stays published.';

/**
 * The console's Connections page: API tokens (create, shown once with what to paste into Entra ID
 * or Okta; last use; revoke), OAuth clients and the grants users gave (revoke). The same services
 * as /admin and the CLI.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller('console/Connections')
export class ConsoleConnectionsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: ConsoleAccess,
    private readonly tokens: ApiTokensService,
    private readonly clients: OAuthClientsService,
    private readonly grants: UserGrantsService,
    private readonly keys: SigningKeysService,
  ) {}

  @Get()
  async page(@Query() query: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.admin(request, reply);
    if (!admin) {
      return reply;
    }
    const notice =
      query.rotated === '1' ? ROTATED : typeof query.revoked === 'string' ? NOTICES[query.revoked] : undefined;
    return this.render(reply, admin, { notice });
  }

  @Post('Tokens')
  async create(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.adminForm(request, reply, body?.csrf_token);
    if (!admin) {
      return reply;
    }
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const scope = [body.read === 'yes' ? 'scim.read' : '', body.write === 'yes' ? 'scim.write' : '']
      .filter(Boolean)
      .join(' ');
    if (!name || name.length > 200) {
      return this.render(reply, admin, { error: 'Give the token a name of 1 to 200 characters.' }, 400);
    }
    if (!scope) {
      return this.render(reply, admin, { error: 'Choose what the token may do.' }, 400);
    }
    try {
      const created = await this.access.act(admin, request, () => this.tokens.create({ name, scope }));
      return this.render(reply, admin, { created: { name: created.name, token: created.token } }, 201);
    } catch (error) {
      if (error instanceof ScimError && error.status === 400) {
        return this.render(reply, admin, { error: error.detail }, 400);
      }
      throw error;
    }
  }

  /** Rotates the signing key through the service /admin/keys/rotate and the CLI use, after a confirmation. */
  @Post('Keys/Rotate')
  async rotateKey(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const admin = await this.access.adminForm(request, reply, body?.csrf_token);
    if (!admin) {
      return reply;
    }
    if (body.confirm !== 'yes') {
      return this.render(reply, admin, { error: 'Tick the confirmation to rotate the signing key.' }, 400);
    }
    try {
      await this.access.act(admin, request, () => this.keys.rotate());
    } catch (error) {
      if (error instanceof ScimError && error.status === 409) {
        return this.render(reply, admin, { error: error.detail }, 409);
      }
      throw error;
    }
    return redirect(reply, '/console/Connections?rotated=1#keys-heading');
  }

  @Post('Tokens/:id/Revoke')
  revokeToken(@Param('id') id: string, @Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.revoke(request, reply, body, 'token', () => this.tokens.revoke(id));
  }

  @Post('Clients/:id/Revoke')
  revokeClient(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.revoke(request, reply, body, 'client', () => this.clients.revoke(id));
  }

  @Post('Grants/:id/Revoke')
  revokeGrant(@Param('id') id: string, @Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.revoke(request, reply, body, 'grant', () => this.grants.revoke(id));
  }

  private async revoke(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Form,
    kind: string,
    action: () => Promise<void>,
  ): Promise<FastifyReply> {
    const admin = await this.access.adminForm(request, reply, body?.csrf_token);
    if (!admin) {
      return reply;
    }
    try {
      await this.access.act(admin, request, action);
    } catch (error) {
      if (error instanceof ScimError && (error.status === 404 || error.status === 400)) {
        return this.render(reply, admin, { error: `Nothing to revoke: ${error.detail}` }, 404);
      }
      throw error;
    }
    return redirect(reply, `/console/Connections?revoked=${kind}`);
  }

  private async render(
    reply: FastifyReply,
    admin: BrowserSession,
    extra: Partial<ConnectionsView>,
    status = 200,
  ): Promise<FastifyReply> {
    const [tokens, clients, grants, keys] = await Promise.all([
      this.tokens.list(),
      this.clients.list(),
      this.grants.list({}),
      this.keys.list(),
    ]);
    return send(
      reply,
      connectionsPage(this.access.frame(admin, 'Connections'), {
        scimBaseUrl: resourceUrl(this.config, 'scim'),
        tokens,
        clients,
        grants,
        ...(keys.length ? { keys } : {}),
        keyOverlapMinutes: Math.ceil(this.keys.maxTokenLifetime / 60),
        ...extra,
      }),
      status,
    );
  }
}
