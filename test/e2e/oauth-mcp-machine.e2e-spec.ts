import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startServer, TestServer } from '../support/app';
import { TEST_KEK } from '../support/oauth';

describe("The v2 SDK's own discovery accepts Roster's metadata (client credentials, no browser)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
  });
  afterAll(async () => {
    await server.close();
  });

  it('ClientCredentialsProvider discovers from the 401, gets an MCP token with client_secret_basic and lists the tools', async () => {
    const registered = await server.post('/admin/clients', {
      client_name: 'automation',
      grant_types: ['client_credentials'],
      scope: 'scim.read',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(registered.status).toBe(201);
    const provider = new ClientCredentialsProvider({
      clientId: registered.body.client_id,
      clientSecret: registered.body.client_secret,
      scope: 'scim.read',
    });
    const client = new Client({ name: 'roster-machine', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/v2/mcp`), { authProvider: provider }),
    );
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('search_users');
    expect(tools).not.toContain('create_user');
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({
      kind: 'access-token',
      clientId: registered.body.client_id,
      user: null,
    });
    await client.close();
  });
});
