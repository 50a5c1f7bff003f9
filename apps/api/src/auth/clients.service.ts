import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DynamicExpiry,
  OAuthClientRecord,
  OAuthClientsRepository,
  OAuthGrantsRepository,
  PrismaService,
} from '@roster/db';
import { EventsService } from '../events/events.service';
import { ScimError } from '@roster/scim';
import { createLocalJWKSet, createRemoteJWKSet, JWK, JWTVerifyGetKey } from 'jose';
import { createPublicKey, randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config';
import { ASYMMETRIC_ALGORITHMS, isAcceptableJwksUrl } from './auth-config';
import { redirectUriProblem } from './oauth/redirect-uris';
import { parseRosterScope } from './scopes';
import { randomSecret, secretsEqual, sha256 } from './secrets';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
export const AUTHORIZATION_CODE_GRANT = 'authorization_code';
export const REFRESH_TOKEN_GRANT = 'refresh_token';
export const GRANT_TYPES = [
  AUTHORIZATION_CODE_GRANT,
  REFRESH_TOKEN_GRANT,
  JWT_BEARER_GRANT,
  CLIENT_CREDENTIALS_GRANT,
] as const;
export const AUTH_METHODS = ['none', 'private_key_jwt', 'client_secret_basic', 'client_secret_post'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

const CLIENT_SECRET_PREFIX = 'roster_cs_';
/** Members of a JWK that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_KEYS = 20;
/** How long "is this client still active" answers are reused by the access-token strategy. */
const ACTIVE_CACHE_MS = 30_000;
/** last_used_at is written at most this often. */
const TOUCH_MS = 3600_000;
/** A dynamically registered client that never obtained a token expires after a day. */
const NEVER_USED_MS = 86400_000;
/** A hash no secret produces, compared when the client is unknown so both paths do the same work. */
const NO_SECRET = sha256('roster:no-client-secret');

/** RFC 7591 client metadata, as the management API and the CLI take it. */
export interface ClientRegistration {
  client_name: string;
  grant_types?: string[];
  scope?: string;
  token_endpoint_auth_method?: string;
  jwks?: unknown;
  jwks_uri?: string;
  redirect_uris?: string[];
}

/** RFC 7591 §3.2.1 registration response / client information. */
export interface ClientView {
  client_id: string;
  client_name: string;
  client_id_issued_at: number;
  grant_types: string[];
  scope: string;
  token_endpoint_auth_method: string;
  jwks?: { keys: JWK[] };
  jwks_uri?: string;
  redirect_uris?: string[];
  /** Registered through the open registration endpoint: its name is self-declared. */
  dynamic?: boolean;
  last_used_at?: string | null;
}

export interface RegisteredClient extends ClientView {
  client_secret?: string;
  client_secret_expires_at?: number;
}

/**
 * OAuth clients registered by an administrator: service accounts and IdPs that obtain access
 * tokens at the token endpoint. Holds their verification keys (inline JWKS, or a JWKS URI
 * fetched and cached by jose) and, for secret-based clients, the SHA-256 of the secret.
 */
@Injectable()
export class OAuthClientsService {
  private readonly logger = new Logger('OAuthClients');
  private readonly keySets = new Map<string, { source: string; getKey: JWTVerifyGetKey }>();
  private readonly activeCache = new Map<string, { active: boolean; at: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: OAuthClientsRepository,
    private readonly grants: OAuthGrantsRepository,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
  ) {}

  /** When dynamically registered clients stop counting (see OAUTH_DYNAMIC_CLIENT_MAX_IDLE_DAYS). */
  dynamicExpiry(now = Date.now()): DynamicExpiry {
    return {
      neverUsedBefore: new Date(now - NEVER_USED_MS),
      unusedBefore: new Date(now - this.config.auth.dynamicClientMaxIdleDays * 86400_000),
    };
  }

  async register(input: ClientRegistration): Promise<RegisteredClient> {
    const name = (input.client_name ?? '').trim();
    if (!name || name.length > 200) {
      throw invalid('client_name must have 1 to 200 characters.');
    }
    const redirectUris = [...new Set(input.redirect_uris ?? [])];
    const grantTypes = [
      ...new Set(input.grant_types ?? [redirectUris.length ? AUTHORIZATION_CODE_GRANT : CLIENT_CREDENTIALS_GRANT]),
    ];
    const unknownGrant = grantTypes.find((g) => !GRANT_TYPES.some((known) => known === g));
    if (!grantTypes.length || unknownGrant !== undefined) {
      throw invalid(`grant_types must be a non-empty subset of ${GRANT_TYPES.join(', ')}.`);
    }
    const scope = parseRosterScope(input.scope ?? 'scim.read').join(' ');
    if (input.jwks !== undefined && input.jwks_uri !== undefined) {
      throw invalid('Give jwks or jwks_uri, not both (RFC 7591 §2).');
    }
    const jwks = input.jwks === undefined ? undefined : validateJwks(input.jwks);
    if (input.jwks_uri !== undefined && !isAcceptableJwksUrl(input.jwks_uri)) {
      throw invalid('jwks_uri must be an https URL (http only on a loopback address).');
    }
    const problem = redirectUris.map(redirectUriProblem).find((p) => p !== undefined);
    if (problem !== undefined || redirectUris.length > 20) {
      throw invalid(`redirect_uris: ${problem ?? 'at most 20'}.`);
    }
    if (grantTypes.includes(AUTHORIZATION_CODE_GRANT) !== redirectUris.length > 0) {
      throw invalid('The authorization_code grant needs redirect_uris, and redirect_uris need that grant.');
    }
    const hasKeys = jwks !== undefined || input.jwks_uri !== undefined;
    const method = input.token_endpoint_auth_method ?? (hasKeys ? 'private_key_jwt' : 'client_secret_basic');
    if (method === 'none' && grantTypes.some((g) => g === CLIENT_CREDENTIALS_GRANT || g === JWT_BEARER_GRANT)) {
      throw invalid(
        'A public client (token_endpoint_auth_method none) may use authorization_code and refresh_token only.',
      );
    }
    if (!AUTH_METHODS.some((m) => m === method)) {
      throw invalid(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}.`);
    }
    if (method === 'private_key_jwt' && !hasKeys) {
      throw invalid('private_key_jwt needs the client public keys: jwks or jwks_uri.');
    }
    // Its own assertions need its keys; a client that only redeems ID-JAGs (signed by a trusted
    // IdP) authenticates with a secret instead, and must say so.
    const secretMethod = method === 'client_secret_basic' || method === 'client_secret_post';
    if (grantTypes.includes(JWT_BEARER_GRANT) && !hasKeys && !(secretMethod && input.token_endpoint_auth_method)) {
      throw invalid(
        `The ${JWT_BEARER_GRANT} grant needs the keys that verify its assertions: jwks or jwks_uri ` +
          '(or, for ID-JAGs only, an explicit client_secret_basic or client_secret_post).',
      );
    }
    const secret = method === 'private_key_jwt' || method === 'none' ? undefined : randomSecret(CLIENT_SECRET_PREFIX);
    const record = await this.prisma.transaction(async (tx) => {
      const inserted = await this.clients.insert(
        {
          id: randomUUID(),
          name,
          grantTypes,
          scope,
          tokenEndpointAuthMethod: method,
          jwks: jwks ?? null,
          jwksUri: input.jwks_uri ?? null,
          secretHash: secret === undefined ? null : sha256(secret).toString('hex'),
          redirectUris,
        },
        tx,
      );
      await this.events.credential(tx, 'client.registered', 'OAuthClient', inserted.id, [
        { path: 'name', value: name },
        { path: 'grant_types', value: grantTypes },
        { path: 'scope', value: scope },
      ]);
      return inserted;
    });
    this.logger.log({ clientId: record.id, grantTypes, scope, method }, `Registered OAuth client "${name}".`);
    return {
      ...view(record),
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
    };
  }

  async list(): Promise<ClientView[]> {
    return (await this.clients.listActive(this.dynamicExpiry())).map(view);
  }

  /** Revokes a client and every grant it holds (refresh tokens at once, access tokens within 30 s). */
  async revoke(id: string): Promise<void> {
    const now = new Date();
    const revoked =
      id.length <= 2000 &&
      (await this.prisma.transaction(async (tx) => {
        const done = await this.clients.revoke(id, now, tx);
        if (done) {
          await this.events.credential(tx, 'client.deleted', 'OAuthClient', id);
        }
        return done;
      }));
    if (!revoked) {
      throw ScimError.notFound(`OAuth client ${id} not found (or already revoked).`);
    }
    await this.grants.revokeClient(id, now);
    this.keySets.delete(id);
    this.activeCache.set(id, { active: false, at: Date.now() });
    this.logger.log({ clientId: id }, 'Revoked an OAuth client.');
  }

  async find(id: string): Promise<OAuthClientRecord | undefined> {
    return this.clients.findActive(id, this.dynamicExpiry());
  }

  /** Records that a client was used (codes, tokens), at most once an hour; dynamic clients expire unused. */
  touch(client: OAuthClientRecord): void {
    const now = Date.now();
    if (client.lastUsedAt && now - client.lastUsedAt.getTime() < TOUCH_MS) {
      return;
    }
    this.clients.touch(client.id, new Date(now), new Date(now - TOUCH_MS)).catch((error: unknown) => {
      this.logger.warn({ clientId: client.id, err: String(error) }, 'Could not record client use.');
    });
  }

  /** Deletes expired dynamic registrations; run now and then by the registration endpoint. */
  async deleteExpiredDynamic(): Promise<number> {
    return this.clients.deleteExpiredDynamic(this.dynamicExpiry());
  }

  /**
   * Whether tokens issued to `id` still count. Cached briefly, so a revocation on another
   * instance takes effect within ACTIVE_CACHE_MS (immediately on this one).
   */
  async isActive(id: string): Promise<boolean> {
    const cached = this.activeCache.get(id);
    if (cached && Date.now() - cached.at < ACTIVE_CACHE_MS) {
      return cached.active;
    }
    const active = (await this.find(id)) !== undefined;
    this.activeCache.set(id, { active, at: Date.now() });
    return active;
  }

  /** Constant-time check of a client secret against the stored hash. */
  secretMatches(client: OAuthClientRecord | undefined, secret: string): boolean {
    const stored = client?.secretHash ?? undefined;
    const matches = secretsEqual(sha256(secret), stored ? Buffer.from(stored, 'hex') : NO_SECRET);
    return matches && stored !== undefined;
  }

  /** The key resolver for a client's assertions: its inline JWKS, or its JWKS URI (cached by jose). */
  keySet(client: OAuthClientRecord): JWTVerifyGetKey | undefined {
    const source = client.jwksUri ?? (client.jwks ? JSON.stringify(client.jwks) : undefined);
    if (source === undefined) {
      return undefined;
    }
    const cached = this.keySets.get(client.id);
    if (cached?.source === source) {
      return cached.getKey;
    }
    const getKey = client.jwksUri
      ? createRemoteJWKSet(new URL(client.jwksUri), {
          cacheMaxAge: 10 * 60_000,
          cooldownDuration: 30_000,
          timeoutDuration: 5_000,
        })
      : createLocalJWKSet(client.jwks as unknown as { keys: JWK[] });
    this.keySets.set(client.id, { source, getKey });
    return getKey;
  }
}

function invalid(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', detail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JWKS of public signing keys only: no private members, no symmetric keys, asymmetric algorithms. */
export function validateJwks(value: unknown): Record<string, unknown> {
  if (!isRecord(value) || !Array.isArray(value.keys) || !value.keys.length || value.keys.length > MAX_KEYS) {
    throw invalid(`jwks must be {"keys": [...]} with 1 to ${MAX_KEYS} public keys.`);
  }
  const keys = value.keys.map((key: unknown, index: number) => {
    const at = `jwks.keys[${index}]`;
    if (!isRecord(key) || !['RSA', 'EC', 'OKP'].includes(String(key.kty))) {
      throw invalid(`${at} must be an RSA, EC or OKP public key.`);
    }
    const secret = PRIVATE_MEMBERS.find((member) => member in key);
    if (secret) {
      throw invalid(`${at} contains the private member "${secret}"; register public keys only.`);
    }
    if (key.alg !== undefined && !ASYMMETRIC_ALGORITHMS.some((alg) => alg === key.alg)) {
      throw invalid(`${at}.alg must be an asymmetric signature algorithm.`);
    }
    if (key.use !== undefined && key.use !== 'sig') {
      throw invalid(`${at}.use must be "sig".`);
    }
    try {
      createPublicKey({ key: key as JWK & { kty: string }, format: 'jwk' });
    } catch {
      throw invalid(`${at} is not a valid public key.`);
    }
    return key;
  });
  return { keys };
}

function view(record: OAuthClientRecord): ClientView {
  return {
    client_id: record.id,
    client_name: record.name,
    client_id_issued_at: Math.floor(record.created.getTime() / 1000),
    grant_types: record.grantTypes,
    scope: record.scope,
    token_endpoint_auth_method: record.tokenEndpointAuthMethod,
    ...(record.jwks ? { jwks: record.jwks as unknown as { keys: JWK[] } } : {}),
    ...(record.jwksUri ? { jwks_uri: record.jwksUri } : {}),
    ...(record.redirectUris.length ? { redirect_uris: record.redirectUris } : {}),
    ...(record.dynamic ? { dynamic: true } : {}),
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
  };
}

export { view as clientView };
