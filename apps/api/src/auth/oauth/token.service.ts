import { Inject, Injectable, Logger } from '@nestjs/common';
import { GrantRecord, OAuthClientRecord, UsedAssertionsRepository, UserRecord, UsersRepository } from '@roster/db';
import { decodeJwt, decodeProtectedHeader, errors, JWTPayload, jwtVerify } from 'jose';
import { isResourceId } from '../../common/etag';
import { APP_CONFIG, AppConfig } from '../../config';
import { AccessTokensService } from '../access-tokens.service';
import {
  AUTHORIZATION_CODE_GRANT,
  CLIENT_CREDENTIALS_GRANT,
  JWT_BEARER_GRANT,
  OAuthClientsService,
  REFRESH_TOKEN_GRANT,
} from '../clients.service';
import { ExternalJwtStrategy, lifetimeProblem } from '../external-jwt.strategy';
import { RolesService } from '../login/roles.service';
import { UserMatcher } from '../login/user-matcher';
import { KeyEncryptionUnavailableError } from '../key-encryption.service';
import { ResourceKind } from '../principal';
import { resourceKindOf, resourceUrl, tokenEndpointUrl, userResourceKindOf } from '../resources';
import { splitScope } from '../scopes';
import { AssertionPolicy, AssertionRejected, JWT_CLIENT_ASSERTION_TYPE, verifyAssertion } from './assertions';
import { ClientDirectory } from './client-directory.service';
import { GrantsService } from './grants.service';
import { CODE_VERIFIER, s256 } from './redirect-uris';
import { OAuthError } from './oauth-error';
import { TokenRateLimiter } from './rate-limiter.service';

const FORM = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
/** Metadata-document client ids are URLs, hence longer than registered ids. */
const MAX_CLIENT_ID = 2000;
export const ID_JAG_TYPE = 'oauth-id-jag+jwt';
const SUPPORTED_GRANTS = [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT, JWT_BEARER_GRANT, CLIENT_CREDENTIALS_GRANT];
const SWEEP_MS = 60_000;

export interface TokenRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
  /** The caller's address, for the per-address rate limit. */
  address: string;
}

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface AuthenticatedClient {
  client: OAuthClientRecord;
  method: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
}

/** The form parameters; RFC 6749 §3.2 forbids repeating any of them except `resource` (RFC 8707). */
export class Params {
  constructor(private readonly form: Record<string, unknown>) {}

