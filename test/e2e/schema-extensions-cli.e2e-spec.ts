import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../apps/cli/src/cli';
import { startServer, TestServer } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { TEST_KEK } from '../support/oauth';
import { templatedDataDir } from '../support/template';

jest.setTimeout(180_000);

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const URN = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const SCHEMA = { id: URN, resourceType: 'User', attributes: [{ name: 'costCenter' }] };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

async function run(env: Record<string, string>, cwd: string, argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { ...env, LOG_LEVEL: 'silent' },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd,
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout || stderr);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

describe('CLI schemas list|add|remove (issue 15)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'roster-schemas-'));
    writeFileSync(join(work, 'schema.json'), JSON.stringify(SCHEMA));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('over a running service: add from a file, list, refuse removal while values exist, purge', async () => {
    const server: TestServer = await startServer();
    const env = { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken };
    try {
      const added = await run(env, work, ['schemas', 'add', '--file', 'schema.json']);
      expect(added.code).toBe(0);
      expect(added.json).toMatchObject({ id: URN, resourceType: 'User', version: 1 });
      const user = await server.post('/v2/Users', {
        schemas: [USER, URN],
        userName: 'cli@x.org',
        [URN]: { costCenter: '9' },
      });
      expect(user.status).toBe(201);
      expect(user.body[URN]).toEqual({ costCenter: '9' });

      const list = await run(env, work, ['schemas', 'list']);
      expect(list.code).toBe(0);
      expect(list.json.schemas.map((s: { id: string }) => s.id)).toEqual([URN]);
      const table = await run(env, work, ['schemas', 'list', '--format', 'table']);
      expect(table.stdout.split('\n')[0]).toMatch(/^id\s+resourceType\s+required\s+version\s+attributes/);
      const refused = await run(env, work, ['schemas', 'remove', URN]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('purge');
      const removed = await run(env, work, ['schemas', 'remove', URN, '--purge']);
      expect(removed.code).toBe(0);
      expect((await server.get(`/v2/Users/${user.body.id}`)).body[URN]).toBeUndefined();
      const usage = await run(env, work, ['schemas', 'add']);
      expect(usage.code).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('over the database itself (no service running)', async () => {
    const dataDir = await templatedDataDir('roster-schemas-local-');
    const database: TestDatabase | undefined =
      testDatabaseKind() === 'postgres' ? await createTestDatabase() : undefined;
    const env = { DATABASE_URL: database?.url ?? '', DATA_DIR: dataDir, ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK };
    try {
      const added = await run(env, work, ['schemas', 'add', '--json', JSON.stringify(SCHEMA)]);
      expect(added.code).toBe(0);
      const list = await run(env, work, ['schemas', 'list']);
      expect(list.json.schemas.map((s: { id: string }) => s.id)).toEqual([URN]);
      const removed = await run(env, work, ['schemas', 'remove', URN]);
      expect(removed.code).toBe(0);
      expect((await run(env, work, ['schemas', 'list'])).json.schemas).toEqual([]);
    } finally {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
