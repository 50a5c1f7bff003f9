import { Inject, Injectable } from '@nestjs/common';
import { BrowserSessionsRepository } from '@roster/db';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../auth/secrets';
import { APP_CONFIG, AppConfig } from '../config';

/** How long a printed sign-in link stays valid. */
export const CONSOLE_LINK_MINUTES = 10;
export const CONSOLE_LINK_PENDING = 'console-link-pending';
/** The method of a browser session opened with a link: the admin token holder, not a directory user. */
export const CONSOLE_LINK_METHOD = 'console-link';

/**
 * One-time sign-in links to the console for the admin token holder (`roster console link`): 256
 * random bits, stored as a SHA-256 in a browser-session row that is not a session yet (its own
 * method, ten minutes of life), taken exactly once by the first visit, which gets a new session.
 */
@Injectable()
export class ConsoleLinkService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: BrowserSessionsRepository,
  ) {}

  async create(): Promise<{ url: string; expires_at: string }> {
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + CONSOLE_LINK_MINUTES * 60_000);
    await this.sessions.insert(
      {
        idHash: sha256(`link:${secret}`).toString('hex'),
        userId: null,
        csrfToken: randomBytes(32).toString('base64url'),
        method: CONSOLE_LINK_PENDING,
        state: {},
        expiresAt,
      },
      now,
    );
    return { url: `${this.config.publicUrl}/console/Link?code=${secret}`, expires_at: expiresAt.toISOString() };
  }

  /** True once for a valid code; false for an unknown, used or expired one. */
  async redeem(code: unknown): Promise<boolean> {
    if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(code)) {
      return false;
    }
    return this.sessions.take(sha256(`link:${code}`).toString('hex'), CONSOLE_LINK_PENDING, new Date());
  }
}
