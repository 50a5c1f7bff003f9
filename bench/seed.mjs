#!/usr/bin/env node
// Seeds a benchmark database directly with SQL: N users (users + user_emails rows) and,
// optionally, groups with M user members each. Rows are built by INSERT ... SELECT over
// generate_series, so a million users take a minute or two, not hours of API calls.
//
// The rows must be what the application itself writes. --verify (on by default) checks that:
// it starts the built server on the database, creates user N+1 (and a group) through the API
// from the same template, and compares the stored rows with what the seeding SQL produces for
// the same number, column by column and email row by email row; then deletes them again.
//
//   node bench/seed.mjs --db roster_bench_10k --users 10000 [--groups 1000,100000] [--fresh]
//                       [--no-verify] [--app-root DIR]
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  appRoot,
  checkDatabaseName,
  connect,
  databaseExists,
  databaseUrl,
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  log,
  migrateDatabase,
  recreateDatabase,
  request,
  run,
  startServer,
  USER_SCHEMA,
} from './lib/common.mjs';

const BATCH = 100_000;

/** The user the API is sent for number i; the SQL below must store exactly what the app stores for it. */
export function userBody(i) {
  const userName = `User${i}@Example.com`;
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    userName,
    externalId: `ext-${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}`, formatted: `Given${i} Family${i}` },
    displayName: `Given${i} Family${i}`,
    active: true,
    emails: [{ value: userName, type: 'work', primary: true }],
    [ENTERPRISE_SCHEMA]: { employeeNumber: String(i), department: `Department ${i % 50}` },
  };
}

export function userName(i) {
  return `User${i}@Example.com`;
}

/**
 * The users row for each i in [$1, $2], as the app writes it: `doc` is the SCIM document without
 * schemas, id, meta, groups and password; typed columns repeat what filters and uniqueness need.
 * `created` is spread one second apart, so that the default order (created, id) is meaningful.
 */
const USER_ROWS = `
  SELECT gen_random_uuid() AS id, u.user_name, u.external_id, u.display_name, true AS active,
         jsonb_build_object(
           'userName', u.user_name,
           'externalId', u.external_id,
           'name', jsonb_build_object('givenName', 'Given' || i, 'familyName', 'Family' || i,
                                      'formatted', 'Given' || i || ' Family' || i),
           'displayName', u.display_name,
           'active', true,
           'emails', jsonb_build_array(jsonb_build_object('value', u.user_name, 'type', 'work', 'primary', true)),
           '${ENTERPRISE_SCHEMA}', jsonb_build_object('employeeNumber', i::text, 'department', 'Department ' || (i % 50))
         ) AS doc,
         NULL::text AS password_hash, 1 AS version, u.t AS created, u.t AS last_modified
  FROM generate_series($1::int, $2::int) AS i
  CROSS JOIN LATERAL (
    SELECT 'User' || i || '@Example.com' AS user_name, 'ext-' || i AS external_id,
           'Given' || i || ' Family' || i AS display_name,
           timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second' AS t
  ) AS u`;

/** The user_emails rows of the users just inserted (one work address, primary, as sent). */
const INSERT_USERS = `
  WITH inserted AS (
    INSERT INTO users (id, user_name, external_id, display_name, active, doc, password_hash, version, created, last_modified)
    ${USER_ROWS}
    RETURNING id, doc
  )
  INSERT INTO user_emails (user_id, position, value, type, "primary")
  SELECT inserted.id, e.n - 1, e.v->>'value', e.v->>'type', coalesce((e.v->>'primary')::boolean, false)
  FROM inserted CROSS JOIN LATERAL jsonb_array_elements(inserted.doc->'emails') WITH ORDINALITY AS e(v, n)`;

