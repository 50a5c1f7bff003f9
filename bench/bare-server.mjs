#!/usr/bin/env node
// The bare reference server of bench/compare.mjs (issue 12 item 9): Fastify 5 and `pg`, nothing
// else, serving the four benchmarked shapes of /v2/Users from Roster's own tables with the same
// response JSON Roster sends. It is what "as fast as the stack allows" means for those shapes: one
// statement per read (row, memberships and count together), a read and one conditional UPDATE per
// PATCH, the bearer token compared in memory. It is a yardstick, not a SCIM server: it knows only
// `replace` of top-level attributes other than emails, and only `userName eq` filters.
//
//   DATABASE_URL=postgresql://... PORT=3999 BENCH_TOKEN=secret PUBLIC_URL=http://127.0.0.1:3000 \
//     node bench/bare-server.mjs
import { createRequire } from 'node:module';
import process from 'node:process';
import { timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';

const require = createRequire(import.meta.url);
const Fastify = require('fastify');
const pg = require('pg');

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const READ_ONLY = new Set(['id', 'meta', 'schemas', 'groups', 'emails', 'password']);

const token = Buffer.from(process.env.BENCH_TOKEN ?? '');
if (token.length < 16) {
  throw new Error('BENCH_TOKEN must have at least 16 characters');
}
const base = `${process.env.PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3999}`}/v2`;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

const COLS = `r.id::text AS id, r.doc, r.version, r.created, r.last_modified`;

/**
 * The memberships of the users `ids` selects (an SQL subquery of uuids) as Roster's
 * MEMBERSHIPS_SQL walks them: direct groups, then nested groups upwards, in display-name order.
 */
const memberships = (ids) => `
  direct AS MATERIALIZED (SELECT gm.user_id, gm.group_id FROM group_members gm WHERE gm.user_id IN (${ids})),
  up(start, gid) AS (
    SELECT s.group_id, s.group_id FROM (SELECT DISTINCT group_id FROM direct) s
    UNION
    SELECT up.start, gm.group_id FROM up JOIN group_members gm ON gm.child_group_id = up.gid
  ),
  named AS (
    SELECT g.id, g.display_name::text AS name, row_number() OVER (ORDER BY g.display_name, g.id) AS rank
    FROM groups g WHERE g.id IN (SELECT gid FROM up)
  ),
  mem AS (
    SELECT d.user_id, up.gid, bool_or(up.gid = d.group_id) AS direct
    FROM direct d JOIN up ON up.start = d.group_id GROUP BY d.user_id, up.gid
  )`;

const GROUPS_OF = `(SELECT json_agg(json_build_object('id', mem.gid::text, 'name', n.name, 'direct', mem.direct) ORDER BY n.rank)
                    FROM mem JOIN named n ON n.id = mem.gid WHERE mem.user_id = p.id::uuid) AS groups`;

/** One statement: the user and its groups. */
const GET_SQL = `WITH RECURSIVE p AS (SELECT ${COLS} FROM users r WHERE r.id = $1::uuid), ${memberships(
  'SELECT p.id::uuid FROM p',
)}
SELECT p.*, ${GROUPS_OF} FROM p`;

/** One statement: the count, the page and the page's groups. */
const listSql = (where) => `WITH RECURSIVE
  p AS (SELECT ${COLS} FROM users r WHERE ${where} ORDER BY r.created, r.id LIMIT $1 OFFSET $2),
  total AS (SELECT count(*) AS n FROM users r WHERE ${where}),
  ${memberships('SELECT p.id::uuid FROM p')}
SELECT (SELECT n FROM total)::int AS total, p.*, ${GROUPS_OF} FROM p ORDER BY p.created, p.id`;
const LIST_SQL = listSql('true');
const FILTER_SQL = listSql('lower(r.user_name::text) = $3');

/** One statement: the conditional write (lost race: no row) and the groups for the response. */
const UPDATE_SQL = `WITH RECURSIVE p AS (
    UPDATE users r SET doc = $3::jsonb, user_name = $4, external_id = $5, display_name = $6, active = $7,
      version = r.version + 1, last_modified = now()
    WHERE r.id = $1::uuid AND r.version = $2 RETURNING ${COLS}
  ), ${memberships('SELECT p.id::uuid FROM p')}