  one(name: string): string | undefined {
    const value = this.form[name];
    if (Array.isArray(value)) {
      throw OAuthError.invalidRequest(`The parameter ${name} was sent more than once.`);
    }
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  all(name: string): string[] {
    const value = this.form[name];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
  }
}

/**
 * The token endpoint (POST /v2/Login/Oauth2/Token): client authentication (the registered
 * method only), the authorization-code grant with PKCE, refresh-token rotation, the JWT-bearer
 * grant (RFC 7523 §2.1, and ID-JAGs of trusted issuers), and the client-credentials grant.
 * Every outcome is an access token from AccessTokensService or an OAuthError.
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger('TokenEndpoint');
  private readonly policy: AssertionPolicy;
  private lastSweep = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: OAuthClientsService,
    private readonly accessTokens: AccessTokensService,
    private readonly usedAssertions: UsedAssertionsRepository,
    private readonly users: UsersRepository,
    private readonly limiter: TokenRateLimiter,
    private readonly directory: ClientDirectory,
    private readonly grants: GrantsService,
    private readonly roles: RolesService,
    private readonly matcher: UserMatcher,
    private readonly external: ExternalJwtStrategy,
  ) {
    this.policy = {
      audiences: [config.publicUrl, tokenEndpointUrl(config)],
      maxLifetime: config.auth.assertionMaxLifetime,
      clockSkew: config.auth.clockSkew,
      maxBytes: config.auth.assertionMaxBytes,
    };
  }

  async exchange(request: TokenRequest): Promise<TokenResponse> {
    if (!request.contentType || !FORM.test(request.contentType)) {
      throw OAuthError.invalidRequest('The token endpoint accepts application/x-www-form-urlencoded bodies only.');
    }
    await this.limiter.hit({ address: request.address }, this.config.auth.rateLimit.perAddress);
    const params = new Params(isRecord(request.body) ? request.body : {});
    const grantType = params.one('grant_type');
    if (!grantType) {
      throw OAuthError.invalidRequest('grant_type is required.');
    }
    if (!SUPPORTED_GRANTS.includes(grantType)) {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${grantType.slice(0, 100)} is not supported; use one of ${SUPPORTED_GRANTS.join(', ')}.`,
      );
    }
    let authenticated: AuthenticatedClient | undefined;
    try {
      // The code and refresh grants are for public clients too, which name themselves by client_id alone.
      const publicAllowed = grantType === AUTHORIZATION_CODE_GRANT || grantType === REFRESH_TOKEN_GRANT;
      authenticated = await this.authenticateClient(params, request.authorization, request.address, publicAllowed);
      switch (grantType) {
        case AUTHORIZATION_CODE_GRANT:
          return await this.authorizationCode(params, this.required(authenticated));
        case REFRESH_TOKEN_GRANT:
          return await this.refreshToken(params, this.required(authenticated));
        case JWT_BEARER_GRANT:
          return await this.jwtBearer(params, authenticated, request.address);
        default:
          return await this.clientCredentials(params, authenticated);
      }
    } catch (error) {
      if (error instanceof KeyEncryptionUnavailableError) {
        this.logger.error(`Cannot sign access tokens: ${error.message}`);
        throw new OAuthError('temporarily_unavailable', 'Roster cannot sign tokens right now; see its log.', 503);
      }
      if (error instanceof OAuthError) {
        this.logger.log(
          { grantType, clientId: authenticated?.client.id, error: error.error },
          `Token request refused: ${error.description}`,
        );
      }
      throw error;
    }
  }

  private required(authenticated: AuthenticatedClient | undefined): AuthenticatedClient {
    if (!authenticated) {
      throw OAuthError.invalidClient(
        'Name the client: client_id for a public client, or its client authentication.',
        false,
      );
    }
    return authenticated;
  }

  /** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is burnt first, then every binding checked. */
  private async authorizationCode(params: Params, { client }: AuthenticatedClient): Promise<TokenResponse> {
    if (!client.grantTypes.includes(AUTHORIZATION_CODE_GRANT)) {
      throw new OAuthError('unauthorized_client', 'This client is not registered for the authorization_code grant.');
    }
    const value = params.one('code');
    const redirectUri = params.one('redirect_uri');
    const verifier = params.one('code_verifier');
    if (!value) {
      throw OAuthError.invalidRequest('code is required.');
    }
    if (!redirectUri) {
      throw OAuthError.invalidRequest('redirect_uri is required: the one the authorization request named.');
    }
    if (!verifier) {
      throw OAuthError.invalidRequest('code_verifier is required (PKCE).');
    }
    const redeemed = await this.grants.redeemCode(value);
    if ('refused' in redeemed) {
      throw OAuthError.invalidGrant(redeemed.refused);
    }
    const { code } = redeemed;
    if (code.clientId !== client.id) {
      throw OAuthError.invalidGrant('The authorization code was issued to another client.');
    }
    if (code.redirectUri !== redirectUri) {
      throw OAuthError.invalidGrant('redirect_uri differs from the one of the authorization request.');
    }
    if (!CODE_VERIFIER.test(verifier) || s256(verifier) !== code.codeChallenge) {
      throw OAuthError.invalidGrant('The code_verifier does not match the code_challenge (PKCE).');
    }
    const resource = this.resource(params, code.resource as ResourceKind, true);
    if (resource !== code.resource) {
      throw new OAuthError('invalid_target', 'resource differs from the one of the authorization request.');
    }
    const user = await this.users.findById(code.userId);
    if (!user?.active) {
      throw OAuthError.invalidGrant('The user who authorized this code can no longer sign in.');
    }
    const scopes = splitScope(code.scope);
    const grant = await this.grants.createGrant({
      clientId: client.id,
      userId: user.id,
      scopes,
      resource,
      codeHashOf: value,
    });
    const refresh = code.offline || client.grantTypes.includes(REFRESH_TOKEN_GRANT);
    return this.issueForGrant(AUTHORIZATION_CODE_GRANT, client, grant, scopes, refresh);
  }

