import type { SchemaObject } from '@nestjs/swagger';

const str = (description?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}) });
const strings = (description?: string): SchemaObject => ({
  type: 'array',
  items: { type: 'string' },
  ...(description ? { description } : {}),
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** An OpenAPI content entry for a JSON document typed by one of these components. */
export const jsonContent = (schema: string, example?: object) => ({
  'application/json': { schema: ref(schema), ...(example ? { example } : {}) },
});

/**
 * The OAuth and management documents (RFC 6749, 7591, 8414, 9728, 7517 and Roster's /admin API),
 * as component schemas: the bodies the authorization server and the management API send.
 */
export const OAUTH_COMPONENT_SCHEMAS: Record<string, SchemaObject> = {
  TokenRequest: {
    type: 'object',
    description: 'RFC 6749 §4 token request (form-encoded); the members depend on grant_type.',
    properties: {
      grant_type: {
        type: 'string',
        enum: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
        ],
      },
      code: str('authorization_code: the code from the redirect.'),
      redirect_uri: str('authorization_code: the redirect URI of the authorization request.'),
      code_verifier: str('authorization_code: the PKCE verifier (RFC 7636).'),
      refresh_token: str('refresh_token: the current refresh token (rotated on use).'),
      assertion: str('jwt-bearer: the signed JWT (RFC 7523) or ID-JAG.'),
      client_id: str(),
      client_secret: str('client_secret_post only.'),
      client_assertion_type: str('private_key_jwt: urn:ietf:params:oauth:client-assertion-type:jwt-bearer.'),
      client_assertion: str('private_key_jwt: the client assertion.'),
      scope: str('Space-separated scopes.'),
      resource: str('RFC 8707 resource: the SCIM API or the MCP endpoint.'),
    },
    required: ['grant_type'],
  },
  TokenResponse: {
    type: 'object',
    description: 'RFC 6749 §5.1 successful token response.',
    properties: {
      access_token: str(),
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer' },
      scope: str(),
      refresh_token: str('With the authorization code or refresh token grant, when the client may refresh.'),
    },
    required: ['access_token', 'token_type', 'expires_in'],
  },
  OAuthError: {
    type: 'object',
    description: 'RFC 6749 §5.2 error (also RFC 7591 §3.2.2 registration errors).',
    properties: { error: str('e.g. invalid_grant, invalid_client, invalid_redirect_uri'), error_description: str() },
    required: ['error'],
  },
  ClientMetadata: {
    type: 'object',
    description: 'RFC 7591 §2 client metadata; unknown members are ignored or kept, never an error.',
    additionalProperties: true,
    properties: {
      redirect_uris: strings('https, or http on a loopback address; no fragment.'),
      client_name: str(),
      grant_types: strings(),
      response_types: strings(),
      scope: str(),
      token_endpoint_auth_method: {
        type: 'string',
        enum: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      },
      jwks: ref('JsonWebKeySet'),
      jwks_uri: { type: 'string', format: 'uri' },
      logo_uri: { type: 'string', format: 'uri' },
      contacts: strings(),
    },
  },
  ClientInformation: {
    description: 'RFC 7591 §3.2.1 registered client: its metadata, its id, and a secret only when issued.',
    allOf: [
      ref('ClientMetadata'),
      {
        type: 'object',
        properties: {
          client_id: str(),
          client_id_issued_at: { type: 'integer' },
          client_secret: str('Shown once.'),
          client_secret_expires_at: { type: 'integer' },
        },
        required: ['client_id'],
      },
    ],
  },
  ClientList: {
    type: 'object',
    properties: { clients: { type: 'array', items: ref('ClientInformation') } },
    required: ['clients'],
  },
  JsonWebKeySet: {
    type: 'object',
    description: 'RFC 7517 JSON Web Key Set.',
    properties: {
      keys: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: true,
          properties: {
            kty: str(),
            kid: str(),
            alg: str(),
            use: str(),
            crv: str(),
            x: str(),
            y: str(),
            n: str(),
            e: str(),
          },
          required: ['kty'],
        },
      },
    },
    required: ['keys'],
  },
  ProtectedResourceMetadata: {
    type: 'object',
    description: 'RFC 9728 protected resource metadata.',
    additionalProperties: true,
    properties: {
      resource: { type: 'string', format: 'uri' },
      authorization_servers: strings(),
      scopes_supported: strings(),
      bearer_methods_supported: strings(),
      jwks_uri: { type: 'string', format: 'uri' },
      resource_name: str(),
      resource_documentation: { type: 'string', format: 'uri' },
    },
    required: ['resource'],
  },
  AuthorizationServerMetadata: {
    type: 'object',
    description: 'RFC 8414 authorization server metadata.',
    additionalProperties: true,
    properties: {
      issuer: { type: 'string', format: 'uri' },
      authorization_endpoint: { type: 'string', format: 'uri' },
      token_endpoint: { type: 'string', format: 'uri' },
      registration_endpoint: { type: 'string', format: 'uri' },
      revocation_endpoint: { type: 'string', format: 'uri' },
      jwks_uri: { type: 'string', format: 'uri' },
      response_types_supported: strings(),
      response_modes_supported: strings(),
      grant_types_supported: strings(),
      code_challenge_methods_supported: strings(),
      token_endpoint_auth_methods_supported: strings(),
      token_endpoint_auth_signing_alg_values_supported: strings(),
      scopes_supported: strings(),
      authorization_response_iss_parameter_supported: { type: 'boolean' },
      client_id_metadata_document_supported: { type: 'boolean' },
      service_documentation: { type: 'string', format: 'uri' },
    },
    required: ['issuer', 'token_endpoint'],
  },
  ApiToken: {
    type: 'object',
    description: 'An API token as the management API lists it; `token` only in the answer to its creation.',
    properties: {
      id: str(),
      name: str(),
      scope: str(),
      mcp: { type: 'boolean' },
      created: { type: 'string', format: 'date-time' },
      expires_at: { type: 'string', format: 'date-time', nullable: true },
      last_used_at: { type: 'string', format: 'date-time', nullable: true },
      token: str('The secret, shown once.'),
    },
    required: ['id', 'name', 'scope'],
  },
  ApiTokenList: {
    type: 'object',
    properties: { tokens: { type: 'array', items: ref('ApiToken') } },
    required: ['tokens'],
  },
  Grant: {
    type: 'object',
    description: 'What a user allowed a client (a remembered consent and its refresh-token family).',
    properties: {
      id: str(),
      client_id: str(),
      client_name: str(),
      dynamic: { type: 'boolean' },
      user_id: str(),
      scope: str(),
      resource: { type: 'string', enum: ['scim', 'mcp'] },
      created: { type: 'string', format: 'date-time' },
      last_used_at: { type: 'string', format: 'date-time', nullable: true },
      expires_at: { type: 'string', format: 'date-time', nullable: true },
    },
    required: ['id', 'client_id', 'user_id', 'scope'],
  },
  GrantList: {
    type: 'object',
    properties: { grants: { type: 'array', items: ref('Grant') } },
    required: ['grants'],
  },
  SigningKeyRotation: {
    type: 'object',
    properties: {
      kid: str(),
      alg: str(),
      created: { type: 'string', format: 'date-time' },
      retired: {
        type: 'array',
        items: { type: 'object', properties: { kid: str(), expires_at: { type: 'string', format: 'date-time' } } },
      },
    },
    required: ['kid', 'alg'],
  },
};
