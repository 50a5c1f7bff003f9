#!/usr/bin/env node
// Bulk ingest of new users through POST /v2/Bulk of the built server on PostgreSQL (issue 12 item 9,
// target >= 20,000 users/s), and what the change events cost it (issue 14, target <= 10 %).
//
// Each round creates --users users on a fresh database in Bulk requests of --batch creations,
// --concurrency requests in flight, first with the events written as Roster writes them, then
// (alternating which goes first) with a rule that turns every INSERT into `events` into nothing
// (`CREATE RULE ... DO INSTEAD NOTHING`): the same requests, the same statements sent, but the
// database stores no event row. The difference is what the event rows cost in the database; what
// building them costs in the server is in both and shows in its CPU profile.
//
//   npm run build
//   node bench/bulk.mjs [--users 100000] [--batch 1000] [--concurrency 4] [--rounds 2]
//                       [--npm-start] [--events-only] [--app-root DIR] [--label TEXT] [--cpu-prof DIR]
//
// Reported per run: users/s, Bulk request p50/p95, server CPU ms per 1,000 users (utime + stime
// from /proc), RSS peak, load average. Results go to bench/results/bulk.jsonl.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  appRoot,
  benchUser,
  connect,
  databaseUrl,
  log,
  machine,
  median,
  migrateDatabase,
  recreateDatabase,
  report,
  revision,
  round,
  run,
  sampleMemory,
  startServer,
} from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    'npm-start': { type: 'boolean', default: false },
    'events-only': { type: 'boolean', default: false },
    'app-root': { type: 'string' },
    label: { type: 'string', default: '' },
    'cpu-prof': { type: 'string' },
  },
});

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const DB = 'roster_bench_bulk_ingest';
const CLOCK_TICKS = 100;
const users = Number(values.users);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
if (!Number.isInteger(users) || users < 1000 || users > 1_000_000) {
  throw new Error('--users must be 1000..1000000');
}
if (!Number.isInteger(batch) || batch < 1 || batch > 1000) {
  throw new Error('--batch must be 1..1000');
}
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
  throw new Error('--concurrency must be 1..16');
}
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  throw new Error('--rounds must be 1..10');
}

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

const user = benchUser;

function bodies(prefix) {
  const list = [];
  for (let from = 0; from < users; from += batch) {
    const operations = [];
    for (let i = from; i < Math.min(users, from + batch); i++) {
      operations.push({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: user(prefix, i) });
    }
    list.push({ size: operations.length, text: JSON.stringify({ schemas: [BULK_REQUEST], Operations: operations }) });
  }
  return list;
}

async function ingest(server, prefix) {
  const work = bodies(prefix);
  const latencies = [];
  let created = 0;
  let failed = 0;
  let next = 0;
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' };
  const worker = async () => {
    for (let item = work[next++]; item; item = work[next++]) {
      const started = performance.now();
      const res = await globalThis.fetch(`${server.url}/v2/Bulk`, { method: 'POST', headers, body: item.text });
      const answer = await res.json();
      latencies.push(performance.now() - started);
      if (res.status !== 200) {
        throw new Error(`POST /v2/Bulk answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      for (const operation of answer.Operations) {
        if (operation.status === '201') {
          created++;
        } else {
          failed++;
        }
      }
    }
  };
  const cpuBefore = cpuMs(server.pid);
  const memory = sampleMemory(server.pid);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMs(server.pid) - cpuBefore;
  const { maxRssMiB } = memory.stop();
  latencies.sort((a, b) => a - b);
  const pick = (p) => round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))], 1);
  return {
    created,
    failed,
    seconds: round(seconds, 2),
    usersPerSecond: Math.round(created / seconds),
    requestMs: { p50: pick(50), p95: pick(95) },
    cpuMsPer1000: round((cpu / Math.max(1, created)) * 1000, 1),
    rssMaxMiB: maxRssMiB,
    loadAverage1m: round(os.loadavg()[0], 2),
  };
}

/** A fresh database each run, so every run inserts into the same (empty) tables and indexes. */
async function fresh(root, withEvents) {
  await recreateDatabase(DB);
  await migrateDatabase(root, databaseUrl(DB));
  if (!withEvents) {
    const client = await connect(databaseUrl(DB));
    try {
      await client.query('CREATE RULE bench_no_events AS ON INSERT TO events DO INSTEAD NOTHING');
    } finally {
      await client.end();
    }
  }
}

async function eventRows() {
  const client = await connect(databaseUrl(DB));
  try {
    return Number((await client.query('SELECT count(*) AS n FROM events')).rows[0].n);
  } finally {
    await client.end();
  }
}

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  const startedAt = new Date().toISOString();
  const env = {
    BULK_MAX_OPERATIONS: String(Math.max(batch, 1000)),
    BULK_MAX_PAYLOAD_SIZE: String(8 * 1024 * 1024),
  };
  // What `npm start` adds (scripts/start.mjs): a bounded old generation.
  const nodeArgs = [
    ...(values['npm-start'] ? ['--max-old-space-size=128'] : []),
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
  ];
  const runs = { events: [], noEvents: [] };
  for (let r = 0; r < rounds; r++) {
    const order = values['events-only'] ? [true] : r % 2 === 0 ? [true, false] : [false, true];
    for (const withEvents of order) {
      await fresh(root, withEvents);
      const server = await startServer({ root, database: DB, env, nodeArgs });
      onCleanup(() => server.stop());
      const result = await ingest(server, `r${r}${withEvents ? 'e' : 'n'}`);
      await server.stop();
      result.eventRows = await eventRows();
      (withEvents ? runs.events : runs.noEvents).push(result);
      log(
        `round ${r + 1} ${withEvents ? 'with events' : 'without events'}: ${result.usersPerSecond} users/s, ` +
          `request p50 ${result.requestMs.p50} ms, p95 ${result.requestMs.p95} ms, CPU ${result.cpuMsPer1000} ms/1000 users, ` +
          `RSS max ${result.rssMaxMiB} MiB, ${result.eventRows} event rows, load ${result.loadAverage1m}`,
      );
      if (result.failed) {
        throw new Error(`${result.failed} creations failed`);
      }
    }
  }
  const med = (list, pick) => median(list.map(pick));
  const summary = {
    withEvents: {
      usersPerSecond: med(runs.events, (x) => x.usersPerSecond),
      requestP50: med(runs.events, (x) => x.requestMs.p50),
      cpuMsPer1000: med(runs.events, (x) => x.cpuMsPer1000),
    },
    ...(runs.noEvents.length
      ? {
          withoutEvents: {
            usersPerSecond: med(runs.noEvents, (x) => x.usersPerSecond),
            requestP50: med(runs.noEvents, (x) => x.requestMs.p50),
            cpuMsPer1000: med(runs.noEvents, (x) => x.cpuMsPer1000),
          },
        }
      : {}),
  };
  if (summary.withoutEvents) {
    summary.eventShareOfRequestP50 = round(summary.withEvents.requestP50 / summary.withoutEvents.requestP50 - 1, 3);
  }
  log(JSON.stringify(summary));
  report('bulk', {
    script: 'bench/bulk.mjs',
    label: values.label,
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options: { users, batch, concurrency, rounds, npmStart: values['npm-start'] },
    summary,
    runs,
  });
});
