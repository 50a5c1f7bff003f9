// Trims a production `node_modules` (after `npm prune --omit=dev`) to what the service loads.
// `npm prune --omit=dev` keeps the optional peers npm installed (the Prisma CLI with Studio and
// React, TypeScript: ~200 MB) and Prisma's query compilers for every database. This keeps the
// closure of the package's `dependencies`, following dependencies, optional dependencies and
// required peers (optional peers are build-time tools here), and Prisma's PostgreSQL compiler
// only. Usage: node scripts/prune-runtime.mjs [app directory]   (prints the sizes)
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const app = resolve(process.argv[2] ?? '.');
const modules = join(app, 'node_modules');

function size(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + size(join(path, entry)), 0);
}

const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Node's resolution: node_modules/NAME next to the requiring package, then in each parent. */
function locate(name, from) {
  for (let dir = from; dir.startsWith(app); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === app) break;
  }
  return undefined;
}

const kept = new Set();
const queue = [app];
while (queue.length) {
  const dir = queue.shift();
  const pkg = manifest(dir);
  const optionalPeers = new Set(
    Object.entries(pkg.peerDependenciesMeta ?? {})
      .filter(([, m]) => m.optional)
      .map(([n]) => n),
  );
  const names = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    ...(dir === app ? [] : Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n))),
  ];
  for (const name of names) {
    const found = locate(name, dir);
    if (found && !kept.has(found)) {
      kept.add(found);
      queue.push(found);
    }
  }
}

const before = size(modules);
/** Removes every installed package that is not kept, at any depth. */
function sweep(nodeModules) {
  for (const entry of readdirSync(nodeModules)) {
    const path = join(nodeModules, entry);
    if (entry === '.bin' || entry === '.package-lock.json') continue;
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(path)) visit(join(path, scoped));
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    visit(path);
  }
}
function visit(dir) {
  if (!kept.has(dir)) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const nested = join(dir, 'node_modules');
  if (existsSync(nested)) sweep(nested);
}
sweep(modules);
rmSync(join(modules, '.bin'), { recursive: true, force: true });

// Prisma ships a query compiler per database and build; the generated client loads the fast PostgreSQL one.
const runtime = join(modules, '@prisma/client/runtime');
if (existsSync(runtime)) {
  for (const file of readdirSync(runtime)) {
    if (/^query_compiler_/.test(file) && !/^query_compiler_fast_bg\.(postgresql\.|js|d\.)/.test(file)) {
      rmSync(join(runtime, file));
    }
  }
}
const after = size(modules);
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(`node_modules: ${mb(before)} -> ${mb(after)} (${kept.size} packages kept)`);
