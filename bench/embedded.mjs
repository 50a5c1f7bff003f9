#!/usr/bin/env node
// The embedded database (PGlite) in a worker thread against PGlite on the main thread (issue 10):
//   latency      one point read (`SELECT ... FROM users WHERE id = $1`) and one 100-row page, in
//                sequence, through each: the cost of crossing the thread boundary
//   event loop   how often a 5 ms timer fires while one 2-second statement runs: 0 on the main
//                thread (the process is stopped), ~400 with the worker
// Uses the build (`npm run build` first); in-memory databases, nothing is written to disk.
//
//   node bench/embedded.mjs [--users 10000] [--reads 2000]
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/common.mjs';

const require = createRequire(import.meta.url);
const { PGlite } = require('@electric-sql/pglite');
const { PGliteWorker } = require(join(REPO_ROOT, 'dist/api/libs/db/src/pglite-worker.js'));

const { values } = parseArgs({
  options: { users: { type: 'string', default: '10000' }, reads: { type: 'string', default: '2000' } },
});
const USERS = Number(values.users);
const READS = Number(values.reads);

async function seed(db) {
  await db.exec(`CREATE TABLE users (id uuid PRIMARY KEY, user_name text, doc jsonb, created timestamptz)`);
  await db.query(
    `INSERT INTO users SELECT md5('u' || i)::uuid, 'user' || i, jsonb_build_object('userName', 'user' || i, 'title', 'T' || i), now()
     FROM generate_series(1, $1::int) i`,
    [USERS],
  );
}

async function latency(db, sql, params) {
  const samples = [];
  for (let i = 0; i < READS; i++) {
    const started = process.hrtime.bigint();
    await db.query(sql, params(i));
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(3);
  return { p50: at(0.5), p99: at(0.99) };
}

async function ticksDuring(db) {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await db.query('SELECT pg_sleep(2)');
  clearInterval(timer);
  return ticks;
}

const direct = await PGlite.create('memory://');
const worker = await PGliteWorker.open('memory://');
for (const db of [direct, worker]) await seed(db);
/** The id seed() gave user i (md5 of 'u<i>' read as a uuid). */
const byId = (i) => [
  createHash('md5')
    .update(`u${(i % USERS) + 1}`)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
];
const rows = [];
for (const [name, db] of [
  ['main thread', direct],
  ['worker', worker],
]) {
  const point = await latency(db, 'SELECT id::text, user_name, doc, created FROM users WHERE id = $1', byId);
  const page = await latency(
    db,
    'SELECT id::text, user_name, doc, created FROM users ORDER BY created, id LIMIT 100 OFFSET $1',
    (i) => [i % 1000],
  );
  rows.push({ name, point, page, ticks: await ticksDuring(db) });
}
console.log(`PGlite, ${USERS} users, ${READS} sequential reads each`);
console.log(
  '| PGlite on | point read p50 / p99 ms | 100-row page p50 / p99 ms | 5 ms timer ticks during a 2 s statement |',
);
console.log('|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.point.p50} / ${r.point.p99} | ${r.page.p50} / ${r.page.p99} | ${r.ticks} |`);
}
await worker.close();
await direct.close();
