import type { OAuthClientRecord } from '@roster/db';
import type { AppConfig } from '../../config';
import { AUTHORIZATION_CODE_GRANT } from '../clients.service';

/**
 * The API documentation page's own OAuth client: Swagger UI at /docs signs people in through
 * Roster's authorization server with it (authorization code, PKCE S256, public: no secret). It is
 * built in rather than registered, so every deployment has it with its own PUBLIC_URL, and it
 * can only ever send a code back to Roster's own redirect page.
 */
export const DOCS_CLIENT_ID = 'roster-api-docs';

/** Swagger UI's redirect page, served by Roster with the UI's other files. */
export function docsRedirectUri(config: AppConfig): string {
  return `${config.publicUrl}/docs/oauth2-redirect.html`;
}

export function docsClient(config: AppConfig): OAuthClientRecord {
  return {
    id: DOCS_CLIENT_ID,
    name: 'Roster API documentation (Swagger UI)',
    grantTypes: [AUTHORIZATION_CODE_GRANT],
    scope: 'scim.read scim.write',
    tokenEndpointAuthMethod: 'none',
    jwks: null,
    jwksUri: null,
    secretHash: null,
    created: new Date(0),
    revokedAt: null,
    redirectUris: [docsRedirectUri(config)],
    dynamic: false,
    lastUsedAt: null,
    metadata: { source: 'built-in' },
  };
}
