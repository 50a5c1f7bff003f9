import { createServer, Server } from 'node:http';
import { freePort } from './app';

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (the `oidc-provider` package) in this process, on a loopback
 * port, with its development sign-in pages: any login name signs in as that account, whose
 * `email` claim is the login name itself (and `oid` its reverse, to test the other match).
 */
export async function startIdentityProvider(redirectUri: string): Promise<TestIdentityProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // Imported by a name in a variable: the package ships no type declarations.
  const name: string = 'oidc-provider';
  const mod = (await import(name)) as { default: new (issuer: string, config: object) => OidcProvider };
  const Provider = mod.default;
  const clientId = 'roster';
  const clientSecret = 'roster-upstream-secret-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'oid'] },
    // Put the scope's claims into the id_token itself, as Entra ID and Okta do for email.
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true, name: id, oid: id.split('').reverse().join('') }),
    }),
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    // Quiet: no warnings about development interactions in the test output.
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = `<p>${JSON.stringify(out)}</p>`;
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface OidcProvider {
  callback(): Parameters<typeof createServer>[1];
}
