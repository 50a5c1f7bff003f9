#!/usr/bin/env node
// Users under load, at several directory sizes (default 10k and 1M users), on PostgreSQL,
// against the built server (`npm run build` first):
//   get-by-id            GET /v2/Users/{random id}
//   filter-eq            GET /v2/Users?filter=userName eq "<random existing, lower-cased>"
//   filter-eq-1conn      the same with one connection: latency without queueing
//   page-index           GET /v2/Users?count=100&startIndex=<random>   (deep OFFSET is inherently slow)
//   page-cursor-walk     GET /v2/Users?count=100&cursor=... following nextCursor from the first page
//   page-cursor-deep     GET /v2/Users?count=100&cursor=<cursor at a random position>
//   patch-replace        PATCH /v2/Users/{random id} replace nickName
// Each run is bounded (duration <= 20 s, connections <= 16) and preceded by a short warm-up; the
// server's RSS is sampled from /proc/<pid>/status during and read again after each run.
// Targets (issue 3 point 8): filter-eq p50 at 1M within 1.5x of its p50 at 10k; RSS < 300 MB at 1M.
//
//   node bench/users.mjs [--sizes 10000,1000000] [--duration 15] [--connections 10] [--warmup 3]
//                        [--fresh] [--only filter-eq,get-by-id] [--app-root DIR] [--label TEXT]
import { Buffer } from 'node:buffer';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  appRoot,
  connect,
  databaseUrl,
  load,
  log,
  machine,
  MEMORY_PROBE,
  memoryOf,
  PATCH_SCHEMA,
  probePeaks,
  randomItem,
  report,
  request,
  RESULTS_DIR,
  revision,
  round,
  run,
  startServer,
} from './lib/common.mjs';
import { prepareDatabase } from './seed.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,1000000' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    fresh: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    'app-root': { type: 'string' },
    label: { type: 'string', default: '' },
    // Diagnostics: V8 flags for the server (e.g. "--max-semi-space-size=4"), and a preloaded
    // probe that splits RSS into heap / external / array buffers (bench/lib/memory-probe.mjs).
    'node-args': { type: 'string', default: '' },
    // Extra environment for the server, KEY=VALUE[,KEY=VALUE] (e.g. MALLOC_ARENA_MAX=2).
    'server-env': { type: 'string', default: '' },
    'probe-memory': { type: 'boolean', default: false },
  },
});

const POOL = 20_000;
const TARGET_FILTER_RATIO = 1.5;
const TARGET_RSS_MIB = 300;

/** Random existing users to aim at: id, userName and created (for cursors). */
async function userPool(database) {
  const client = await connect(databaseUrl(database));
  try {
    const { rows } = await client.query(
      `SELECT id::text AS id, user_name::text AS "userName", created FROM users ORDER BY random() LIMIT $1`,
      [POOL],
    );
    return rows.map((r) => ({ ...r, created: r.created.toISOString() }));
  } finally {
    await client.end();
  }
}

function expect(condition, message) {
  if (!condition) {
    throw new Error(`Pre-flight check failed: ${message}`);
  }
}

/**
 * A cursor positioned just after `user`, made from one the server issued for the same query: the
 * server's cursor is base64url JSON, and only its key (k) and id (i) change. Checked against the
 * server before use; a server whose cursors look different makes the deep-cursor run skip.
 */
