import { ALL_SCOPES, RESOURCES, ResourceKind } from './principal';

/** The algorithms Roster signs its access tokens with (and so the only ones it verifies). */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * Asymmetric algorithms accepted on JWTs from others (client assertions, trusted issuers). HMAC
 * is absent on purpose: with a public key as the "secret" anyone could forge a signature, and
 * `none` is never acceptable.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** A JWT issuer whose tokens Roster accepts as bearer tokens (e.g. an Entra ID tenant). */
export interface TrustedIssuer {
  /** Compared exactly with the token's `iss`. */
  issuer: string;
  jwksUri: string;
  /** One of them must be in the token's `aud`; empty for an issuer trusted for ID-JAGs only. */
  audience: string[];
  /** The claim carrying scopes or roles: a space-separated string or an array (default `scope`, then `scp`). */
  scopeClaim?: string;
  /** External value → Roster scopes (space-separated). Without it, values that are Roster scopes count as such. */
  scopeMap?: Record<string, string>;
  /** Which Roster resources the tokens are good for (default: the SCIM API only). */
  resources: ResourceKind[];
  algorithms: string[];
  /** Longest lifetime (exp - iat, and exp - now) a token of this issuer may have, in seconds. */
  maxTokenLifetime: number;
  /**
   * Also trusted to issue ID-JAGs (identity assertion JWT authorization grants) that clients
   * redeem at the token endpoint for a user of the directory.
   */
  idJag: boolean;
  /** For ID-JAGs: the claim matched to a directory user, as OIDC_MATCH_CLAIM (default email, then sub). */
  subjectClaim?: string;
}

/** Default cap on the lifetime of a trusted issuer's tokens: a day. */
export const DEFAULT_EXTERNAL_TOKEN_LIFETIME = 86400;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** https, or http on a loopback host (local development and tests). */
export function isAcceptableJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') {
    return true;
  }
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** Parses TRUSTED_ISSUERS (a JSON array); every problem is named so that the boot error lists them all. */
export function parseTrustedIssuers(raw: string | undefined): { issuers: TrustedIssuer[]; problems: string[] } {
  if (raw === undefined || raw.trim() === '') {
    return { issuers: [], problems: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { issuers: [], problems: ['is not valid JSON'] };
  }
  if (!Array.isArray(parsed)) {
    return { issuers: [], problems: ['must be a JSON array of {issuer, jwksUri, audience, ...}'] };
  }
  const issuers: TrustedIssuer[] = [];
  const problems: string[] = [];
  parsed.forEach((entry: unknown, index) => {
    const at = `[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const before = problems.length;
    const {
      issuer,
      jwksUri,
      audience,
      scopeClaim,
      scopeMap,
      resources,
      algorithms,
      maxTokenLifetime,
      idJag,
      subjectClaim,
    } = entry;
    if (typeof issuer !== 'string' || !issuer) {
      problems.push(`${at}.issuer must be a non-empty string`);
    }
    if (typeof jwksUri !== 'string' || !isAcceptableJwksUrl(jwksUri)) {
      problems.push(`${at}.jwksUri must be an https URL (http only on loopback)`);
    }
    if (idJag !== undefined && typeof idJag !== 'boolean') {
      problems.push(`${at}.idJag must be true or false`);
    }
    const audiences = typeof audience === 'string' ? [audience] : (audience ?? (idJag === true ? [] : undefined));
    if (
      !Array.isArray(audiences) ||
      (!audiences.length && idJag !== true) ||
      !audiences.every((a) => typeof a === 'string' && a)
    ) {
      problems.push(`${at}.audience must be a string or a non-empty array of strings`);
    }
    if (
      maxTokenLifetime !== undefined &&
      (typeof maxTokenLifetime !== 'number' || !Number.isInteger(maxTokenLifetime) || maxTokenLifetime < 60)
    ) {
      problems.push(`${at}.maxTokenLifetime must be a whole number of seconds, at least 60`);
    }
    if (subjectClaim !== undefined && (typeof subjectClaim !== 'string' || !subjectClaim)) {
      problems.push(`${at}.subjectClaim must be a non-empty string`);
    }
    if (scopeClaim !== undefined && (typeof scopeClaim !== 'string' || !scopeClaim)) {
      problems.push(`${at}.scopeClaim must be a non-empty string`);
    }
    if (scopeMap !== undefined) {
      const valid =
        isRecord(scopeMap) &&
        Object.values(scopeMap).every(
          (v) =>
            typeof v === 'string' && v.split(' ').every((s) => s === '' || ALL_SCOPES.some((known) => known === s)),
        );
      if (!valid) {
        problems.push(`${at}.scopeMap must map strings to Roster scopes (${ALL_SCOPES.join(' ')})`);
      }
    }
    const kinds = resources ?? ['scim'];
    if (!Array.isArray(kinds) || !kinds.length || !kinds.every((k) => RESOURCES.some((r) => r === k))) {
      problems.push(`${at}.resources must be a non-empty array of ${RESOURCES.join(', ')}`);
    }
    const algs = algorithms ?? ['RS256', 'ES256'];
    if (
      !Array.isArray(algs) ||
      !algs.length ||
      !algs.every((a) => ASYMMETRIC_ALGORITHMS.some((known) => known === a))
    ) {
      problems.push(`${at}.algorithms must list asymmetric JWS algorithms only`);
    }
    if (problems.length === before) {
      issuers.push({
        issuer: issuer as string,
        jwksUri: jwksUri as string,
        audience: audiences as string[],
        scopeClaim: scopeClaim as string | undefined,
        scopeMap: scopeMap as Record<string, string> | undefined,
        resources: kinds as ResourceKind[],
        algorithms: algs as string[],
        maxTokenLifetime: (maxTokenLifetime as number | undefined) ?? DEFAULT_EXTERNAL_TOKEN_LIFETIME,
        idJag: idJag === true,
        subjectClaim: subjectClaim as string | undefined,
      });
    }
  });
  const seen = new Set<string>();
  for (const entry of issuers) {
    if (seen.has(entry.issuer)) {
      problems.push(`issuer ${entry.issuer} is listed twice`);
    }
    seen.add(entry.issuer);
  }
  return { issuers, problems };
}
