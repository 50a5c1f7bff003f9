import { Body, Controller, Headers, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../decorators';
import { NO_STORE, OAuthExceptionFilter } from './oauth-exception.filter';
import { TOKEN_ERROR_EXAMPLE, TOKEN_REQUEST_EXAMPLE, TOKEN_RESPONSE_EXAMPLE } from './oauth.examples';
import { TokenResponse, TokenService } from './token.service';
import { jsonContent } from '../../openapi-oauth-schemas';

@ApiTags('OAuth')
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller('v2/Login/Oauth2/Token')
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OAuth 2.0 token endpoint: authorization code (PKCE), refresh token, JWT bearer (RFC 7523, ID-JAG) and client credentials.',
    description:
      'Form-encoded only. Clients authenticate with the method they registered: none (client_id only), ' +
      'client_secret_basic, client_secret_post or private_key_jwt; the jwt-bearer grant may rely on its signed ' +
      'assertion alone. `resource` (RFC 8707) selects the audience: the SCIM API (default for machine grants) or the ' +
      'MCP endpoint (default for the authorization code). Refresh tokens rotate on every use. Errors follow RFC 6749 ' +
      '§5.2, not the SCIM error format.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: { $ref: '#/components/schemas/TokenRequest' },
    examples: { jwtBearer: { value: TOKEN_REQUEST_EXAMPLE } },
  })
  @ApiResponse({
    status: 200,
    description: 'An access token.',
    content: jsonContent('TokenResponse', TOKEN_RESPONSE_EXAMPLE),
  })
  @ApiResponse({
    status: 400,
    description: 'RFC 6749 §5.2 error.',
    content: jsonContent('OAuthError', TOKEN_ERROR_EXAMPLE),
  })
  @ApiResponse({
    status: 401,
    description: 'invalid_client: the client is unknown (register again) or its authentication failed.',
    content: jsonContent('OAuthError', { error: 'invalid_client', error_description: 'Client authentication failed.' }),
  })
  @ApiResponse({
    status: 429,
    description: 'Too many requests for this client or address (Retry-After).',
    headers: { 'Retry-After': { schema: { type: 'string' }, example: '30' } },
    content: jsonContent('OAuthError', {
      error: 'temporarily_unavailable',
      error_description: 'Too many token requests for this client; retry in 30 s.',
    }),
  })
  async token(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    const response = await this.tokens.exchange({ contentType, authorization, body, address: request.ip });
    reply.headers(NO_STORE);
    return response;
  }
}
