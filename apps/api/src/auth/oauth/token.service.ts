import { Inject, Injectable, Logger } from '@nestjs/common';
import { OAuthClientRecord, UsedAssertionsRepository, UserRecord, UsersRepository } from '@roster/db';
import { decodeJwt, JWTPayload } from 'jose';
import { isResourceId } from '../../common/etag';
import { APP_CONFIG, AppConfig } from '../../config';
import { AccessTokensService } from '../access-tokens.service';
import { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT, OAuthClientsService } from '../clients.service';
import { KeyEncryptionUnavailableError } from '../key-encryption.service';
import { ResourceKind } from '../principal';
import { resourceKindOf, resourceUrl, tokenEndpointUrl } from '../resources';
import { splitScope } from '../scopes';
import { AssertionPolicy, AssertionRejected, JWT_CLIENT_ASSERTION_TYPE, verifyAssertion } from './assertions';
import { OAuthError } from './oauth-error';
import { TokenRateLimiter } from './rate-limiter.service';

const FORM = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
const MAX_CLIENT_ID = 200;
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
}

interface AuthenticatedClient {
  client: OAuthClientRecord;
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
}

/** The form parameters; RFC 6749 §3.2 forbids repeating any of them except `resource` (RFC 8707). */
class Params {
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
 * The token endpoint (POST /v2/Login/Oauth2/Token): client authentication, the JWT-bearer grant
 * (RFC 7523 §2.1) and the client-credentials grant with private_key_jwt (RFC 7523 §2.2) or a
 * client secret. Every outcome is an access token from AccessTokensService or an OAuthError.
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
    if (grantType !== JWT_BEARER_GRANT && grantType !== CLIENT_CREDENTIALS_GRANT) {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${grantType.slice(0, 100)} is not supported; use ${JWT_BEARER_GRANT} or ${CLIENT_CREDENTIALS_GRANT}.`,
      );
    }
    let authenticated: AuthenticatedClient | undefined;
    try {
      authenticated = await this.authenticateClient(params, request.authorization);
      return grantType === JWT_BEARER_GRANT
        ? await this.jwtBearer(params, authenticated)
        : await this.clientCredentials(params, authenticated);
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

  private async jwtBearer(params: Params, authenticated: AuthenticatedClient | undefined): Promise<TokenResponse> {
    const assertion = params.one('assertion');
    if (!assertion) {
      throw OAuthError.invalidRequest('assertion is required for the jwt-bearer grant.');
    }
    if (Buffer.byteLength(assertion, 'utf8') > this.policy.maxBytes) {
      throw OAuthError.invalidGrant(`The assertion is larger than ${this.policy.maxBytes} bytes.`);
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
    if (!authenticated) {
      await this.limiter.hit({ client: client.id }, this.config.auth.rateLimit.perClient);
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
      throw error instanceof AssertionRejected ? OAuthError.invalidGrant(error.description) : error;
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
    return this.issue(JWT_BEARER_GRANT, client, subject, scopes, resource, this.config.auth.accessTokenTtl);
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
   * Client authentication (RFC 6749 §2.3, RFC 7523 §2.2). At most one method per request;
   * answers undefined when the request carries none (allowed for the jwt-bearer grant, whose
   * assertion is signed by the client).
   */
  private async authenticateClient(
    params: Params,
    authorization: string | undefined,
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
    if (basic !== undefined) {
      if (clientId !== undefined && clientId !== basic.clientId) {
        throw OAuthError.invalidRequest('client_id differs from the client in the Authorization header.');
      }
      return { client: await this.checkSecret(basic.clientId, basic.secret, true), method: 'client_secret_basic' };
    }
    if (secret !== undefined) {
      if (clientId === undefined) {
        throw OAuthError.invalidRequest('client_secret needs client_id.');
      }
      return { client: await this.checkSecret(clientId, secret, false), method: 'client_secret_post' };
    }
    if (assertion !== undefined || assertionType !== undefined) {
      return { client: await this.checkClientAssertion(assertionType, assertion, clientId), method: 'private_key_jwt' };
    }
    return undefined;
  }

  private async checkSecret(clientId: string, secret: string, usedBasic: boolean): Promise<OAuthClientRecord> {
    if (clientId.length > MAX_CLIENT_ID) {
      throw OAuthError.invalidClient('Client authentication failed.', usedBasic);
    }
    await this.limiter.hit({ client: clientId }, this.config.auth.rateLimit.perClient);
    const client = await this.clients.find(clientId);
    // Compared even for unknown clients, so that the answer time does not tell which ids exist.
    if (!this.clients.secretMatches(client, secret) || !client) {
      throw OAuthError.invalidClient('Client authentication failed.', usedBasic);
    }
    return client;
  }

  private async checkClientAssertion(
    type: string | undefined,
    assertion: string | undefined,
    clientId: string | undefined,
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
    await this.limiter.hit({ client: issuer }, this.config.auth.rateLimit.perClient);
    const client = await this.clients.find(issuer);
    const keys = client ? this.clients.keySet(client) : undefined;
    if (!client || !keys) {
      throw OAuthError.invalidClient('Unknown client, or a client without registered keys.', false);
    }
    let payload: Awaited<ReturnType<typeof verifyAssertion>>;
    try {
      payload = await verifyAssertion(assertion, keys, client.id, this.policy);
    } catch (error) {
      throw error instanceof AssertionRejected
        ? OAuthError.invalidClient(error.description.replace('The assertion', 'The client assertion'), false)
        : error;
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

  /** RFC 6749 §3.3: the requested scopes must be a subset of the client's; none requested means all of them. */
  private grantedScopes(requested: string | undefined, client: OAuthClientRecord): string[] {
    const allowed = splitScope(client.scope);
    if (requested === undefined) {
      return allowed;
    }
    const scopes = splitScope(requested);
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (!scopes.length || refused.length) {
      throw new OAuthError(
        'invalid_scope',
        `The client may request only ${allowed.join(' ')}; refused: ${refused.join(' ') || '(empty)'}.`,
      );
    }
    return allowed.filter((s) => scopes.includes(s));
  }

  /** RFC 8707: `resource` picks the token's audience; the SCIM API when absent. */
  private resource(params: Params): ResourceKind {
    const values = params.all('resource');
    if (!values.length) {
      return 'scim';
    }
    const kinds = new Set<ResourceKind>();
    for (const value of values) {
      const kind = resourceKindOf(this.config, value);
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
