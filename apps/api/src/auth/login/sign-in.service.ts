import { Inject, Injectable, Logger } from '@nestjs/common';
import { LONG_WINDOW_PREFIX, RateLimitsRepository, UserRecord, UsersRepository } from '@roster/db';
import { hashPassword, needsRehash, verifyPassword } from '../../common/password';
import { APP_CONFIG, AppConfig } from '../../config';

const WINDOW_MS = 15 * 60_000;
const MAX_USER_NAME = 256;
const MAX_PASSWORD = 1024;

export type SignInOutcome =
  { ok: true; user: UserRecord } | { ok: false; message: string; throttled: boolean; retryAfterSeconds?: number };

const GENERIC = 'The user name or password is not right, or this account cannot sign in here.';

/**
 * Password sign-in of directory users (the scrypt hash set through SCIM). Failures are counted
 * in the database, in 15-minute windows, so all instances agree:
 *  - per user and address: LOGIN_MAX_FAILURES (default 5);
 *  - per address: ten times that (password spraying);
 *  - per user from all addresses together: ten times that, so locking a user out needs failures
 *    from at least ten addresses, and even then ends with the window.
 * A pause ends with its window; nothing an attacker does locks a user out for longer than that.
 * Refusals never say whether the user exists, is deactivated or has no password.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('SignIn');
  private dummyHash: Promise<string> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly windows: RateLimitsRepository,
  ) {}

  async verify(userName: unknown, password: unknown, address: string): Promise<SignInOutcome> {
    if (typeof userName !== 'string' || typeof password !== 'string' || !userName.trim() || !password) {
      return { ok: false, message: 'Enter your user name and your password.', throttled: false };
    }
    const name = userName.trim();
    if (name.length > MAX_USER_NAME || password.length > MAX_PASSWORD || name.includes('\u0000')) {
      return { ok: false, message: GENERIC, throttled: false };
    }
    const now = Date.now();
    const windowStart = new Date(now - (now % WINDOW_MS));
    const keys = this.keys(name.toLowerCase(), address);
    const limit = this.config.login.maxFailures;
    const counts = await this.windows.counts(Object.values(keys), windowStart);
    const over =
      (counts.get(keys.userAddress) ?? 0) >= limit ||
      (counts.get(keys.address) ?? 0) >= limit * 10 ||
      (counts.get(keys.user) ?? 0) >= limit * 10;
    if (over) {
      const retryAfterSeconds = Math.ceil((windowStart.getTime() + WINDOW_MS - now) / 1000);
      const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
      return {
        ok: false,
        throttled: true,
        retryAfterSeconds,
        message: `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      };
    }
    const user = await this.users.findByUserName(name);
    const usable = user !== undefined && user.active && user.passwordHash !== null;
    // The same scrypt work whether or not the user exists, so the answer time tells nothing.
    const hash = usable ? (user.passwordHash as string) : await this.dummy();
    const matches = await verifyPassword(password, hash).catch(() => false);
    if (usable && matches) {
      if (needsRehash(hash)) {
        this.rehash(user.id, hash, password);
      }
      return { ok: true, user };
    }
    await this.windows.hitMany(Object.values(keys), windowStart);
    this.logger.log({ address, known: user !== undefined }, 'Sign-in refused.');
    return { ok: false, message: GENERIC, throttled: false };
  }

  /**
   * Upgrades a hash made with weaker scrypt parameters (an imported one, or one from before
   * PASSWORD_SCRYPT_N was raised) now that the password is known. Off the sign-in's critical path:
   * a failure leaves the old hash, which still verifies, and is only logged.
   */
  private rehash(userId: string, verifiedHash: string, password: string): void {
    hashPassword(password)
      .then((fresh) => this.users.replacePasswordHash(userId, verifiedHash, fresh))
      .then((replaced) => {
        if (replaced) this.logger.log({ userId }, 'Password hash upgraded to the current scrypt parameters.');
      })
      .catch((error: unknown) => this.logger.warn({ userId, err: error }, 'Password hash upgrade failed.'));
  }

  private keys(userName: string, address: string): { userAddress: string; address: string; user: string } {
    return {
      userAddress: `${LONG_WINDOW_PREFIX}signin:${userName}|${address}`,
      address: `${LONG_WINDOW_PREFIX}signin-address:${address}`,
      user: `${LONG_WINDOW_PREFIX}signin-user:${userName}`,
    };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword('roster: no such user');
    return this.dummyHash;
  }
}
