// `npm run openapi:generate` writes docs/openapi.json from the application's own routes;
// `npm run openapi:check` fails when the committed document is stale.
import { spawnSync } from 'node:child_process';
import { distEntry, ensureBuilt, root } from './lib/build.mjs';

ensureBuilt();
const mode = process.argv[2] === 'write' ? 'write' : 'check';
const result = spawnSync(process.execPath, [distEntry('openapi-cli'), mode], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
