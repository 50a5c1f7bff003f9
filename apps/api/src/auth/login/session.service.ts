import { Inject, Injectable, Logger } from '@nestjs/common';
import { BrowserSessionRecord, BrowserSessionsRepository, UserRecord, UsersRepository } from '@roster/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config';
import { secretsEqual, sha256 } from '../secrets';

/** A session lives at most this long, however active. */
const ABSOLUTE_MS = 12 * 3600_000;
/** last_seen is written at most this often. */
const TOUCH_MS = 60_000;
const SWEEP_MS = 10 * 60_000;

export interface BrowserSession {
  record: BrowserSessionRecord;
  /** The signed-in directory user (active), or undefined before sign-in. */
  user?: UserRecord;
}

/**
 * Browser sessions of Roster's pages: the sign-in and consent pages now, the admin console later.
 * The cookie carries 256 random bits; the database keeps their SHA-256, the signed-in user, a
 * per-session CSRF token and pending upstream sign-in state, so any instance can serve the next
 * request. Sessions end after LOGIN_SESSION_IDLE_MINUTES without use, after 12 hours in any case,
 * when their user is deactivated or deleted, and on sign-out.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('Sessions');
  private readonly cookieName: string;
  private readonly secure: boolean;
  private lastSweep = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: BrowserSessionsRepository,
    private readonly users: UsersRepository,
  ) {
    this.secure = config.publicUrl.startsWith('https:');
    // __Host- makes the browser refuse the cookie unless Secure, host-only and Path=/.
    this.cookieName = this.secure ? '__Host-roster_session' : 'roster_session';
  }

  private get idleMs(): number {
    return this.config.login.sessionIdleMinutes * 60_000;
  }

  /** The request's live session, if any; a session whose user can no longer sign in is ended. */
  async current(request: FastifyRequest): Promise<BrowserSession | undefined> {
    const id = readCookie(request.headers.cookie, this.cookieName);
    if (!id || id.length > 100) {
      return undefined;
    }
    const now = new Date();
    const idHash = sha256(id).toString('hex');
    const record = await this.sessions.findLive(idHash, now, new Date(now.getTime() - this.idleMs));
    this.sweep(now);
    if (!record) {
      return undefined;
    }
    if (now.getTime() - record.lastSeen.getTime() >= TOUCH_MS) {
      await this.sessions.touch(idHash, now, new Date(now.getTime() - TOUCH_MS));
    }
    if (!record.userId) {
      return { record };
    }
    const user = await this.users.findById(record.userId);
    if (!user || !user.active) {
      await this.sessions.delete(idHash);
      return undefined;
    }
    return { record, user };
  }

  /** The current session, or a new anonymous one (with its cookie) for a form to carry a CSRF token. */
  async ensure(request: FastifyRequest, reply: FastifyReply): Promise<BrowserSession> {
    return (await this.current(request)) ?? this.create(reply, null, null, {});
  }

  /**
   * Signs `user` in: the previous session is replaced by a new one with a new id and CSRF token,
   * so an id planted before sign-in (session fixation) is worth nothing after it.
   */
  async signIn(
    reply: FastifyReply,
    previous: BrowserSession | undefined,
    user: UserRecord,
    method: 'password' | 'oidc',
  ): Promise<BrowserSession> {
    if (previous) {
      await this.sessions.delete(previous.record.idHash);
    }
    const session = await this.create(reply, user.id, method, {});
    this.logger.log({ userId: user.id, method }, 'Signed in.');
    return { ...session, user };
  }

  /**
   * A session without a directory user, signed in by another proof (the console's one-time link,
   * method `console-link`); the previous session, if any, is replaced as at sign-in.
   */
  async startWithoutUser(
    reply: FastifyReply,
    previous: BrowserSession | undefined,
    method: string,
  ): Promise<BrowserSession> {
    if (previous) {
      await this.sessions.delete(previous.record.idHash);
    }
    this.logger.log({ method }, 'Signed in without a directory user.');
    return this.create(reply, null, method, {});
  }

  async signOut(reply: FastifyReply, session: BrowserSession | undefined): Promise<void> {
    if (session) {
      await this.sessions.delete(session.record.idHash);
    }
    reply.header('set-cookie', this.cookie('', 0));
  }

  async setState(session: BrowserSession, state: Record<string, unknown>): Promise<void> {
    session.record.state = state;
    await this.sessions.setState(session.record.idHash, state);
  }

  /** The form's CSRF token against the session's, in constant time. */
  csrfValid(session: BrowserSession | undefined, token: unknown): boolean {
    return (
      session !== undefined &&
      typeof token === 'string' &&
      token.length > 0 &&
      secretsEqual(sha256(token), sha256(session.record.csrfToken))
    );
  }

  private async create(
    reply: FastifyReply,
    userId: string | null,
    method: string | null,
    state: Record<string, unknown>,
  ): Promise<BrowserSession> {
    const id = randomBytes(32).toString('base64url');
    const now = new Date();
    const record = await this.sessions.insert(
      {
        idHash: sha256(id).toString('hex'),
        userId,
        csrfToken: randomBytes(32).toString('base64url'),
        method,
        state,
        expiresAt: new Date(now.getTime() + ABSOLUTE_MS),
      },
      now,
    );
    reply.header('set-cookie', this.cookie(id, Math.floor(ABSOLUTE_MS / 1000)));
    return { record };
  }

  private cookie(value: string, maxAge: number): string {
    const parts = [`${this.cookieName}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAge}`];
    if (this.secure) {
      parts.push('Secure');
    }
    return parts.join('; ');
  }

  private sweep(now: Date): void {
    if (now.getTime() - this.lastSweep < SWEEP_MS) {
      return;
    }
    this.lastSweep = now.getTime();
    this.sessions.deleteExpired(now, new Date(now.getTime() - this.idleMs)).catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'Could not sweep expired sessions.');
    });
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/**
 * A `return_to` that stays on Roster: a path on this origin (one leading slash, no scheme, no
 * `//` or backslash tricks, no control characters), else the fallback.
 */
export function safeReturnTo(value: unknown, fallback = '/v2/Login/SignedIn'): string {
  if (typeof value !== 'string' || value.length > 8000) {
    return fallback;
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) {
    return fallback;
  }
  try {
    const url = new URL(value, 'http://roster.invalid');
    return url.origin === 'http://roster.invalid' ? `${url.pathname}${url.search}` : fallback;
  } catch {
    return fallback;
  }
}
