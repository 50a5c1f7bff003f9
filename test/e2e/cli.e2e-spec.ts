import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { banner } from '../../apps/api/src/ops/startup';
import { runCli } from '../../apps/cli/src/cli';
import { freePort, startServer, TestServer } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { newClientKey, TEST_KEK } from '../support/oauth';
import { templatedDataDir } from '../support/template';
import { GROUP, PATCH_OP, USER } from '../support/traces';

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
    dataDir = await templatedDataDir('roster-cli-');
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
    expect(unknown.stderr).toContain('tokens create --name NAME');
    const missing = await cli('tokens', 'create', '--scope', 'scim.read');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--name is required');
    const badScope = await cli('tokens', 'create', '--name', 'x', '--scope', 'everything');
    expect(badScope.code).toBe(1);
    expect(badScope.json).toEqual({
      error: expect.stringContaining('everything'),
      status: 400,
      scimType: 'invalidValue',
    });
    expect((await cli('tokens', 'revoke', '00000000-0000-4000-8000-000000000000')).code).toBe(1);
    expect((await cli('help')).stdout).toContain('tokens create --name NAME');
    expect((await cli('tokens', 'create', '--mcp', '--bogus')).code).toBe(2);
  });

  it('answers --version, per-command --help and --format table without touching the database', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
    const group = await cli('tokens', '--help');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('tokens revoke ID');
    const one = await cli('import', '--help');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--dry-run');
    await cli('tokens', 'create', '--name', 'table-me', '--scope', 'scim.read');
    const table = await cli('tokens', 'list', '--format', 'table');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+name\s+scope/);
    expect(table.stdout).toContain('table-me');
    expect((await cli('tokens', 'list', '--format', 'yaml')).code).toBe(2);
  });
});

// The embedded database is one process's: with a service running, the command line must go through it.
const describeEmbedded = testDatabaseKind() === 'pglite' ? describe : describe.skip;

describeEmbedded('CLI beside a running embedded service (README, "Connecting Microsoft Entra ID", step 1)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await templatedDataDir('roster-cli-live-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(...argv: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK },
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

  it('creates a token through the service that works at once, and nothing is lost across a restart', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
    const server = await startServer(env);
    let token: string;
    let userId: string;
    let groupId: string;
    try {
      expect(server.startup.credentialFile).toBe(join(dataDir, 'roster-cli.json'));
      expect(statSync(server.startup.credentialFile!).mode & 0o777).toBe(0o600);
      const created = await cli('tokens', 'create', '--name', 'entra', '--scope', 'scim.read scim.write');
      expect(created.code).toBe(0);
      token = created.json.token;
      // What Entra does next, with the token the CLI printed: accepted by the running service.
      const user = await server.post('/v2/Users', { schemas: [USER], userName: 'alice@contoso.com' }, { token });
      expect(user.status).toBe(201);
      userId = user.body.id;
      const patched = await server.patch(
        `/v2/Users/${userId}`,
        { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
        { token },
      );
      expect(patched.status).toBe(200);
      const group = await server.post(
        '/v2/Groups',
        { schemas: [GROUP], displayName: 'Sales', members: [{ value: userId }] },
        { token },
      );
      expect(group.status).toBe(201);
      groupId = group.body.id;
      // The CLI reads through the service too.
      expect((await cli('users', 'show', 'alice@contoso.com')).json).toMatchObject({ id: userId, active: false });
      expect((await cli('groups', 'list')).json.Resources.map((g: { id: string }) => g.id)).toEqual([groupId]);
      // A second server on the same directory is refused, naming this process.
      await expect(startServer(env)).rejects.toThrow(`PID ${process.pid}`);
    } finally {
      await server.close();
    }
    expect(existsSync(join(dataDir, 'roster-cli.json'))).toBe(false);

    const again = await startServer(env);
    try {
      expect((await again.get(`/v2/Users/${userId}`, { token })).body).toMatchObject({
        userName: 'alice@contoso.com',
        active: false,
      });
      expect((await again.get(`/v2/Groups/${groupId}`, { token })).body.members).toEqual([
        expect.objectContaining({ value: userId }),
      ]);
      expect((await cli('tokens', 'list')).json.tokens.map((t: { name: string }) => t.name)).toEqual(['entra']);
    } finally {
      await again.close();
    }
  });

  it('resets the generated admin token through the service: the new one works, the old one does not', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, SCIM_ADMIN_TOKEN: '', ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
    const server = await startServer(env);
    try {
      const state = server.startup.adminToken;
      expect(state.kind).toBe('generated');
      const old = state.kind === 'generated' ? state.token : '';
      const reset = await cli('admin-token', 'reset');
      expect(reset.code).toBe(0);
      expect(reset.json.token).toMatch(/^roster_admin_/);
      expect((await server.get('/v2/Users', { token: reset.json.token })).status).toBe(200);
      expect((await server.get('/v2/Users', { token: old })).status).toBe(401);
    } finally {
      await server.close();
    }
    // Stopped: the CLI opens the directory itself; the reset token is marked shown, so no hint.
    expect((await cli('admin-token', 'reset')).code).toBe(0);
    const restarted = await startServer(env);
    try {
      expect(restarted.startup.adminToken).toEqual({ kind: 'stored' });
    } finally {
      await restarted.close();
    }
  });

  it('tells a start that finds a generated token that was never shown how to reset it', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, SCIM_ADMIN_TOKEN: '', ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
    // The first start generates the token; its banner never reached anyone (markShown not called).
    await (await startServer(env)).close();
    const second = await startServer(env);
    try {
      expect(second.startup.adminToken).toEqual({ kind: 'never-shown' });
      expect(banner(second.config, second.startup)).toContain('npm run cli -- admin-token reset');
    } finally {
      await second.close();
    }
  });

  it('backs up the running service and restores the copy into a fresh directory', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
    const server = await startServer(env);
    const archive = join(dataDir, '..', `${basename(dataDir)}-backup.tar.gz`);
    try {
      expect((await server.post('/v2/Users', { schemas: [USER], userName: 'kept@example.com' })).status).toBe(201);
      const backup = await cli('backup', '--output', archive);
      expect(backup.code).toBe(0);
      expect(backup.json.bytes).toBeGreaterThan(1000);
    } finally {
      await server.close();
    }
    const restoredDir = `${dataDir}-restored`;
    try {
      let stdout = '';
      const code = await runCli(['restore', archive], {
        env: { DATA_DIR: restoredDir, LOG_LEVEL: 'silent', ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK },
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ dataDir: restoredDir });
      const restored = await startServer({
        DATABASE_URL: '',
        DATA_DIR: restoredDir,
        ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      });
      try {
        const found = await restored.get('/v2/Users?filter=userName%20eq%20%22kept%40example.com%22');
        expect(found.body.totalResults).toBe(1);
      } finally {
        await restored.close();
      }
      // Restoring over a directory that holds a database needs --force.
      expect(
        await runCli(['restore', archive], {
          env: { DATA_DIR: restoredDir, LOG_LEVEL: 'silent' },
          stdout: () => undefined,
          stderr: () => undefined,
        }),
      ).toBe(74);
    } finally {
      rmSync(restoredDir, { recursive: true, force: true });
      rmSync(archive, { force: true });
    }
  });
});

