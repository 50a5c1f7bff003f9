export type Scope = 'scim.read' | 'scim.write' | 'roster.admin' | 'roster.events';
/** `roster.events`: read the change log (GET /v2/Events, the History endpoints) and nothing else. */
export const ALL_SCOPES: readonly Scope[] = ['scim.read', 'scim.write', 'roster.admin', 'roster.events'];

/**
 * Who may read the change log: an administrator, or a credential given only `roster.events` (an
 * audit or sync consumer that must not manage anything). One list, so that every reader of events
 * (the feed, the History endpoints, the SCIM events poll endpoint) checks the same thing.
 */
export const EVENTS_READER_SCOPES: readonly Scope[] = ['roster.admin', 'roster.events'];

/** Whether a principal may read the change log (see EVENTS_READER_SCOPES). */
export function canReadEvents(principal: { scopes: ReadonlySet<string> }): boolean {
  return EVENTS_READER_SCOPES.some((scope) => principal.scopes.has(scope));
}

export function isScope(value: string): value is Scope {
  return ALL_SCOPES.some((scope) => scope === value);
}

/**
 * The protected resources Roster serves, each its own OAuth audience: the SCIM API
 * (`${PUBLIC_URL}/v2`) and the MCP endpoint (`${PUBLIC_URL}/v2/mcp`). A token is good for the
 * resources it was issued for and no others (RFC 8707, MCP authorization).
 */
export type ResourceKind = 'scim' | 'mcp';
export const RESOURCES: readonly ResourceKind[] = ['scim', 'mcp'];

/** Who is calling, as established by one of the bearer strategies. */
export interface Principal {
  /** `set-receiver`: a SET receiver's poll token (events/sets), good for its own poll endpoint only. */
  kind: 'admin' | 'api-token' | 'access-token' | 'external-jwt' | 'set-receiver';
  /** Stable identifier for logs and rate limits; never the credential itself. */
  subject: string;
  /** A human name for the credential (an API token's name), for audit records. */
  name?: string;
  scopes: ReadonlySet<string>;
  /** The resources (audiences) this credential may be used on. */
  resources: ReadonlySet<ResourceKind>;
  /** The directory user the credential acts as, when there is one (for /v2/me). */
  userId?: string;
  clientId?: string;
  /** The OAuth grant behind an access token of a signed-in user (authorization code or refresh). */
  grantId?: string;
  /** Requests per minute this credential may make on the SCIM API (API tokens), when limited. */
  rateLimit?: number;
}

/**
 * A way to turn a bearer token into a principal. Strategies are tried in order: `null` means
 * "not a token of mine"; throwing InvalidTokenError means "mine, and invalid".
 */
export interface BearerStrategy {
  readonly name: string;
  authenticate(token: string): Promise<Principal | null>;
}

/** A token a strategy recognised but refuses; the description goes to the client (no secrets in it). */
export class InvalidTokenError extends Error {
  /**
   * @param lapsed a genuine token that expired or was revoked: refused, but not counted as a
   *   failed authentication (its client is real and will refresh).
   */
  constructor(
    readonly description: string,
    readonly lapsed = false,
  ) {
    super(description);
    this.name = 'InvalidTokenError';
  }
}

export const BEARER_STRATEGIES = Symbol('BEARER_STRATEGIES');