function cursorMaker(issued) {
  let state;
  try {
    state = JSON.parse(Buffer.from(issued, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!state || typeof state !== 'object' || !('k' in state) || !('i' in state)) {
    return undefined;
  }
  return (user) =>
    Buffer.from(JSON.stringify({ ...state, k: user.created, i: user.id, t: Math.floor(Date.now() / 1000) })).toString(
      'base64url',
    );
}

function scenarios(size, pool, makeCursor, connections) {
  const auth = (server) => ({ authorization: `Bearer ${server.token}` });
  const get = (path) => (server) => [
    {
      method: 'GET',
      headers: auth(server),
      setupRequest: (req) => ({ ...req, path: path() }),
    },
  ];
  const filterPath = () =>
    `/v2/Users?filter=${encodeURIComponent(`userName eq "${randomItem(pool).userName.toLowerCase()}"`)}`;
  const walk = (server) =>
    // autocannon resets a connection's context when it wraps around its request list; a long list
    // of the same request keeps each connection on its own walk for the whole run.
    Array.from({ length: 5000 }, () => ({
      method: 'GET',
      headers: auth(server),
      setupRequest: (req, context) => ({
        ...req,
        path: `/v2/Users?count=100&cursor=${encodeURIComponent(context.cursor ?? '')}`,
      }),
      onResponse: (status, body, context) => {
        context.cursor = status === 200 ? (JSON.parse(body).nextCursor ?? '') : '';
      },
    }));
  const list = [
    { name: 'get-by-id', connections, requests: get(() => `/v2/Users/${randomItem(pool).id}`) },
    { name: 'filter-eq', connections, requests: get(filterPath) },
    { name: 'filter-eq-1conn', connections: 1, requests: get(filterPath) },
    {
      name: 'page-index',
      connections,
      requests: get(() => `/v2/Users?count=100&startIndex=${1 + Math.floor(Math.random() * Math.max(1, size - 99))}`),
    },
    { name: 'page-cursor-walk', connections, requests: walk },
    makeCursor
      ? {
          name: 'page-cursor-deep',
          connections,
          requests: get(() => `/v2/Users?count=100&cursor=${encodeURIComponent(makeCursor(randomItem(pool)))}`),
        }
      : { name: 'page-cursor-deep', skip: 'the server issued a cursor this benchmark cannot position' },
    {
      name: 'patch-replace',
      connections,
      requests: (server) => [
        {
          method: 'PATCH',
          headers: { ...auth(server), 'content-type': 'application/scim+json' },
          setupRequest: (req) => ({
            ...req,
            path: `/v2/Users/${randomItem(pool).id}`,
            body: JSON.stringify({
              schemas: [PATCH_SCHEMA],
              Operations: [
                { op: 'replace', path: 'nickName', value: `nick-${Math.random().toString(36).slice(2, 10)}` },
              ],
            }),
          }),
        },
      ],
    },
  ];
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  return only ? list.filter((s) => only.has(s.name)) : list;
}

/** Every request shape answers correctly before it is measured. */
async function preflight(server, size, pool) {
  const user = pool[0];
  const byId = await request(server, 'GET', `/v2/Users/${user.id}`);
  expect(byId.status === 200 && byId.json.userName === user.userName, `GET by id answered ${byId.status}`);
  const filter = await request(
    server,
    'GET',
    `/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName.toUpperCase()}"`)}`,
  );
  expect(
    filter.status === 200 && filter.json.totalResults === 1,
    `filter answered ${filter.status} ${filter.text.slice(0, 200)}`,
  );
  const page = await request(server, 'GET', `/v2/Users?count=100&startIndex=${Math.max(1, size - 150)}`);
  expect(page.status === 200 && page.json.Resources.length === 100, `page answered ${page.status}`);
  const first = await request(server, 'GET', '/v2/Users?count=100&cursor=');
  expect(first.status === 200 && typeof first.json.nextCursor === 'string', `cursor page answered ${first.status}`);
  let makeCursor = cursorMaker(first.json.nextCursor);
  if (makeCursor) {
    // The page after the 100th user must start with the 101st, as the server's own cursor says.
    const made = makeCursor({ id: first.json.Resources[99].id, created: first.json.Resources[99].meta.created });
    const [ours, theirs] = await Promise.all([
      request(server, 'GET', `/v2/Users?count=100&cursor=${encodeURIComponent(made)}`),
      request(server, 'GET', `/v2/Users?count=100&cursor=${encodeURIComponent(first.json.nextCursor)}`),
    ]);
    if (!(
      ours.status === 200 &&
      theirs.status === 200 &&
      ours.json.Resources[0]?.id === theirs.json.Resources[0]?.id
    )) {
      log(`positioned cursors do not match the server's (${ours.status}): page-cursor-deep will be skipped`);
      makeCursor = undefined;
    }
  }
  const patch = await request(server, 'PATCH', `/v2/Users/${user.id}`, {
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: 'replace', path: 'nickName', value: 'preflight' }],
  });
  expect(patch.status === 200 && patch.json.nickName === 'preflight', `PATCH answered ${patch.status}`);
  return { makeCursor };
}