  /** Refresh with rotation: the token presented is used up; presenting it again revokes the family. */
  private async refreshToken(params: Params, { client }: AuthenticatedClient): Promise<TokenResponse> {
    const value = params.one('refresh_token');
    if (!value) {
      throw OAuthError.invalidRequest('refresh_token is required.');
    }
    const used = await this.grants.useRefreshToken(value);
    if ('refused' in used) {
      throw OAuthError.invalidGrant(used.refused);
    }
    const { grant } = used;
    if (grant.clientId !== client.id) {
      // Another client holds this client's refresh token: it leaked, so the family goes.
      await this.grants.revoke(grant.id, 'refresh token presented by another client');
      throw OAuthError.invalidGrant('The refresh token was issued to another client.');
    }
    const resource = this.resource(params, grant.resource as ResourceKind, true);
    if (resource !== grant.resource) {
      throw new OAuthError('invalid_target', 'resource differs from the one the refresh token was issued for.');
    }
    const user = await this.users.findById(grant.userId);
    if (!user?.active) {
      await this.grants.revoke(grant.id, 'user deactivated');
      throw OAuthError.invalidGrant('The user of this grant can no longer sign in.');
    }
    // What the user may grant today bounds what the old consent still gives (roles change).
    const grantable = await this.roles.grantableScopes(user.id);
    let scopes = splitScope(grant.scope).filter((s) => grantable.some((g) => g === s));
    const requested = params.one('scope');
    if (requested !== undefined) {
      const asked = splitScope(requested).filter((s) => s !== 'offline_access');
      const refused = asked.filter((s) => !scopes.includes(s));
      if (refused.length) {
        throw new OAuthError('invalid_scope', `A refresh may only narrow the grant; refused: ${refused.join(' ')}.`);
      }
      scopes = scopes.filter((s) => asked.includes(s));
    }
    if (!scopes.length) {
      throw new OAuthError('invalid_scope', 'Nothing of this grant may be granted any more.');
    }
    return this.issueForGrant(REFRESH_TOKEN_GRANT, client, grant, scopes, true);
  }

  private async issueForGrant(
    grantType: string,
    client: OAuthClientRecord,
    grant: GrantRecord,
    scopes: string[],
    refresh: boolean,
  ): Promise<TokenResponse> {
    const issued = await this.accessTokens.issue({
      subject: grant.userId,
      clientId: client.id,
      scopes,
      resource: grant.resource as ResourceKind,
      lifetimeSeconds: this.config.auth.userTokenTtl,
      grantId: grant.id,
    });
    const refreshToken = refresh ? await this.grants.issueRefreshToken(grant) : undefined;
    this.clients.touch(client);
    this.logger.log(
      {
        grantType,
        clientId: client.id,
        subject: grant.userId,
        grantId: grant.id,
        scope: issued.scope,
        jti: issued.jti,
      },
      'Issued an access token for a user grant.',
    );
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: issued.scope,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }

  private async clientCredentials(
    params: Params,
    authenticated: AuthenticatedClient | undefined,
  ): Promise<TokenResponse> {
    if (!authenticated) {
      throw OAuthError.invalidClient(
        'client_credentials needs client authentication: client_secret_basic, client_secret_post or private_key_jwt.',
        false,
      );
    }
    const { client } = authenticated;
    if (!client.grantTypes.includes(CLIENT_CREDENTIALS_GRANT)) {
      throw new OAuthError('unauthorized_client', 'This client is not registered for the client_credentials grant.');
    }
    const scopes = this.grantedScopes(params.one('scope'), client);
    const resource = this.resource(params);
    return this.issue(
      CLIENT_CREDENTIALS_GRANT,
      client,
      client.id,
      scopes,
      resource,
      this.config.auth.clientCredentialsTtl,
    );
  }

