import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../apps/cli/src/cli';
import { startServer } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { newClientKey, TEST_KEK } from '../support/oauth';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

// Every command opens (and, the first time, migrates) an embedded database on disk in this process:
// on a loaded two-core machine a test of several commands can take longer than the default minute.
jest.setTimeout(180_000);

describe('CLI (apps/cli) over the same services and database as the server', () => {
  let dataDir: string;
  let database: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'roster-cli-'));
    // The embedded database on disk (one process at a time), or a fresh PostgreSQL database.
    database = testDatabaseKind() === 'postgres' ? await createTestDatabase() : undefined;
    env = { DATABASE_URL: database?.url ?? '', DATA_DIR: dataDir, ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { ...env, LOG_LEVEL: 'silent' },
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    });
    let json: unknown;
    try {
      json = JSON.parse(stdout || stderr);
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  }

  it('creates the first API token for an IdP in one command, and it works as the Entra/Okta secret token', async () => {
    const created = await cli('tokens', 'create', '--name', 'entra', '--scope', 'scim.read scim.write');
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ name: 'entra', scope: 'scim.read scim.write', mcp: false, expires_at: null });
    const token: string = created.json.token;
    expect(token).toMatch(/^roster_at_/);

    const listed = await cli('tokens', 'list');
    expect(listed.json.tokens).toEqual([{ ...created.json, token: undefined }]);
    expect(listed.stdout).not.toContain(token);

    const server = await startServer({
      DATABASE_URL: env.DATABASE_URL,
      DATA_DIR: dataDir,
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
    });
    try {
      // What Entra ID's provisioning service does first: look the user up, then create it, then patch it.
      const lookup = await server.get('/v2/Users?filter=userName%20eq%20%22alice%40contoso.com%22', { token });
      expect(lookup.status).toBe(200);
      expect(lookup.body.totalResults).toBe(0);
      const createdUser = await server.post(
        '/v2/Users',
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'alice@contoso.com', active: true },
        { token },
      );
      expect(createdUser.status).toBe(201);
      const patched = await server.patch(
        `/v2/Users/${createdUser.body.id}`,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        },
        { token },
      );
      expect(patched.status).toBe(200);
      expect(patched.body.active).toBe(false);
    } finally {
      await server.close();
    }

    const revoked = await cli('tokens', 'revoke', created.json.id);
    expect(revoked).toMatchObject({ code: 0, json: { id: created.json.id, revoked: true } });
    expect((await cli('tokens', 'list')).json.tokens).toEqual([]);
  });

  it('registers, lists and revokes clients, and rotates keys', async () => {
    const key = await newClientKey();
    const jwksFile = join(dataDir, 'client-jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
    const created = await cli(
      'clients',
      'create',
      '--name',
      'hr-sync',
      '--grant-type',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      '--grant-type',
      'client_credentials',
      '--scope',
      'scim.read',
      '--jwks-file',
      jwksFile,
    );
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({
      client_name: 'hr-sync',
      grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [key.publicJwk] },
    });
    expect(created.json.client_secret).toBeUndefined();
    const secretClient = await cli('clients', 'create', '--name', 'gallery', '--auth-method', 'client_secret_post');
    expect(secretClient.json.client_secret).toMatch(/^roster_cs_/);

    const listed = await cli('clients', 'list');
    expect(listed.json.clients.map((c: { client_name: string }) => c.client_name)).toEqual(['hr-sync', 'gallery']);
    expect(listed.stdout).not.toContain(secretClient.json.client_secret);
    expect(await cli('clients', 'revoke', created.json.client_id)).toMatchObject({ code: 0, json: { revoked: true } });

    const rotated = await cli('keys', 'rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.json).toMatchObject({
      kid: expect.any(String),
      alg: 'ES256',
      retired: [{ kid: expect.any(String) }],
    });
  });

  it('creates rate-limited API tokens, and lists and revokes grants', async () => {
    const limited = await cli('tokens', 'create', '--name', 'okta', '--scope', 'scim.read', '--rate-limit', '600');
    expect(limited.code).toBe(0);
    expect(limited.json).toMatchObject({ name: 'okta', rate_limit: 600 });
    expect((await cli('tokens', 'create', '--name', 'x', '--scope', 'scim.read', '--rate-limit', 'lots')).code).toBe(2);
    const grants = await cli('grants', 'list');
    expect(grants).toMatchObject({ code: 0, json: { grants: [] } });
    expect((await cli('grants', 'list', '--user', 'not-a-uuid')).code).toBe(1);
    const missing = await cli('grants', 'revoke', '2819c223-7f76-453a-919d-413861904646');
    expect(missing.code).toBe(1);
    expect(missing.json.error).toContain('not found');
  });

  it('reports usage errors with exit code 2 and refusals with exit code 1', async () => {
    expect((await cli()).code).toBe(2);
    const unknown = await cli('tokens', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "tokens frobnicate"');
    const missing = await cli('tokens', 'create', '--scope', 'scim.read');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--name is required');
    const badScope = await cli('tokens', 'create', '--name', 'x', '--scope', 'everything');
    expect(badScope.code).toBe(1);
    expect(badScope.json).toEqual({ error: expect.stringContaining('everything'), status: 400 });
    expect((await cli('tokens', 'revoke', '00000000-0000-4000-8000-000000000000')).code).toBe(1);
    expect((await cli('help')).stdout).toContain('tokens create --name NAME');
  });
});
