#!/usr/bin/env node
// Seeds N users through POST /v2/Bulk of a running Roster, in requests of up to maxOperations
// creations (and never more than maxPayloadSize bytes), `concurrency` requests at a time, and
// reports users/s. Unlike bench/seed.mjs (SQL straight into the tables), every user goes through
// the API's own write path, so the figure is what an identity provider's import can reach.
//
//   node bench/bulk-seed.mjs <base-url> <token|-> <N> [concurrency] [--max-seconds S] [--prefix P] [--no-verify]
//
// `-` reads the token from ROSTER_TOKEN (keeps it out of the process list). Loopback servers
// only; N is at most 2,000,000 and the run stops after --max-seconds (default 1800), reporting
// what it did by then. With verification (the default) it counts the users afterwards.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchUser } from './lib/common.mjs';

const { fetch } = globalThis;

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const MAX_USERS = 2_000_000;
const MAX_CONCURRENCY = 16;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function fail(message) {
  process.stderr.write(`bulk-seed: ${message}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'max-seconds': { type: 'string', default: '1800' },
    prefix: { type: 'string' },
    'no-verify': { type: 'boolean', default: false },
  },
});
const [baseArg, tokenArg, countArg, concurrencyArg = '2'] = positionals;
if (!baseArg || !tokenArg || !countArg) {
  fail('usage: bulk-seed.mjs <base-url> <token|-> <N> [concurrency] [--max-seconds S] [--prefix P] [--no-verify]');
}
const base = new URL(baseArg);
if (!LOOPBACK.has(base.hostname)) {
  fail(`refusing ${base.hostname}: this benchmark only talks to a server on this machine`);
}
const baseUrl = base.toString().replace(/\/+$/, '');
const token = tokenArg === '-' ? process.env.ROSTER_TOKEN : tokenArg;
if (!token) {
  fail('no token (ROSTER_TOKEN is empty)');
}
const total = Number(countArg);
const concurrency = Number(concurrencyArg);
const maxSeconds = Number(values['max-seconds']);
if (!Number.isInteger(total) || total < 1 || total > MAX_USERS) {
  fail(`N must be an integer from 1 to ${MAX_USERS}`);
}
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
  fail(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
}
if (!Number.isFinite(maxSeconds) || maxSeconds <= 0 || maxSeconds > 7200) {
  fail('--max-seconds must be a number of seconds up to 7200');
}
const prefix = values.prefix ?? `bulk${Date.now().toString(36)}`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };

const user = (i) => benchUser(prefix, i);

/** The body for users [from, to), as JSON; its operations are the bulk's POSTs. */
function body(from, to) {
  const operations = [];
  for (let i = from; i < to; i++) {
    operations.push({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: user(i) });
  }
  return JSON.stringify({ schemas: [BULK_REQUEST], Operations: operations });
}

async function limits() {
  const res = await fetch(`${baseUrl}/v2/ServiceProviderConfig`, { headers });
  if (!res.ok) {
    fail(`GET /v2/ServiceProviderConfig answered ${res.status}`);
  }
  const spc = await res.json();
  if (!spc.bulk?.supported) {
    fail('the server does not advertise bulk support');
  }
  return { maxOperations: spc.bulk.maxOperations, maxPayloadSize: spc.bulk.maxPayloadSize };
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

async function main() {
  const { maxOperations, maxPayloadSize } = await limits();
  const deadline = Date.now() + maxSeconds * 1000;
  let next = 0;
  let created = 0;
  let failed = 0;
  let requests = 0;
  let bytes = 0;
  let timedOut = false;
  const latencies = [];
  const failures = new Map();

  /** The next slice of users, as large as maxOperations and maxPayloadSize allow. */
  function take() {
    if (next >= total) {
      return undefined;
    }
    let size = Math.min(maxOperations, total - next);
    let text = body(next, next + size);
    while (Buffer.byteLength(text) > maxPayloadSize && size > 1) {
      size = Math.floor(size / 2);
      text = body(next, next + size);
    }
    const from = next;
    next += size;
    return { from, size, text };
  }

  async function worker() {
    for (let batch = take(); batch; batch = take()) {
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const started = performance.now();
      const res = await fetch(`${baseUrl}/v2/Bulk`, { method: 'POST', headers, body: batch.text });
      const answer = await res.json();
      latencies.push(performance.now() - started);
      requests++;
      bytes += Buffer.byteLength(batch.text);
      if (res.status !== 200) {
        failed += batch.size;
        failures.set(`HTTP ${res.status}`, (failures.get(`HTTP ${res.status}`) ?? 0) + 1);
        continue;
      }
      for (const operation of answer.Operations) {
        if (operation.status === '201') {
          created++;
        } else {
          failed++;
          const key = `${operation.status} ${operation.response?.detail ?? ''}`.slice(0, 120);
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      }
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;

  let stored;
  if (!values['no-verify']) {
    const filter = encodeURIComponent(`userName sw "${prefix}-"`);
    const res = await fetch(`${baseUrl}/v2/Users?filter=${filter}&count=0`, { headers });
    stored = (await res.json()).totalResults;
  }
  latencies.sort((a, b) => a - b);
  const summary = {
    benchmark: 'bulk-seed',
    baseUrl,
    prefix,
    requested: total,
    created,
    failed,
    stored,
    timedOut,
    concurrency,
    maxOperations,
    requests,
    seconds: Number(seconds.toFixed(2)),
    usersPerSecond: Math.round(created / seconds),
    requestMs: {
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      max: Math.round(latencies[latencies.length - 1] ?? 0),
    },
    megabytesSent: Number((bytes / 1e6).toFixed(1)),
    ...(failures.size ? { failures: Object.fromEntries([...failures].slice(0, 10)) } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.stderr.write(
    `${created} users in ${summary.seconds} s: ${summary.usersPerSecond} users/s ` +
      `(${requests} requests of up to ${maxOperations}, concurrency ${concurrency}, ` +
      `p50 ${summary.requestMs.p50} ms, p95 ${summary.requestMs.p95} ms)` +
      `${stored !== undefined ? `; ${stored} stored` : ''}${failed ? `; ${failed} failed` : ''}${timedOut ? '; TIMED OUT' : ''}\n`,
  );
  if (failed || timedOut || (stored !== undefined && stored !== created)) {
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`bulk-seed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
