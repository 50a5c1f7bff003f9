import { PrismaService } from '@roster/db';
import fc from 'fast-check';
import { HttpResponse, startServer, TestServer } from '../support/app';
import {
  bulkBody,
  encodeComponent,
  filterArbitrary,
  GROUP_SCHEMA,
  listQuery,
  mutateJson,
  mutateText,
  patchBody,
  resourceDocument,
  tokenForm,
  USER_SCHEMA,
} from '../support/fuzz-grammar';
import { TEST_KEK } from '../support/oauth';

/**
 * The property-based fuzzer of issue 10: inputs generated from the SCIM and OAuth grammars and
 * mutated (byte flips, truncation, NUL, huge numbers, deep nesting, wrong types). Whatever comes
 * in, the answer is a success or a 4xx in the route's error format, within a generous bound, and
 * a 4xx changes nothing in the directory.
 *
 * `npm test` runs a fixed seed and a modest number of runs; `.ci/run` runs more with a random
 * seed. Replay a failure with FUZZ_SEED=<seed> (and FUZZ_RUNS) printed at the start of the run:
 *   FUZZ_SEED=123 FUZZ_RUNS=200 node scripts/jest.mjs e2e test/e2e/fuzz
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261204;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 30;
/**
 * The fixed-seed run leaves out the open cases of the database side (see GrammarOptions in
 * test/support/fuzz-grammar.ts: out-of-range dates in filters answer 500, sortBy=manager.$ref
 * answers 503); any run with FUZZ_RUNS set includes them, and FUZZ_OPEN=0/1 overrides.
 */
const OPEN = process.env.FUZZ_OPEN ? process.env.FUZZ_OPEN === '1' : process.env.FUZZ_RUNS !== undefined;
const GRAMMAR = { open: OPEN };
/** Per request: what a loaded 2-core machine meets for any bounded request. */
const REQUEST_BOUND_MS = 15_000;
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'temporarily_unavailable',
];

jest.setTimeout(Math.max(120_000, RUNS * 9 * 2_000));

