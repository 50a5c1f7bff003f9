import { ADMIN_TOKEN, startServer, TestServer } from '../support/app';
import {
  CLIENT_ASSERTION_TYPE,
  JWT_BEARER,
  newClientKey,
  signAssertion,
  TEST_KEK,
  tokenEndpoint,
  tokenRequest,
} from '../support/oauth';

describe('Logs: no token, secret or assertion is ever written', () => {
  const lines: string[] = [];
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(
      { ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK, LOG_LEVEL: 'trace' },
      { logStream: { write: (line: string) => lines.push(line) } },
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('keeps every credential out of the log, at the most verbose level', async () => {
    const secrets: string[] = [ADMIN_TOKEN];

    const apiToken = (await server.post('/admin/tokens', { name: 'entra', scope: 'scim.read scim.write' })).body.token;
    secrets.push(apiToken);
    await server.get('/v2/Users', { token: apiToken });
    await server.get('/v2/Users', { token: `${apiToken}x` });
    await server.get(`/v2/Users?access_token=${apiToken}`, { token: null });

    const secretClient = (await server.post('/admin/clients', { client_name: 'gallery', scope: 'scim.read' })).body;
    secrets.push(secretClient.client_secret);
    const basic = Buffer.from(`${secretClient.client_id}:${secretClient.client_secret}`).toString('base64');
    secrets.push(basic);
    const fromSecret = await tokenRequest(
      server,
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${basic}` },
    );
    secrets.push(fromSecret.body.access_token);
    await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_id: secretClient.client_id,
      client_secret: `${secretClient.client_secret}x`,
    });

    const key = await newClientKey();
    const jwtClient = (
      await server.post('/admin/clients', {
        client_name: 'service',
        grant_types: [JWT_BEARER, 'client_credentials'],
        scope: 'scim.read',
        jwks: { keys: [key.publicJwk] },
      })
    ).body.client_id;
    const assertion = await signAssertion(key, { iss: jwtClient, sub: jwtClient, aud: tokenEndpoint(server) });
    secrets.push(assertion);
    const fromAssertion = await tokenRequest(server, { grant_type: JWT_BEARER, assertion });
    secrets.push(fromAssertion.body.access_token);
    await tokenRequest(server, { grant_type: JWT_BEARER, assertion }); // replay, logged as refused
    const clientAssertion = await signAssertion(key, { iss: jwtClient, sub: jwtClient, aud: tokenEndpoint(server) });
    secrets.push(clientAssertion);
    await tokenRequest(server, {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: clientAssertion,
    });
    await server.get('/v2/Users', { token: fromAssertion.body.access_token });
    await server.get('/v2/Users', { token: `${fromAssertion.body.access_token}x` });

    const log = lines.join('');
    // The log did record what happened, so its silence about secrets means something.
    expect(log).toContain('Issued an access token.');
    expect(log).toContain('Token request refused');
    expect(log).toContain('/v2/Login/Oauth2/Token');
    expect(log).toContain('access_token=[REDACTED]');
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      // Signatures and token bodies are secrets on their own.
      for (const part of secret.split('.').filter((p) => p.length > 20)) {
        expect(log).not.toContain(part);
      }
    }
  });
});
