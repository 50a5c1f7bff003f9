export const TOKEN_REQUEST_EXAMPLE = {
  grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  assertion: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiI0ZjNjLi4uIn0.c2lnbmF0dXJl',
  scope: 'scim.read',
  resource: 'https://roster.example.com/v2',
};

export const TOKEN_RESPONSE_EXAMPLE = {
  access_token:
    'eyJhbGciOiJFUzI1NiIsImtpZCI6IlRoUS4uLiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL3Jvc3Rlci5leGFtcGxlLmNvbSJ9.c2ln',
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'scim.read',
};

export const TOKEN_ERROR_EXAMPLE = { error: 'invalid_grant', error_description: 'The assertion has expired.' };

export const PROTECTED_RESOURCE_EXAMPLE = {
  resource: 'https://roster.example.com/v2',
  authorization_servers: ['https://roster.example.com'],
  scopes_supported: ['scim.read', 'scim.write', 'roster.admin', 'roster.events'],
  bearer_methods_supported: ['header'],
  jwks_uri: 'https://roster.example.com/.well-known/jwks.json',
  resource_name: 'Roster SCIM API',
  resource_documentation: 'https://roster.example.com/docs',
};

export const AUTHORIZATION_SERVER_EXAMPLE = {
  issuer: 'https://roster.example.com',
  authorization_endpoint: 'https://roster.example.com/v2/Login/Oauth2/Authorize',
  token_endpoint: 'https://roster.example.com/v2/Login/Oauth2/Token',
  registration_endpoint: 'https://roster.example.com/v2/Login/Oauth2/Register',
  revocation_endpoint: 'https://roster.example.com/v2/Login/Oauth2/Revoke',
  jwks_uri: 'https://roster.example.com/.well-known/jwks.json',
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: [
    'authorization_code',
    'refresh_token',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'client_credentials',
  ],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['none', 'private_key_jwt', 'client_secret_basic', 'client_secret_post'],
  token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'],
  scopes_supported: ['scim.read', 'scim.write', 'roster.admin', 'roster.events', 'offline_access'],
  authorization_response_iss_parameter_supported: true,
  client_id_metadata_document_supported: true,
  service_documentation: 'https://roster.example.com/docs',
};

export const JWKS_EXAMPLE = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      kid: 'ThQ8yBlK1bSe0m3U1jV9R3b1r6u2mGZ9rS4fK8n0e3Q',
      alg: 'ES256',
      use: 'sig',
    },
  ],
};
