import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  getMetadataStorage,
  validateSync,
} from 'class-validator';
import { DEFAULT_FILTER_MAX_COST } from '@roster/db/filter-sql';
import { isIP } from 'node:net';
import {
  isAcceptableJwksUrl,
  parseTrustedIssuers,
  SIGNING_ALGORITHMS,
  SigningAlgorithm,
  TrustedIssuer,
} from './auth/auth-config';

/** Strict: `yes`, `on` and the like are refused, so that a typo never flips a security switch silently. */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') {
    return true;
  }
  if (v === 'false' || v === '0') {
    return false;
  }
  return value;
};

const SECRET_VARIABLES = new Set(['SCIM_ADMIN_TOKEN', 'ROSTER_KEY_ENCRYPTION_KEY', 'OIDC_CLIENT_SECRET']);

/** Claims an upstream identity can be matched by: the first three against userName, the others against externalId. */
export const OIDC_MATCH_CLAIMS = ['email', 'preferred_username', 'upn', 'oid', 'sub'] as const;
export type OidcMatchClaim = (typeof OIDC_MATCH_CLAIMS)[number];

/** Every environment variable Roster reads. The README's configuration table mirrors it. */
export class EnvironmentDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  PUBLIC_URL?: string;
  @IsOptional()
  @Matches(/^(memory:\/\/|postgres(ql)?:\/\/.+)$/i, {
    message: 'DATABASE_URL must be memory:// or a postgres:// URL (leave it unset for the embedded database)',
  })
  DATABASE_URL?: string;
  @IsOptional() @IsString() @MinLength(1) DATA_DIR?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) DATABASE_POOL_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(600000) DATABASE_STATEMENT_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(600000) DATABASE_LOCK_TIMEOUT_MS?: number;
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'SCIM_ADMIN_TOKEN must be at least 24 characters' })
  SCIM_ADMIN_TOKEN?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() DISCOVERY_PUBLIC?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(64 * 1024 * 1024) BODY_LIMIT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) BULK_MAX_OPERATIONS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(256 * 1024 * 1024) BULK_MAX_PAYLOAD_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) FILTER_MAX_RESULTS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) FILTER_MAX_COST?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) DEFAULT_PAGE_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(16 * 1024 * 1024) LOGO_MAX_BYTES?: number;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(600000) SHUTDOWN_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toBoolean) @IsBoolean() TRUST_PROXY?: boolean;
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message: 'ROSTER_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32)',
  })
  ROSTER_KEY_ENCRYPTION_KEY?: string;
  @IsOptional() @IsIn(SIGNING_ALGORITHMS) OAUTH_SIGNING_ALG?: SigningAlgorithm;
  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(86400) OAUTH_ACCESS_TOKEN_TTL?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(360) OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(86400) OAUTH_ASSERTION_MAX_LIFETIME?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(300) OAUTH_CLOCK_SKEW?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(65536) OAUTH_ASSERTION_MAX_BYTES?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) OAUTH_RATE_LIMIT_CLIENT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) OAUTH_RATE_LIMIT_ADDRESS?: number;
  @IsOptional() @IsString() TRUSTED_ISSUERS?: string;
  @IsOptional() @IsString() MCP_ALLOWED_ORIGINS?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) MCP_RATE_LIMIT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) HTTP_HEADERS_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) HTTP_BODY_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(3600000) HTTP_REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(8) @Max(10000) JSON_MAX_DEPTH?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(16) @Max(65535) LOGO_MAX_DIMENSION?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(64) PASSWORD_HASH_CONCURRENCY?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(64) PASSWORD_HASH_CONCURRENCY_PER_REQUEST?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(16384) @Max(1048576) PASSWORD_SCRYPT_N?: number;

  // Operations (issue 11): start-up, logs, metrics.
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(600) DATABASE_CONNECT_TIMEOUT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) DATABASE_CONNECT_ATTEMPTS?: number;
  @IsOptional() @IsIn(['json', 'pretty']) LOG_FORMAT?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() METRICS_ENABLED?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535) METRICS_PORT?: number;
  @IsOptional() @Transform(toBoolean) @IsBoolean() METRICS_PUBLIC?: boolean;

  // Sign-in, the authorization server and auth limits (issue 13, issue 10).
  @IsOptional() @IsString() ROSTER_ADMIN_GROUPS?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(60) OAUTH_USER_TOKEN_TTL_MINUTES?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(365) OAUTH_REFRESH_IDLE_DAYS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3650) OAUTH_REFRESH_MAX_DAYS?: number;
  @IsOptional() @IsIn(['open', 'admin', 'off']) OAUTH_REGISTRATION?: 'open' | 'admin' | 'off';
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) OAUTH_REGISTRATION_RATE_LIMIT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3650) OAUTH_DYNAMIC_CLIENT_MAX_IDLE_DAYS?: number;
  @IsOptional() @Transform(toBoolean) @IsBoolean() OAUTH_CLIENT_METADATA_DOCUMENTS?: boolean;
  @IsOptional() @Transform(toBoolean) @IsBoolean() OAUTH_CIMD_ALLOW_PRIVATE_ADDRESSES?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(5) @Max(1440) LOGIN_SESSION_IDLE_MINUTES?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) LOGIN_MAX_FAILURES?: number;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  OIDC_ISSUER?: string;
  @IsOptional() @IsString() OIDC_CLIENT_ID?: string;
  @IsOptional() @IsString() OIDC_CLIENT_SECRET?: string;
  @IsOptional() @IsIn(OIDC_MATCH_CLAIMS) OIDC_MATCH_CLAIM?: OidcMatchClaim;
  @IsOptional() @IsString() OIDC_NAME?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) AUTH_FAILURE_LIMIT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1000000) API_TOKEN_RATE_LIMIT?: number;
  // Change events (apps/api/src/events).
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(36500) EVENTS_RETENTION_DAYS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(60) USER_REVOCATION_CACHE_SECONDS?: number;
  // SCIM security events, RFC 8936 poll delivery (apps/api/src/events/sets).
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) SET_POLL_MAX_EVENTS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(300000) SET_POLL_WAIT_MS?: number;
  // Webhooks (apps/api/src/webhooks).
  @IsOptional() @Transform(toBoolean) @IsBoolean() WEBHOOKS_WORKER?: boolean;
  @IsOptional() @Transform(toBoolean) @IsBoolean() WEBHOOKS_ALLOW_PRIVATE_NETWORKS?: boolean;
  @IsOptional() @Transform(toBoolean) @IsBoolean() WEBHOOKS_ALLOW_HTTP_LOOPBACK?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) WEBHOOKS_MAX_FAILURES?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(2) @Max(3600) WEBHOOKS_LEASE_SECONDS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(120000) WEBHOOKS_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(60000) WEBHOOKS_CONNECT_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(3600000) WEBHOOKS_RETRY_BASE_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(86400000) WEBHOOKS_RETRY_MAX_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(50) @Max(60000) WEBHOOKS_POLL_INTERVAL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(64) WEBHOOKS_CONCURRENCY?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(36500) WEBHOOKS_DELIVERY_RETENTION_DAYS?: number;

  // Schema extensions at runtime (issue 15).
  @IsOptional() @IsIn(['reject', 'store', 'ignore']) SCHEMA_UNKNOWN_EXTENSIONS?: 'reject' | 'store' | 'ignore';
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) SCHEMA_REFRESH_INTERVAL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(300) AUTH_CACHE_SECONDS?: number;

  // The request log behind the console's activity charts and errors (apps/api/src/request-log).
  @IsOptional() @Transform(toBoolean) @IsBoolean() REQUEST_LOG_ENABLED?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(2160) REQUEST_LOG_RETENTION_HOURS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(60000) REQUEST_LOG_FLUSH_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(100000) REQUEST_LOG_MAX_ERRORS?: number;
}

