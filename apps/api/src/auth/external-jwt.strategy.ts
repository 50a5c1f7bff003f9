import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { APP_CONFIG, AppConfig } from '../config';
import { TrustedIssuer } from './auth-config';
import { BearerStrategy, InvalidTokenError, isScope, Principal } from './principal';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * JWTs from configured trusted issuers (TRUSTED_ISSUERS), e.g. tokens Entra ID issues to an
 * app registration. Keys come from the issuer's JWKS URI through jose's remote key set, which
 * caches them and refetches on an unknown `kid` at most once per cooldown.
 */
@Injectable()
export class ExternalJwtStrategy implements BearerStrategy {
  readonly name = 'external-jwt';
  private readonly logger = new Logger('ExternalJwt');
  private readonly issuers = new Map<string, { config: TrustedIssuer; keys: JWTVerifyGetKey }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    for (const issuer of config.auth.trustedIssuers) {
      const keys = createRemoteJWKSet(new URL(issuer.jwksUri), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
        timeoutDuration: 5_000,
      });
      this.issuers.set(issuer.issuer, { config: issuer, keys });
    }
  }

  /** The key set of an issuer trusted for ID-JAGs, or undefined. */
  idJagIssuer(issuer: string): { config: TrustedIssuer; keys: JWTVerifyGetKey } | undefined {
    const trusted = this.issuers.get(issuer);
    return trusted?.config.idJag ? trusted : undefined;
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (!this.issuers.size || !JWT_SHAPE.test(token)) {
      return null;
    }
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return null;
    }
    const trusted = issuer === undefined ? undefined : this.issuers.get(issuer);
    if (!trusted) {
      return null;
    }
    if (!trusted.config.audience.length) {
      throw new InvalidTokenError('This issuer is trusted for ID-JAGs at the token endpoint, not for bearer tokens.');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.config.issuer,
        audience: trusted.config.audience,
        algorithms: trusted.config.algorithms,
        clockTolerance: this.config.auth.clockSkew,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        this.logger.warn(
          { issuer: trusted.config.issuer, err: String(error) },
          'Could not verify a token of a trusted issuer.',
        );
      }
      throw new InvalidTokenError(describe(error), error instanceof errors.JWTExpired);
    }
    const tooLong = lifetimeProblem(payload, trusted.config.maxTokenLifetime, this.config.auth.clockSkew);
    if (tooLong) {
      throw new InvalidTokenError(tooLong);
    }
    return {
      kind: 'external-jwt',
      subject: `${trusted.config.issuer}#${String(payload.sub)}`,
      scopes: new Set(scopesOf(payload, trusted.config)),
      resources: new Set(trusted.config.resources),
      ...(typeof payload.azp === 'string' || typeof payload.appid === 'string'
        ? { clientId: String(payload.azp ?? payload.appid) }
        : {}),
    };
  }
}

/**
 * Tokens of trusted issuers live at most `maxLifetime` seconds: measured from `iat` when the
 * token has one, and from now in any case, so a token minted for a year is refused however old.
 */
export function lifetimeProblem(payload: JWTPayload, maxLifetime: number, skew: number): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  const exp = typeof payload.exp === 'number' ? payload.exp : Number.POSITIVE_INFINITY;
  if (exp - now > maxLifetime + skew || (typeof payload.iat === 'number' && exp - payload.iat > maxLifetime + skew)) {
    return `The token lives longer than the ${maxLifetime} s accepted from its issuer.`;
  }
  return undefined;
}

/**
 * The Roster scopes a token carries: through scopeMap when configured, else the values that are
 * Roster scopes. `roster.admin` counts only through an explicit scopeMap entry: an issuer's own
 * scope named like Roster's must not make its tokens administrators by accident (nor readers of the
 * change log: `roster.events` likewise).
 */
export function scopesOf(payload: JWTPayload, issuer: TrustedIssuer): string[] {
  const claim = issuer.scopeClaim ? payload[issuer.scopeClaim] : (payload.scope ?? payload.scp);
  const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim.map(String) : [];
  const scopes = new Set<string>();
  for (const value of values) {
    const mapped = issuer.scopeMap ? (issuer.scopeMap[value] ?? '').split(' ') : [value];
    for (const scope of mapped) {
      if (isScope(scope) && ((scope !== 'roster.admin' && scope !== 'roster.events') || issuer.scopeMap)) {
        scopes.add(scope);
      }
    }
  }
  return [...scopes];
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    return 'The token has expired.';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The token's "${error.claim}" claim is not acceptable here.`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The token algorithm is not accepted.';
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return "No key of the token's issuer matches its kid.";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'The token signature is invalid.';
  }
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return "The issuer's keys could not be fetched; try again later.";
  }
  return 'The token is invalid.';
}
