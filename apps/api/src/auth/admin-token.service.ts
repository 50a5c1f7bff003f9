import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PrismaService } from '@roster/db';
import { ScimError } from '@roster/scim';
import { APP_CONFIG, AppConfig } from '../config';
import { ALL_SCOPES, BearerStrategy, Principal, RESOURCES } from './principal';
import { randomSecret, secretsEqual, sha256 } from './secrets';

const SETTING_KEY = 'admin_token_sha256';

/** What is stored: the hash, and whether the token was ever shown (older versions stored the hash alone). */
interface StoredAdminToken {
  sha256: string;
  shownAt: string | null;
}

function parseStored(value: unknown): StoredAdminToken | undefined {
  if (typeof value === 'string') {
    // Written by a version that did not record the showing: it may never have been printed.
    return { sha256: value, shownAt: null };
  }
  if (value && typeof value === 'object' && typeof (value as StoredAdminToken).sha256 === 'string') {
    const shownAt = (value as StoredAdminToken).shownAt;
    return { sha256: (value as StoredAdminToken).sha256, shownAt: typeof shownAt === 'string' ? shownAt : null };
  }
  return undefined;
}

/** How the start-up found the admin token; the bootstrap prints the token or the hint. */
export type AdminTokenState =
  { kind: 'environment' } | { kind: 'generated'; token: string } | { kind: 'stored' } | { kind: 'never-shown' };

export const ADMIN_TOKEN_RESET_HINT =
  'An admin token was generated earlier but never shown. If you do not have it, run `npm run cli -- admin-token reset` ' +
  '(while the service runs, or with it stopped) to print a new one, or set SCIM_ADMIN_TOKEN.';

/**
 * The bootstrap credential. From SCIM_ADMIN_TOKEN when set; otherwise generated once the service
 * listens (so that it is printed the moment it exists, never lost to a start that failed to
 * bind), kept only as a SHA-256 hash (a 256-bit random token needs no slow hash: it cannot be
 * guessed, only stolen), and replaceable with `admin-token reset`.
 */
@Injectable()
export class AdminTokenService implements OnModuleInit, BearerStrategy {
  readonly name = 'admin-token';
  private readonly logger = new Logger('AdminToken');
  private expectedHash?: Buffer;
  private loadedAt = 0;
  /** The re-read in flight: requests arriving meanwhile wait for it instead of each reading. */
  private refreshing?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.adminToken) {
      this.expectedHash = sha256(this.config.adminToken);
      return;
    }
    await this.load();
  }

  /**
   * Called by the bootstrap once the service listens: generates the token when there is none
   * (several instances starting together agree on one: the first insert wins), or says that a
   * stored one was never shown.
   */
  async ensure(): Promise<AdminTokenState> {
    if (this.config.adminToken) {
      return { kind: 'environment' };
    }
    const candidate = randomSecret('roster_admin_');
    const inserted = await this.prisma.client.setting.createMany({
      data: [{ key: SETTING_KEY, value: { sha256: sha256(candidate).toString('hex'), shownAt: null } }],
      skipDuplicates: true,
    });
    const stored = await this.load();
    if (inserted.count === 1) {
      this.logger.warn('Generated an admin token on first start; it is shown once on the console, never logged.');
      return { kind: 'generated', token: candidate };
    }
    return stored?.shownAt ? { kind: 'stored' } : { kind: 'never-shown' };
  }

  /** Records that the generated token reached the console. */
  async markShown(): Promise<void> {
    const stored = await this.load();
    if (stored) {
      await this.prisma.client.setting.update({
        where: { key: SETTING_KEY },
        data: { value: { sha256: stored.sha256, shownAt: new Date().toISOString() }, updated: new Date() },
      });
    }
  }

  /** A new admin token; the old one stops working at once here, within AUTH_CACHE_SECONDS on other instances. */
  async reset(): Promise<{ token: string }> {
    if (this.config.adminToken) {
      throw ScimError.conflict(
        'The admin token comes from SCIM_ADMIN_TOKEN here; change that variable instead of resetting it.',
      );
    }
    const token = randomSecret('roster_admin_');
    const value = { sha256: sha256(token).toString('hex'), shownAt: new Date().toISOString() };
    await this.prisma.client.setting.upsert({
      where: { key: SETTING_KEY },
      create: { key: SETTING_KEY, value },
      update: { value, updated: new Date() },
    });
    await this.load();
    this.logger.warn('The admin token was reset; the previous one no longer works.');
    return { token };
  }

  async authenticate(token: string): Promise<Principal | null> {
    // Other instances pick up a reset within AUTH_CACHE_SECONDS (plus the one read that notices it):
    // the stored hash is re-read at most that often, in the background once a hash is known, so
    // that no request (every bearer token is offered to this strategy first) waits for the read.
    const ttlMs = this.config.auth.credentialCacheSeconds * 1000;
    if (!this.config.adminToken && Date.now() - this.loadedAt >= ttlMs) {
      // A database hiccup keeps the hash already known rather than refusing the admin.
      this.refreshing ??= this.load()
        .catch(() => (this.loadedAt = Date.now()))
        .finally(() => (this.refreshing = undefined));
      if (ttlMs === 0 || !this.expectedHash) {
        await this.refreshing;
      }
    }
    if (!this.expectedHash || !secretsEqual(sha256(token), this.expectedHash)) {
      return null;
    }
    return {
      kind: 'admin',
      subject: 'admin',
      scopes: new Set(ALL_SCOPES),
      resources: new Set(RESOURCES),
    };
  }

  private async load(): Promise<StoredAdminToken | undefined> {
    const row = await this.prisma.client.setting.findUnique({ where: { key: SETTING_KEY } });
    const stored = parseStored(row?.value);
    this.expectedHash = stored ? Buffer.from(stored.sha256, 'hex') : undefined;
    this.loadedAt = Date.now();
    return stored;
  }
}