  private async jwtBearer(
    params: Params,
    authenticated: AuthenticatedClient | undefined,
    address: string,
  ): Promise<TokenResponse> {
    const assertion = params.one('assertion');
    if (!assertion) {
      throw OAuthError.invalidRequest('assertion is required for the jwt-bearer grant.');
    }
    if (Buffer.byteLength(assertion, 'utf8') > this.policy.maxBytes) {
      throw OAuthError.invalidGrant(`The assertion is larger than ${this.policy.maxBytes} bytes.`);
    }
    if (unverifiedHeader(assertion)?.typ === ID_JAG_TYPE) {
      return this.idJag(params, assertion, authenticated);
    }
    const issuer = unverifiedClaims(assertion)?.iss;
    if (typeof issuer !== 'string' || !issuer) {
      throw OAuthError.invalidGrant('The assertion is not a JWT with an iss claim.');
    }
    if (authenticated && authenticated.client.id !== issuer) {
      throw OAuthError.invalidGrant('The assertion was issued by another client than the one that authenticated.');
    }
    const claimedId = params.one('client_id');
    if (!authenticated && claimedId !== undefined && claimedId !== issuer) {
      throw OAuthError.invalidRequest('client_id differs from the assertion issuer.');
    }
    const client =
      authenticated?.client ?? (issuer.length <= MAX_CLIENT_ID ? await this.clients.find(issuer) : undefined);
    if (!client) {
      throw OAuthError.invalidGrant('The assertion issuer (iss) is not a registered client.');
    }
    if (!client.grantTypes.includes(JWT_BEARER_GRANT)) {
      throw new OAuthError('unauthorized_client', 'This client is not registered for the jwt-bearer grant.');
    }
    const keys = this.clients.keySet(client);
    if (!keys) {
      throw new OAuthError('unauthorized_client', 'This client has no registered keys to verify assertions with.');
    }
    let payload: Awaited<ReturnType<typeof verifyAssertion>>;
    try {
      payload = await verifyAssertion(assertion, keys, client.id, this.policy);
    } catch (error) {
      if (error instanceof AssertionRejected) {
        if (!authenticated) {
          // The assertion is the client's only credential here: a bad one is a failed authentication.
          await this.limiter.failure(
            client.id,
            address,
            this.config.auth.rateLimit.perClient,
            this.config.auth.rateLimit.perAddress,
          );
        }
        throw OAuthError.invalidGrant(error.description);
      }
      throw error;
    }
    if (!(await this.rememberOnce(client.id, payload.jti, payload.exp))) {
      throw OAuthError.invalidGrant('The assertion has already been used (its jti was seen before).');
    }
    const scopes = this.grantedScopes(params.one('scope'), client);
    const resource = this.resource(params);
    let subject = client.id;
    if (payload.sub !== client.id) {
      const user = await this.findUser(payload.sub);
      if (!user) {
        throw OAuthError.invalidGrant(
          'The assertion subject (sub) is neither a directory user (id or userName) nor the client.',
        );
      }
      if (!user.active) {
        throw OAuthError.invalidGrant('The assertion subject is a deactivated user.');
      }
      subject = user.id;
    }
    if (!authenticated) {
      await this.limiter.hit({ client: client.id }, this.config.auth.rateLimit.perClient);
    }
    return this.issue(JWT_BEARER_GRANT, client, subject, scopes, resource, this.config.auth.accessTokenTtl);
  }

