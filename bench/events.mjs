#!/usr/bin/env node
// What the change-event append costs a write (issue 14: at most 10% of a write's latency), on
// PostgreSQL, measured on the database statements themselves, with and without the append:
//
//   patch        BEGIN; SELECT ... FOR NO KEY UPDATE; UPDATE users ...; COMMIT       (a user PATCH)
//   patch+event  the same + INSERT INTO events (one row)                             (what Roster runs)
//   bulk         BEGIN; INSERT 1,000 users (one multi-row statement); COMMIT          (Bulk's batched path)
//   bulk+event   the same + the events as Roster writes them now: one INSERT ... SELECT from the
//                users just inserted (EventsRepository.appendUsersCreated)
//   bulk+event-json  the same + one multi-row INSERT of 1,000 events sent as JSON (before)
//   sequence     what a feed reader runs first: position the rows of finished transactions
//
// The statements are the ones the repositories send (users.repository.ts, events.repository.ts),
// on a database migrated by the built server's migrations. A transaction is a lower bound of a
// write's latency (HTTP, validation and rendering come on top), so the overhead reported here is
// an upper bound of the share the append takes.
//
//   node bench/events.mjs [--duration 10] [--connections 4] [--users 10000] [--label TEXT]
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  appRoot,
  connect,
  databaseUrl,
  latencySummary,
  log,
  machine,
  migrateDatabase,
  recreateDatabase,
  RESULTS_DIR,
  round,
} from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
    users: { type: 'string', default: '10000' },
    label: { type: 'string', default: 'events' },
    'app-root': { type: 'string' },
  },
});
const duration = Math.min(Number(values.duration), 20) * 1000;
const connections = Math.min(Number(values.connections), 16);
const USERS = Number(values.users);
const DB = 'roster_bench_events';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const EVENT_INSERT = `INSERT INTO events (time, type, resource_type, resource_id, version, changes, detail, actor_kind, actor_id,
   actor_name, request_id, client_address, user_agent)
 SELECT clock_timestamp(), e->>'type', e->>'resource_type', e->>'resource_id', (e->>'version')::int,
   coalesce(e->'changes', '[]'::jsonb), nullif(e->'detail', 'null'::jsonb), e->>'actor_kind', e->>'actor_id',
   e->>'actor_name', e->>'request_id', e->>'client_address', e->>'user_agent'
 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, ord) ORDER BY x.ord`;

const CREATED_INSERT = `INSERT INTO events (time, type, resource_type, resource_id, version, changes, actor_kind, actor_id,
   actor_name, request_id, client_address, user_agent)
 SELECT clock_timestamp(), 'user.created', 'User', u.id::text, u.version,
   CASE WHEN x.password THEN u.doc || '{"password": null}'::jsonb ELSE u.doc END, $3, $4, $5, $6, $7, $8
 FROM unnest($1::uuid[], $2::boolean[]) WITH ORDINALITY AS x(id, password, ord) JOIN users u ON u.id = x.id
 ORDER BY x.ord`;

function event(id, version) {
  return {
    type: 'user.updated',
    resource_type: 'User',
    resource_id: id,
    version,
    changes: [{ path: 'nickName', value: `n${version}` }],
    detail: null,
    actor_kind: 'api-token',
    actor_id: randomUUID(),
    actor_name: 'Okta provisioning',
    request_id: randomUUID(),
    client_address: '203.0.113.7',
    user_agent: 'Okta SCIM Client 1.0.0',
  };
}

async function seed(client) {
  await client.query(
    `INSERT INTO users (id, user_name, display_name, active, doc, version, created, last_modified)
     SELECT gen_random_uuid(), 'bench' || i || '@example.com', 'Bench ' || i, true,
            jsonb_build_object('userName', 'bench' || i || '@example.com', 'displayName', 'Bench ' || i, 'active', true), 1, now(), now()
     FROM generate_series(1, $1::int) AS i`,
    [USERS],
  );
  await client.query('ANALYZE');
  return (await client.query('SELECT id::text FROM users')).rows.map((r) => r.id);
}

async function patch(client, id, withEvent) {
  await client.query('BEGIN');
  const { rows } = await client.query('SELECT version, doc FROM users WHERE id = $1::uuid FOR NO KEY UPDATE', [id]);
  const version = rows[0].version + 1;
  const doc = { ...rows[0].doc, nickName: `n${version}` };
  await client.query('UPDATE users SET doc = $2, version = $3, last_modified = now() WHERE id = $1::uuid', [
    id,
    doc,
    version,
  ]);
  if (withEvent) {
    await client.query(EVENT_INSERT, [JSON.stringify([event(id, version)])]);
  }
  await client.query('COMMIT');
}

