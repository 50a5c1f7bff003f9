export const CLIENT_REGISTRATION_EXAMPLE = {
  client_name: 'HR sync service',
  grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'client_credentials'],
  scope: 'scim.read scim.write',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: {
    keys: [
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        kid: 'hr-2026',
        alg: 'ES256',
        use: 'sig',
      },
    ],
  },
};

export const CLIENT_EXAMPLE = {
  client_id: '5a3c0f0e-7d1b-4c55-9f1e-2b8f6f0c9a10',
  client_id_issued_at: 1795852557,
  ...CLIENT_REGISTRATION_EXAMPLE,
};

export const SECRET_CLIENT_EXAMPLE = {
  client_id: '0c9e2c4a-1b7d-4f3e-8a2b-9d6f5e4c3b2a',
  client_id_issued_at: 1795852557,
  client_name: 'Microsoft Entra gallery validation',
  grant_types: ['client_credentials'],
  scope: 'scim.read scim.write',
  token_endpoint_auth_method: 'client_secret_basic',
  client_secret: 'roster_cs_2bX0p7wq1nJm4vZr8kFh3yT6sLd9aQe5uCg0iBo7NxE',
  client_secret_expires_at: 0,
};

export const TOKEN_CREATE_EXAMPLE = { name: 'entra', scope: 'scim.read scim.write', expires_in: 31536000 };

export const TOKEN_CREATED_EXAMPLE = {
  id: '9b2f7c1e-4d3a-4e8b-a1c2-7f6e5d4c3b2a',
  name: 'entra',
  scope: 'scim.read scim.write',
  mcp: false,
  created: '2026-11-28T08:00:00.000Z',
  expires_at: '2027-11-28T08:00:00.000Z',
  last_used_at: null,
  token: 'roster_at_Qm9vdHN0cmFwIGV4YW1wbGUgdG9rZW4gb25seQ0Ks3cR3tT0k3n',
};

export const KEY_ROTATION_EXAMPLE = {
  kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  alg: 'ES256',
  created: '2026-11-28T08:00:00.000Z',
  retired: [{ kid: 'ThQ8yBlK1bSe0m3U1jV9R3b1r6u2mGZ9rS4fK8n0e3Q', expires_at: '2026-11-28T09:01:00.000Z' }],
};
