import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import passport from 'passport';
import { Strategy, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../config';
import { ACCESS_TOKEN_TYPE } from './access-tokens.service';
import { SIGNING_ALGORITHMS } from './auth-config';
import { OAuthClientsService } from './clients.service';
import { BearerStrategy, InvalidTokenError, Principal, RESOURCES, ResourceKind } from './principal';
import { resourceUrl } from './resources';
import { splitScope } from './scopes';
import { GrantsService } from './oauth/grants.service';
import { SigningKeysService } from './signing-keys.service';
import { UserRevocationsService } from '../events/user-revocations.service';

/** What the strategy is handed: the bearer token the guard took from the Authorization header. */
interface TokenCarrier {
  token: string;
}

/** The hooks passport adds to a strategy for the duration of one authentication. */
interface AuthenticationHooks {
  success(user: unknown): void;
  fail(challenge?: unknown): void;
  error(error: unknown): void;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies Roster's own access tokens with passport-jwt: the key is resolved by `kid` from the
 * signing-key table (cached), the algorithms are pinned to those Roster signs with, and `iss`,
 * `aud` (one of Roster's resources), `exp` and `typ` are checked. Which resource the route
 * belongs to is the guard's decision; `validate` reports the resources the token names.
 */
@Injectable()
export class AccessTokenJwtStrategy extends PassportStrategy(Strategy, 'roster-access-token') {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: OAuthClientsService,
    private readonly grants: GrantsService,
    keys: SigningKeysService,
    private readonly revocations: UserRevocationsService,
  ) {
    const options: StrategyOptionsWithoutRequest = {
      jwtFromRequest: (request: TokenCarrier) => request.token,
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: string) => void) => {
        resolveKey(keys, rawToken).then(
          (pem) => done(null, pem),
          (error: unknown) => done(error),
        );
      },
      issuer: config.publicUrl,
      audience: RESOURCES.map((kind) => resourceUrl(config, kind)),
      algorithms: [...SIGNING_ALGORITHMS],
      ignoreExpiration: false,
      // The only way passport-jwt passes a clock tolerance on to jsonwebtoken.
      jsonWebTokenOptions: { clockTolerance: config.auth.clockSkew },
    };
    super(options);
  }

  /**
   * The mixin registers every strategy with a passport instance; a throwaway one keeps this
   * strategy out of passport's global registry, so that several applications in one process
   * (tests, the CLI) never replace each other's strategy. It is run directly instead.
   */
  getPassportInstance(): passport.Authenticator {
    return new passport.Passport();
  }

  /** Called by passport-jwt with the verified payload. */
  async validate(payload: unknown): Promise<Principal> {
    const claims = payload as Record<string, unknown>;
    const { sub, client_id: clientId, scope, jti, exp } = claims;
    if (
      typeof sub !== 'string' ||
      typeof clientId !== 'string' ||
      typeof scope !== 'string' ||
      typeof jti !== 'string'
    ) {
      throw new InvalidTokenError('The access token lacks sub, client_id, scope or jti.');
    }
    if (typeof exp !== 'number') {
      throw new InvalidTokenError('The access token has no expiry.');
    }
    const grantId = typeof claims.gid === 'string' ? claims.gid : undefined;
    if (grantId !== undefined) {
      // A user's grant: revoked with the grant (by the user, the client, an administrator or
      // deprovisioning). Its client may be a metadata-document client that has no row.
      if (!(await this.grants.isAlive(grantId))) {
        throw new InvalidTokenError('The grant this access token belongs to has been revoked.', true);
      }
    } else if (!(await this.clients.isActive(clientId))) {
      throw new InvalidTokenError('The client this access token was issued to has been revoked.', true);
    }
    // The deprovisioning cascade: a token issued before its user was deactivated or deleted.
    if (
      sub !== clientId &&
      (await this.revocations.isRevoked(sub, typeof claims.iat === 'number' ? claims.iat : undefined))
    ) {
      throw new InvalidTokenError('The user this access token acts for has been deactivated or deleted.', true);
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const resources = RESOURCES.filter((kind) => audiences.includes(resourceUrl(this.config, kind)));
    return {
      kind: 'access-token',
      subject: sub,
      scopes: new Set(splitScope(scope)),
      resources: new Set<ResourceKind>(resources),
      clientId,
      ...(grantId ? { grantId } : {}),
      // The subject is a directory user unless the client obtained the token for itself.
      ...(sub !== clientId ? { userId: sub } : {}),
    };
  }
}

/** The guard's view of the passport strategy: a token in, a principal (or a refusal) out. */
@Injectable()
export class AccessTokenBearerStrategy implements BearerStrategy {
  readonly name = 'access-token';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly strategy: AccessTokenJwtStrategy,
  ) {}

  async authenticate(token: string): Promise<Principal | null> {
    if (!JWT_SHAPE.test(token) || !this.isOurs(token)) {
      return null;
    }
    return new Promise<Principal>((resolve, reject) => {
      // What passport itself does per request: a fresh object over the strategy, whose hooks
      // settle this one attempt.
      const attempt = Object.create(this.strategy) as AccessTokenJwtStrategy & AuthenticationHooks;
      attempt.success = (user) => resolve(user as Principal);
      attempt.fail = (challenge) =>
        reject(
          challenge instanceof InvalidTokenError
            ? challenge
            : new InvalidTokenError(describeFailure(challenge), isExpiry(challenge)),
        );
      attempt.error = (error) =>
        reject(error instanceof InvalidTokenError ? error : new InvalidTokenError('The access token is invalid.'));
      const carrier: TokenCarrier = { token };
      attempt.authenticate(carrier as unknown as Parameters<Strategy['authenticate']>[0], {});
    });
  }

  /** Tokens whose (unverified) issuer is Roster are this strategy's to accept or refuse. */
  private isOurs(token: string): boolean {
    try {
      return decodeJwt(token).iss === this.config.publicUrl;
    } catch {
      return false;
    }
  }
}

async function resolveKey(keys: SigningKeysService, rawToken: string): Promise<string> {
  const header = decodeProtectedHeader(rawToken);
  if (header.typ !== ACCESS_TOKEN_TYPE) {
    throw new InvalidTokenError(`The access token must have typ "${ACCESS_TOKEN_TYPE}".`);
  }
  const key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid) : undefined;
  if (!key) {
    throw new InvalidTokenError('The access token was signed with an unknown or retired key.');
  }
  if (key.alg !== header.alg) {
    throw new InvalidTokenError('The access token algorithm does not match its key.');
  }
  return key.pem;
}

function isExpiry(challenge: unknown): boolean {
  return challenge instanceof Error && challenge.name === 'TokenExpiredError';
}

/** passport-jwt fails with jsonwebtoken's errors; turn them into descriptions fit for a client. */
function describeFailure(challenge: unknown): string {
  if (challenge instanceof InvalidTokenError) {
    return challenge.description;
  }
  const name = challenge instanceof Error ? challenge.name : '';
  const message = challenge instanceof Error ? challenge.message : '';
  if (name === 'TokenExpiredError') {
    return 'The access token has expired.';
  }
  if (name === 'NotBeforeError') {
    return 'The access token is not valid yet.';
  }
  if (message.includes('audience')) {
    return 'The access token was issued for another audience.';
  }
  if (message.includes('signature')) {
    return 'The access token signature is invalid.';
  }
  if (message.includes('algorithm')) {
    return 'The access token algorithm is not accepted.';
  }
  if (message.startsWith('error in secret or public key callback: ')) {
    return message.slice('error in secret or public key callback: '.length);
  }
  return 'The access token is invalid.';
}
