import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../../config';
import { Public } from '../decorators';
import { html, redirect, sendPage } from './html';
import { OidcUpstreamService } from './oidc-upstream.service';
import { PageExceptionFilter } from './page-exception.filter';
import { layoutPage, messagePage, signedOutPage, signInPage, STYLESHEET } from './pages';
import { SessionService, safeReturnTo } from './session.service';
import { SignInService } from './sign-in.service';

type Form = Record<string, unknown>;

const EXPIRED_FORM = 'This form has expired or did not come from Roster. Go back, reload the page and try again.';

/** Origins a sign-in form may end up at: the upstream provider, and the client the flow returns to. */
export function formTargetsFor(returnTo: string, upstreamIssuer: string | undefined): string[] {
  const targets: string[] = [];
  if (upstreamIssuer) {
    targets.push(new URL(upstreamIssuer).origin);
  }
  const query = returnTo.split('?')[1];
  const redirectUri = query ? new URLSearchParams(query).get('redirect_uri') : null;
  if (redirectUri) {
    try {
      const url = new URL(redirectUri);
      if (url.protocol === 'https:' || url.protocol === 'http:') {
        targets.push(url.origin);
      }
    } catch {
      // not a URL: the authorization endpoint will refuse it anyway
    }
  }
  return targets;
}

/**
 * The sign-in pages: password sign-in of directory users, upstream OpenID Connect, sign-out.
 * Server-rendered HTML without script; every form carries the session's CSRF token. The admin
 * console (later) signs in through the same pages with its own `return_to`.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller('v2/Login')
export class LoginController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionService,
    private readonly signIn: SignInService,
    private readonly upstream: OidcUpstreamService,
  ) {}

  @Get('Assets/roster.css')
  stylesheet(@Res() reply: FastifyReply): FastifyReply {
    return reply
      .headers({
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
      .send(STYLESHEET);
  }

  @Get()
  async page(@Query('return_to') rawReturnTo: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const returnTo = safeReturnTo(rawReturnTo);
    const session = await this.sessions.ensure(request, reply);
    return this.render(reply, { csrf: session.record.csrfToken, returnTo });
  }

  @Post()
  async submit(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const returnTo = safeReturnTo(body?.return_to);
    const session = await this.sessions.current(request);
    if (!this.sessions.csrfValid(session, body?.csrf_token)) {
      return sendPage(reply, messagePage('Please try again', EXPIRED_FORM), { status: 403 });
    }
    const outcome = await this.signIn.verify(body.userName, body.password, request.ip);
    if (!outcome.ok) {
      if (outcome.retryAfterSeconds) {
        reply.header('retry-after', String(outcome.retryAfterSeconds));
      }
      return this.render(
        reply,
        {
          csrf: session!.record.csrfToken,
          returnTo,
          userName: typeof body.userName === 'string' ? body.userName.slice(0, 256) : undefined,
          error: outcome.message,
        },
        outcome.throttled ? 429 : 401,
      );
    }
    await this.sessions.signIn(reply, session, outcome.user, 'password');
    return redirect(reply, returnTo);
  }

  @Get('SignedIn')
  async signedIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.sessions.current(request);
    if (!session?.user) {
      return redirect(reply, '/v2/Login');
    }
    return sendPage(
      reply,
      layoutPage(
        'Signed in',
        html`<h1>Signed in</h1>
          <p>You are signed in to Roster as <strong>${session.user.userName}</strong>.</p>
          <form method="post" action="/v2/Login/SignOut">
            <input type="hidden" name="csrf_token" value="${session.record.csrfToken}" /><input
              type="hidden"
              name="return_to"
              value="/v2/Login/SignedOut"
            />
            <div class="actions"><button type="submit" class="secondary">Sign out</button></div>
          </form>`,
      ),
    );
  }

  @Get('SignedOut')
  signedOut(@Res() reply: FastifyReply): FastifyReply {
    return sendPage(reply, signedOutPage());
  }

  @Post('SignOut')
  async signOut(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.sessions.current(request);
    if (!this.sessions.csrfValid(session, body?.csrf_token)) {
      return sendPage(reply, messagePage('Please try again', EXPIRED_FORM), { status: 403 });
    }
    await this.sessions.signOut(reply, session);
    const returnTo = safeReturnTo(body.return_to, '/v2/Login/SignedOut');
    return redirect(
      reply,
      returnTo === '/v2/Login/SignedOut' ? returnTo : `/v2/Login?return_to=${encodeURIComponent(returnTo)}`,
    );
  }

  @Post('Oidc')
  async startUpstream(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.upstream.name) {
      return sendPage(reply, messagePage('Not available', 'Sign-in through an identity provider is not configured.'), {
        status: 404,
      });
    }
    const session = await this.sessions.current(request);
    if (!session || !this.sessions.csrfValid(session, body?.csrf_token)) {
      return sendPage(reply, messagePage('Please try again', EXPIRED_FORM), { status: 403 });
    }
    const location = await this.upstream.start(session, safeReturnTo(body.return_to));
    return redirect(reply, location);
  }

  @Get('Oidc/Callback')
  async finishUpstream(@Query() query: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.sessions.current(request);
    const outcome = await this.upstream.finish(session, query ?? {});
    if ('refused' in outcome) {
      const back = `/v2/Login?return_to=${encodeURIComponent(outcome.returnTo ?? '/v2/Login/SignedIn')}`;
      return sendPage(
        reply,
        layoutPage(
          'Sign-in refused',
          html`<h1>Sign-in refused</h1>
            <p class="error" role="alert">${outcome.refused}</p>
            <p><a href="${back}">Back to sign-in</a></p>`,
        ),
        { status: 403 },
      );
    }
    await this.sessions.signIn(reply, session, outcome.user, 'oidc');
    return redirect(reply, outcome.returnTo);
  }

  private render(
    reply: FastifyReply,
    page: { csrf: string; returnTo: string; userName?: string; error?: string },
    status = 200,
  ): FastifyReply {
    const forAuthorization = page.returnTo.startsWith('/v2/Login/Oauth2/Authorize');
    return sendPage(
      reply,
      signInPage({
        ...page,
        upstream: this.upstream.name,
        purpose: forAuthorization ? 'An application asks to use Roster on your behalf. Sign in first.' : undefined,
      }),
      { status, formTargets: formTargetsFor(page.returnTo, this.config.login.oidc?.issuer) },
    );
  }
}
