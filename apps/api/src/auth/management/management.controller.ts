import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiTokensService, ApiTokenView } from '../api-tokens.service';
import { ClientView, OAuthClientsService, RegisteredClient } from '../clients.service';
import { Scopes } from '../decorators';
import { RotationResult, SigningKeysService } from '../signing-keys.service';
import { CreateApiTokenDto, RegisterClientDto } from './management.dto';
import {
  CLIENT_EXAMPLE,
  CLIENT_REGISTRATION_EXAMPLE,
  KEY_ROTATION_EXAMPLE,
  SECRET_CLIENT_EXAMPLE,
  TOKEN_CREATE_EXAMPLE,
  TOKEN_CREATED_EXAMPLE,
} from './management.examples';
import { jsonContent } from '../../openapi-oauth-schemas';

/**
 * Non-SCIM inputs are validated with class-validator; unknown members are stripped (RFC 7591
 * asks servers to ignore metadata they do not understand). Failures still leave through the
 * global filter as SCIM error documents.
 */
const validation = new ValidationPipe({ whitelist: true, transform: true });

@ApiTags('Administration')
@Scopes('roster.admin')
@UsePipes(validation)
@Controller('admin/clients')
export class ClientsAdminController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Post()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Register an OAuth client (RFC 7591 metadata); a client_secret is shown once when one is issued.',
  })
  @ApiBody({ type: RegisterClientDto, examples: { keys: { value: CLIENT_REGISTRATION_EXAMPLE } } })
  @ApiCreatedResponse({
    description: 'The registered client.',
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/ClientInformation' },
        examples: { keys: { value: CLIENT_EXAMPLE }, secret: { value: SECRET_CLIENT_EXAMPLE } },
      },
    },
  })
  register(@Body() body: RegisterClientDto): Promise<RegisteredClient> {
    return this.clients.register(body);
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List active OAuth clients, dynamically registered ones marked (never their secrets).' })
  @ApiOkResponse({ description: 'The clients.', content: jsonContent('ClientList', { clients: [CLIENT_EXAMPLE] }) })
  async list(): Promise<{ clients: ClientView[] }> {
    return { clients: await this.clients.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an OAuth client; its access tokens stop working within 30 seconds.' })
  @ApiParam({ name: 'id', example: CLIENT_EXAMPLE.client_id })
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revoke(@Param('id') id: string): Promise<void> {
    await this.clients.revoke(id);
  }
}

@ApiTags('Administration')
@Scopes('roster.admin')
@UsePipes(validation)
@Controller('admin/tokens')
export class ApiTokensAdminController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Create an API token (the "secret token" for Entra ID or Okta); the token is shown once.' })
  @ApiBody({ type: CreateApiTokenDto, examples: { entra: { value: TOKEN_CREATE_EXAMPLE } } })
  @ApiCreatedResponse({
    description: 'The token, its secret shown once.',
    content: jsonContent('ApiToken', TOKEN_CREATED_EXAMPLE),
  })
  create(@Body() body: CreateApiTokenDto): Promise<ApiTokenView & { token: string }> {
    return this.tokens.create({
      name: body.name,
      scope: body.scope,
      expiresIn: body.expires_in,
      mcp: body.mcp,
      rateLimit: body.rate_limit,
    });
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List active API tokens with their last use (never the tokens).' })
  @ApiOkResponse({
    description: 'The tokens (never their secrets).',
    content: jsonContent('ApiTokenList', { tokens: [{ ...TOKEN_CREATED_EXAMPLE, token: undefined }] }),
  })
  async list(): Promise<{ tokens: ApiTokenView[] }> {
    return { tokens: await this.tokens.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API token; it is refused from the next request on.' })
  @ApiParam({ name: 'id', example: TOKEN_CREATED_EXAMPLE.id })
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revoke(@Param('id') id: string): Promise<void> {
    await this.tokens.revoke(id);
  }
}

@ApiTags('Administration')
@Scopes('roster.admin')
@Controller('admin/keys')
export class SigningKeysAdminController {
  constructor(private readonly keys: SigningKeysService) {}

  @Post('rotate')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Rotate the token signing key. The previous public key stays in the JWKS until its last token has expired.',
  })
  @ApiCreatedResponse({
    description: 'The new signing key.',
    content: jsonContent('SigningKeyRotation', KEY_ROTATION_EXAMPLE),
  })
  rotate(): Promise<RotationResult> {
    return this.keys.rotate();
  }
}
