#!/usr/bin/env node
// Mixed provisioning load (issue 10, "Load"), on PostgreSQL, against the built server
// (`npm run build` first). Several identity providers, each on its own keep-alive connections and
// its own API token, send 25 requests/s each (Entra's per-tenant rate) in an open loop: creates,
// PATCHes, member changes and reads. Beside them, a few hostile callers send expensive filters in a
// closed loop and give up after --hostile-timeout seconds, as the security review's callers did.
// Reported: throughput, p50/p99 per class, errors per class and status, and the server's RSS,
// over time (every --sample seconds) and in total. Target: the hostile callers do not push the
// IdPs' p99 over 1 s.
//
//   node bench/mixed-load.mjs [--duration 600] [--idps 8] [--rate 25] [--hostile 2] [--hostile-timeout 3]
//                             [--hostile-rate-limit 0 (requests/min for the hostile token; 0: none)]
//                             [--users 2000] [--groups 20] [--sample 10] [--database roster_bench_mixed]
//                             [--app-root DIR] [--label TEXT]
//
// Loopback only; bounded in time (--duration <= 3600 s), connections (4 per IdP, <= 32 IdPs,
// <= 8 hostile callers) and requests (rate x duration, in-flight capped per IdP).
import { Buffer } from 'node:buffer';
import http from 'node:http';
import os from 'node:os';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  appRoot,
  assertLoopback,
  GROUP_SCHEMA,
  latencySummary,
  log,
  machine,
  memoryOf,
  PATCH_SCHEMA,
  recreateDatabase,
  report,
  request,
  revision,
  round,
  run,
  startServer,
  USER_SCHEMA,
} from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' },
    idps: { type: 'string', default: '8' },
    rate: { type: 'string', default: '25' },
    hostile: { type: 'string', default: '2' },
    'hostile-timeout': { type: 'string', default: '3' },
    'hostile-rate-limit': { type: 'string', default: '0' },
    users: { type: 'string', default: '2000' },
    groups: { type: 'string', default: '20' },
    sample: { type: 'string', default: '10' },
    database: { type: 'string', default: 'roster_bench_mixed' },
    'app-root': { type: 'string' },
    label: { type: 'string', default: '' },
  },
});

const options = {
  duration: Number(values.duration),
  idps: Number(values.idps),
  rate: Number(values.rate),
  hostile: Number(values.hostile),
  hostileTimeoutMs: Number(values['hostile-timeout']) * 1000,
  /** Requests per minute allowed to the hostile callers' token (issue 10 item 10); 0: no limit. */
  hostileRateLimit: Number(values['hostile-rate-limit']),
  users: Number(values.users),
  groups: Number(values.groups),
  sampleS: Number(values.sample),
};
const bounds = {
  duration: [10, 3600],
  idps: [1, 32],
  rate: [1, 50],
  hostile: [0, 8],
  users: [100, 100_000],
  groups: [1, 500],
};
for (const [name, [min, max]] of Object.entries(bounds)) {
  if (!(options[name] >= min && options[name] <= max)) {
    throw new Error(`--${name} must be ${min}..${max}, got ${options[name]}`);
  }
}
const IN_FLIGHT_PER_IDP = 50;

/** The expensive filters of the security review (finding 1), on a few terms each. */
const HOSTILE_FILTERS = [
  '/v2/Users?count=1&attributes=id&filter=groups.display co "x0"',
  '/v2/Users?count=1&attributes=id&filter=groups.value ne "00000000-0000-0000-0000-000000000000"',
  '/v2/Users?count=1&attributes=id&filter=groups.type pr',
  `/v2/Users?count=1&attributes=id&filter=${Array.from({ length: 60 }, (_, i) => `emails[value co "q${i}"]`).join(' or ')}`,
  `/v2/Groups?count=1&excludedAttributes=members&filter=${Array.from({ length: 60 }, (_, i) => `members.display co "q${i}"`).join(' or ')}`,
];

