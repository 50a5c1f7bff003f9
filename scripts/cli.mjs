// `npm run cli -- <command>`: the admin command line (apps/cli). Builds when the sources are newer
// than the build, then runs the compiled CLI with the same environment as the server.
import { spawnSync } from 'node:child_process';
import { cliEntry, ensureBuilt, root } from './lib/build.mjs';

ensureBuilt(cliEntry);
const result = spawnSync(process.execPath, [cliEntry, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
