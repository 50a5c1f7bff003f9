import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The layering of docs/architecture.md, checked: the services of users, groups and MCP hold SCIM
 * semantics only, and no SQL. (Imports of Prisma, the drivers and the SQL compiler are refused by
 * the lint rule for these folders in eslint.config.mjs.)
 */
const FOLDERS = ['users', 'groups', 'mcp'];

/** What a statement in a string looks like; words such as "select" in prose do not match. */
const SQL = [
  /\bSELECT\s+[\s\S]{0,200}?\bFROM\s+\w/,
  /\bINSERT\s+INTO\s+\w/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\s+\w/,
  /\$queryRaw|\$executeRaw/,
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The string and template literals of a TypeScript source, roughly (enough to find statements). */
function literals(source: string): string[] {
  return [...source.matchAll(/`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g)].map((m) => m[0]);
}

describe('store boundary: no SQL above libs/db', () => {
  const sources = FOLDERS.flatMap((folder) => files(join(__dirname, folder)));

  it('finds the sources it checks', () => {
    expect(sources.some((f) => f.endsWith('users.service.ts'))).toBe(true);
    expect(sources.some((f) => f.endsWith('groups.service.ts'))).toBe(true);
    expect(sources.some((f) => f.endsWith('mcp-directory.ts'))).toBe(true);
  });

  it.each(FOLDERS)('apps/api/src/%s holds no SQL statement and no Prisma import', (folder) => {
    const offending = files(join(__dirname, folder)).flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      const found = literals(source).filter((text) => SQL.some((pattern) => pattern.test(text)));
      if (/from '(@prisma\/[^']*|[^']*generated\/prisma[^']*)'/.test(source)) {
        found.push('a Prisma import');
      }
      return found.map((text) => `${file}: ${text.slice(0, 80)}`);
    });
    expect(offending).toEqual([]);
  });

  it('recognises a statement when there is one', () => {
    expect(
      literals("const q = `SELECT id FROM users WHERE x = $1`; const y = 'select a group';").filter((t) =>
        SQL.some((p) => p.test(t)),
      ),
    ).toHaveLength(1);
  });
});