/** One IdP's own connections, like a tenant's HTTP client. */
function client(baseUrl, token, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(baseUrl);
  return {
    agent,
    send(method, path, body, timeoutMs = 30_000) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const started = process.hrtime.bigint();
      return new Promise((resolve) => {
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path: encodeURI(path),
            headers: {
              authorization: `Bearer ${token}`,
              ...(payload ? { 'content-type': 'application/scim+json', 'content-length': payload.length } : {}),
            },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let json;
              try {
                json = text ? JSON.parse(text) : undefined;
              } catch {
                json = undefined;
              }
              resolve({
                status: res.statusCode,
                json,
                headers: res.headers,
                ms: Number(process.hrtime.bigint() - started) / 1e6,
              });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (error) =>
          resolve({
            status: error.message === 'timeout' ? 'timeout' : 'network',
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
        req.end(payload);
      });
    },
  };
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  log(`fresh database ${values.database}`);
  await recreateDatabase(values.database);
  const server = await startServer({ root, database: values.database, env: { BULK_MAX_OPERATIONS: '1000' } });
  onCleanup(() => server.stop());
  assertLoopback(server.url, 'the server');
  const admin = client(server.url, server.token, 4);
  onCleanup(() => admin.agent.destroy());

  log(`seeding ${options.users} users and ${options.groups} groups`);
  const userIds = [];
  for (let start = 0; start < options.users; start += 1000) {
    const n = Math.min(1000, options.users - start);
    const res = await request(server, 'POST', '/v2/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: Array.from({ length: n }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${i}`,
        data: {
          schemas: [USER_SCHEMA],
          userName: `seed-${start + i}@example.com`,
          displayName: `Seed ${start + i}`,
          emails: [{ value: `seed-${start + i}@example.com`, type: 'work' }],
        },
      })),
    });
    for (const op of res.json.Operations) {
      userIds.push(op.location.split('/').pop());
    }
  }
  const groupIds = [];
  for (let g = 0; g < options.groups; g++) {
    const members = Array.from({ length: 50 }, () => ({ value: pick(userIds) }));
    const res = await request(server, 'POST', '/v2/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: `Group ${g}`,
      members: [...new Map(members.map((m) => [m.value, m])).values()],
    });
    groupIds.push(res.json.id);
  }
  // Nest a few groups, so that the groups.* filters have a closure to compute.
  for (let g = 1; g < Math.min(options.groups, 10); g++) {
    await request(server, 'PATCH', `/v2/Groups/${groupIds[g - 1]}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'add', path: 'members', value: [{ value: groupIds[g] }] }],
    });
  }
  const tokens = [];
  for (let i = 0; i <= options.idps; i++) {
    // Token 0 is the hostile callers'; an operator who sees such a caller gives its token a limit.
    const limit = i === 0 && options.hostileRateLimit > 0 ? { rate_limit: options.hostileRateLimit } : {};
    const res = await request(server, 'POST', '/admin/tokens', {
      name: `bench-${i}`,
      scope: 'scim.read scim.write',
      ...limit,
    });
    tokens.push(res.json.token);
  }

  /** Per class: every successful latency, and failures by status, overall and per sample window. */
  const classes = ['create', 'patch', 'member', 'read', 'hostile'];
  const totals = Object.fromEntries(classes.map((c) => [c, { times: [], errors: {} }]));
  let window = Object.fromEntries(classes.map((c) => [c, { times: [], errors: 0 }]));
  const record = (cls, res, okStatuses) => {
    if (okStatuses.includes(res.status)) {
      totals[cls].times.push(res.ms);
      window[cls].times.push(res.ms);
    } else {
      totals[cls].errors[res.status] = (totals[cls].errors[res.status] ?? 0) + 1;
      window[cls].errors++;
    }
  };

  const started = Date.now();
  const endAt = started + options.duration * 1000;
  const timeline = [];
  const sampler = (async () => {
    while (Date.now() < endAt) {
      await sleep(Math.min(options.sampleS * 1000, Math.max(0, endAt - Date.now())));
      const current = window;
      window = Object.fromEntries(classes.map((c) => [c, { times: [], errors: 0 }]));
      let rss;
      try {
        rss = memoryOf(server.pid).rssMiB;
      } catch {
        rss = null;
      }
      const idpTimes = ['create', 'patch', 'member', 'read'].flatMap((c) => current[c].times);
      const sample = {
        t: round((Date.now() - started) / 1000, 0),
        rps: round(classes.reduce((n, c) => n + current[c].times.length + current[c].errors, 0) / options.sampleS, 1),
        idpP50: latencySummary(idpTimes).p50 ?? null,
        idpP99: latencySummary(idpTimes).p99 ?? null,
        hostileDone: current.hostile.times.length,
        hostileFailed: current.hostile.errors,
        errors: ['create', 'patch', 'member', 'read'].reduce((n, c) => n + current[c].errors, 0),
        rssMiB: rss,
        load1m: round(os.loadavg()[0], 2),
      };
      timeline.push(sample);
      log(JSON.stringify(sample));
    }
  })();

  const idp = async (index) => {
    const c = client(server.url, tokens[index], 4);
    onCleanup(() => c.agent.destroy());
    const mine = [];
    let inFlight = 0;
    let n = 0;
    const pending = new Set();
    const interval = 1000 / options.rate;
    let next = Date.now() + Math.random() * interval;
    while (Date.now() < endAt) {
      await sleep(Math.max(0, next - Date.now()));
      next += interval;
      if (inFlight >= IN_FLIGHT_PER_IDP) {
        totals.read.errors.skipped = (totals.read.errors.skipped ?? 0) + 1;
        continue;
      }
      const roll = Math.random();
      const id = n++;
      inFlight++;
      const work = (async () => {
        if (roll < 0.2) {
          const res = await c.send('POST', '/v2/Users', {
            schemas: [USER_SCHEMA],
            userName: `idp${index}-${id}-${started}@example.com`,
            displayName: `IdP ${index} user ${id}`,
            emails: [{ value: `idp${index}-${id}@example.com`, type: 'work' }],
          });
          record('create', res, [201]);
          if (res.status === 201) {
            mine.push(res.json.id);
          }
        } else if (roll < 0.5) {
          const res = await c.send(
            'PATCH',
            `/v2/Users/${pick(mine.length > 5 && Math.random() < 0.5 ? mine : userIds)}`,
            {
              schemas: [PATCH_SCHEMA],
              Operations: [
                { op: 'replace', path: 'active', value: Math.random() < 0.5 },
                { op: 'replace', path: 'displayName', value: `patched ${id}` },
              ],
            },
          );
          record('patch', res, [200]);
        } else if (roll < 0.7) {
          const add = Math.random() < 0.6;
          const res = await c.send('PATCH', `/v2/Groups/${pick(groupIds)}`, {
            schemas: [PATCH_SCHEMA],
            Operations: [
              add
                ? { op: 'add', path: 'members', value: [{ value: pick(mine.length ? mine : userIds) }] }
                : { op: 'remove', path: `members[value eq "${pick(userIds)}"]` },
            ],
          });
          record('member', res, [200, 204]);
        } else {
          const r = Math.random();
          const res =
            r < 0.4
              ? await c.send('GET', `/v2/Users/${pick(userIds)}`)
              : r < 0.8
                ? await c.send(
                    'GET',
                    `/v2/Users?filter=userName eq "seed-${Math.floor(Math.random() * options.users)}@example.com"`,
                  )
                : await c.send('GET', `/v2/Groups/${pick(groupIds)}?excludedAttributes=members`);
          record('read', res, [200]);
        }
      })().finally(() => {
        inFlight--;
        pending.delete(work);
      });
      pending.add(work);
    }
    await Promise.all(pending);
  };

  const hostile = async (index) => {
    const c = client(server.url, tokens[0], 1);
    onCleanup(() => c.agent.destroy());
    while (Date.now() < endAt) {
      const res = await c.send(
        'GET',
        HOSTILE_FILTERS[index % HOSTILE_FILTERS.length],
        undefined,
        options.hostileTimeoutMs,
      );
      record('hostile', res, [200]);
      index++;
    }
  };

  log(`load: ${options.idps} IdPs x ${options.rate} req/s, ${options.hostile} hostile callers, ${options.duration} s`);
  await Promise.all([
    ...Array.from({ length: options.idps }, (_, i) => idp(i + 1)),
    ...Array.from({ length: options.hostile }, (_, i) => hostile(i)),
    sampler,
  ]);
  const elapsed = (Date.now() - started) / 1000;

  const idpTimes = ['create', 'patch', 'member', 'read'].flatMap((c) => totals[c].times);
  const summary = {
    benchmark: 'mixed-load',
    label: values.label,
    date: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options,
    seconds: round(elapsed, 1),
    throughputRps: round(classes.reduce((n, c) => n + totals[c].times.length, 0) / elapsed, 1),
    idpOfferedRps: options.idps * options.rate,
    idp: latencySummary(idpTimes),
    perClass: Object.fromEntries(
      classes.map((c) => [c, { ...latencySummary(totals[c].times), errors: totals[c].errors }]),
    ),
    target: { idpP99UnderMs: 1000, met: (latencySummary(idpTimes).p99 ?? Infinity) < 1000 },
    rssMiB: {
      start: timeline[0]?.rssMiB,
      max: Math.max(...timeline.map((s) => s.rssMiB ?? 0)),
      end: timeline.at(-1)?.rssMiB,
    },
    timeline,
    // What the server logged about its 5xx answers (distinct messages, first few).
    serverErrors: [
      ...new Set(
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"level":50'))
          .map((line) => {
            try {
              const entry = JSON.parse(line);
              return `${entry.msg}: ${String(entry.err?.message ?? '').slice(0, 200)}`;
            } catch {
              return line.slice(0, 200);
            }
          }),
      ),
    ].slice(0, 10),
  };
  report('mixed-load', summary);
});
