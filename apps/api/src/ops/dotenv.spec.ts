import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDotEnv } from './dotenv';

describe('.env', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-dotenv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('completes the environment; a variable set in the environment wins over the file', () => {
    writeFileSync(
      join(dir, '.env'),
      'PORT=4411\nLOG_LEVEL=debug\n# a comment\nPUBLIC_URL="https://scim.example.com"\n',
    );
    const result = readDotEnv({ LOG_LEVEL: 'warn' }, dir);
    expect(result.env).toEqual({ PORT: '4411', LOG_LEVEL: 'warn', PUBLIC_URL: 'https://scim.example.com' });
    expect(result.applied.sort()).toEqual(['PORT', 'PUBLIC_URL']);
    expect(result.file).toBe(join(dir, '.env'));
  });

  it('is optional, unless ROSTER_ENV_FILE names a file that is not there', () => {
    expect(readDotEnv({}, dir)).toEqual({ env: {}, applied: [] });
    expect(() => readDotEnv({ ROSTER_ENV_FILE: 'missing.env' }, dir)).toThrow('ROSTER_ENV_FILE names');
  });
});
