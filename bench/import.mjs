#!/usr/bin/env node
// Import and export speed on PostgreSQL, with the built command line (npm run build first):
// writes an N-row users.csv, imports it into a fresh database (`npm run cli -- import`), exports
// that directory to NDJSON (`export`), imports the export into a second fresh database, and
// checks that both hold the same users (userName, name, emails, title, active, department).
//
//   node bench/import.mjs --users 100000 [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    'admin-url': {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    },
    concurrency: { type: 'string', default: '4' },
  },
});
const count = Number(values.users);
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist/cli/apps/cli/src/main.js');
const work = mkdtempSync(join(tmpdir(), 'roster-import-bench-'));
const databases = ['roster_bench_import_a', 'roster_bench_import_b'];
const urlOf = (name) => Object.assign(new URL(values['admin-url']), { pathname: `/${name}` }).toString();

async function admin(sql) {
  const client = new pg.Client({ connectionString: values['admin-url'] });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function runCli(database, ...args) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--max-old-space-size=256', cli, ...args], {
    cwd: work,
    env: { ...process.env, DATABASE_URL: urlOf(database), LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`cli ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  }
  const progress = result.stderr.trim().split('\n');
  return { summary: JSON.parse(result.stdout), seconds, lastProgress: progress[progress.length - 1] };
}

async function snapshot(database) {
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT user_name, doc->'name' AS name, doc->'emails' AS emails, doc->>'title' AS title, active,
              doc->'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'->>'department' AS department
         FROM users ORDER BY lower(user_name::text)`,
    );
    return rows.map((r) => JSON.stringify(r));
  } finally {
    await client.end();
  }
}

try {
  for (const name of databases) {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${name}`);
  }
  const csv = join(work, 'users.csv');
  await new Promise((done, fail) => {
    const out = createWriteStream(csv);
    out.on('error', fail);
    out.write('userName,givenName,familyName,email,title,active,department\n');
    for (let i = 0; i < count; i++) {
      out.write(
        `user${i}@bench.example.com,Given${i},Family${i},user${i}@bench.example.com,Engineer ${i % 7},${i % 10 !== 0},Dept ${i % 50}\n`,
      );
    }
    out.end(done);
  });
  console.log(`users.csv: ${count} rows, ${(statSync(csv).size / 1024 / 1024).toFixed(1)} MB`);

  const imported = runCli(databases[0], 'import', 'users.csv', '--concurrency', values.concurrency);
  console.log(
    `import:  ${imported.summary.users.created} users in ${imported.seconds.toFixed(1)} s (process), ` +
      `${imported.summary.usersPerSecond} users/s by the import's own clock; ${imported.lastProgress}`,
  );
  const exported = runCli(databases[0], 'export', '--output', 'export.ndjson');
  console.log(
    `export:  ${exported.summary.users} users in ${exported.seconds.toFixed(1)} s, ` +
      `${Math.round(exported.summary.users / exported.seconds)} users/s, ${(statSync(join(work, 'export.ndjson')).size / 1024 / 1024).toFixed(1)} MB`,
  );
  const again = runCli(databases[1], 'import', 'export.ndjson', '--concurrency', values.concurrency);
  console.log(
    `re-import of the export: ${again.summary.users.created} users in ${again.seconds.toFixed(1)} s, ${again.summary.usersPerSecond} users/s`,
  );
  const [a, b] = [await snapshot(databases[0]), await snapshot(databases[1])];
  const same = a.length === b.length && a.every((row, i) => row === b[i]);
  console.log(
    `round trip: ${same ? 'identical' : 'DIFFERENT'} (${a.length} and ${b.length} users compared attribute by attribute)`,
  );
  process.exitCode = same && imported.summary.users.failed === 0 ? 0 : 1;
} finally {
  for (const name of databases) {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
}
