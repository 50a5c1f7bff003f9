import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthorizationCodeRecord, GrantRecord, OAuthGrantsRepository } from '@roster/db';
import { randomBytes, randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config';
import { ResourceKind } from '../principal';
import { sha256 } from '../secrets';

const CODE_TTL_MS = 60_000;
/** How long "is this grant still alive" answers are reused by the access-token strategy. */
const LIVENESS_CACHE_MS = 30_000;
const SWEEP_MS = 10 * 60_000;
export const REFRESH_TOKEN_PREFIX = 'roster_rt_';

export interface NewCode {
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: ResourceKind;
  scopes: string[];
  offline: boolean;
}

/**
 * Authorization codes, grants and their refresh tokens: everything random is stored hashed,
 * every use is single, and a replay revokes the grant it belongs to (RFC 6749 §4.1.2,
 * OAuth 2.1 §4.3.1 refresh-token rotation).
 */
@Injectable()
export class GrantsService {
  private readonly logger = new Logger('Grants');
  private readonly liveness = new Map<string, { alive: boolean; at: number }>();
  private lastSweep = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly grants: OAuthGrantsRepository,
  ) {}

  async issueCode(code: NewCode): Promise<string> {
    const value = randomBytes(32).toString('base64url');
    await this.grants.insertCode({
      codeHash: sha256(value).toString('hex'),
      clientId: code.clientId,
      userId: code.userId,
      redirectUri: code.redirectUri,
      codeChallenge: code.codeChallenge,
      resource: code.resource,
      scope: code.scopes.join(' '),
      offline: code.offline,
      expiresAt: new Date(Date.now() + CODE_TTL_MS),
    });
    this.sweep();
    return value;
  }

  /**
   * Burns a code and answers it. A code seen before is a replay: the grant its first redemption
   * created is revoked, and the caller answers invalid_grant.
   */
  async redeemCode(value: string): Promise<{ code: AuthorizationCodeRecord } | { refused: string }> {
    if (value.length > 200) {
      return { refused: 'The authorization code is not valid.' };
    }
    const hash = sha256(value).toString('hex');
    const found = await this.grants.redeemCode(hash, new Date());
    if (!found) {
      return { refused: 'The authorization code is not valid.' };
    }
    if (found.replay) {
      if (found.code.grantId) {
        await this.revoke(found.code.grantId, 'authorization code replayed');
      }
      return { refused: 'The authorization code has already been used; what it issued is revoked.' };
    }
    if (found.code.expiresAt.getTime() <= Date.now()) {
      return { refused: 'The authorization code has expired.' };
    }
    return { code: found.code };
  }

  async createGrant(input: {
    clientId: string;
    userId: string;
    scopes: string[];
    resource: ResourceKind;
    codeHashOf?: string;
  }): Promise<GrantRecord> {
    const now = new Date();
    const grant = await this.grants.insertGrant({
      id: randomUUID(),
      clientId: input.clientId,
      userId: input.userId,
      scope: input.scopes.join(' '),
      resource: input.resource,
      created: now,
      expiresAt: new Date(now.getTime() + this.config.auth.refreshMaxTtl * 1000),
    });
    if (input.codeHashOf !== undefined) {
      await this.grants.attachGrant(sha256(input.codeHashOf).toString('hex'), grant.id);
    }
    return grant;
  }

  async issueRefreshToken(grant: GrantRecord): Promise<string> {
    const value = `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const idle = Math.min(now + this.config.auth.refreshIdleTtl * 1000, grant.expiresAt.getTime());
    await this.grants.insertRefreshToken(sha256(value).toString('hex'), grant.id, new Date(now), new Date(idle));
    return value;
  }

  /** Uses (rotates) a refresh token; a rotated one presented again revokes its whole family. */
  async useRefreshToken(value: string): Promise<{ grant: GrantRecord } | { refused: string }> {
    if (!value.startsWith(REFRESH_TOKEN_PREFIX) || value.length > 200) {
      return { refused: 'The refresh token is not valid.' };
    }
    const now = new Date();
    const outcome = await this.grants.useRefreshToken(sha256(value).toString('hex'), now);
    if (outcome.kind === 'unknown') {
      return { refused: 'The refresh token is not valid.' };
    }
    if (outcome.kind === 'replayed') {
      await this.revoke(outcome.grantId, 'refresh token replayed');
      return { refused: 'The refresh token was already used; its whole family is revoked.' };
    }
    const { grant } = outcome;
    if (grant.revokedAt) {
      return { refused: 'The refresh token has been revoked.' };
    }
    if (grant.expiresAt <= now || outcome.idleExpiresAt <= now) {
      return { refused: 'The refresh token has expired.' };
    }
    return { grant };
  }

  /** The grant a refresh token belongs to (for revocation by its client). */
  grantOfRefreshToken(value: string): Promise<string | undefined> {
    return this.grants.grantOfRefreshToken(sha256(value).toString('hex'));
  }

  findGrant(id: string): Promise<GrantRecord | undefined> {
    return this.grants.findGrant(id);
  }

  async revoke(grantId: string, reason: string): Promise<boolean> {
    const revoked = await this.grants.revokeGrant(grantId, new Date());
    this.liveness.set(grantId, { alive: false, at: Date.now() });
    if (revoked) {
      this.logger.log({ grantId, reason }, 'Revoked a grant and its refresh tokens.');
    }
    return revoked;
  }

  /**
   * Whether access tokens of a grant still count. Cached briefly, so a revocation on another
   * instance takes effect within LIVENESS_CACHE_MS (immediately on this one).
   */
  async isAlive(grantId: string): Promise<boolean> {
    const cached = this.liveness.get(grantId);
    if (cached && Date.now() - cached.at < LIVENESS_CACHE_MS) {
      return cached.alive;
    }
    const dead = await this.grants.deadGrants([grantId], new Date());
    const alive = !dead.has(grantId);
    if (this.liveness.size > 50_000) {
      this.liveness.clear();
    }
    this.liveness.set(grantId, { alive, at: Date.now() });
    return alive;
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_MS) {
      return;
    }
    this.lastSweep = now;
    this.grants.deleteExpired(new Date(now)).catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'Could not sweep expired codes and grants.');
    });
  }
}
