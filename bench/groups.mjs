#!/usr/bin/env node
// Groups at scale, on PostgreSQL, against the built server (`npm run build` first). One database
// holds the users and one group per size (default 1,000 and 100,000 members), so both sizes are
// measured on the same tables:
//   member-add      one PATCH adding `batch` (1,000) users who are not members     (204)
//   member-remove   one PATCH removing `batch` existing members by value list      (204, Entra style)
//   member-remove-filter  one PATCH removing one member by members[value eq "..."] (204, Okta style)
// repeated `reps` times per group (median reported; each rep adds then removes, so the group keeps
// its size), then on the largest group:
//   get-excluded    GET /v2/Groups/{id}?excludedAttributes=members  (autocannon, bounded)
//   get-full        GET /v2/Groups/{id} with every member: time, bytes, server RSS growth
// Targets (issue 4, Speed): add and remove at 100k within 1.5x of 1k; get-excluded p50 < 10 ms;
// get-full holds no more than a small multiple of the document in memory.
//
//   node bench/groups.mjs [--users 200000] [--sizes 1000,100000] [--reps 10] [--batch 1000]
//                         [--full-reps 5] [--duration 10] [--fresh] [--app-root DIR] [--label TEXT]
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  appRoot,
  connect,
  databaseUrl,
  load,
  log,
  machine,
  median,
  memoryOf,
  PATCH_SCHEMA,
  report,
  revision,
  round,
  run,
  startServer,
} from './lib/common.mjs';
import { prepareDatabase } from './seed.mjs';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200000' },
    sizes: { type: 'string', default: '1000,100000' },
    reps: { type: 'string', default: '10' },
    batch: { type: 'string', default: '1000' },
    'full-reps': { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    'app-root': { type: 'string' },
    label: { type: 'string', default: '' },
    // One SQL statement run on the database before the server starts, to measure a proposed
    // index or table setting (it stays in that database: use --fresh to measure without it).
    'setup-sql': { type: 'string', default: '' },
  },
});

const TARGET_RATIO = 1.5;
const TARGET_EXCLUDED_P50_MS = 10;
const DATABASE = 'roster_bench_groups';

function shuffle(list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** One timed request; the body is read completely before the clock stops. */
async function timed(server, method, path, body) {
  const started = process.hrtime.bigint();
  const res = await globalThis.fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, ms: round(Number(process.hrtime.bigint() - started) / 1e6, 1) };
}

