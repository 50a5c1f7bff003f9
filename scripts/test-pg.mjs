// `npm run test:pg`: the end-to-end suite on PostgreSQL. Each test app creates its own fresh
// database on the server named by TEST_DATABASE_URL (default: the local server).
import { spawnSync } from 'node:child_process';

const env = {
  ...process.env,
  ROSTER_TEST_DB: 'postgres',
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
};
const args = [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  'node_modules/jest/bin/jest.js',
  '--selectProjects',
  'e2e',
  ...process.argv.slice(2),
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
