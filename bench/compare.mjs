#!/usr/bin/env node
// Roster side by side with a bare Fastify 5 + `pg` server (bench/bare-server.mjs) on the same
// PostgreSQL database, in interleaved rounds (issue 12 item 9). Per scenario and server: req/s,
// p50/p99, CPU per request (utime + stime of the server process from /proc/<pid>/stat, over the
// measured run) and the ratio Roster / bare; the machine's load average per run. Roster is called
// with an API token, as Entra ID and Okta call it.
//
//   get-by-id    GET /v2/Users/{random id}
//   filter-eq    GET /v2/Users?filter=userName eq "<random existing>"
//   patch        PATCH /v2/Users/{random id} replace nickName
//   list-100     GET /v2/Users?count=100&startIndex=<random>
//
//   npm run build
//   node bench/compare.mjs [--users 10000] [--duration 5] [--rounds 1] [--warmup 1] [--connections 16]
//                          [--only get-by-id,patch] [--fresh] [--no-verify] [--app-root DIR] [--label TEXT]
//                          [--db roster_bench_...] [--npm-start]
//
// --npm-start runs Roster's Node process with the flags `npm start` gives it (scripts/start.mjs:
// a bounded heap, two malloc arenas), so that its RSS is the one an operator gets.
//
// The database is roster_bench_compare_<users>, seeded by SQL (bench/seed.mjs) and reused while
// it has the right number of users.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  appRoot,
  connect,
  databaseUrl,
  freePort,
  load,
  log,
  machine,
  MAX_CONNECTIONS,
  median,
  PATCH_SCHEMA,
  randomItem,
  report,
  REPO_ROOT,
  request,
  revision,
  round,
  run,
  startServer,
} from './lib/common.mjs';
import { serviceEnv, serviceNodeArgs } from '../scripts/lib/service-runtime.mjs';
import { prepareDatabase } from './seed.mjs';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: String(MAX_CONNECTIONS) },
    only: { type: 'string', default: '' },
    fresh: { type: 'boolean', default: false },
    'no-verify': { type: 'boolean', default: false },
    'app-root': { type: 'string' },
    label: { type: 'string', default: '' },
    // Another build (e.g. the commit before a change) needs its own database: its migrations differ.
    db: { type: 'string' },
    'npm-start': { type: 'boolean', default: false },
  },
});

const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux
const POOL = 20_000;

/** CPU time (user + system) of a process so far, in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function startBare(database, publicUrl) {
  const port = await freePort();
  const token = randomBytes(20).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'bare-server.mjs')], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl(database),
      BENCH_TOKEN: token,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      throw new Error(`The bare server exited during start-up:\n${output}`);
    }
    try {
      const res = await globalThis.fetch(`${url}/v2/Users?count=0`, { headers: { authorization: `Bearer ${token}` } });
      if (res.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The bare server did not answer within 30 s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    token,
    pid: child.pid,
    async stop() {
      if (exited) {
        return;
      }
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** An API token for Roster, created through its management API with the admin token. */
async function apiToken(server) {
  const res = await request(
    server,
    'POST',
    '/admin/tokens',
    { name: 'bench-compare', scope: 'scim.read scim.write' },
    {
      'content-type': 'application/json',
    },
  );
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`POST /admin/tokens answered ${res.status}: ${res.text}`);
  }
  return res.json.token;
}

async function userPool(database) {
  const client = await connect(databaseUrl(database));
  try {
    const { rows } = await client.query(
      `SELECT id::text AS id, user_name::text AS "userName" FROM users ORDER BY random() LIMIT $1`,
      [POOL],
    );
    return rows;
  } finally {
    await client.end();
  }
}

