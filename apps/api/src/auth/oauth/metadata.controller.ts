import { Controller, Get, Header, HttpCode, Options } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JWK } from 'jose';
import { Public } from '../decorators';
import { OAuthMetadataService, ProtectedResourceMetadata } from './metadata.service';
import { AUTHORIZATION_SERVER_EXAMPLE, JWKS_EXAMPLE, PROTECTED_RESOURCE_EXAMPLE } from './oauth.examples';
import { jsonContent } from '../../openapi-oauth-schemas';

const DOCUMENTS = [
  'oauth-protected-resource',
  'oauth-protected-resource/v2',
  'oauth-protected-resource/v2/mcp',
  'oauth-authorization-server',
  'jwks.json',
];

/**
 * The discovery documents. Public, readable from any origin (browser-based OAuth clients fetch
 * them cross-origin), and cacheable for a few minutes.
 */
@ApiTags('OAuth')
@Public()
@Controller('.well-known')
export class OAuthMetadataController {
  constructor(private readonly metadata: OAuthMetadataService) {}

  @Get('oauth-protected-resource')
  @Header('access-control-allow-origin', '*')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Protected resource metadata of the SCIM API (RFC 9728); SCIM challenges point here.' })
  @ApiOkResponse({
    description: 'RFC 9728 metadata.',
    content: jsonContent('ProtectedResourceMetadata', PROTECTED_RESOURCE_EXAMPLE),
  })
  root(): ProtectedResourceMetadata {
    return this.metadata.protectedResource('scim');
  }

  @Get('oauth-protected-resource/v2')
  @Header('access-control-allow-origin', '*')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Protected resource metadata of the SCIM API, path-aware form (RFC 9728 §3.1).' })
  @ApiOkResponse({
    description: 'RFC 9728 metadata.',
    content: jsonContent('ProtectedResourceMetadata', PROTECTED_RESOURCE_EXAMPLE),
  })
  scim(): ProtectedResourceMetadata {
    return this.metadata.protectedResource('scim');
  }

  @Get('oauth-protected-resource/v2/mcp')
  @Header('access-control-allow-origin', '*')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Protected resource metadata of the MCP endpoint (RFC 9728); MCP challenges point here.' })
  @ApiOkResponse({
    description: 'RFC 9728 metadata.',
    content: jsonContent('ProtectedResourceMetadata', {
      ...PROTECTED_RESOURCE_EXAMPLE,
      resource: 'https://roster.example.com/v2/mcp',
    }),
  })
  mcp(): ProtectedResourceMetadata {
    return this.metadata.protectedResource('mcp');
  }

  @Get('oauth-authorization-server')
  @Header('access-control-allow-origin', '*')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414).' })
  @ApiOkResponse({
    description: 'RFC 8414 metadata.',
    content: jsonContent('AuthorizationServerMetadata', AUTHORIZATION_SERVER_EXAMPLE),
  })
  authorizationServer(): Record<string, unknown> {
    return this.metadata.authorizationServer();
  }

  @Get('jwks.json')
  @Header('access-control-allow-origin', '*')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary:
      'The public keys that verify Roster access tokens, including retired keys whose tokens may still be valid.',
  })
  @ApiOkResponse({ description: 'The public signing keys.', content: jsonContent('JsonWebKeySet', JWKS_EXAMPLE) })
  jwks(): Promise<{ keys: JWK[] }> {
    return this.metadata.jwks();
  }

  /** CORS preflight for the documents above. */
  @Options(DOCUMENTS)
  @HttpCode(204)
  @Header('access-control-allow-origin', '*')
  @Header('access-control-allow-methods', 'GET, OPTIONS')
  @Header('access-control-allow-headers', '*')
  @Header('access-control-max-age', '86400')
  preflight(): void {
    return undefined;
  }
}