describe(`Fuzzer (seed ${SEED}, ${RUNS} runs per family)`, () => {
  let server: TestServer;
  let prisma: PrismaService;
  const ids = { user: '', group: '' };
  let clientId = '';
  let cursor = '';

  beforeAll(async () => {
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_OPEN=${OPEN ? 1 : 0}\n`);
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      // The fuzzer sends many token requests; the per-client and per-address limits are tested elsewhere.
      OAUTH_RATE_LIMIT_CLIENT: '1000000',
      OAUTH_RATE_LIMIT_ADDRESS: '1000000',
    });
    prisma = server.app.get(PrismaService);
    const users = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.post('/v2/Users', {
        schemas: [USER_SCHEMA],
        userName: `seed-${i}@example.com`,
        name: { givenName: `Given${i}`, familyName: 'Seed' },
        emails: [{ value: `seed-${i}@example.com`, type: 'work', primary: true }],
        active: i % 2 === 0,
      });
      users.push(res.body.id as string);
    }
    ids.user = users[0];
    const inner = await server.post('/v2/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Seed inner',
      members: [{ value: users[1] }],
    });
    ids.group = (
      await server.post('/v2/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'Seed outer',
        members: [{ value: users[0] }, { value: inner.body.id }],
      })
    ).body.id;
    clientId = (await server.post('/admin/clients', { client_name: 'fuzz', scope: 'scim.read' })).body.client_id;
    cursor = (await server.get('/v2/Users?cursor&count=2')).body.nextCursor ?? '';
  });
  afterAll(async () => {
    await server.close();
  });

  /** Counts and version sums: any write moves them. */
  async function fingerprint(): Promise<string> {
    const rows = await prisma.client.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT (SELECT count(*) FROM users) AS u, (SELECT coalesce(sum(version), 0) FROM users) AS uv,
              (SELECT count(*) FROM user_emails) AS e, (SELECT count(*) FROM groups) AS g,
              (SELECT coalesce(sum(version), 0) FROM groups) AS gv, (SELECT count(*) FROM group_members) AS m,
              (SELECT count(*) FROM group_logos) AS l, (SELECT count(*) FROM api_tokens) AS t,
              (SELECT count(*) FROM oauth_clients) AS c`,
    );
    return JSON.stringify(rows[0], (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  }

  interface Sent {
    method: string;
    path: string;
    body?: string;
    headers?: Record<string, string>;
    token?: string | null;
    oauth?: boolean;
  }

  /** One request, and the property every answer must have. */
  async function check(sent: Sent): Promise<void> {
    const before = await fingerprint();
    let res: HttpResponse;
    try {
      res = await server.request(sent.method, sent.path, {
        raw: sent.body,
        headers: { 'content-type': 'application/scim+json', ...sent.headers, 'x-fuzz': '1' },
        token: sent.token,
        signal: AbortSignal.timeout(REQUEST_BOUND_MS),
      });
    } catch (error) {
      throw new Error(`No answer within ${REQUEST_BOUND_MS} ms to ${describe(sent)}: ${String(error)}`, {
        cause: error,
      });
    }
    const where = `${res.status} ${res.text.slice(0, 300)} for ${describe(sent)}`;
    if (res.status >= 500) {
      throw new Error(`5xx: ${where}`);
    }
    if (res.status >= 400) {
      if (sent.oauth) {
        if (!OAUTH_ERRORS.includes(res.body?.error)) {
          throw new Error(`Not an OAuth error: ${where}`);
        }
      } else if (!(res.body?.schemas?.[0] === ERROR_SCHEMA && res.body?.status === String(res.status))) {
        throw new Error(`Not a SCIM error envelope: ${where}`);
      }
      const after = await fingerprint();
      if (after !== before) {
        throw new Error(`A ${res.status} changed the directory (${before} → ${after}): ${where}`);
      }
    }
  }

  function describe(sent: Sent): string {
    const body = sent.body === undefined ? '' : ` body ${JSON.stringify(sent.body.slice(0, 500))}`;
    return `${sent.method} ${sent.path.slice(0, 500)}${body}`;
  }

  const run = (property: fc.IAsyncProperty<any>) =>
    fc.assert(property, { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 });

  it.each(['Users', 'Groups'] as const)('filters on /v2/%s, in the query and in .search', async (type) => {
    await run(
      fc.asyncProperty(
        mutateText(filterArbitrary(type === 'Users' ? 'User' : 'Group', GRAMMAR)),
        fc.boolean(),
        async (filter, search) => {
          if (search) {
            await check({
              method: 'POST',
              path: `/v2/${type}/.search`,
              body: JSON.stringify({
                schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
                filter,
                count: 5,
              }),
            });
          } else {
            await check({ method: 'GET', path: `/v2/${type}?count=5&filter=${encodeComponent(filter)}` });
          }
        },
      ),
    );
  });

  it('list query parameters (sorting, paging, projection, cursors)', async () => {
    await run(
      fc.asyncProperty(fc.constantFrom('Users', 'Groups'), listQuery('User', GRAMMAR), async (type, pairs) => {
        const query = pairs.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
        await check({ method: 'GET', path: `/v2/${type}?${query}` });
      }),
    );
  });

  it('cursors: real ones mutated, and forged ones', async () => {
    const forged = fc.oneof(
      mutateText(fc.constant(cursor)),
      fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
      fc
        .record({
          i: fc.oneof(fc.uuid(), fc.constant('-'.repeat(36))),
          k: fc.oneof(fc.string(), fc.constantFrom('1', 'March 7', '-271821-04-20T00:00:00Z', 'a\u0000b')),
        })
        .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
    );
    await run(
      fc.asyncProperty(forged, fc.integer({ min: -1, max: 50 }), async (value, count) => {
        await check({ method: 'GET', path: `/v2/Users?count=${count}&cursor=${encodeComponent(value)}` });
      }),
    );
  });

  it('PATCH bodies on a user and a group', async () => {
    await run(
      fc.asyncProperty(
        fc.boolean(),
        mutateJson(patchBody('User')),
        mutateJson(patchBody('Group')),
        async (onUser, userBody, groupBody) => {
          await check({
            method: 'PATCH',
            path: onUser ? `/v2/Users/${ids.user}` : `/v2/Groups/${ids.group}`,
            body: onUser ? userBody : groupBody,
          });
        },
      ),
    );
  });

  it('PUT and POST bodies', async () => {
    await run(
      fc.asyncProperty(
        fc.constantFrom('PUT /v2/Users/{user}', 'PUT /v2/Groups/{group}', 'POST /v2/Users', 'POST /v2/Groups'),
        mutateJson(resourceDocument('User')),
        mutateJson(resourceDocument('Group')),
        async (route, userBody, groupBody) => {
          const [method, template] = route.split(' ');
          const path = template.replace('{user}', ids.user).replace('{group}', ids.group);
          await check({ method, path, body: path.includes('Users') ? userBody : groupBody });
        },
      ),
    );
  });

  it('Bulk bodies', async () => {
    await run(
      fc.asyncProperty(mutateJson(bulkBody(ids)), async (body) => {
        await check({ method: 'POST', path: '/v2/Bulk', body });
      }),
    );
  });

  it('token endpoint forms (unauthenticated), with and without Basic credentials', async () => {
    await run(
      fc.asyncProperty(
        tokenForm(clientId),
        fc.option(fc.oneof(fc.string(), fc.constant(`${clientId}:wrong`)), { nil: undefined }),
        fc.integer({ min: 0, max: 3 }),
        async (pairs, basic, mutation) => {
          let body = new URLSearchParams(
            pairs.map(([k, v]): [string, string] => [Buffer.from(k).toString(), Buffer.from(v).toString()]),
          ).toString();
          if (mutation === 1) {
            body = body.slice(0, Math.floor(body.length / 2));
          } else if (mutation === 2) {
            body = `${body}&${body}`;
          }
          await check({
            method: 'POST',
            path: '/v2/Login/Oauth2/Token',
            body,
            token: null,
            oauth: true,
            headers: {
              'content-type': mutation === 3 ? 'application/json' : 'application/x-www-form-urlencoded',
              ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }),
            },
          });
        },
      ),
    );
  });
});
