import { Body, Controller, Headers, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../../config';
import { Public } from '../decorators';
import { BEARER_STRATEGIES, BearerStrategy, InvalidTokenError } from '../principal';
import { NO_STORE, OAuthExceptionFilter } from './oauth-exception.filter';
import { OAuthError } from './oauth-error';
import { TokenRateLimiter } from './rate-limiter.service';
import { RegistrationResponse, RegistrationService } from './registration.service';
import { RevocationService } from './revocation.service';
import { jsonContent } from '../../openapi-oauth-schemas';

const REGISTRATION_EXAMPLE = {
  client_name: 'Claude',
  redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  scope: 'scim.read scim.write',
};

@ApiTags('OAuth')
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller('v2/Login/Oauth2')
export class RegistrationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BEARER_STRATEGIES) private readonly strategies: BearerStrategy[],
    private readonly registration: RegistrationService,
    private readonly revocation: RevocationService,
    private readonly limiter: TokenRateLimiter,
  ) {}

  @Post('Register')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Dynamic client registration (RFC 7591).',
    description:
      'Open by default (OAUTH_REGISTRATION=open|admin|off; admin needs a roster.admin bearer token), rate-limited ' +
      'per address. Redirect URIs must be https, or http on a loopback address; optional members are kept or ignored. ' +
      'token_endpoint_auth_method: none, client_secret_post, client_secret_basic (a secret is issued once) or ' +
      'private_key_jwt (with jwks or jwks_uri). Errors: invalid_redirect_uri, invalid_client_metadata.',
  })
  @ApiBody({
    schema: { $ref: '#/components/schemas/ClientMetadata' },
    examples: { claude: { value: REGISTRATION_EXAMPLE } },
  })
  @ApiResponse({
    status: 201,
    description: 'The registered client (RFC 7591 §3.2.1).',
    content: jsonContent('ClientInformation'),
  })
  @ApiResponse({
    status: 400,
    description: 'invalid_redirect_uri or invalid_client_metadata.',
    content: jsonContent('OAuthError', {
      error: 'invalid_redirect_uri',
      error_description: 'Redirect URIs must use https, or http on a loopback address.',
    }),
  })
  async register(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegistrationResponse> {
    reply.headers(NO_STORE);
    const mode = this.config.auth.registration;
    if (mode === 'off') {
      throw new OAuthError(
        'access_denied',
        'Dynamic client registration is turned off here; ask an administrator.',
        403,
      );
    }
    if (mode === 'admin') {
      await this.requireAdmin(authorization);
    }
    await this.limiter.hit({ registration: request.ip }, this.config.auth.registrationRateLimit);
    return this.registration.register(body);
  }

  @Post('Revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token revocation (RFC 7009): refresh tokens (their whole grant) and access tokens of a grant.',
    description:
      'Form-encoded: token, token_type_hint (optional), and the client authentication (client_id alone for a public ' +
      'client). Always 200 for a token that is unknown or not the client’s.',
  })
  @ApiResponse({ status: 200, description: 'Revoked (or nothing to revoke).' })
  async revoke(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, never>> {
    reply.headers(NO_STORE);
    await this.revocation.revoke({ contentType, authorization, body, address: request.ip });
    return {};
  }

  private async requireAdmin(authorization: string | undefined): Promise<void> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token) {
      for (const strategy of this.strategies) {
        try {
          const principal = await strategy.authenticate(token);
          if (principal) {
            if (principal.scopes.has('roster.admin')) {
              return;
            }
            break;
          }
        } catch (error) {
          if (!(error instanceof InvalidTokenError)) {
            throw error;
          }
          break;
        }
      }
    }
    throw new OAuthError('invalid_token', 'Registration here needs a bearer token with the roster.admin scope.', 401, {
      'www-authenticate': 'Bearer error="invalid_token", scope="roster.admin"',
    });
  }
}
