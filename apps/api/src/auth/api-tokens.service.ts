import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ApiTokenRecord, ApiTokensRepository, PrismaService } from '@roster/db';
import { EventsService } from '../events/events.service';
import { ScimError } from '@roster/scim';
import { randomUUID } from 'node:crypto';
import { isResourceId } from '../common/etag';
import { APP_CONFIG, AppConfig } from '../config';
import { CLOCK, CredentialCache } from './credential-cache';
import { BearerStrategy, InvalidTokenError, Principal, ResourceKind } from './principal';
import { parseRosterScope, splitScope } from './scopes';
import { randomSecret, secretsEqual, sha256 } from './secrets';

export const API_TOKEN_PREFIX = 'roster_at_';
/** last_used_at is written at most this often per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface CreateApiToken {
  name: string;
  scope: string;
  /** Seconds from now; none means the token does not expire. */
  expiresIn?: number;
  /** Also valid on the MCP endpoint (`/v2/mcp`), not only on the SCIM API. */
  mcp?: boolean;
  /** Requests per minute on the SCIM API; absent: API_TOKEN_RATE_LIMIT. */
  rateLimit?: number;
}

/** What the management API and the CLI show of a token: never the token or its hash. */
export interface ApiTokenView {
  id: string;
  name: string;
  scope: string;
  mcp: boolean;
  created: string;
  expires_at: string | null;
  last_used_at: string | null;
  /** Requests per minute on the SCIM API; null: the configured default (API_TOKEN_RATE_LIMIT). */
  rate_limit: number | null;
}

/**
 * Long-lived opaque bearer tokens: what an IdP administrator pastes into Entra ID or Okta as the
 * "secret token". `roster_at_` + 256 random bits, shown once, stored as a SHA-256 hash (the
 * token cannot be guessed, so a slow hash would buy nothing and cost every request).
 */
@Injectable()
export class ApiTokensService implements BearerStrategy {
  readonly name = 'api-token';
  private readonly logger = new Logger('ApiTokens');
  /** Token records by hash, trusted for AUTH_CACHE_SECONDS (see credential-cache.ts). */
  private readonly cache: CredentialCache<ApiTokenRecord>;
  /** When this instance last recorded each token's use: the cached record's lastUsedAt goes stale. */
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly tokens: ApiTokensRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
    @Optional() @Inject(CLOCK) private readonly now: () => number = Date.now,
  ) {
    this.cache = new CredentialCache(config.auth.credentialCacheSeconds * 1000, 10_000, this.now);
  }

  async create(input: CreateApiToken): Promise<ApiTokenView & { token: string }> {
    const name = input.name.trim();
    if (!name || name.length > 200) {
      throw ScimError.badRequest('invalidValue', 'name must have 1 to 200 characters.');
    }
    const scope = parseRosterScope(input.scope).join(' ');
    if (input.expiresIn !== undefined && (!Number.isInteger(input.expiresIn) || input.expiresIn < 60)) {
      throw ScimError.badRequest('invalidValue', 'expires_in must be a whole number of seconds, at least 60.');
    }
    if (
      input.rateLimit !== undefined &&
      (!Number.isInteger(input.rateLimit) || input.rateLimit < 1 || input.rateLimit > 1_000_000)
    ) {
      throw ScimError.badRequest(
        'invalidValue',
        'rate_limit must be a whole number of requests per minute, 1 to 1000000.',
      );
    }
    const token = randomSecret(API_TOKEN_PREFIX);
    const record = await this.prisma.transaction(async (tx) => {
      const inserted = await this.tokens.insert(
        {
          id: randomUUID(),
          name,
          tokenHash: sha256(token).toString('hex'),
          scope,
          mcp: input.mcp ?? false,
          expiresAt: input.expiresIn === undefined ? null : new Date(Date.now() + input.expiresIn * 1000),
          rateLimit: input.rateLimit ?? null,
        },
        tx,
      );
      await this.events.credential(tx, 'token.created', 'ApiToken', inserted.id, [
        { path: 'name', value: name },
        { path: 'scope', value: scope },
        { path: 'mcp', value: inserted.mcp },
      ]);
      return inserted;
    });
    this.logger.log({ tokenId: record.id, scope, mcp: record.mcp }, `Created API token "${name}".`);
    return { ...view(record), token };
  }

  async list(): Promise<ApiTokenView[]> {
    return (await this.tokens.listActive()).map(view);
  }

  async revoke(id: string): Promise<void> {
    const revoked =
      isResourceId(id) &&
      (await this.prisma.transaction(async (tx) => {
        const done = await this.tokens.revoke(id, new Date(), tx);
        if (done) {
          await this.events.credential(tx, 'token.revoked', 'ApiToken', id);
        }
        return done;
      }));
    // Evicted whatever the outcome: a token revoked by another instance is refused here at once too.
    this.cache.evict((record) => record.id === id);
    if (!revoked) {
      throw ScimError.notFound(`API token ${id} not found (or already revoked).`);
    }
    this.logger.log({ tokenId: id }, 'Revoked an API token.');
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) {
      return null;
    }
    const hash = sha256(token);
    const key = hash.toString('hex');
    const record = await this.cache.get(key, () => this.tokens.findByHash(key));
    if (!record || !secretsEqual(hash, Buffer.from(record.tokenHash, 'hex'))) {
      throw new InvalidTokenError('The API token is not known.');
    }
    const now = new Date(this.now());
    if (record.revokedAt) {
      throw new InvalidTokenError('The API token has been revoked.', true);
    }
    if (record.expiresAt && record.expiresAt <= now) {
      throw new InvalidTokenError('The API token has expired.', true);
    }
    const lastUsed = Math.max(record.lastUsedAt?.getTime() ?? 0, this.touchedAt.get(record.id) ?? 0);
    if (now.getTime() - lastUsed >= TOUCH_INTERVAL_MS) {
      if (this.touchedAt.size >= 10_000) {
        this.touchedAt.clear();
      }
      this.touchedAt.set(record.id, now.getTime());
      // Bookkeeping must not fail or slow the request it describes: not awaited.
      this.tokens.touch(record.id, now, new Date(now.getTime() - TOUCH_INTERVAL_MS)).catch((error: unknown) => {
        this.logger.warn({ tokenId: record.id, err: String(error) }, 'Could not record API token use.');
      });
    }
    const resources: ResourceKind[] = record.mcp ? ['scim', 'mcp'] : ['scim'];
    const rateLimit = record.rateLimit ?? this.config.auth.apiTokenRateLimit;
    return {
      kind: 'api-token',
      subject: `api-token:${record.id}`,
      name: record.name,
      scopes: new Set(splitScope(record.scope)),
      resources: new Set(resources),
      ...(rateLimit > 0 ? { rateLimit } : {}),
    };
  }
}

function view(record: ApiTokenRecord): ApiTokenView {
  return {
    id: record.id,
    name: record.name,
    scope: record.scope,
    mcp: record.mcp,
    created: record.created.toISOString(),
    expires_at: record.expiresAt?.toISOString() ?? null,
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
    rate_limit: record.rateLimit,
  };
}
