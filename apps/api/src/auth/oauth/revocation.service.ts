import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config';
import { AccessTokenBearerStrategy } from '../access-token.strategy';
import { InvalidTokenError } from '../principal';
import { GrantsService, REFRESH_TOKEN_PREFIX } from './grants.service';
import { OAuthError } from './oauth-error';
import { TokenRateLimiter } from './rate-limiter.service';
import { Params, TokenRequest, TokenService } from './token.service';

const FORM = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;

/**
 * Token revocation (RFC 7009): a client revokes its own refresh token (and with it the whole
 * grant, whose access tokens then stop) or an access token of a grant. Unknown, foreign or
 * malformed tokens are answered 200 like known ones, so the endpoint tells nothing.
 */
@Injectable()
export class RevocationService {
  private readonly logger = new Logger('Revocation');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly grants: GrantsService,
    private readonly accessTokens: AccessTokenBearerStrategy,
    private readonly limiter: TokenRateLimiter,
  ) {}

  async revoke(request: TokenRequest): Promise<void> {
    if (!request.contentType || !FORM.test(request.contentType)) {
      throw OAuthError.invalidRequest('The revocation endpoint accepts application/x-www-form-urlencoded bodies only.');
    }
    await this.limiter.hit({ address: request.address }, this.config.auth.rateLimit.perAddress);
    const params = new Params(
      typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {},
    );
    const token = params.one('token');
    if (!token) {
      throw OAuthError.invalidRequest('token is required.');
    }
    const authenticated = await this.tokens.authenticateClient(params, request.authorization, request.address, true);
    if (!authenticated) {
      throw OAuthError.invalidClient(
        'Name the client: client_id for a public client, or its client authentication.',
        false,
      );
    }
    const clientId = authenticated.client.id;
    const grantId = token.startsWith(REFRESH_TOKEN_PREFIX)
      ? await this.grants.grantOfRefreshToken(token)
      : await this.grantOfAccessToken(token, clientId);
    if (!grantId) {
      return;
    }
    const grant = await this.grants.findGrant(grantId);
    if (grant?.clientId === clientId) {
      await this.grants.revoke(grantId, 'revoked by its client');
      this.logger.log({ clientId, grantId }, 'Token revoked by its client.');
    }
  }

  private async grantOfAccessToken(token: string, clientId: string): Promise<string | undefined> {
    try {
      const principal = await this.accessTokens.authenticate(token);
      return principal?.clientId === clientId ? principal.grantId : undefined;
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        return undefined;
      }
      throw error;
    }
  }
}