export async function seedUsers(client, from, to) {
  for (let start = from; start <= to; start += BATCH) {
    const end = Math.min(to, start + BATCH - 1);
    const began = Date.now();
    await client.query(INSERT_USERS, [start, end]);
    log(`users ${start}..${end} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
}

/**
 * One group per entry of `sizes`, named "bench-group-<members>", with that many user members
 * (users in id order, i.e. effectively at random, since ids are random UUIDs; group k starts at
 * user k * 1000). All membership rows are written by one INSERT in random order, so each group's
 * rows are spread over the whole table, as they are when members join over months; otherwise a
 * small group would sit on a few pages of its own and look cheaper to change than a large one.
 */
export async function seedGroups(client, sizes, { quiet = false } = {}) {
  const groups = [];
  for (const [index, members] of sizes.entries()) {
    const name = `bench-group-${members}`;
    const { rows } = await client.query(
      `INSERT INTO groups (id, display_name, external_id, doc, version, created, last_modified)
       VALUES (gen_random_uuid(), $1::text, NULL, jsonb_build_object('displayName', $1::text), 1, now(), now())
       RETURNING id::text AS id`,
      [name],
    );
    groups.push({ id: rows[0].id, name, members, offset: index * 1000 });
  }
  if (!groups.length) {
    return [];
  }
  await client.query(
    `INSERT INTO group_members (group_id, member_id, member_type, user_id, child_group_id, created)
     SELECT g.id, u.id, 'User', u.id, NULL, now()
     FROM unnest($1::uuid[], $2::int[], $3::int[]) AS g(id, members, "offset")
     CROSS JOIN LATERAL (SELECT id FROM users ORDER BY id OFFSET g."offset" LIMIT g.members) AS u
     ORDER BY random()`,
    [groups.map((g) => g.id), groups.map((g) => g.members), groups.map((g) => g.offset)],
  );
  const result = [];
  for (const group of groups) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM group_members WHERE group_id = $1::uuid`, [
      group.id,
    ]);
    if (!quiet) {
      log(`group ${group.name}: ${rows[0].n} members`);
    }
    result.push({ id: group.id, name: group.name, members: rows[0].n });
  }
  return result;
}

/**
 * Every column of a users / user_emails / groups / group_members row except those that differ by
 * nature (ids, names, timestamps): a column added to the schema later is compared too.
 */
const ROW_SHAPES = {
  user: `SELECT to_jsonb(u) - 'id' - 'created' - 'last_modified' AS row FROM users u WHERE u.user_name = $1`,
  emails: `SELECT coalesce(jsonb_agg(to_jsonb(e) - 'user_id' ORDER BY e.position), '[]') AS row
           FROM user_emails e JOIN users u ON u.id = e.user_id WHERE u.user_name = $1`,
  group: `SELECT to_jsonb(g) - 'id' - 'display_name' - 'doc' - 'created' - 'last_modified'
                 || jsonb_build_object('doc', g.doc - 'displayName', 'docNamesGroup', g.doc->>'displayName' = g.display_name::text) AS row
          FROM groups g WHERE g.id = $1::uuid`,
  members: `SELECT coalesce(jsonb_agg(to_jsonb(m) - 'group_id' - 'member_id' - 'user_id' - 'created'
                 || jsonb_build_object('userIsMember', m.user_id = m.member_id)), '[]') AS row
            FROM group_members m WHERE m.group_id = $1::uuid`,
};

async function shape(client, which, key) {
  return JSON.stringify((await client.query(ROW_SHAPES[which], [key])).rows[0].row);
}

/**
 * Creates user `i` and a group with that user as its member through the API, records their rows,
 * deletes them again, then writes the same user and a group with the seeding SQL inside a
 * transaction that is rolled back, and compares the rows column by column.
 */
