// Builds the runtime tree the container image ships (Dockerfile stage 2, replayed by
// scripts/docker-replay.sh): the compiled service and CLI (`npm run build` first) bundled by
// esbuild into one file each, with their pure-JavaScript dependencies tree-shaken in, plus the
// few packages that are loaded by path at run time and therefore stay in node_modules, trimmed to
// the files the service reads. Without it the image carried 141 MB of node_modules (every build of
// every package: CommonJS, ESM, types, source maps, 60 PostgreSQL extensions); the bundle needs
// none of that.
//
// Usage: node scripts/bundle-runtime.mjs [output directory, default: runtime]   (prints the sizes)
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'runtime'));

/** The entry points, at the same paths as in `dist/`, so that the Dockerfile's CMD and the docs stay right. */
const ENTRIES = ['dist/api/apps/api/src/main.js', 'dist/cli/apps/cli/src/main.js'];

/**
 * Packages that stay files in node_modules, and why (everything else is bundled):
 * - @electric-sql/pglite reads pglite.wasm, pglite.data and the citext extension next to its own
 *   files, and the embedded database's worker thread requires it by resolved path;
 * - @prisma/client's runtime loads its PostgreSQL query compiler (WebAssembly) by path;
 * - swagger-ui-dist is the Swagger UI's static files, served from its folder.
 */
const KEPT = ['@electric-sql/pglite', '@prisma/client', 'swagger-ui-dist'];

/** Optional packages that Nest and Fastify try to load and Roster does not install. */
const ABSENT = [
  '@nestjs/microservices',
  '@nestjs/microservices/microservices-module',
  '@nestjs/websockets',
  '@nestjs/websockets/socket-module',
  '@nestjs/platform-express',
  '@fastify/view',
];

/** Files of the kept packages that nothing reads at run time. */
function unused(path) {
  const rel = relative(join(out, 'node_modules'), path);
  if (/\.(map|d\.ts|d\.mts|d\.cts|md|txt)$/.test(rel) && !rel.endsWith('LICENSE.txt')) return true;
  if (rel.startsWith('@electric-sql/pglite/dist/')) {
    const file = rel.slice('@electric-sql/pglite/dist/'.length);
    // Migrations create only citext (prisma/migrations); the other 40-odd extensions go.
    if (file.endsWith('.tar.gz')) return file !== 'citext.tar.gz';
    if (file.startsWith('contrib/')) return !file.startsWith('contrib/citext.');
  }
  if (rel.startsWith('@prisma/client/')) {
    // The generated client is CommonJS and PostgreSQL only.
    if (rel.endsWith('.mjs')) return true;
    if (/query_compiler.*bg\.(?!postgresql)/.test(rel)) return true;
  }
  if (rel.startsWith('swagger-ui-dist/') && /swagger-ui-es-bundle|swagger-ui\.js$/.test(rel)) return true;
  return false;
}

function size(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + size(join(path, entry)), 0);
}

function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else visit(path);
  }
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

for (const entry of ENTRIES) {
  if (!existsSync(join(root, entry))) {
    console.error(`bundle-runtime: ${entry} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
}
rmSync(out, { recursive: true, force: true });

// Bundled packages written as ES modules read `import.meta.url` (e.g. @nestjs/swagger's
// createRequire); in a CommonJS bundle it becomes the bundle's own file URL.
const shim = join(out, '.import-meta-url.js');
mkdirSync(out, { recursive: true });
writeFileSync(shim, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");
for (const entry of ENTRIES) {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(out, entry),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Nest names providers, modules and log contexts after their classes.
    keepNames: true,
    external: [...KEPT, ...KEPT.map((name) => `${name}/*`), ...ABSENT],
    inject: [shim],
    define: { 'import.meta.url': 'importMetaUrl' },
    logLevel: 'error',
    legalComments: 'none',
  });
}
rmSync(shim);

// The kept packages and what they depend on, from the installed tree.
const copied = new Set();
const copy = (name) => {
  if (copied.has(name)) return;
  copied.add(name);
  const from = join(root, 'node_modules', name);
  cpSync(from, join(out, 'node_modules', name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(manifest.dependencies ?? {})) copy(dependency);
};
KEPT.forEach(copy);
let trimmed = 0;
walk(join(out, 'node_modules'), (path) => {
  if (unused(path)) {
    trimmed += statSync(path).size;
    rmSync(path);
  }
});
walk(out, (path) => {
  if (path.endsWith('.node')) {
    console.error(
      `bundle-runtime: a native addon in the runtime tree (${relative(out, path)}): the image's base must match it.`,
    );
    process.exit(1);
  }
});

cpSync(join(root, 'prisma'), join(out, 'prisma'), { recursive: true });
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// What the service reads of its manifest: name and version (ops/version.ts). No scripts, no dependencies.
writeFileSync(
  join(out, 'package.json'),
  JSON.stringify(
    { name: manifest.name, version: manifest.version, private: true, license: manifest.license },
    null,
    2,
  ) + '\n',
);

const bundles = ENTRIES.map((entry) => `${entry} ${mb(size(join(out, entry)))}`).join(', ');
console.log(
  `runtime tree in ${relative(process.cwd(), out) || '.'}: ${mb(size(out))} ` +
    `(${bundles}; node_modules ${mb(size(join(out, 'node_modules')))}: ${[...copied].join(', ')}; ${mb(trimmed)} of unused files left out)`,
);
