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
   * RFC 8414 metadata listing exactly what is implemented: the authorization-code flow with PKCE
   * (S256 only), dynamic registration (unless OAUTH_REGISTRATION=off), client ID metadata
   * documents, revocation, refresh, and the JWT-bearer and client-credentials grants.
   */
  authorizationServer(): Record<string, unknown> {
    const base = `${this.config.publicUrl}/v2/Login/Oauth2`;
    return {
      issuer: this.config.publicUrl,
      authorization_endpoint: `${base}/Authorize`,
      token_endpoint: tokenEndpointUrl(this.config),
      ...(this.config.auth.registration === 'off' ? {} : { registration_endpoint: `${base}/Register` }),
      revocation_endpoint: `${base}/Revoke`,
      jwks_uri: this.jwksUri,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [...GRANT_TYPES],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: [...AUTH_METHODS],
      token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
      revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
      scopes_supported: [...ALL_SCOPES, 'offline_access'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: this.config.auth.clientMetadataDocuments,
      service_documentation: `${this.config.publicUrl}/docs`,
    };
  }

  jwks(): Promise<{ keys: JWK[] }> {
    return this.keys.jwks();
  }
}