SELECT p.*, ${GROUPS_OF} FROM p`;

/** The SCIM representation Roster's UsersService.represent builds from the same row. */
function represent(row) {
  const { externalId, ...doc } = row.doc;
  const schemas = [USER_SCHEMA];
  for (const [key, value] of Object.entries(doc)) {
    if (key.startsWith('urn:') && value && typeof value === 'object' && !Array.isArray(value)) {
      schemas.push(key);
    }
  }
  const location = `${base}/Users/${row.id}`;
  const groups = (row.groups ?? []).map((g) => ({
    value: g.id,
    $ref: `${base}/Groups/${g.id}`,
    display: g.name,
    type: g.direct ? 'direct' : 'indirect',
  }));
  return {
    schemas,
    id: row.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...doc,
    ...(groups.length ? { groups } : {}),
    meta: {
      resourceType: 'User',
      created: row.created.toISOString(),
      lastModified: row.last_modified.toISOString(),
      location,
      version: `W/"${row.version}"`,
    },
  };
}

function scimError(reply, status, detail, scimType) {
  return reply
    .code(status)
    .type('application/scim+json')
    .send({ schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

function listResponse(rows, startIndex) {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: rows[0]?.total ?? 0,
    itemsPerPage: rows.length,
    startIndex,
    Resources: rows.map(represent),
  };
}

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body));
  } catch (error) {
    error.statusCode = 400;
    done(error);
  }
});

app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  if (given.length !== token.length || !timingSafeEqual(given, token)) {
    return scimError(reply, 401, 'Authentication required.');
  }
});

app.get('/v2/Users/:id', async (request, reply) => {
  const { id } = request.params;
  const { rows } = UUID.test(id) ? await pool.query(GET_SQL, [id]) : { rows: [] };
  if (!rows.length) {
    return scimError(reply, 404, `User ${id} not found.`);
  }
  return reply.type('application/scim+json').header('etag', `W/"${rows[0].version}"`).send(represent(rows[0]));
});

app.get('/v2/Users', async (request, reply) => {
  const count = Math.min(Math.max(Number(request.query.count ?? 100) || 0, 0), 1000);
  const startIndex = Math.max(Number(request.query.startIndex ?? 1) || 1, 1);
  const filter = request.query.filter;
  let rows;
  if (filter === undefined) {
    ({ rows } = await pool.query(LIST_SQL, [count, startIndex - 1]));
  } else {
    const match = /^userName eq "((?:[^"\\]|\\.)*)"$/.exec(filter);
    if (!match) {
      return scimError(reply, 400, 'This reference server knows only userName eq "...".', 'invalidFilter');
    }
    ({ rows } = await pool.query(FILTER_SQL, [count, startIndex - 1, JSON.parse(`"${match[1]}"`).toLowerCase()]));
  }
  return reply.type('application/scim+json').send(listResponse(rows, startIndex));
});

app.patch('/v2/Users/:id', async (request, reply) => {
  const { id } = request.params;
  const body = request.body;
  if (
    !body ||
    !Array.isArray(body.schemas) ||
    !body.schemas.includes(PATCH_SCHEMA) ||
    !Array.isArray(body.Operations)
  ) {
    return scimError(reply, 400, 'A PatchOp body is required.', 'invalidSyntax');
  }
  for (const op of body.Operations) {
    if (
      op?.op !== 'replace' ||
      typeof op.path !== 'string' ||
      !/^[A-Za-z]\w*$/.test(op.path) ||
      READ_ONLY.has(op.path)
    ) {
      return scimError(reply, 400, 'This reference server knows only replace of a top-level attribute.', 'invalidPath');
    }
  }
  if (!UUID.test(id)) {
    return scimError(reply, 404, `User ${id} not found.`);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await pool.query(`SELECT r.doc, r.version FROM users r WHERE r.id = $1::uuid`, [id]);
    if (!current.rows.length) {
      return scimError(reply, 404, `User ${id} not found.`);
    }
    const doc = { ...current.rows[0].doc };
    for (const op of body.Operations) {
      doc[op.path] = op.value;
    }
    const { rows } = await pool.query(UPDATE_SQL, [
      id,
      current.rows[0].version,
      JSON.stringify(doc),
      doc.userName,
      typeof doc.externalId === 'string' ? doc.externalId : null,
      typeof doc.displayName === 'string' ? doc.displayName : null,
      doc.active !== false,
    ]);
    if (rows.length) {
      return reply.type('application/scim+json').header('etag', `W/"${rows[0].version}"`).send(represent(rows[0]));
    }
    // Another writer bumped the version between the read and the write: read again.
  }
  return scimError(reply, 409, 'The user changed too often to be patched; retry.');
});

const shutdown = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ port: Number(process.env.PORT ?? 3999), host: process.env.HOST ?? '127.0.0.1' });
