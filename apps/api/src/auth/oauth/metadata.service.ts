import { Inject, Injectable } from '@nestjs/common';
import { JWK } from 'jose';
import { APP_CONFIG, AppConfig } from '../../config';
import { ASYMMETRIC_ALGORITHMS } from '../auth-config';
import { AUTH_METHODS, GRANT_TYPES } from '../clients.service';
import { ALL_SCOPES, ResourceKind } from '../principal';
import { resourceUrl, tokenEndpointUrl } from '../resources';
import { SigningKeysService } from '../signing-keys.service';

/** RFC 9728 protected resource metadata. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  jwks_uri: string;
  resource_name: string;
  resource_documentation: string;
}

/** Discovery documents for OAuth clients: what Roster protects and how to get a token for it. */
@Injectable()
export class OAuthMetadataService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {}

  private get jwksUri(): string {
    return `${this.config.publicUrl}/.well-known/jwks.json`;
  }

  protectedResource(kind: ResourceKind): ProtectedResourceMetadata {
    return {
      resource: resourceUrl(this.config, kind),
      authorization_servers: [this.config.publicUrl],
      // For MCP, the scopes basic use needs (MCP authorization); roster.admin is for /admin only.
      scopes_supported: kind === 'mcp' ? ['scim.read', 'scim.write'] : [...ALL_SCOPES],
      bearer_methods_supported: ['header'],
      jwks_uri: this.jwksUri,
      resource_name: kind === 'mcp' ? 'Roster MCP endpoint' : 'Roster SCIM API',
      resource_documentation: `${this.config.publicUrl}/docs`,
    };
  }

  /**
   * RFC 8414 metadata listing exactly what is implemented: a token endpoint with the JWT-bearer
   * and client-credentials grants. No authorization endpoint exists yet, so there is no
   * response type to list.
   */
  authorizationServer(): Record<string, unknown> {
    return {
      issuer: this.config.publicUrl,
      token_endpoint: tokenEndpointUrl(this.config),
      jwks_uri: this.jwksUri,
      grant_types_supported: [...GRANT_TYPES],
      token_endpoint_auth_methods_supported: [...AUTH_METHODS],
      token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
      scopes_supported: [...ALL_SCOPES],
      response_types_supported: [],
      service_documentation: `${this.config.publicUrl}/docs`,
    };
  }

  jwks(): Promise<{ keys: JWK[] }> {
    return this.keys.jwks();
  }
}
