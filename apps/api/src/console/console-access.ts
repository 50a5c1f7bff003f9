import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redirect, SafeHtml } from '../auth/login/html';
import { messagePage } from '../auth/login/pages';
import { RolesService } from '../auth/login/roles.service';
import { BrowserSession, SessionService } from '../auth/login/session.service';
import { runAsActor } from '../events/actor-scope';
import { CONSOLE_LINK_METHOD } from './console-link.service';
import { ConsoleFrame } from './console.pages';

export const EXPIRED_FORM =
  'This form has expired or did not come from Roster. Go back, reload the page and try again.';

/** The console's pages may run their one same-origin script and fetch from this origin; nothing else. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function send(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply
    .status(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONSOLE_CSP,
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    .send(body.value);
}

/** Who may use the console: a signed-in member of ROSTER_ADMIN_GROUPS. */
@Injectable()
export class ConsoleAccess {
  constructor(
    private readonly sessions: SessionService,
    private readonly roles: RolesService,
  ) {}

  /** The signed-in administrator's session; otherwise the reply is sent (sign-in redirect or refusal). */
  async admin(request: FastifyRequest, reply: FastifyReply): Promise<BrowserSession | undefined> {
    const session = await this.sessions.current(request);
    // Opened with a one-time link printed by `roster console link`: the admin token holder.
    if (session && !session.user && session.record.method === CONSOLE_LINK_METHOD) {
      return session;
    }
    if (!session?.user) {
      redirect(reply, `/v2/Login?return_to=${encodeURIComponent(request.url.slice(0, 2000))}`);
      return undefined;
    }
    if (!(await this.roles.isAdmin(session.user.id))) {
      send(
        reply,
        messagePage(
          'Not an administrator',
          `You are signed in as ${session.user.userName}, who is not a member of an administrators' group.`,
          'Ask an administrator to add you to one of the groups named in ROSTER_ADMIN_GROUPS.',
        ),
        403,
      );
      return undefined;
    }
    return session;
  }

  /** An administrator's form post: the session again, and its CSRF token, before anything else. */
  async adminForm(request: FastifyRequest, reply: FastifyReply, token: unknown): Promise<BrowserSession | undefined> {
    const admin = await this.admin(request, reply);
    if (admin && !this.sessions.csrfValid(admin, token)) {
      send(reply, messagePage('Please try again', EXPIRED_FORM), 403);
      return undefined;
    }
    return admin;
  }

  /**
   * Runs a console write as the signed-in administrator, so its events name them (kind `console`,
   * the user's id and user name; the admin token holder when opened with a one-time link).
   */
  act<T>(admin: BrowserSession, request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
    const agent = request.headers['user-agent'];
    return runAsActor(
      {
        kind: 'console',
        id: admin.user?.id ?? 'admin-token',
        name: admin.user?.userName ?? 'admin token holder',
        requestId: request.id,
        clientAddress: request.ip ?? null,
        userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
      },
      fn,
    );
  }

  frame(admin: BrowserSession, section: ConsoleFrame['section']): ConsoleFrame {
    return { csrf: admin.record.csrfToken, who: admin.user?.userName ?? 'Admin token holder', section };
  }
}

/** A form's version field (the ETag number the page was rendered with), or undefined. */
export function formVersion(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? value : undefined;
}