export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  /**
   * statementTimeoutMs / lockTimeoutMs: PostgreSQL's statement_timeout and lock_timeout (0: none).
   * `loadDataDir` is never read from the environment: tests start in-memory databases from a migrated dump.
   */
  database: {
    url?: string;
    dataDir: string;
    poolSize: number;
    statementTimeoutMs: number;
    lockTimeoutMs: number;
    loadDataDir?: Blob;
  };
  adminToken?: string;
  discoveryPublic: boolean;
  bodyLimit: number;
  bulk: { maxOperations: number; maxPayloadSize: number };
  /** maxResults: largest page; maxCost: the filter cost budget (see FILTER_COSTS in libs/db). */
  filter: { maxResults: number; maxCost: number };
  defaultPageSize: number;
  logoMaxBytes: number;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** Whether X-Forwarded-For names the client (only behind a proxy that sets it). */
  trustProxy: boolean;
  auth: AuthConfig;
  mcp: McpConfig;
  http: HttpEdgeConfig;
  /** scrypt's N (a power of two; r=8, p=1) and the hashing queue's bounds (common/password.ts). */
  passwordHashing: { concurrency: number; perRequest: number; scryptN: number };
  ops: OpsConfig;
  login: LoginConfig;
  /** Change events: how long they are kept; how long a user's revocation time is cached per instance. */
  events: { retentionDays: number; revocationCacheSeconds: number };
  /** SET poll delivery: most SETs one poll returns; longest wait of a long poll (ms). */
  sets: { pollMaxEvents: number; pollWaitMs: number };
  webhooks: WebhooksConfig;
  /** Runtime extension schemas (issue 15): unregistered URNs, and how often the registry is reloaded. */
  schemas: { unknownExtensions: 'reject' | 'store' | 'ignore'; refreshIntervalMs: number };
  /**
   * The request log (console activity): on or off; hours kept; how often each instance flushes;
   * errors one instance buffers at most between flushes.
   */
  requestLog: { enabled: boolean; retentionHours: number; flushMs: number; maxErrors: number };
}

