// Shared helpers of the load benchmarks: the built server as a child process, PostgreSQL
// databases for the runs, bounded autocannon runs, memory sampling and result files.
// Everything here talks to loopback addresses only, and every load run is bounded in time and
// connections (see MAX_DURATION_S and MAX_CONNECTIONS).
import { Buffer } from 'node:buffer';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const autocannon = require('autocannon');

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
export const MAX_DURATION_S = 20;
export const MAX_CONNECTIONS = 16;
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The benchmarks' realistic user: names, one email, enterprise attributes (bench/seed.mjs seeds the same by SQL). */
export function benchUser(prefix, i) {
  const userName = `${prefix}-${i}@example.com`;
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    userName,
    externalId: `${prefix}-ext-${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}`, formatted: `Given${i} Family${i}` },
    displayName: `Given${i} Family${i}`,
    active: true,
    emails: [{ value: userName, type: 'work', primary: true }],
    [ENTERPRISE_SCHEMA]: { employeeNumber: String(i), department: `Department ${i % 50}` },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Refuses anything but a loopback address: benchmarks never reach another machine. */
export function assertLoopback(url, what) {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) {
    throw new Error(`${what} must be on loopback (127.0.0.1, localhost or ::1), not ${host}`);
  }
}

/** postgresql://postgres@127.0.0.1:5432/postgres unless BENCH_ADMIN_URL says otherwise. */
export function adminUrl() {
  const url = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  assertLoopback(url, 'BENCH_ADMIN_URL');
  return url;
}

export function databaseUrl(name) {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function checkDatabaseName(name) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`Database name "${name}" must be lower-case letters, digits and _`);
  }
  return name;
}

export async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

export async function databaseExists(name) {
  const admin = await connect(adminUrl());
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [checkDatabaseName(name)]);
    return rowCount > 0;
  } finally {
    await admin.end();
  }
}