  /**
   * An ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant, MCP enterprise-managed
   * authorization): a trusted IdP vouches that its user may use this client here. The calling
   * client must authenticate and be the one the ID-JAG names; the subject is matched to a
   * directory user as upstream sign-in does; scopes are only ever narrowed.
   */
  private async idJag(
    params: Params,
    assertion: string,
    authenticated: AuthenticatedClient | undefined,
  ): Promise<TokenResponse> {
    if (!authenticated || authenticated.method === 'none') {
      throw OAuthError.invalidClient('Redeeming an ID-JAG needs client authentication.', false);
    }
    const { client } = authenticated;
    if (!client.grantTypes.includes(JWT_BEARER_GRANT)) {
      throw new OAuthError('unauthorized_client', 'This client is not registered for the jwt-bearer grant.');
    }
    const issuer = unverifiedClaims(assertion)?.iss;
    const trusted = typeof issuer === 'string' ? this.external.idJagIssuer(issuer) : undefined;
    if (!trusted) {
      throw OAuthError.invalidGrant('The ID-JAG issuer is not trusted for ID-JAGs (TRUSTED_ISSUERS, idJag).');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, trusted.keys, {
        issuer: trusted.config.issuer,
        audience: this.config.publicUrl,
        algorithms: trusted.config.algorithms,
        typ: ID_JAG_TYPE,
        clockTolerance: this.config.auth.clockSkew,
        requiredClaims: ['exp', 'sub', 'jti', 'client_id'],
      }));
    } catch (error) {
      throw OAuthError.invalidGrant(describeIdJagError(error, this.config.publicUrl));
    }
    const tooLong = lifetimeProblem(payload, this.policy.maxLifetime, this.config.auth.clockSkew);
    if (tooLong) {
      throw OAuthError.invalidGrant(tooLong.replace('The token', 'The ID-JAG'));
    }
    if (payload.client_id !== client.id) {
      throw OAuthError.invalidGrant('The ID-JAG was issued for another client than the one that authenticated.');
    }
    if (typeof payload.jti !== 'string' || payload.jti.length > 200) {
      throw OAuthError.invalidGrant('The ID-JAG needs a jti of at most 200 characters.');
    }
    if (!(await this.rememberOnce(trusted.config.issuer, payload.jti, payload.exp as number))) {
      throw OAuthError.invalidGrant('The ID-JAG has already been used (its jti was seen before).');
    }
    const claim = trusted.config.subjectClaim ?? this.config.login.oidc?.matchClaim ?? 'email';
    const matched = await this.matcher.match(payload, claim);
    if ('refused' in matched) {
      throw OAuthError.invalidGrant(matched.refused);
    }
    const claimed = typeof payload.resource === 'string' ? resourceKindOf(this.config, payload.resource) : 'mcp';
    if (!claimed) {
      throw new OAuthError('invalid_target', 'The ID-JAG names a resource Roster does not serve.');
    }
    const resource = this.resource(params, claimed);
    if (resource !== claimed) {
      throw new OAuthError('invalid_target', 'resource differs from the one the ID-JAG names.');
    }
    const grantable = await this.roles.grantableScopes(matched.user.id);
    const clientScopes = splitScope(client.scope);
    let scopes = splitScope(typeof payload.scope === 'string' ? payload.scope : clientScopes.join(' ')).filter(
      (s) => grantable.some((g) => g === s) && clientScopes.includes(s),
    );
    const requested = params.one('scope');
    if (requested !== undefined) {
      const asked = splitScope(requested);
      scopes = scopes.filter((s) => asked.includes(s));
    }
    if (!scopes.length) {
      throw new OAuthError('invalid_scope', 'Nothing requested may be granted to this user through this client.');
    }
    return this.issue(JWT_BEARER_GRANT, client, matched.user.id, scopes, resource, this.config.auth.userTokenTtl);
  }

  private async issue(
    grantType: string,
    client: OAuthClientRecord,
    subject: string,
    scopes: string[],
    resource: ResourceKind,
    lifetimeSeconds: number,
  ): Promise<TokenResponse> {
    const issued = await this.accessTokens.issue({ subject, clientId: client.id, scopes, resource, lifetimeSeconds });
    this.logger.log(
      { grantType, clientId: client.id, subject, scope: issued.scope, audience: issued.audience, jti: issued.jti },
      'Issued an access token.',
    );
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
  }

  /**
   * Client authentication (RFC 6749 §2.3, RFC 7523 §2.2). At most one method per request, and
   * only the one the client registered (a client_secret_basic client may not post its secret,
   * and so on). Public clients name themselves with client_id alone where `publicAllowed`.
   * Answers undefined when the request carries nothing (the jwt-bearer grant, whose assertion is
   * signed by the client). Failed authentications are counted per client and address.
   */
  async authenticateClient(
    params: Params,
    authorization: string | undefined,
    address: string,
    publicAllowed: boolean,
  ): Promise<AuthenticatedClient | undefined> {
    const basic = authorization === undefined ? undefined : parseBasic(authorization);
    const secret = params.one('client_secret');
    const assertionType = params.one('client_assertion_type');
    const assertion = params.one('client_assertion');
    const clientId = params.one('client_id');
    const methods = [basic !== undefined, secret !== undefined, assertion !== undefined || assertionType !== undefined];
    if (methods.filter(Boolean).length > 1) {
      throw OAuthError.invalidRequest('Use exactly one client authentication method.');
    }
    if (clientId !== undefined && clientId.length > MAX_CLIENT_ID) {
      throw OAuthError.invalidRequest('client_id is too long.');
    }
    let authenticated: AuthenticatedClient | undefined;
    if (basic !== undefined) {
      if (clientId !== undefined && clientId !== basic.clientId) {
        throw OAuthError.invalidRequest('client_id differs from the client in the Authorization header.');
      }
      authenticated = {
        client: await this.checkSecret(basic.clientId, basic.secret, true, address),
        method: 'client_secret_basic',
      };
    } else if (secret !== undefined) {
      if (clientId === undefined) {
        throw OAuthError.invalidRequest('client_secret needs client_id.');
      }
      authenticated = {
        client: await this.checkSecret(clientId, secret, false, address),
        method: 'client_secret_post',
      };
    } else if (assertion !== undefined || assertionType !== undefined) {
      authenticated = {
        client: await this.checkClientAssertion(assertionType, assertion, clientId, address),
        method: 'private_key_jwt',
      };
    } else if (clientId !== undefined && publicAllowed) {
      const client = await this.directory.find(clientId);
      if (!client) {
        // RFC 6749 §5.2: Claude drops a client it gets invalid_client for and registers again.
        throw OAuthError.invalidClient('Unknown client (it may have expired or been revoked); register again.', false);
      }
      authenticated = { client, method: 'none' };
    }
    if (!authenticated) {
      return undefined;
    }
    const registered = authenticated.client.tokenEndpointAuthMethod;
    if (registered !== authenticated.method) {
      throw OAuthError.invalidClient(
        registered === 'none'
          ? 'This is a public client: send client_id only, no client secret or assertion.'
          : `This client must authenticate with ${registered}, as it registered.`,
        authenticated.method === 'client_secret_basic',
      );
    }
    // A public client's id is no secret: counting its requests would let anyone exhaust its limit
    // (a metadata-document client is shared by all its users). The per-address limit covers it.
    if (authenticated.method !== 'none') {
      await this.limiter.hit({ client: authenticated.client.id }, this.config.auth.rateLimit.perClient);
    }
    return authenticated;
  }

  private async checkSecret(
    clientId: string,
    secret: string,
    usedBasic: boolean,
    address: string,
  ): Promise<OAuthClientRecord> {
    if (clientId.length > MAX_CLIENT_ID) {
      throw OAuthError.invalidClient('Client authentication failed.', usedBasic);
    }
    const client = await this.clients.find(clientId);
    // Compared even for unknown clients, so that the answer time does not tell which ids exist.
    if (!this.clients.secretMatches(client, secret) || !client) {
      await this.failed(clientId, address);
      throw OAuthError.invalidClient('Client authentication failed.', usedBasic);
    }
    return client;
  }

  private failed(clientId: string, address: string): Promise<void> {
    return this.limiter.failure(
      clientId,
      address,
      this.config.auth.rateLimit.perClient,
      this.config.auth.rateLimit.perAddress,
    );
  }

  private async checkClientAssertion(
    type: string | undefined,
    assertion: string | undefined,
    clientId: string | undefined,
    address: string,
  ): Promise<OAuthClientRecord> {
    if (type !== JWT_CLIENT_ASSERTION_TYPE) {
      throw OAuthError.invalidRequest(`client_assertion_type must be ${JWT_CLIENT_ASSERTION_TYPE}.`);
    }
    if (!assertion) {
      throw OAuthError.invalidRequest('client_assertion is required with client_assertion_type.');
    }
    if (Buffer.byteLength(assertion, 'utf8') > this.policy.maxBytes) {
      throw OAuthError.invalidClient(`The client assertion is larger than ${this.policy.maxBytes} bytes.`, false);
    }
    const claims = unverifiedClaims(assertion);
    const issuer = claims?.iss;
    if (typeof issuer !== 'string' || !issuer || claims?.sub !== issuer || issuer.length > MAX_CLIENT_ID) {
      throw OAuthError.invalidClient('A client assertion needs iss and sub, both the client_id.', false);
    }
    if (clientId !== undefined && clientId !== issuer) {
      throw OAuthError.invalidClient('client_id differs from the client assertion issuer.', false);
    }
    const client = await this.clients.find(issuer);
    const keys = client ? this.clients.keySet(client) : undefined;
    if (!client || !keys) {
      await this.failed(issuer, address);
      throw OAuthError.invalidClient('Unknown client, or a client without registered keys.', false);
    }
    let payload: Awaited<ReturnType<typeof verifyAssertion>>;
    try {
      payload = await verifyAssertion(assertion, keys, client.id, this.policy);
    } catch (error) {
      if (error instanceof AssertionRejected) {
        await this.failed(client.id, address);
        throw OAuthError.invalidClient(error.description.replace('The assertion', 'The client assertion'), false);
      }
      throw error;
    }
    if (!(await this.rememberOnce(client.id, payload.jti, payload.exp))) {
      throw OAuthError.invalidClient('The client assertion has already been used (its jti was seen before).', false);
    }
    return client;
  }

  /**
   * Records an assertion's jti until it expires; false for a replay. Expired entries are swept
   * at most once a minute per instance, so the table holds only assertions that could still be
   * replayed.
   */
  private async rememberOnce(issuer: string, jti: string, exp: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = now;
      this.usedAssertions.deleteExpired(new Date(now)).catch((error: unknown) => {
        this.logger.warn({ err: String(error) }, 'Could not sweep expired assertion ids.');
      });
    }
    return this.usedAssertions.remember(issuer, jti, new Date(exp * 1000));
  }

  /**
   * RFC 6749 §3.3: what the client may have of what it asked for (none asked means all of it);
   * the response's `scope` names what was granted. MCP clients ask for the scopes of the
   * resource's challenge, which may exceed a client's registration: they get the part they may
   * have. Nothing of it at all is invalid_scope.
   */
  private grantedScopes(requested: string | undefined, client: OAuthClientRecord): string[] {
    const allowed = splitScope(client.scope);
    if (requested === undefined) {
      return allowed;
    }
    const scopes = splitScope(requested);
    const granted = allowed.filter((s) => scopes.includes(s));
    if (!granted.length) {
      throw new OAuthError(
        'invalid_scope',
        `The client may request only ${allowed.join(' ')}; refused: ${scopes.join(' ') || '(empty)'}.`,
      );
    }
    return granted;
  }

  /** RFC 8707: `resource` picks the token's audience; `fallback` (the SCIM API) when absent. */
  private resource(params: Params, fallback: ResourceKind = 'scim', forUser = false): ResourceKind {
    const values = params.all('resource');
    if (!values.length) {
      return fallback;
    }
    const kinds = new Set<ResourceKind>();
    for (const value of values) {
      const kind = forUser ? userResourceKindOf(this.config, value) : resourceKindOf(this.config, value);
      if (!kind) {
        throw new OAuthError(
          'invalid_target',
          `Unknown resource ${value}; use ${resourceUrl(this.config, 'scim')} or ${resourceUrl(this.config, 'mcp')}.`,
        );
      }
      kinds.add(kind);
    }
    if (kinds.size > 1) {
      throw new OAuthError('invalid_target', 'Request a token for one resource at a time.');
    }
    return [...kinds][0];
  }

  private async findUser(sub: string): Promise<UserRecord | undefined> {
    if (isResourceId(sub)) {
      const byId = await this.users.findById(sub);
      if (byId) {
        return byId;
      }
    }
    return sub.length <= 256 ? this.users.findByUserName(sub) : undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unverifiedHeader(jwt: string): { typ?: unknown } | undefined {
  try {
    return decodeProtectedHeader(jwt);
  } catch {
    return undefined;
  }
}

function describeIdJagError(error: unknown, issuer: string): string {
  if (error instanceof errors.JWTExpired) {
    return 'The ID-JAG has expired.';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return `The ID-JAG audience must be Roster's issuer, ${issuer}.`;
    }
    if (error.claim === 'typ') {
      return `The ID-JAG must have typ ${ID_JAG_TYPE}.`;
    }
    return error.reason === 'missing'
      ? `The ID-JAG lacks the required "${error.claim}" claim.`
      : `The ID-JAG "${error.claim}" claim is not acceptable.`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return "The ID-JAG signature does not verify with its issuer's keys.";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The ID-JAG algorithm is not accepted for its issuer.';
  }
  if (!(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout) {
    return "The ID-JAG issuer's keys could not be fetched.";
  }
  return 'The ID-JAG is not a well-formed signed JWT.';
}

function unverifiedClaims(jwt: string): JWTPayload | undefined {
  try {
    return decodeJwt(jwt);
  } catch {
    return undefined;
  }
}

/** RFC 6749 §2.3.1: Basic with the form-urlencoded client id and secret. */
function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 1) {
    throw OAuthError.invalidClient('The Authorization header must carry HTTP Basic client credentials.', true);
  }
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw OAuthError.invalidClient('The Basic credentials are not form-urlencoded.', true);
  }
}