/** Webhook deliveries (see the README, "Webhooks"); durations in milliseconds unless named otherwise. */
export interface WebhooksConfig {
  /** Whether this instance runs delivery workers (every instance does by default; they share the work). */
  worker: boolean;
  /** Targets on private, loopback, link-local or reserved addresses are accepted (never by default). */
  allowPrivateNetworks: boolean;
  /** http:// is accepted for loopback hosts (127.0.0.1, ::1, localhost), and loopback addresses with it: tests, local development. */
  allowHttpLoopback: boolean;
  /** Consecutive failed attempts after which a subscription is disabled. */
  maxFailures: number;
  /** How long a worker owns a claimed subscription; another instance takes it over after that. */
  leaseSeconds: number;
  /** One attempt, from the connection to the end of the answer; and the connection alone. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Exponential backoff with jitter: base * 2^(failures - 1), at most max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often an instance with subscriptions looks for work. */
  pollIntervalMs: number;
  /** Subscriptions one instance delivers to at once. */
  concurrency: number;
  /** Days the delivery log is kept. */
  deliveryRetentionDays: number;
}

/** Limits of the HTTP edge (see the README, "Configuration"); durations in milliseconds. */
export interface HttpEdgeConfig {
  /** Until a request's headers are complete (Node's headersTimeout); 408 after it. */
  headersTimeout: number;
  /** From the end of the headers (and the authentication) to the end of the body; 408 after it. */
  bodyTimeout: number;
  /** The whole request, headers and body (Node's requestTimeout): a backstop for both above. */
  requestTimeout: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeout: number;
  /** Most nesting of arrays and objects in a JSON body, checked before it is parsed. */
  jsonMaxDepth: number;
  /** Largest width or height of a group logo, in pixels. */
  logoMaxDimension: number;
}

/** Operations (see the README, "Operations"). */
export interface OpsConfig {
  /** PostgreSQL at start-up: seconds per connection attempt, and how many attempts. */
  connectTimeoutSeconds: number;
  connectAttempts: number;
  logFormat: 'json' | 'pretty';
  metrics: {
    enabled: boolean;
    /** Serve /metrics on this port instead of the main one (then it is not behind the bearer guard). */
    port?: number;
    /** Whether /metrics on the main port is readable without a token (scope roster.admin otherwise). */
    public: boolean;
  };
}

/** The sign-in pages, their sessions and upstream OpenID Connect (see the README, "Sign-in"). */
export interface LoginConfig {
  /** Display names of the groups whose members (direct or nested) may grant scim.write. */
  adminGroups: string[];
  /** Minutes of inactivity after which a browser session ends. */
  sessionIdleMinutes: number;
  /** Failed sign-ins per user and address (and 10x that per address) in 15 minutes before a pause. */
  maxFailures: number;
  oidc?: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    matchClaim: OidcMatchClaim;
    name: string;
  };
}

