import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, TestServer } from '../support/app';
import {
  ClientKey,
  JWT_BEARER,
  newClientKey,
  signAssertion,
  TEST_KEK,
  tokenEndpoint,
  tokenRequest,
} from '../support/oauth';

const INSPECTOR = resolve(__dirname, '../../node_modules/.bin/mcp-inspector');

interface ToolCallResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: unknown[];
}

/** The calls every client makes; each client library wraps them in its own API. */
interface McpSession {
  listTools(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  close(): Promise<void>;
}

/** Runs the Inspector CLI as a child process; asynchronously, since the server lives in this process. */
function inspector(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      INSPECTOR,
      args,
      { env: { ...process.env, HOME: home, MCP_STORAGE_DIR: home, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('MCP with real clients from npm', () => {
  let server: TestServer;
  let key: ClientKey;
  let clientId: string;
  let url: URL;
  let home: string;

  /** A token for the MCP resource from the token endpoint: a jose-signed JWT-bearer assertion. */
  async function mcpToken(scope = 'scim.read scim.write'): Promise<string> {
    const assertion = await signAssertion(key, {
      iss: clientId,
      sub: 'operator@example.com',
      aud: tokenEndpoint(server),
    });
    const res = await tokenRequest(server, { grant_type: JWT_BEARER, assertion, scope, resource: url.href });
    expect(res.status).toBe(200);
    return res.body.access_token;
  }

  async function v2Session(mode: 'legacy' | 'modern'): Promise<McpSession & { era: string | undefined }> {
    const token = await mcpToken();
    const client = new ClientV2(
      { name: `roster-test-${mode}`, version: '1.0.0' },
      mode === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
    );
    await client.connect(new TransportV2(url, { authProvider: { token: () => Promise.resolve(token) } }));
    return {
      era: client.getProtocolEra(),
      listTools: async () => (await client.listTools()).tools.map((t) => t.name),
      callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolCallResult,
      close: () => client.close(),
    };
  }

  async function v1Session(): Promise<McpSession> {
    const token = await mcpToken();
    const client = new ClientV1({ name: 'roster-test-v1', version: '1.0.0' });
    await client.connect(new TransportV1(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return {
      listTools: async () => (await client.listTools()).tools.map((t) => t.name),
      callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolCallResult,
      close: () => client.close(),
    };
  }

  async function restUser(userName: string): Promise<Record<string, unknown> | undefined> {
    const res = await server.get(`/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(res.status).toBe(200);
    return res.body.Resources[0];
  }

  /** What every client must manage: list the tools, search, write, and the REST API sees the write. */
  async function exercise(session: McpSession, label: string): Promise<void> {
    const tools = await session.listTools();
    expect(tools).toEqual(expect.arrayContaining(['search_users', 'get_user', 'create_user', 'add_group_members']));

    const found = await session.callTool('search_users', { query: 'operator' });
    expect(found.isError).toBeFalsy();
    expect(found.structuredContent).toMatchObject({
      totalResults: 1,
      users: [{ userName: 'operator@example.com', active: true }],
    });

    const userName = `${label}@example.com`;
    const created = await session.callTool('create_user', {
      userName,
      givenName: 'Made',
      familyName: `By ${label}`,
      email: userName,
    });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ user: { userName, active: true }, etag: 'W/"1"' });

    const rest = await restUser(userName);
    expect(rest).toMatchObject({
      userName,
      name: { givenName: 'Made', familyName: `By ${label}` },
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    });

    // A business error comes back as a tool result the model can read, not as a protocol error.
    const duplicate = await session.callTool('create_user', { userName });
    expect(duplicate.isError).toBe(true);
    expect(JSON.stringify(duplicate.content)).toContain('SCIM error 409 uniqueness');
    await session.close();
  }

  beforeAll(async () => {
    server = await startServer({ ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK });
    url = new URL(`${server.baseUrl}/v2/mcp`);
    home = mkdtempSync(join(tmpdir(), 'roster-mcp-inspector-'));
    key = await newClientKey('ES256');
    const client = await server.post('/admin/clients', {
      client_name: 'assistant',
      grant_types: [JWT_BEARER],
      scope: 'scim.read scim.write',
      jwks: { keys: [key.publicJwk] },
    });
    expect(client.status).toBe(201);
    clientId = client.body.client_id;
    expect((await server.post('/v2/Users', { userName: 'operator@example.com', displayName: 'Operator' })).status).toBe(
      201,
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('v2 client (@modelcontextprotocol/client), legacy era (initialize)', async () => {
    const session = await v2Session('legacy');
    expect(session.era).toBe('legacy');
    await exercise(session, 'v2-legacy');
  });

  it('v2 client, 2026-07-28 era (server/discover, per-request _meta)', async () => {
    const session = await v2Session('modern');
    expect(session.era).toBe('modern');
    await exercise(session, 'v2-modern');
  });

  it('v2 client with automatic negotiation lands on the 2026-07-28 era', async () => {
    const token = await mcpToken('scim.read');
    const client = new ClientV2(
      { name: 'roster-test-auto', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new TransportV2(url, { authProvider: { token: () => Promise.resolve(token) } }));
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerVersion()).toMatchObject({ name: 'roster' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('search_users');
    expect(names).not.toContain('create_user');
    await client.close();
  });

  it('v1 client (@modelcontextprotocol/sdk)', async () => {
    await exercise(await v1Session(), 'v1');
  });

  it('MCP Inspector CLI with an Authorization header', async () => {
    const token = await mcpToken();
    const base = ['--cli', url.href, '--transport', 'http', '--header', `Authorization: Bearer ${token}`];

    const listed = await inspector([...base, '--method', 'tools/list'], home);
    expect(listed.code).toBe(0);
    // The Inspector lints tool schemas for portability across model vendors: no errors. (Its
    // warnings are for the free-form SCIM objects, whose values are any JSON on purpose.)
    expect(listed.stderr).toContain('Schema portability: 0 errors');
    const tools: { name: string }[] = JSON.parse(listed.stdout).tools;
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['search_users', 'create_user']));

    const searched = await inspector(
      [...base, '--method', 'tools/call', '--tool-name', 'search_users', '--tool-arg', 'query=operator'],
      home,
    );
    expect(searched.code).toBe(0);
    expect(JSON.parse(searched.stdout).structuredContent).toMatchObject({ totalResults: 1 });

    const created = await inspector(
      [
        ...base,
        '--method',
        'tools/call',
        '--tool-name',
        'create_user',
        '--tool-arg',
        'userName=inspector@example.com',
        'displayName=Made By Inspector',
      ],
      home,
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).structuredContent).toMatchObject({ user: { userName: 'inspector@example.com' } });
    expect(await restUser('inspector@example.com')).toMatchObject({ displayName: 'Made By Inspector', active: true });

    // Without a token the CLI meets the 401 challenge; told not to start a browser login, it stops
    // with its "authentication required" exit code.
    const withoutToken = await inspector(
      ['--cli', url.href, '--transport', 'http', '--stored-auth-only', '--method', 'tools/list'],
      home,
    );
    expect(withoutToken.code).toBe(3);
    expect(JSON.parse(withoutToken.stderr).error.code).toBe('auth_required');
  });
});
