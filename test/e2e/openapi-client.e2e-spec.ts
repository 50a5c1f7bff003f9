import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { startServer, TestServer } from '../support/app';

const ROOT = join(__dirname, '..', '..');
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A small program written against the generated types only: it creates a user and adds them to a group. */
const PROGRAM = `
import type { components, paths } from './schema';

type CreateUser = paths['/v2/Users']['post']['requestBody']['content']['application/scim+json'];
type CreatedUser = paths['/v2/Users']['post']['responses']['201']['content']['application/scim+json'];
type CreateGroup = paths['/v2/Groups']['post']['requestBody']['content']['application/scim+json'];
type PatchGroup = paths['/v2/Groups/{id}']['patch']['requestBody']['content']['application/scim+json'];
type ScimError = components['schemas']['Error'];

export async function provision(baseUrl: string, token: string): Promise<{ user: CreatedUser; members: string[]; conflict: ScimError }> {
  const headers = { authorization: 'Bearer ' + token, 'content-type': 'application/scim+json' };
  const newUser: CreateUser = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', '${ENTERPRISE}'],
    userName: 'typed.client@example.com',
    name: { givenName: 'Typed', familyName: 'Client' },
    emails: [{ value: 'typed.client@example.com', type: 'work', primary: true }],
    active: true,
    '${ENTERPRISE}': { department: 'Docs', manager: { value: 'nobody' } },
  };
  const created = await fetch(baseUrl + '/v2/Users', { method: 'POST', headers, body: JSON.stringify(newUser) });
  const user = (await created.json()) as CreatedUser;
  const again = await fetch(baseUrl + '/v2/Users', { method: 'POST', headers, body: JSON.stringify(newUser) });
  const conflict = (await again.json()) as ScimError;

  const group: CreateGroup = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Typed readers' };
  const madeGroup = (await (await fetch(baseUrl + '/v2/Groups', { method: 'POST', headers, body: JSON.stringify(group) })).json()) as components['schemas']['Group'];
  const patch: PatchGroup = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }],
  };
  const patched = await fetch(baseUrl + '/v2/Groups/' + String(madeGroup.id), {
    method: 'PATCH',
    headers: { ...headers, prefer: 'return=representation' },
    body: JSON.stringify(patch),
  });
  const after = (await patched.json()) as components['schemas']['Group'];
  return { user, members: (after.members ?? []).map((m) => String(m.value)), conflict };
}
`;

/** The same calls with mistakes a typed client must catch. */
const WRONG = `
import type { paths } from './schema';
type CreateUser = paths['/v2/Users']['post']['requestBody']['content']['application/scim+json'];
type PatchGroup = paths['/v2/Groups/{id}']['patch']['requestBody']['content']['application/scim+json'];
export const noName: CreateUser = { schemas: [] };
export const wrongType: CreateUser = { schemas: [], userName: 42 };
export const noOperations: PatchGroup = { schemas: [] };
export const readOnly = (u: paths['/v2/Users/{id}']['get']['responses']['200']['content']['application/scim+json']) => {
  u.id = 'mine';
};
`;

function typeCheck(dir: string, file: string): string[] {
  const program = ts.createProgram([join(dir, file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: false,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file ? `${d.file.fileName.split('/').pop()}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}

describe('A typed client generated from docs/openapi.json (openapi-typescript)', () => {
  let dir: string;
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-openapi-client-'));
    const generated = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'),
        join(ROOT, 'docs', 'openapi.json'),
        '-o',
        join(dir, 'schema.d.ts'),
      ],
      { encoding: 'utf8' },
    );
    if (generated.status !== 0) {
      throw new Error(`openapi-typescript failed:\n${generated.stderr}`);
    }
    writeFileSync(join(dir, 'program.ts'), PROGRAM);
    writeFileSync(join(dir, 'wrong.ts'), WRONG);
    server = await startServer();
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  it('type-checks a program that creates a user and patches a group', () => {
    expect(typeCheck(dir, 'program.ts')).toEqual([]);
  });

  it('refuses the same program with a missing userName, a wrong type, a PatchOp without Operations, a write to id', () => {
    const errors = typeCheck(dir, 'wrong.ts').join('\n');
    expect(errors).toMatch(/noName|Property 'userName' is missing/);
    expect(errors).toMatch(/Type 'number' is not assignable to type 'string'/);
    expect(errors).toMatch(/Property 'Operations' is missing/);
    expect(errors).toMatch(/Cannot assign to 'id' because it is a read-only property/);
  });

  it('runs against the real server and gets what the types say', async () => {
    const js = ts.transpileModule(PROGRAM, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(dir, 'program.js'), js);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { provision } = require(join(dir, 'program.js')) as {
      provision(baseUrl: string, token: string): Promise<{ user: any; members: string[]; conflict: any }>;
    };
    const { user, members, conflict } = await provision(server.baseUrl, server.adminToken);
    expect(user.userName).toBe('typed.client@example.com');
    expect(user[ENTERPRISE].department).toBe('Docs');
    expect(members).toEqual([user.id]);
    expect(conflict).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });
});