/** The MCP endpoint (see the README, "MCP"). */
export interface McpConfig {
  /**
   * Origins (scheme://host[:port]) besides PUBLIC_URL's that may call /v2/mcp; `*` allows any.
   * Requests without Origin (every non-browser client) always pass.
   */
  allowedOrigins: string[];
  /** Tool calls and resource reads per minute, per principal. */
  rateLimit: number;
}

/** Token service and resource-server settings (see the README, "Authentication and authorization"). Durations are in seconds. */
export interface AuthConfig {
  /** Base64 of the 32-byte key that encrypts signing keys at rest; never logged. */
  keyEncryptionKey?: string;
  signingAlg: SigningAlgorithm;
  /** Lifetime of access tokens from the JWT-bearer grant. */
  accessTokenTtl: number;
  /** Lifetime of access tokens from the client-credentials grant (60-360 minutes). */
  clientCredentialsTtl: number;
  /** How far ahead of now an assertion's `exp` may be. */
  assertionMaxLifetime: number;
  clockSkew: number;
  assertionMaxBytes: number;
  /** Token requests per minute, per client and per remote address. */
  rateLimit: { perClient: number; perAddress: number };
  trustedIssuers: TrustedIssuer[];
  /** Lifetime of access tokens that act for a signed-in user (authorization code, refresh, ID-JAG). */
  userTokenTtl: number;
  /** Refresh tokens: idle and absolute lifetimes, in seconds. */
  refreshIdleTtl: number;
  refreshMaxTtl: number;
  /** Dynamic client registration: who may register. */
  registration: 'open' | 'admin' | 'off';
  /** Registrations per minute per address. */
  registrationRateLimit: number;
  /** Days after its last use that a dynamically registered client expires (one day if never used). */
  dynamicClientMaxIdleDays: number;
  /** Whether https client_ids naming a client ID metadata document are accepted. */
  clientMetadataDocuments: boolean;
  /** Fetch metadata documents from private, loopback and link-local addresses too (tests only). */
  cimdAllowPrivateAddresses: boolean;
  /** Failed bearer authentications per minute per address before 429. */
  bearerFailureLimit: number;
  /** Default requests per minute per API token on the SCIM API (0: unlimited). */
  apiTokenRateLimit: number;
  /**
   * Seconds an instance trusts a bearer credential it looked up (API tokens, the stored admin
   * token) before reading it again: the bound within which a revocation made elsewhere takes
   * effect here (0: read on every request). Revocations through this instance take effect at once.
   */
  credentialCacheSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; throws one error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const dto = plainToInstance(EnvironmentDto, present);
  const errors = validateSync(dto, { skipMissingProperties: false });
  const problems = errors.map(
    (e) => `${describeRule(e.property, e.constraints ?? {})}, got ${shownValue(e.property, present[e.property])}`,
  );
  if (dto.HOST !== undefined && !validHost(dto.HOST)) {
    problems.push(
      `HOST must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name, got ${JSON.stringify(dto.HOST)}`,
    );
  }
  const issuers = parseTrustedIssuers(dto.TRUSTED_ISSUERS);
  problems.push(...issuers.problems.map((p) => `TRUSTED_ISSUERS: ${p}`));
  const headersTimeout = dto.HTTP_HEADERS_TIMEOUT_MS ?? 10000;
  const requestTimeout = dto.HTTP_REQUEST_TIMEOUT_MS ?? 60000;
  if (headersTimeout > requestTimeout) {
    // Node refuses a headers timeout beyond the request timeout.
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeout}), got ${headersTimeout}`,
    );
  }
  const perRequest = dto.PASSWORD_HASH_CONCURRENCY_PER_REQUEST ?? 1;
  const hashConcurrency = dto.PASSWORD_HASH_CONCURRENCY ?? 2;
  if (perRequest > hashConcurrency) {
    problems.push(
      `PASSWORD_HASH_CONCURRENCY_PER_REQUEST must not exceed PASSWORD_HASH_CONCURRENCY (${hashConcurrency}), got ${perRequest}`,
    );
  }
  const scryptN = dto.PASSWORD_SCRYPT_N ?? 131072;
  if ((scryptN & (scryptN - 1)) !== 0) {
    problems.push(`PASSWORD_SCRYPT_N must be a power of two between 16384 and 1048576, got ${scryptN}`);
  }
  const webhookLeaseSeconds = dto.WEBHOOKS_LEASE_SECONDS ?? 60;
  const webhookTimeoutMs = dto.WEBHOOKS_TIMEOUT_MS ?? 10000;
  if (webhookTimeoutMs >= webhookLeaseSeconds * 1000) {
    // A worker must finish an attempt while it still owns the subscription, or two would deliver at once.
    problems.push(
      `WEBHOOKS_TIMEOUT_MS must be shorter than WEBHOOKS_LEASE_SECONDS (${webhookLeaseSeconds} s), got ${webhookTimeoutMs}`,
    );
  }
  const oidcSet = [dto.OIDC_ISSUER, dto.OIDC_CLIENT_ID, dto.OIDC_CLIENT_SECRET].filter((v) => v !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3) {
    problems.push(
      `OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together (or none of them), got ${oidcSet} of them`,
    );
  }
  if (dto.OIDC_ISSUER !== undefined && !isAcceptableJwksUrl(dto.OIDC_ISSUER)) {
    problems.push(
      `OIDC_ISSUER must be an https URL (http only on a loopback address), got ${JSON.stringify(dto.OIDC_ISSUER)}`,
    );
  }
  if ((dto.OAUTH_REFRESH_IDLE_DAYS ?? 30) > (dto.OAUTH_REFRESH_MAX_DAYS ?? 90)) {
    problems.push(
      `OAUTH_REFRESH_IDLE_DAYS must not exceed OAUTH_REFRESH_MAX_DAYS (${dto.OAUTH_REFRESH_MAX_DAYS ?? 90}), got ${dto.OAUTH_REFRESH_IDLE_DAYS ?? 30}`,
    );
  }
  if (problems.length) {
    throw new ConfigError(problems);
  }
  const port = dto.PORT ?? 3000;
  const host = dto.HOST ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    host,
    publicUrl: (dto.PUBLIC_URL ?? `http://${urlHost}:${port}`).replace(/\/+$/, ''),
    database: {
      url: dto.DATABASE_URL,
      dataDir: dto.DATA_DIR ?? './data',
      poolSize: dto.DATABASE_POOL_SIZE ?? 10,
      statementTimeoutMs: dto.DATABASE_STATEMENT_TIMEOUT_MS ?? 5000,
      lockTimeoutMs: dto.DATABASE_LOCK_TIMEOUT_MS ?? 3000,
    },
    adminToken: dto.SCIM_ADMIN_TOKEN,
    discoveryPublic: dto.DISCOVERY_PUBLIC ?? true,
    bodyLimit: dto.BODY_LIMIT ?? 1024 * 1024,
    bulk: {
      maxOperations: dto.BULK_MAX_OPERATIONS ?? 1000,
      maxPayloadSize: dto.BULK_MAX_PAYLOAD_SIZE ?? 4 * 1024 * 1024,
    },
    filter: { maxResults: dto.FILTER_MAX_RESULTS ?? 1000, maxCost: dto.FILTER_MAX_COST ?? DEFAULT_FILTER_MAX_COST },
    defaultPageSize: dto.DEFAULT_PAGE_SIZE ?? 100,
    logoMaxBytes: dto.LOGO_MAX_BYTES ?? 1024 * 1024,
    logLevel: dto.LOG_LEVEL ?? 'info',
    shutdownTimeoutMs: dto.SHUTDOWN_TIMEOUT_MS ?? 10000,
    trustProxy: dto.TRUST_PROXY ?? false,
    auth: {
      keyEncryptionKey: dto.ROSTER_KEY_ENCRYPTION_KEY,
      signingAlg: dto.OAUTH_SIGNING_ALG ?? 'ES256',
      accessTokenTtl: dto.OAUTH_ACCESS_TOKEN_TTL ?? 3600,
      clientCredentialsTtl: (dto.OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES ?? 60) * 60,
      assertionMaxLifetime: dto.OAUTH_ASSERTION_MAX_LIFETIME ?? 3600,
      clockSkew: dto.OAUTH_CLOCK_SKEW ?? 60,
      assertionMaxBytes: dto.OAUTH_ASSERTION_MAX_BYTES ?? 8192,
      rateLimit: { perClient: dto.OAUTH_RATE_LIMIT_CLIENT ?? 60, perAddress: dto.OAUTH_RATE_LIMIT_ADDRESS ?? 120 },
      trustedIssuers: issuers.issuers,
      userTokenTtl: (dto.OAUTH_USER_TOKEN_TTL_MINUTES ?? 15) * 60,
      refreshIdleTtl: (dto.OAUTH_REFRESH_IDLE_DAYS ?? 30) * 86400,
      refreshMaxTtl: (dto.OAUTH_REFRESH_MAX_DAYS ?? 90) * 86400,
      registration: dto.OAUTH_REGISTRATION ?? 'open',
      registrationRateLimit: dto.OAUTH_REGISTRATION_RATE_LIMIT ?? 30,
      dynamicClientMaxIdleDays: dto.OAUTH_DYNAMIC_CLIENT_MAX_IDLE_DAYS ?? 90,
      clientMetadataDocuments: dto.OAUTH_CLIENT_METADATA_DOCUMENTS ?? true,
      cimdAllowPrivateAddresses: dto.OAUTH_CIMD_ALLOW_PRIVATE_ADDRESSES ?? false,
      bearerFailureLimit: dto.AUTH_FAILURE_LIMIT ?? 60,
      apiTokenRateLimit: dto.API_TOKEN_RATE_LIMIT ?? 0,
      credentialCacheSeconds: dto.AUTH_CACHE_SECONDS ?? 5,
    },
    requestLog: {
      enabled: dto.REQUEST_LOG_ENABLED ?? true,
      retentionHours: dto.REQUEST_LOG_RETENTION_HOURS ?? 48,
      flushMs: dto.REQUEST_LOG_FLUSH_MS ?? 5000,
      maxErrors: dto.REQUEST_LOG_MAX_ERRORS ?? 1000,
    },
    events: {
      retentionDays: dto.EVENTS_RETENTION_DAYS ?? 90,
      revocationCacheSeconds: dto.USER_REVOCATION_CACHE_SECONDS ?? 5,
    },
    sets: {
      pollMaxEvents: dto.SET_POLL_MAX_EVENTS ?? 100,
      pollWaitMs: dto.SET_POLL_WAIT_MS ?? 20000,
    },
    webhooks: {
      worker: dto.WEBHOOKS_WORKER ?? true,
      allowPrivateNetworks: dto.WEBHOOKS_ALLOW_PRIVATE_NETWORKS ?? false,
      allowHttpLoopback: dto.WEBHOOKS_ALLOW_HTTP_LOOPBACK ?? false,
      maxFailures: dto.WEBHOOKS_MAX_FAILURES ?? 20,
      leaseSeconds: webhookLeaseSeconds,
      timeoutMs: webhookTimeoutMs,
      connectTimeoutMs: Math.min(dto.WEBHOOKS_CONNECT_TIMEOUT_MS ?? 5000, webhookTimeoutMs),
      retryBaseMs: dto.WEBHOOKS_RETRY_BASE_MS ?? 5000,
      retryMaxMs: Math.max(dto.WEBHOOKS_RETRY_MAX_MS ?? 3_600_000, dto.WEBHOOKS_RETRY_BASE_MS ?? 5000),
      pollIntervalMs: dto.WEBHOOKS_POLL_INTERVAL_MS ?? 1000,
      concurrency: dto.WEBHOOKS_CONCURRENCY ?? 4,
      deliveryRetentionDays: dto.WEBHOOKS_DELIVERY_RETENTION_DAYS ?? 30,
    },
    login: {
      adminGroups: (dto.ROSTER_ADMIN_GROUPS ?? 'Roster Admins')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      sessionIdleMinutes: dto.LOGIN_SESSION_IDLE_MINUTES ?? 30,
      maxFailures: dto.LOGIN_MAX_FAILURES ?? 5,
      ...(dto.OIDC_ISSUER && dto.OIDC_CLIENT_ID && dto.OIDC_CLIENT_SECRET
        ? {
            oidc: {
              issuer: dto.OIDC_ISSUER,
              clientId: dto.OIDC_CLIENT_ID,
              clientSecret: dto.OIDC_CLIENT_SECRET,
              matchClaim: dto.OIDC_MATCH_CLAIM ?? 'email',
              name: dto.OIDC_NAME?.trim() || new URL(dto.OIDC_ISSUER).hostname,
            },
          }
        : {}),
    },
    ops: {
      connectTimeoutSeconds: dto.DATABASE_CONNECT_TIMEOUT ?? 10,
      connectAttempts: dto.DATABASE_CONNECT_ATTEMPTS ?? 5,
      logFormat: dto.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
      metrics: { enabled: dto.METRICS_ENABLED ?? true, port: dto.METRICS_PORT, public: dto.METRICS_PUBLIC ?? false },
    },
    mcp: {
      allowedOrigins: (dto.MCP_ALLOWED_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim().replace(/\/+$/, ''))
        .filter(Boolean),
      rateLimit: dto.MCP_RATE_LIMIT ?? 120,
    },
    http: {
      headersTimeout,
      bodyTimeout: dto.HTTP_BODY_TIMEOUT_MS ?? 30000,
      requestTimeout,
      keepAliveTimeout: dto.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 72000,
      jsonMaxDepth: dto.JSON_MAX_DEPTH ?? 64,
      logoMaxDimension: dto.LOGO_MAX_DIMENSION ?? 4096,
    },
    passwordHashing: { concurrency: hashConcurrency, perRequest, scryptN },
    schemas: {
      unknownExtensions: dto.SCHEMA_UNKNOWN_EXTENSIONS ?? 'reject',
      refreshIntervalMs: dto.SCHEMA_REFRESH_INTERVAL_MS ?? 2000,
    },
  };
}

