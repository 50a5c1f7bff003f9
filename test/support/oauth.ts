import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, GenerateKeyPairResult, JWK, JWTPayload, SignJWT } from 'jose';
import { HttpResponse, TestServer } from './app';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A fixed key encryption key for test servers (PostgreSQL needs one to sign tokens). */
export const TEST_KEK = Buffer.alloc(32, 42).toString('base64');

export interface ClientKey {
  kid: string;
  alg: string;
  privateKey: GenerateKeyPairResult['privateKey'];
  publicJwk: JWK;
}

export async function newClientKey(alg = 'ES256', kid = `key-${randomUUID().slice(0, 8)}`): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** A signed assertion with sensible defaults; `claims` overrides or removes (undefined) any of them. */
export async function signAssertion(
  key: ClientKey,
  claims: JWTPayload,
  header: { alg?: string; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iat: now, exp: now + 300, jti: randomUUID(), ...claims };
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) {
      delete payload[name];
    }
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: header.alg ?? key.alg, kid: header.kid ?? key.kid })
    .sign(key.privateKey);
}

/** POSTs a form to the token endpoint, as an OAuth client would. */
export function tokenRequest(
  server: TestServer,
  form: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<HttpResponse> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      body.append(name, v);
    }
  }
  return server.request('POST', '/v2/Login/Oauth2/Token', {
    raw: body.toString(),
    token: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

export function tokenEndpoint(server: TestServer): string {
  return `${server.baseUrl}/v2/Login/Oauth2/Token`;
}

/** A loopback HTTP server that serves a JWKS (a client's jwks_uri, or an external issuer's keys). */
export class JwksServer {
  keys: JWK[] = [];
  requests = 0;
  private readonly server: Server = createServer((_request, response) => {
    this.requests++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: this.keys }));
  });

  static async start(): Promise<JwksServer> {
    const jwks = new JwksServer();
    await new Promise<void>((resolve) => jwks.server.listen(0, '127.0.0.1', resolve));
    return jwks;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