let bulkRun = 0;
async function bulk(client, withEvent) {
  const run = ++bulkRun;
  const rows = Array.from({ length: 1000 }, (_, i) => ({
    id: randomUUID(),
    user_name: `bulk-${process.pid}-${run}-${i}@example.com`,
    // The documents bench/bulk-seed.mjs sends: names, an email, enterprise attributes.
    doc: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: `bulk-${run}-${i}@example.com`,
      externalId: `bulk-ext-${run}-${i}`,
      name: { givenName: `Given${i}`, familyName: `Family${i}`, formatted: `Given${i} Family${i}` },
      displayName: `Given${i} Family${i}`,
      active: true,
      emails: [{ value: `bulk-${run}-${i}@example.com`, type: 'work', primary: true }],
      [ENTERPRISE]: { employeeNumber: String(i), department: `Department ${i % 50}` },
    },
  }));
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO users (id, user_name, active, doc, version, created, last_modified)
     SELECT x.id, x.user_name, true, x.doc, 1, now(), now() FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, user_name text, doc jsonb)`,
    [JSON.stringify(rows)],
  );
  if (withEvent === 'json') {
    await client.query(EVENT_INSERT, [
      JSON.stringify(
        rows.map((r) => ({
          ...event(r.id, 1),
          type: 'user.created',
          changes: Object.entries(r.doc).map(([path, value]) => ({ path, value })),
        })),
      ),
    ]);
  } else if (withEvent) {
    const actor = event(rows[0].id, 1);
    await client.query(CREATED_INSERT, [
      rows.map((r) => r.id),
      rows.map(() => false),
      actor.actor_kind,
      actor.actor_id,
      actor.actor_name,
      actor.request_id,
      actor.client_address,
      actor.user_agent,
    ]);
  }
  await client.query('COMMIT');
}

async function measure(title, clients, run, seconds = duration) {
  const times = [];
  const end = Date.now() + seconds;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < end) {
        const start = process.hrtime.bigint();
        await run(client);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }),
  );
  const summary = latencySummary(times);
  log(`${title}: ${times.length} transactions, p50 ${summary.p50} ms, p99 ${summary.p99} ms, mean ${summary.mean} ms`);
  return { title, count: times.length, ...summary };
}

const root = appRoot(values['app-root']);
await recreateDatabase(DB);
await migrateDatabase(root, databaseUrl(DB));
const clients = await Promise.all(Array.from({ length: connections }, () => connect(databaseUrl(DB))));
const ids = await seed(clients[0]);
const pick = () => ids[Math.floor(Math.random() * ids.length)];
const results = [];
// Alternating rounds, so that drift of the shared machine falls on both sides.
for (let round_ = 0; round_ < 2; round_++) {
  results.push(await measure('patch', clients, (c) => patch(c, pick(), false), duration / 2));
  results.push(await measure('patch+event', clients, (c) => patch(c, pick(), true), duration / 2));
}
for (let round_ = 0; round_ < 2; round_++) {
  results.push(await measure('bulk', clients.slice(0, 2), (c) => bulk(c, false), duration / 2));
  results.push(await measure('bulk+event', clients.slice(0, 2), (c) => bulk(c, true), duration / 2));
  results.push(await measure('bulk+event-json', clients.slice(0, 2), (c) => bulk(c, 'json'), duration / 2));
}
// The reader's side: positioning what the writers appended, in batches of 10,000.
const sequencing = process.hrtime.bigint();
let positioned = 0;
for (;;) {
  const { rowCount } = await clients[0].query(
    `UPDATE events e SET seq = s.seq
     FROM (SELECT p.id, nextval('events_feed_seq') AS seq
           FROM (SELECT id FROM events WHERE seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
                 ORDER BY xid, id LIMIT 10000) AS p) AS s
     WHERE e.id = s.id`,
  );
  positioned += rowCount;
  if (rowCount < 10000) {
    break;
  }
}
const sequenceMs = Number(process.hrtime.bigint() - sequencing) / 1e6;
log(
  `sequence: ${positioned} events positioned in ${round(sequenceMs, 1)} ms (${round((sequenceMs / positioned) * 1000, 1)} µs each)`,
);
results.push({ title: 'sequence', count: positioned, totalMs: round(sequenceMs, 1) });
const byTitle = (t) => results.filter((r) => r.title === t);
const p50 = (t) => byTitle(t).reduce((a, r) => a + r.p50, 0) / byTitle(t).length;
const overhead = {
  patch: round(((p50('patch+event') - p50('patch')) / p50('patch')) * 100, 1),
  bulk: round(((p50('bulk+event') - p50('bulk')) / p50('bulk')) * 100, 1),
  bulkJson: round(((p50('bulk+event-json') - p50('bulk')) / p50('bulk')) * 100, 1),
};
log(
  `append overhead at p50: PATCH ${overhead.patch}%, Bulk of 1,000 ${overhead.bulk}% (as JSON rows, before: ${overhead.bulkJson}%)`,
);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(
  join(RESULTS_DIR, `events-${values.label}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify({ machine: await machine(databaseUrl(DB)), connections, users: USERS, results, overhead }, null, 2),
);
await Promise.all(clients.map((c) => c.end()));
