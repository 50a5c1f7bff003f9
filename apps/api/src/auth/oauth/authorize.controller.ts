import { Body, Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../decorators';
import { redirect, sendPage } from '../login/html';
import { PageExceptionFilter } from '../login/page-exception.filter';
import { consentPage, messagePage } from '../login/pages';
import { BrowserSession, SessionService } from '../login/session.service';
import { AuthorizeOutcome, AuthorizeService } from './authorize.service';

const RESOURCE_NAMES = { mcp: 'the Roster MCP endpoint (AI assistants)', scim: 'the Roster SCIM API' };

/**
 * The authorization endpoint (RFC 6749 §3.1): GET starts or resumes a request, POST carries the
 * consent decision. Answers are pages or redirects, never JSON.
 */
@ApiTags('OAuth')
@Public()
@UseFilters(PageExceptionFilter)
@Controller('v2/Login/Oauth2/Authorize')
export class AuthorizeController {
  constructor(
    private readonly authorize: AuthorizeService,
    private readonly sessions: SessionService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'OAuth 2.0 authorization endpoint (authorization code with PKCE S256); a browser page, not an API.',
    description:
      'Parameters: response_type=code, client_id, redirect_uri, state, scope, code_challenge, ' +
      'code_challenge_method=S256, resource (RFC 8707; default the MCP endpoint), prompt (none, consent, login). ' +
      'Signs the user in, asks for consent, and redirects to redirect_uri with code, state and iss (RFC 9207).',
  })
  async start(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.sessions.current(request);
    return this.render(reply, session, await this.authorize.authorize(query, session), 302);
  }

  @Post()
  @ApiExcludeEndpoint()
  async decide(@Body() body: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.sessions.current(request);
    if (!session || !this.sessions.csrfValid(session, body?.csrf_token)) {
      return sendPage(
        reply,
        messagePage(
          'Please try again',
          'This form has expired or did not come from Roster. Start again from the application.',
        ),
        { status: 403 },
      );
    }
    if (!session.user) {
      return this.render(reply, session, await this.authorize.authorize(body, session), 303);
    }
    const outcome = await this.authorize.decide(body, session, body.decision === 'allow', body.remember === 'yes');
    return this.render(reply, session, outcome, 303);
  }

  private async render(
    reply: FastifyReply,
    session: BrowserSession | undefined,
    outcome: AuthorizeOutcome,
    redirectStatus: number,
  ): Promise<FastifyReply> {
    switch (outcome.kind) {
      case 'error-page':
        return sendPage(reply, messagePage('This sign-in request cannot continue', outcome.message), { status: 400 });
      case 'redirect':
        return redirect(reply, outcome.location, redirectStatus);
      case 'sign-in': {
        const query = new URLSearchParams(
          Object.entries(outcome.request.params).filter((e): e is [string, string] => e[1] !== undefined),
        );
        const prompts = [...outcome.request.prompts].filter((p) => p !== 'login');
        if (prompts.length) {
          query.set('prompt', prompts.join(' '));
        } else {
          query.delete('prompt');
        }
        const returnTo = `/v2/Login/Oauth2/Authorize?${query.toString()}`;
        return redirect(reply, `/v2/Login?return_to=${encodeURIComponent(returnTo)}`);
      }
      case 'consent': {
        const { request, scopes, withheld } = outcome;
        const user = (session as BrowserSession).user!;
        const redirectUrl = new URL(request.redirectUri);
        const userDoc = user.doc as { displayName?: unknown };
        return sendPage(
          reply,
          consentPage({
            csrf: (session as BrowserSession).record.csrfToken,
            params: request.params,
            clientName: request.client.name,
            selfDeclared: request.client.dynamic,
            redirectHost: redirectUrl.host,
            scopes,
            withheld,
            offline: request.offline,
            user: {
              userName: user.userName,
              displayName: typeof userDoc.displayName === 'string' ? userDoc.displayName : undefined,
            },
            resourceName: RESOURCE_NAMES[request.resource],
          }),
          { formTargets: [redirectUrl.origin] },
        );
      }
    }
  }
}
