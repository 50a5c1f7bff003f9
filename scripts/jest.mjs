// Runs jest with the flags the suites need, for the projects named in the first argument
// (comma-separated). Further arguments go to jest before --selectProjects, so that test path
// patterns are not taken for project names: `npm test -- test/e2e/users`.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const [projects, ...rest] = process.argv.slice(2);
const jest = resolve(import.meta.dirname, '../node_modules/jest/bin/jest.js');
const args = [
  // PGlite loads its WebAssembly through dynamic import(), which Jest supports only with VM modules.
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  jest,
  ...rest,
  ...(projects ? ['--selectProjects', ...projects.split(',')] : []),
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
