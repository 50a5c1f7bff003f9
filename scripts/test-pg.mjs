// `npm run test:pg`: the end-to-end suite on PostgreSQL. Each test app creates its own fresh
// database on the server named by TEST_DATABASE_URL (default: the local server).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const env = {
  ...process.env,
  ROSTER_TEST_DB: 'postgres',
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
};
const script = resolve(import.meta.dirname, 'jest.mjs');
const result = spawnSync(process.execPath, [script, 'e2e', ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