function patchBody(operations) {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

async function memberCount(client, groupId) {
  return (await client.query(`SELECT count(*)::int AS n FROM group_members WHERE group_id = $1::uuid`, [groupId]))
    .rows[0].n;
}

function stats(values) {
  return values.length
    ? {
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
        samples: values.length,
        all: values,
      }
    : { samples: 0 };
}

/**
 * `reps` rounds of member changes on one group (round 0 is a warm-up, not reported); every answer
 * must be 204 and the member count must end where it started. Each round:
 *  - add `batch` users who are not members (timed: add);
 *  - remove those same `batch` members again (timed: remove). Their rows are equally fresh in
 *    both groups, so the two sizes are compared on equal terms;
 *  - remove `batch` members that have been in the group since seeding, whose rows are spread over
 *    the whole table (timed: removeScattered), then add them back (not timed). A group of 1,000
 *    has one such batch, a group of 100,000 a hundred: the small group gives one sample;
 *  - remove one member with `members[value eq "..."]` (Okta's shape; timed) and add it back.
 */
async function memberChanges(server, client, group, options) {
  const seeded = shuffle(
    (
      await client.query(`SELECT member_id::text AS id FROM group_members WHERE group_id = $1::uuid`, [group.id])
    ).rows.map((r) => r.id),
  );
  const outsiders = (
    await client.query(
      `SELECT u.id::text AS id FROM users u
       WHERE NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1::uuid AND m.member_id = u.id)
       ORDER BY random() LIMIT $2`,
      [group.id, (options.reps + 1) * options.batch],
    )
  ).rows.map((r) => r.id);
  if (outsiders.length < (options.reps + 1) * options.batch || seeded.length < options.batch) {
    throw new Error(`Not enough users around group ${group.name} for ${options.reps} reps of ${options.batch}`);
  }
  const before = await memberCount(client, group.id);
  const timings = { add: [], remove: [], removeScattered: [], removeOneByFilter: [], addOne: [] };
  const asMembers = (ids) => ids.map((value) => ({ value }));
  const patch = async (what, operations) => {
    const res = await timed(server, 'PATCH', `/v2/Groups/${group.id}`, patchBody(operations));
    if (res.status !== 204) {
      throw new Error(`PATCH (${what}) on ${group.name} answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    return res.ms;
  };
  let untouched = [...seeded];
  for (let rep = 0; rep <= options.reps; rep++) {
    const report = rep > 0;
    const adding = outsiders.slice(rep * options.batch, (rep + 1) * options.batch);
    const add = await patch('add', [{ op: 'add', path: 'members', value: asMembers(adding) }]);
    if (rep === 0 && (await memberCount(client, group.id)) !== before + adding.length) {
      throw new Error(`Adding ${adding.length} members to ${group.name} did not add them`);
    }
    const remove = await patch('remove', [{ op: 'remove', path: 'members', value: asMembers(adding) }]);
    if (rep === 0 && (await memberCount(client, group.id)) !== before) {
      throw new Error(`Removing ${adding.length} members from ${group.name} did not remove them`);
    }
    if (report) {
      timings.add.push(add);
      timings.remove.push(remove);
    }
    if (report && untouched.length >= options.batch) {
      const scattered = untouched.slice(0, options.batch);
      untouched = untouched.slice(options.batch);
      timings.removeScattered.push(
        await patch('remove scattered', [{ op: 'remove', path: 'members', value: asMembers(scattered) }]),
      );
      await patch('add back', [{ op: 'add', path: 'members', value: asMembers(scattered) }]);
    }
    const one = seeded[Math.floor(Math.random() * seeded.length)];
    const removeOne = await patch('remove by filter', [{ op: 'remove', path: `members[value eq "${one}"]` }]);
    const addOne = await patch('add one', [{ op: 'add', path: 'members', value: [{ value: one }] }]);
    if (report) {
      timings.removeOneByFilter.push(removeOne);
      timings.addOne.push(addOne);
    }
  }
  const after = await memberCount(client, group.id);
  if (after !== before) {
    throw new Error(`${group.name} had ${before} members and now has ${after}; the PATCHes did not do what they said`);
  }
  return {
    group: group.name,
    members: before,
    batch: options.batch,
    reps: options.reps,
    addMs: stats(timings.add),
    removeMs: stats(timings.remove),
    removeScatteredMs: stats(timings.removeScattered),
    removeOneByFilterMs: stats(timings.removeOneByFilter),
    addOneMs: stats(timings.addOne),
  };
}

/**
 * Reads the whole group with its members while sampling the server's RSS every 20 ms; checks the
 * document (valid JSON, every member present once).
 */
async function fullRead(server, group, expected) {
  await sleep(1000);
  const baseline = memoryOf(server.pid).rssMiB;
  let peak = baseline;
  const timer = globalThis.setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(server.pid).rssMiB);
    } catch {
      // gone
    }
  }, 20);
  const res = await timed(server, 'GET', `/v2/Groups/${group.id}`);
  globalThis.clearInterval(timer);
  peak = Math.max(peak, memoryOf(server.pid).rssMiB);
  if (res.status !== 200) {
    throw new Error(`GET /v2/Groups/${group.id} answered ${res.status}`);
  }
  const doc = JSON.parse(res.text);
  const ids = new Set((doc.members ?? []).map((m) => m.value));
  if (doc.members?.length !== expected || ids.size !== expected) {
    throw new Error(`GET ${group.name}: ${doc.members?.length} members (${ids.size} distinct), expected ${expected}`);
  }
  const bytes = Buffer.byteLength(res.text);
  const growth = round(peak - baseline, 1);
  return {
    ms: res.ms,
    bytes,
    documentMiB: round(bytes / 1024 / 1024, 2),
    rssBeforeMiB: baseline,
    rssPeakMiB: peak,
    rssGrowthMiB: growth,
    growthPerDocument: round(growth / (bytes / 1024 / 1024), 2),
  };
}

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  const options = {
    users: Number(values.users),
    sizes: values.sizes.split(',').map(Number),
    reps: Number(values.reps),
    batch: Number(values.batch),
    fullReps: Number(values['full-reps']),
    duration: Number(values.duration),
  };
  if (options.reps < 1 || options.reps > 50 || options.batch < 1 || options.batch > 10_000 || options.fullReps > 20) {
    throw new Error('Keep --reps 1..50, --batch 1..10000 and --full-reps <= 20: the run must stay bounded');
  }
  const startedAt = new Date().toISOString();
  const seeded = await prepareDatabase({
    root,
    database: DATABASE,
    users: options.users,
    groups: options.sizes,
    fresh: values.fresh,
  });
  const groups = options.sizes.map((size) => seeded.groups.find((g) => g.name === `bench-group-${size}`));
  const largest = groups[groups.length - 1];
  const client = await connect(databaseUrl(DATABASE));
  onCleanup(() => client.end());
  if (values['setup-sql']) {
    await client.query(values['setup-sql']);
    await client.query('ANALYZE');
    log(`applied: ${values['setup-sql']}`);
  }
  const server = await startServer({ root, database: DATABASE });
  onCleanup(() => server.stop());
  const atStart = memoryOf(server.pid).rssMiB;
  log(`server pid ${server.pid} on ${server.url}, RSS ${atStart} MiB at start`);

  // Whole-group reads first, on a server that has done little else, so that RSS growth is theirs;
  // one read of the smallest group beforehand takes the one-time costs (JIT, pool connections).
  await timed(server, 'GET', `/v2/Groups/${groups[0].id}`);
  const full = [];
  const expected = await memberCount(client, largest.id);
  for (let rep = 0; rep < options.fullReps; rep++) {
    const read = await fullRead(server, largest, expected);
    full.push(read);
    log(
      `GET ${largest.name} (full): ${read.ms} ms, ${read.documentMiB} MiB, RSS ${read.rssBeforeMiB} -> ${read.rssPeakMiB} MiB`,
    );
  }

  const excluded = {};
  for (const connections of [1, 10]) {
    const requests = [{ method: 'GET', path: `/v2/Groups/${largest.id}?excludedAttributes=members` }];
    await load(server, { title: 'get-excluded warm-up', connections, duration: 2, requests });
    excluded[`c${connections}`] = await load(server, {
      title: `get-excluded c${connections}`,
      connections,
      duration: options.duration,
      requests,
    });
    const r = excluded[`c${connections}`];
    log(
      `GET ${largest.name}?excludedAttributes=members c=${connections}: ${r.rps} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    );
  }

  const changes = [];
  for (const group of groups) {
    const result = await memberChanges(server, client, group, options);
    changes.push(result);
    log(
      `${group.name}: add ${options.batch} median ${result.addMs.median} ms, remove them ${result.removeMs.median} ms, ` +
        `remove ${options.batch} scattered ${result.removeScatteredMs.median ?? '-'} ms (${result.removeScatteredMs.samples} samples), ` +
        `remove 1 by filter ${result.removeOneByFilterMs.median} ms`,
    );
  }
  const end = memoryOf(server.pid);
  await server.stop();

  const small = changes[0];
  const big = changes[changes.length - 1];
  const ratio = (key) => round(big[key].median / small[key].median, 2);
  const worstFull = full.reduce((a, b) => (b.rssGrowthMiB > a.rssGrowthMiB ? b : a));
  report('groups', {
    script: 'bench/groups.mjs',
    label: values.label,
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options: { ...options, setupSql: values['setup-sql'] || undefined },
    database: { name: DATABASE, users: options.users, seedSeconds: seeded.seedSeconds },
    rssMiB: { atStart, atEnd: end.rssMiB, peak: end.hwmMiB },
    memberChanges: changes,
    getExcluded: excluded,
    getFull: full,
    targets: {
      add: {
        target: `add ${options.batch} @ ${big.members} <= ${TARGET_RATIO} x @ ${small.members}`,
        ratio: ratio('addMs'),
        met: ratio('addMs') <= TARGET_RATIO,
      },
      remove: {
        target: `remove ${options.batch} @ ${big.members} <= ${TARGET_RATIO} x @ ${small.members}`,
        ratio: ratio('removeMs'),
        met: ratio('removeMs') <= TARGET_RATIO,
      },
      removeScattered: {
        target: 'informative: rows spread over the table (the small group gives one sample)',
        ratio: ratio('removeScatteredMs'),
      },
      removeOneByFilter: { target: 'informative (no target)', ratio: ratio('removeOneByFilterMs') },
      getExcludedP50: {
        target: `p50 < ${TARGET_EXCLUDED_P50_MS} ms (1 connection)`,
        valueMs: excluded.c1.latencyMs.p50,
        met: excluded.c1.latencyMs.p50 < TARGET_EXCLUDED_P50_MS,
      },
      getFullMemory: {
        target: 'RSS growth during a whole-group read a small multiple of the document size (worst read)',
        growthMiB: worstFull.rssGrowthMiB,
        documentMiB: worstFull.documentMiB,
        multiple: worstFull.growthPerDocument,
      },
    },
  });
});
