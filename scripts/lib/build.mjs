import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const distEntry = (name) => join(root, `dist/api/apps/api/src/${name}.js`);
export const cliEntry = join(root, 'dist/cli/apps/cli/src/main.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'generated') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds when any source is newer than the build output `entry` (or there is none). */
export function ensureBuilt(entry = distEntry('main')) {
  const sources = ['apps', 'libs', 'prisma', 'package.json', 'tsconfig.json']
    .map((p) => join(root, p))
    .filter(existsSync);
  const sourceTime = Math.max(...sources.map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
  if (existsSync(entry) && statSync(entry).mtimeMs >= sourceTime) {
    return;
  }
  process.stdout.write('Building Roster...\n');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    process.exit(build.status ?? 1);
  }
}