export async function verifyShape(root, database, i) {
  const server = await startServer({ root, database });
  const client = await connect(databaseUrl(database));
  const api = {};
  const seeded = {};
  try {
    const created = await request(server, 'POST', '/v2/Users', userBody(i));
    if (created.status !== 201) {
      throw new Error(`POST /v2/Users answered ${created.status}: ${created.text}`);
    }
    const group = await request(server, 'POST', '/v2/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'bench-verify-group',
      members: [{ value: created.json.id }],
    });
    if (group.status !== 201) {
      throw new Error(`POST /v2/Groups answered ${group.status}: ${group.text}`);
    }
    api.user = await shape(client, 'user', userName(i));
    api.emails = await shape(client, 'emails', userName(i));
    api.group = await shape(client, 'group', group.json.id);
    api.members = await shape(client, 'members', group.json.id);
    await request(server, 'DELETE', `/v2/Groups/${group.json.id}`);
    const deleted = await request(server, 'DELETE', `/v2/Users/${created.json.id}`);
    if (deleted.status !== 204) {
      throw new Error(`DELETE /v2/Users/${created.json.id} answered ${deleted.status}`);
    }

    await client.query('BEGIN');
    try {
      await client.query(INSERT_USERS, [i, i]);
      const [seededGroup] = await seedGroups(client, [1], { quiet: true });
      seeded.user = await shape(client, 'user', userName(i));
      seeded.emails = await shape(client, 'emails', userName(i));
      seeded.group = await shape(client, 'group', seededGroup.id);
      seeded.members = await shape(client, 'members', seededGroup.id);
    } finally {
      await client.query('ROLLBACK');
    }
  } finally {
    await client.end();
    await server.stop();
  }
  const problems = Object.keys(api)
    .filter((k) => api[k] !== seeded[k])
    .map((k) => `${k}: API ${api[k]}\n     seed ${seeded[k]}`);
  if (problems.length) {
    throw new Error(`Seeded rows differ from what the app writes:\n  ${problems.join('\n  ')}`);
  }
  log('verified: seeded rows match, column by column, the rows the API writes for the same input');
}

/**
 * A migrated database with exactly `users` users and the given groups. With `fresh` it is dropped
 * and created again; otherwise an existing database with the right number of users is reused.
 */
export async function prepareDatabase({ root, database, users, groups = [], fresh = false, verify = true }) {
  checkDatabaseName(database);
  if (!database.startsWith('roster_bench')) {
    // This function drops and re-creates the database: only ever one of the benchmark's own.
    throw new Error(`Benchmark databases are named roster_bench*, not "${database}"`);
  }
  if (!fresh && (await databaseExists(database))) {
    const client = await connect(databaseUrl(database));
    try {
      const found = await client
        .query(
          `SELECT (SELECT count(*) FROM users)::int AS users,
                       (SELECT coalesce(json_agg(json_build_object('id', g.id::text, 'name', g.display_name::text,
                          'members', (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)::int)), '[]')
                        FROM groups g WHERE g.display_name::text LIKE 'bench-group-%') AS groups`,
        )
        .then((r) => r.rows[0])
        .catch(() => undefined);
      const wanted = groups.map((m) => `bench-group-${m}`).sort();
      if (
        found &&
        found.users === users &&
        JSON.stringify(found.groups.map((g) => g.name).sort()) === JSON.stringify(wanted)
      ) {
        log(`reusing ${database}: ${users} users, groups ${wanted.join(', ') || '(none)'}`);
        return { database, users, groups: found.groups, seedSeconds: null, reused: true };
      }
    } finally {
      await client.end();
    }
  }
  const began = Date.now();
  await recreateDatabase(database);
  const url = databaseUrl(database);
  const migration = await migrateDatabase(root, url);
  log(`${database}: migrations applied: ${migration.applied.join(', ') || '(none)'}`);
  const client = await connect(url);
  const created = [];
  try {
    await client.query('SET synchronous_commit = off');
    await seedUsers(client, 1, users);
    created.push(...(await seedGroups(client, groups)));
    await client.query('VACUUM (ANALYZE) users, user_emails, groups, group_members');
  } finally {
    await client.end();
  }
  const seedSeconds = Math.round((Date.now() - began) / 100) / 10;
  log(`${database}: seeded in ${seedSeconds} s`);
  if (verify) {
    await verifyShape(root, database, users + 1);
  }
  return { database, users, groups: created, seedSeconds, reused: false };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      users: { type: 'string', default: '10000' },
      groups: { type: 'string', default: '' },
      fresh: { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      'app-root': { type: 'string' },
    },
  });
  await run(async () => {
    if (!values.db) {
      throw new Error('--db <name> is required');
    }
    const users = Number(values.users);
    if (!Number.isInteger(users) || users < 1 || users > 5_000_000) {
      throw new Error('--users must be 1..5000000');
    }
    const groups = values.groups ? values.groups.split(',').map(Number) : [];
    if (groups.some((m) => !Number.isInteger(m) || m < 1 || m > users)) {
      throw new Error('--groups must list member counts no larger than --users');
    }
    const result = await prepareDatabase({
      root: appRoot(values['app-root']),
      database: values.db,
      users,
      groups,
      fresh: values.fresh,
      verify: !values['no-verify'],
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });
}