/**
 * One sentence per bad variable, from the DTO's own rules, naming the accepted form:
 * `PORT must be an integer between 1 and 65535`. Rules with a message of their own keep it.
 */
function describeRule(property: string, constraints: Record<string, string>): string {
  const rules = getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentDto, '', true, false)
    .filter((m) => m.propertyName === property);
  const constraint = (name: string): unknown =>
    (rules.find((m) => m.name === name)?.constraints as unknown[] | undefined)?.[0];
  const text = (value: unknown): string =>
    typeof value === 'number' || typeof value === 'string' ? String(value) : '?';
  const custom = Object.entries(constraints).find(([name]) => rules.some((m) => m.name === name && m.message));
  if (custom) {
    return custom[1];
  }
  if (rules.some((m) => m.name === 'isInt')) {
    const min = constraint('min');
    const max = constraint('max');
    return `${property} must be an integer ${
      min !== undefined && max !== undefined
        ? `between ${text(min)} and ${text(max)}`
        : min !== undefined
          ? `of at least ${text(min)}`
          : `of at most ${text(max)}`
    }`;
  }
  if (rules.some((m) => m.name === 'isBoolean')) {
    return `${property} must be true, false, 1 or 0`;
  }
  const allowed = constraint('isIn');
  if (Array.isArray(allowed)) {
    return `${property} must be one of ${allowed.map(text).join(', ')}`;
  }
  if (rules.some((m) => m.name === 'isUrl')) {
    return `${property} must be an http:// or https:// URL, such as https://scim.example.com`;
  }
  return Object.values(constraints).join('; ');
}

/** The value as the operator typed it, with secrets and URL passwords hidden. */
function shownValue(property: string, value: unknown): string {
  if (SECRET_VARIABLES.has(property)) {
    // A mistyped secret is still close to the real one: name it, never print it.
    return '[REDACTED]';
  }
  return JSON.stringify(typeof value === 'string' ? redactUrlCredentials(value) : value);
}

/** `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for any text that holds URLs. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi, '$1***@');
}

function validHost(host: string): boolean {
  if (isIP(host)) {
    return true;
  }
  // A dotted quad that is not an address (999.1.1.1) is a typo, not a host name.
  if (/^[\d.]+$/.test(host)) {
    return false;
  }
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host);
}

export const APP_CONFIG = Symbol('APP_CONFIG');