describe('CLI import and export (through the Bulk write path), against a service named by ROSTER_URL', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'roster-import-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function cliAt(server: { baseUrl: string; adminToken: string }, ...argv: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken, LOG_LEVEL: 'silent' },
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      cwd: work,
    });
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  }

  it('imports a CSV with a progress report, a per-row error report and a summary; the export round-trips', async () => {
    const rows = ['userName,givenName,familyName,email,title,active,department'];
    for (let i = 0; i < 60; i++) {
      rows.push(
        `user${i}@example.com,Given${i},Family${i},user${i}@example.com,"Engineer, level ${i % 3}",${i % 2 === 0},R&D`,
      );
    }
    rows.push(',No,Name,none@example.com,,true,');
    rows.push('bad-active@example.com,Bad,Active,,,"maybe",');
    rows.push('user1@example.com,Dup,Licate,,,true,');
    writeFileSync(join(work, 'users.csv'), `${rows.join('\n')}\n`);

    const source = await startServer();
    const target = await startServer();
    try {
      const dry = await cliAt(source, 'import', 'users.csv', '--dry-run', '--errors', 'dry.errors.ndjson');
      expect(dry.code).toBe(1);
      expect(dry.json).toMatchObject({ dryRun: true, users: { total: 63, created: 0, failed: 3 } });
      expect((await source.get('/v2/Users')).body.totalResults).toBe(0);

      const imported = await cliAt(source, 'import', 'users.csv');
      expect(imported.code).toBe(1);
      expect(imported.json).toMatchObject({
        dryRun: false,
        users: { total: 63, created: 60, failed: 3 },
        errorsFile: join(work, 'users.csv.errors.ndjson'),
      });
      expect(imported.stderr).toMatch(/100%.*60 created, 3 failed/);
      const report = readFileSync(join(work, 'users.csv.errors.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(report.map((r: { row: number }) => r.row)).toEqual([62, 63, 64]);
      expect(report[2]).toMatchObject({ name: 'user1@example.com', status: 409, scimType: 'uniqueness' });
      const alice = (await source.get('/v2/Users?filter=userName%20eq%20%22user2%40example.com%22')).body.Resources[0];
      expect(alice).toMatchObject({
        name: { givenName: 'Given2', familyName: 'Family2' },
        emails: [{ value: 'user2@example.com', type: 'work', primary: true }],
        title: 'Engineer, level 2',
        active: true,
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
      });
      const group = await source.post('/v2/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Everyone even',
        members: [{ value: alice.id }],
      });
      expect(group.status).toBe(201);

      const exported = await cliAt(source, 'export', '--output', 'directory.ndjson');
      expect(exported).toMatchObject({ code: 0, json: { users: 60, groups: 1 } });
      const again = await cliAt(target, 'import', 'directory.ndjson');
      expect(again).toMatchObject({
        code: 0,
        json: { users: { created: 60, failed: 0 }, groups: { created: 1, failed: 0 } },
      });

      const strip = (r: Record<string, unknown>) => {
        const { id: _id, meta: _meta, groups: _groups, ...rest } = r;
        return rest;
      };
      const all = async (server: TestServer) =>
        ((await server.get('/v2/Users?count=1000&sortBy=userName')).body.Resources as Record<string, unknown>[]).map(
          strip,
        );
      expect(await all(target)).toEqual(await all(source));
      const copied = (await target.get('/v2/Groups?filter=displayName%20eq%20%22Everyone%20even%22')).body.Resources[0];
      const member = (await target.get(`/v2/Users/${copied.members[0].value}`)).body;
      expect(member.userName).toBe('user2@example.com');
    } finally {
      await source.close();
      await target.close();
    }
  });

  it('says so when ROSTER_URL does not answer, with exit code 69', async () => {
    const port = await freePort();
    const run = await cliAt({ baseUrl: `http://127.0.0.1:${port}`, adminToken: 'x'.repeat(30) }, 'users', 'list');
    expect(run.code).toBe(69);
    expect(run.stderr).toContain(`Could not reach the Roster service at http://127.0.0.1:${port}`);
  });
});
