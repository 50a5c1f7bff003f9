export type Scope = 'scim.read' | 'scim.write' | 'roster.admin';
export const ALL_SCOPES: readonly Scope[] = ['scim.read', 'scim.write', 'roster.admin'];

/** Who is calling, as established by one of the bearer strategies. */
export interface Principal {
  kind: 'admin' | 'api-token' | 'access-token' | 'external-jwt';
  /** Stable identifier for logs and rate limits; never the credential itself. */
  subject: string;
  scopes: ReadonlySet<string>;
  /** The directory user the credential acts as, when there is one (for /v2/me). */
  userId?: string;
  clientId?: string;
}

/**
 * A way to turn a bearer token into a principal. Strategies are tried in order: `null` means
 * "not a token of mine"; throwing means "mine, and invalid".
 */
export interface BearerStrategy {
  readonly name: string;
  authenticate(token: string): Promise<Principal | null>;
}

export const BEARER_STRATEGIES = Symbol('BEARER_STRATEGIES');