function scenarios(size, pool) {
  const get = (path) => (server) => [
    {
      method: 'GET',
      headers: { authorization: `Bearer ${server.token}` },
      setupRequest: (req) => ({ ...req, path: path() }),
    },
  ];
  const list = [
    { name: 'get-by-id', requests: get(() => `/v2/Users/${randomItem(pool).id}`) },
    {
      name: 'filter-eq',
      requests: get(
        () => `/v2/Users?filter=${encodeURIComponent(`userName eq "${randomItem(pool).userName.toLowerCase()}"`)}`,
      ),
    },
    {
      name: 'patch',
      requests: (server) => [
        {
          method: 'PATCH',
          headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' },
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
    {
      name: 'list-100',
      requests: get(() => `/v2/Users?count=100&startIndex=${1 + Math.floor(Math.random() * Math.max(1, size - 99))}`),
    },
  ];
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  return only ? list.filter((s) => only.has(s.name)) : list;
}

/** Both servers give the same JSON for the same request, so the comparison is of equal work. */
async function preflight(roster, bare, pool) {
  const user = pool[0];
  const same = async (path, method = 'GET', body) => {
    const a = await request(roster, method, path, body);
    const b = await request(bare, method, path, body);
    if (a.status !== 200 || b.status !== 200) {
      throw new Error(
        `${method} ${path}: Roster ${a.status}, bare ${b.status}: ${a.text.slice(0, 200)} ${b.text.slice(0, 200)}`,
      );
    }
    const strip = (json) =>
      JSON.parse(JSON.stringify(json, (k, v) => (k === 'lastModified' || k === 'version' ? undefined : v)));
    if (JSON.stringify(sortKeys(strip(a.json))) !== JSON.stringify(sortKeys(strip(b.json)))) {
      throw new Error(
        `${method} ${path}: the responses differ:\nRoster ${a.text.slice(0, 600)}\nbare   ${b.text.slice(0, 600)}`,
      );
    }
  };
  await same(`/v2/Users/${user.id}`);
  await same(`/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName.toUpperCase()}"`)}`);
  await same('/v2/Users?count=100&startIndex=11');
  const patch = { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'nickName', value: 'preflight' }] };
  await same(`/v2/Users/${user.id}`, 'PATCH', patch);
}

function sortKeys(value) {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

async function measure(server, scenario, options) {
  if (options.warmup > 0) {
    await load(server, {
      title: `${scenario.name} warm-up`,
      connections: options.connections,
      duration: options.warmup,
      requests: scenario.requests(server),
    });
  }
  const before = cpuMs(server.pid);
  const result = await load(server, {
    title: scenario.name,
    connections: options.connections,
    duration: options.duration,
    requests: scenario.requests(server),
  });
  // load() waits 2 s after the run for memory to settle; the idle server spends next to no CPU then.
  const cpu = cpuMs(server.pid) - before;
  const ok = result.requests - result.non2xx;
  return {
    rps: result.rps,
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    cpuMsPerRequest: ok > 0 ? round(cpu / ok, 3) : null,
    requests: result.requests,
    non2xx: result.non2xx,
    errors: result.errors,
    rssMaxMiB: result.rssMiB.maxDuring,
    rssPeakMiB: result.rssMiB.peakSinceStart,
    loadAverage1m: result.loadAverage1m,
  };
}

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  const users = Number(values.users);
  const options = {
    duration: Number(values.duration),
    rounds: Number(values.rounds),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
  };
  if (!Number.isInteger(users) || users < 200 || users > 5_000_000) {
    throw new Error('--users must be 200..5000000');
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1 || options.rounds > 10) {
    throw new Error('--rounds must be 1..10');
  }
  const startedAt = new Date().toISOString();
  const database = values.db ?? `roster_bench_compare_${users}`;
  await prepareDatabase({ root, database, users, fresh: values.fresh, verify: !values['no-verify'] });
  const pool = await userPool(database);

  const admin = await startServer({
    root,
    database,
    nodeArgs: values['npm-start'] ? serviceNodeArgs({ NODE_OPTIONS: '' }) : [],
    env: values['npm-start'] ? { MALLOC_ARENA_MAX: serviceEnv({}).MALLOC_ARENA_MAX } : {},
  });
  onCleanup(() => admin.stop());
  const roster = { ...admin, token: await apiToken(admin) };
  const bare = await startBare(database, admin.url);
  onCleanup(() => bare.stop());
  log(`Roster pid ${roster.pid} on ${roster.url}, bare pid ${bare.pid} on ${bare.url}`);
  await preflight(roster, bare, pool);

  const runs = {};
  for (let r = 0; r < options.rounds; r++) {
    for (const scenario of scenarios(users, pool)) {
      // Alternate which server goes first, so neither always runs on the warmer machine.
      const order = r % 2 === 0 ? ['roster', 'bare'] : ['bare', 'roster'];
      for (const name of order) {
        const result = await measure(name === 'roster' ? roster : bare, scenario, options);
        (runs[scenario.name] ??= { roster: [], bare: [] })[name].push(result);
        log(
          `round ${r + 1} ${scenario.name} ${name}: ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
            `CPU ${result.cpuMsPerRequest} ms/req, non-2xx ${result.non2xx}, load ${result.loadAverage1m}`,
        );
      }
    }
  }

  const summary = {};
  for (const [name, { roster: a, bare: b }] of Object.entries(runs)) {
    const med = (list, key) => median(list.map((x) => x[key]).filter((v) => typeof v === 'number'));
    summary[name] = {
      rosterRps: med(a, 'rps'),
      bareRps: med(b, 'rps'),
      ratio: round(med(a, 'rps') / med(b, 'rps'), 2),
      rosterP50: med(a, 'p50'),
      rosterP99: med(a, 'p99'),
      bareP50: med(b, 'p50'),
      bareP99: med(b, 'p99'),
      rosterCpuMs: med(a, 'cpuMsPerRequest'),
      bareCpuMs: med(b, 'cpuMsPerRequest'),
      rosterRssMaxMiB: Math.max(...a.map((x) => x.rssMaxMiB)),
      loadAverage: [...a, ...b].map((x) => x.loadAverage1m),
    };
  }
  process.stderr.write(
    `\n| scenario | Roster req/s | bare req/s | ratio | Roster p50/p99 ms | bare p50/p99 ms | Roster CPU ms/req | bare CPU ms/req | Roster RSS max MiB | load avg |\n`,
  );
  process.stderr.write(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n`);
  for (const [name, s] of Object.entries(summary)) {
    process.stderr.write(
      `| ${name} | ${s.rosterRps} | ${s.bareRps} | ${s.ratio} | ${s.rosterP50} / ${s.rosterP99} | ${s.bareP50} / ${s.bareP99} | ` +
        `${s.rosterCpuMs} | ${s.bareCpuMs} | ${s.rosterRssMaxMiB} | ${s.loadAverage.join(', ')} |\n`,
    );
  }
  report('compare', {
    script: 'bench/compare.mjs',
    label: values.label,
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options: { ...options, users, npmStart: values['npm-start'] },
    summary,
    runs,
  });
});