export async function recreateDatabase(name) {
  checkDatabaseName(name);
  const admin = await connect(adminUrl());
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

/**
 * Where the built application lives: `npm run build` writes it to <repo>/dist. BENCH_APP_ROOT
 * (or --app-root) may name a copy of the repository's dist/ and prisma/ folders, so that a
 * long run is not disturbed by someone rebuilding dist/ meanwhile.
 */
export function appRoot(option) {
  const root = resolve(option ?? process.env.BENCH_APP_ROOT ?? REPO_ROOT);
  const main = join(root, 'dist', 'api', 'apps', 'api', 'src', 'main.js');
  if (!existsSync(main)) {
    throw new Error(`${main} does not exist: run \`npm run build\` first`);
  }
  return root;
}

export function serverMain(root) {
  return join(root, 'dist', 'api', 'apps', 'api', 'src', 'main.js');
}

/** Applies prisma/migrations with the project's own migrator, from the built dist. */
export async function migrateDatabase(root, url) {
  const { migrate } = require(join(root, 'dist', 'api', 'libs', 'db', 'src', 'migrator.js'));
  const { pgRunner } = require(join(root, 'dist', 'api', 'libs', 'db', 'src', 'sql-runner.js'));
  const runner = await pgRunner(url);
  try {
    return await migrate(runner);
  } finally {
    await runner.close();
  }
}

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `node dist/api/apps/api/src/main.js` on a free loopback port against `database`, and
 * waits until it answers. The child is the Node process itself, so its pid is the one whose
 * memory is read.
 */
export async function startServer({ root, database, env = {}, nodeArgs = [] }) {
  const port = await freePort();
  const token = randomBytes(20).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...nodeArgs, serverMain(root)], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl(database),
      SCIM_ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(`The server exited during start-up:\n${output}`);
    }
    try {
      const res = await globalThis.fetch(`${url}/v2/ServiceProviderConfig`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The server did not answer within 60 s:\n${output}`);
    }
    await sleep(200);
  }
  return {
    url,
    token,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (exited) {
        return;
      }
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeoutUnref(() => child.kill('SIGKILL'), 15_000);
      await done;
      globalThis.clearTimeout(timer);
    },
  };
}

function setTimeoutUnref(fn, ms) {
  const timer = globalThis.setTimeout(fn, ms);
  timer.unref();
  return timer;
}

/** One HTTP request to the server, with the admin token; JSON bodies are sent as application/scim+json. */
export async function request(server, method, path, body, headers = {}) {
  const started = process.hrtime.bigint();
  const res = await globalThis.fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let json;
  if (text && /json/.test(res.headers.get('content-type') ?? '')) {
    json = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, text, json, ms, bytes: Buffer.byteLength(text) };
}

/** Resident memory of a process, from /proc/<pid>/status, in MiB (VmRSS now, VmHWM the peak). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: round(kb('VmRSS') / 1024, 1), hwmMiB: round(kb('VmHWM') / 1024, 1) };
}

/** Samples VmRSS every `intervalMs` until stopped; reports the highest value seen. */
export function sampleMemory(pid, intervalMs = 250) {
  let max = 0;
  let samples = 0;
  const take = () => {
    try {
      max = Math.max(max, memoryOf(pid).rssMiB);
      samples += 1;
    } catch {
      // the process is gone
    }
  };
  take();
  const timer = globalThis.setInterval(take, intervalMs);
  return {
    stop() {
      globalThis.clearInterval(timer);
      take();
      return { maxRssMiB: max, samples };
    },
  };
}

/**
 * One bounded autocannon run against the server, with the server's memory sampled meanwhile.
 * `requests` follows autocannon's option of that name.
 */
export async function load(server, { title, connections, duration, requests, timeout = MAX_DURATION_S }) {
  if (!(connections >= 1 && connections <= MAX_CONNECTIONS)) {
    throw new Error(`connections must be 1..${MAX_CONNECTIONS}, got ${connections}`);
  }
  if (!(duration > 0 && duration <= MAX_DURATION_S)) {
    throw new Error(`duration must be 1..${MAX_DURATION_S} s, got ${duration}`);
  }
  assertLoopback(server.url, 'The server');
  const memory = sampleMemory(server.pid);
  // autocannon's own histogram keeps whole milliseconds; its 'response' event has the exact time.
  const times = [];
  const result = await new Promise((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        title,
        connections,
        duration,
        timeout,
        headers: { authorization: `Bearer ${server.token}` },
        requests,
      },
      (error, done) => (error ? reject(error) : resolveRun(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        times.push(responseTime);
      }
    });
  });
  const { maxRssMiB } = memory.stop();
  await sleep(2000);
  const after = memoryOf(server.pid);
  const total = result.requests.total;
  return {
    title,
    connections,
    durationS: result.duration,
    requests: total,
    rps: round(total / result.duration, 1),
    latencyMs: latencySummary(times),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
    rssMiB: { maxDuring: maxRssMiB, after: after.rssMiB, peakSinceStart: after.hwmMiB },
    // Other work on the machine shows here: the figures are only as quiet as the machine was.
    loadAverage1m: round(os.loadavg()[0], 2),
  };
}

/** Percentiles (nearest rank) of successful responses' times, in ms with two decimals. */
export function latencySummary(times) {
  if (!times.length) {
    return { count: 0 };
  }
  const sorted = Float64Array.from(times).sort();
  const at = (p) => round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)], 2);
  return {
    count: sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: round(sorted[sorted.length - 1], 2),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 2),
  };
}

export const MEMORY_PROBE = pathToFileURL(join(REPO_ROOT, 'bench', 'lib', 'memory-probe.mjs')).href;

/** Highest value of each field the memory probe wrote between `from` and `to` (ms since epoch). */
export function probePeaks(file, from, to) {
  if (!file || !existsSync(file)) {
    return undefined;
  }
  const peaks = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) {
      continue;
    }
    const sample = JSON.parse(line);
    if (sample.t < from || sample.t > to) {
      continue;
    }
    for (const [key, value] of Object.entries(sample)) {
      if (key !== 't') {
        peaks[key] = Math.max(peaks[key] ?? 0, value);
      }
    }
  }
  return peaks;
}

export function randomItem(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** What the figures were measured on. */
export async function machine(databaseUrlForVersion) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const client = await connect(databaseUrlForVersion ?? adminUrl());
  let postgres;
  try {
    postgres = (await client.query('SELECT version() AS v')).rows[0].v;
  } finally {
    await client.end();
  }
  return {
    nproc: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    cpuModel: model,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
  };
}

/** Prints the summary as JSON and appends it as one line to bench/results/<name>.jsonl. */
export function report(name, summary) {
  const text = JSON.stringify(summary, null, 2);
  process.stdout.write(`${text}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.jsonl`);
  appendFileSync(file, `${JSON.stringify(summary)}\n`);
  process.stderr.write(`appended to ${file}\n`);
}

/** The commit and whether the working tree differs from it, for the record. */
export function revision(root) {
  const file = join(root, 'REVISION');
  if (existsSync(file)) {
    return readFileSync(file, 'utf8').trim().split('\n')[0];
  }
  try {
    // A git worktree's .git is a file, not a directory: ask git.
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    // no git here; read .git/HEAD below
  }
  try {
    const head = readFileSync(join(REPO_ROOT, '.git', 'HEAD'), 'utf8').trim();
    if (head.startsWith('ref: ')) {
      return readFileSync(join(REPO_ROOT, '.git', head.slice(5)), 'utf8').trim();
    }
    return head;
  } catch {
    return 'unknown';
  }
}

export function log(message) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Runs `main`, and on Ctrl-C or failure still runs the registered clean-ups (servers, clients). */
export async function run(main) {
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()();
      } catch (error) {
        log(`clean-up failed: ${error.message}`);
      }
    }
  };
  process.once('SIGINT', () => {
    log('interrupted');
    void cleanup().then(() => process.exit(130));
  });
  try {
    await main((fn) => cleanups.push(fn));
    await cleanup();
  } catch (error) {
    await cleanup();
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  }
}