async function measureSize(root, size, options, onCleanup) {
  const database = `roster_bench_users_${size}`;
  const seeded = await prepareDatabase({ root, database, users: size, fresh: options.fresh });
  const pool = await userPool(database);
  const nodeArgs = options.nodeArgs ? options.nodeArgs.split(/\s+/) : [];
  const probeFile = options.probeMemory ? join(RESULTS_DIR, `memory-probe-${size}-${Date.now()}.jsonl`) : undefined;
  if (probeFile) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    nodeArgs.push('--import', MEMORY_PROBE);
  }
  const env = Object.fromEntries(
    options.serverEnv ? options.serverEnv.split(',').map((kv) => kv.split(/=(.*)/s).slice(0, 2)) : [],
  );
  if (probeFile) {
    env.BENCH_MEMORY_PROBE_FILE = probeFile;
  }
  const server = await startServer({ root, database, nodeArgs, env });
  onCleanup(() => server.stop());
  const idle = memoryOf(server.pid);
  log(`${size} users: server pid ${server.pid} on ${server.url}, RSS ${idle.rssMiB} MiB at start`);
  const { makeCursor } = await preflight(server, size, pool);
  const results = {};
  for (const scenario of scenarios(size, pool, makeCursor, options.connections)) {
    if (scenario.skip) {
      results[scenario.name] = { skipped: scenario.skip };
      continue;
    }
    if (options.warmup > 0) {
      await load(server, {
        title: `${scenario.name} warm-up`,
        connections: scenario.connections,
        duration: options.warmup,
        requests: scenario.requests(server),
      });
    }
    const from = Date.now();
    const result = await load(server, {
      title: scenario.name,
      connections: scenario.connections,
      duration: options.duration,
      requests: scenario.requests(server),
    });
    if (probeFile) {
      result.memoryProbeMiB = probePeaks(probeFile, from, Date.now());
    }
    results[scenario.name] = result;
    log(
      `${size} ${scenario.name}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
        `non-2xx ${result.non2xx}, errors ${result.errors}, RSS max ${result.rssMiB.maxDuring} MiB`,
    );
  }
  const end = memoryOf(server.pid);
  await server.stop();
  return {
    users: size,
    database,
    seedSeconds: seeded.seedSeconds,
    rssMiB: { atStart: idle.rssMiB, atEnd: end.rssMiB, peak: end.hwmMiB },
    scenarios: results,
  };
}

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  const sizes = values.sizes.split(',').map(Number);
  const options = {
    duration: Number(values.duration),
    connections: Number(values.connections),
    warmup: Number(values.warmup),
    fresh: values.fresh,
    nodeArgs: values['node-args'],
    probeMemory: values['probe-memory'],
    serverEnv: values['server-env'],
  };
  const startedAt = new Date().toISOString();
  const bySize = [];
  for (const size of sizes) {
    bySize.push(await measureSize(root, size, options, onCleanup));
  }
  const smallest = bySize[0];
  const largest = bySize[bySize.length - 1];
  const p50 = (entry) => entry.scenarios['filter-eq']?.latencyMs?.p50;
  const ratio = p50(smallest) && p50(largest) ? round(p50(largest) / p50(smallest), 2) : null;
  const maxRss = Math.max(
    largest.rssMiB.peak,
    ...Object.values(largest.scenarios).map((s) => s.rssMiB?.maxDuring ?? 0),
  );
  report('users', {
    script: 'bench/users.mjs',
    label: values.label,
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options: { ...options, sizes },
    results: bySize,
    targets: {
      filterEqP50Ratio: {
        target: `p50(filter-eq @ ${largest.users}) <= ${TARGET_FILTER_RATIO} x p50(filter-eq @ ${smallest.users})`,
        value: ratio,
        met: ratio !== null && ratio <= TARGET_FILTER_RATIO,
      },
      rss: {
        target: `RSS < ${TARGET_RSS_MIB} MiB at ${largest.users} users`,
        valueMiB: maxRss,
        met: maxRss < TARGET_RSS_MIB,
      },
    },
  });
});
