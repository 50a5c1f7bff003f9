import { Client } from 'pg';
import { freePort } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { TEST_KEK } from '../support/oauth';
import { ensureBuilt, ServiceProcess, startServiceProcess } from '../support/service-process';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const TOKEN = 'chaos-admin-token-0123456789abcdef';
/** Generous: a request on a loaded 2-core machine, with another instance and PostgreSQL beside it. */
const REQUEST_BOUND_MS = 60_000;

// A process test on PostgreSQL: SIGKILL of the real service, restarts, two instances on one
// database. `npm test` uses in-process PGlite, where none of this applies; `npm run test:pg` runs it.
const describeOnPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

jest.setTimeout(600_000);

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_BOUND_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 10, "a chaos test": the service killed with SIGKILL in the middle of writes, then
 * restarted. Whatever was acknowledged is there, and nothing is half-applied; with two instances
 * on one database, killing one leaves the other serving.
 */
describeOnPostgres('Chaos: SIGKILL during writes (PostgreSQL)', () => {
  let database: TestDatabase;
  let sql: Client;
  let env: Record<string, string>;
  const running: ServiceProcess[] = [];

  async function start(port?: number): Promise<ServiceProcess> {
    const service = await startServiceProcess({ ...env, PORT: String(port ?? (await freePort())) });
    running.push(service);
    return service;
  }

  async function scalar(query: string, params: unknown[] = []): Promise<number> {
    const { rows } = await sql.query<{ n: string }>(query, params);
    return Number(rows[0].n);
  }

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      SCIM_ADMIN_TOKEN: TOKEN,
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      BULK_MAX_OPERATIONS: '1000',
    };
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => service.kill()));
  });
  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  /** Each user row has exactly the email rows its document lists, and its indexed columns agree with it. */
  async function expectUsersWhole(prefix: string): Promise<number> {
    const users = await scalar('SELECT count(*) AS n FROM users WHERE user_name LIKE $1', [`${prefix}%`]);
    const disagreeing = await scalar(
      `SELECT count(*) AS n FROM users u WHERE u.user_name LIKE $1
         AND (u.doc->>'userName' IS DISTINCT FROM u.user_name::text
           OR u.doc->>'displayName' IS DISTINCT FROM u.display_name
           OR jsonb_array_length(coalesce(u.doc->'emails', '[]'::jsonb))
              <> (SELECT count(*) FROM user_emails e WHERE e.user_id = u.id))`,
      [`${prefix}%`],
    );
    expect(disagreeing).toBe(0);
    return users;
  }

  it('a 1,000-user Bulk killed in flight is all or nothing; an acknowledged one is all there after a restart', async () => {
    const port = await freePort();
    const bulkOf = (prefix: string) => ({
      schemas: [BULK],
      Operations: Array.from({ length: 1000 }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${i}`,
        data: {
          schemas: [USER],
          userName: `${prefix}-${i}@example.com`,
          displayName: `${prefix} ${i}`,
          emails: [{ value: `${prefix}-${i}@example.com`, type: 'work' }],
        },
      })),
    });

    // Killed after different delays, so that some rounds die before, some during and some after the insert.
    for (const [round, delay] of [50, 250, 700, 1500].entries()) {
      const service = await start(port);
      const prefix = `bulk${round}`;
      const answer = call(service.baseUrl, 'POST', '/v2/Bulk', bulkOf(prefix)).then(
        (a) => a,
        () => undefined,
      );
      await sleep(delay);
      await service.kill();
      const acknowledged = await answer;
      await start(port);
      const count = await expectUsersWhole(prefix);
      if (acknowledged?.status === 200) {
        expect(acknowledged.body.Operations.every((o: { status: string }) => o.status === '201')).toBe(true);
        expect(count).toBe(1000);
      } else {
        expect([0, 1000]).toContain(count);
      }
      await running.pop()!.kill();
    }

    const service = await start(port);
    const acknowledged = await call(service.baseUrl, 'POST', '/v2/Bulk', bulkOf('bulk-ack'));
    expect(acknowledged.status).toBe(200);
    await service.kill();
    const restarted = await start(port);
    expect(await expectUsersWhole('bulk-ack')).toBe(1000);
    const read = await call(restarted.baseUrl, 'GET', '/v2/Users?filter=userName%20sw%20%22bulk-ack-%22&count=0');
    expect(read.body.totalResults).toBe(1000);
  });

  it('PATCHes and member additions killed mid-stream: every acknowledged change is there, groups are consistent', async () => {
    const port = await freePort();
    let service = await start(port);
    const users: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await call(service.baseUrl, 'POST', '/v2/Users', {
        schemas: [USER],
        userName: `stream-${i}@example.com`,
        displayName: 'initial',
      });
      users.push(res.body.id);
    }
    const groups: string[] = [];
    for (let i = 0; i < 3; i++) {
      groups.push(
        (await call(service.baseUrl, 'POST', '/v2/Groups', { schemas: [GROUP], displayName: `stream ${i}` })).body.id,
      );
    }

    const ackedPatches = new Map<string, { version: number; displayName: string }>();
    const ackedMembers: { group: string; user: string; version: number }[] = [];
    let acks = 0;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; ; n++) {
        try {
          if (n % 2 === 0) {
            const user = users[(w * 7 + n) % users.length];
            const displayName = `w${w}-n${n}`;
            const res = await call(service.baseUrl, 'PATCH', `/v2/Users/${user}`, {
              schemas: [PATCH],
              Operations: [{ op: 'replace', path: 'displayName', value: displayName }],
            });
            if (res.status === 200) {
              const version = Number(/\d+/.exec(res.headers.get('etag') ?? '')?.[0]);
              if (version > (ackedPatches.get(user)?.version ?? 0)) {
                ackedPatches.set(user, { version, displayName });
              }
              acks++;
            }
          } else {
            const group = groups[(w + n) % groups.length];
            const user = users[(w * 5 + n * 3) % users.length];
            const res = await call(service.baseUrl, 'PATCH', `/v2/Groups/${group}`, {
              schemas: [PATCH],
              Operations: [{ op: 'add', path: 'members', value: [{ value: user }] }],
            });
            if (res.status === 204 || res.status === 200) {
              ackedMembers.push({ group, user, version: Number(/\d+/.exec(res.headers.get('etag') ?? '')?.[0]) });
              acks++;
            }
          }
        } catch {
          return; // the process is gone; a load balancer would stop sending here
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    const deadline = Date.now() + 120_000;
    while (acks < 60 && Date.now() < deadline) {
      await sleep(20);
    }
    expect(acks).toBeGreaterThanOrEqual(60);
    await service.kill();
    await Promise.all(workers);

    service = await start(port);
    for (const [user, acked] of ackedPatches) {
      const { rows } = await sql.query<{ version: number; display_name: string }>(
        'SELECT version, display_name FROM users WHERE id = $1',
        [user],
      );
      expect(rows[0].version).toBeGreaterThanOrEqual(acked.version);
      if (rows[0].version === acked.version) {
        expect(rows[0].display_name).toBe(acked.displayName);
      }
    }
    for (const { group, user } of ackedMembers) {
      expect(
        await scalar('SELECT count(*) AS n FROM group_members WHERE group_id = $1 AND user_id = $2', [group, user]),
      ).toBe(1);
    }
    for (const group of groups) {
      const read = await call(service.baseUrl, 'GET', `/v2/Groups/${group}`);
      const listed = ((read.body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
      const { rows } = await sql.query<{ user_id: string }>('SELECT user_id FROM group_members WHERE group_id = $1', [
        group,
      ]);
      expect(listed).toEqual(rows.map((r) => r.user_id).sort());
      expect(new Set(listed).size).toBe(listed.length);
      const version = Number(/\d+/.exec(read.body.meta.version)?.[0]);
      const ackedVersions = ackedMembers.filter((m) => m.group === group).map((m) => m.version);
      expect(version).toBeGreaterThanOrEqual(Math.max(1, ...ackedVersions));
    }
    await expectUsersWhole('stream-');
  });

  it('two instances on one database under concurrent writes: killing one leaves the other serving', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const killedAt = { time: 0 };
    const outcomes: { instance: 'a' | 'b'; ok: boolean; afterKill: boolean; id?: string }[] = [];
    let bAcksAfterKill = 0;
    const stop = { now: false, a: false };

    const worker = async (service: ServiceProcess, instance: 'a' | 'b', w: number): Promise<void> => {
      for (let n = 0; !stop.now && !(instance === 'a' && stop.a); n++) {
        const started = Date.now();
        try {
          const created = await call(service.baseUrl, 'POST', '/v2/Users', {
            schemas: [USER],
            userName: `pair-${instance}-${w}-${n}@example.com`,
          });
          expect(created.status).toBe(201);
          const patched = await call(service.baseUrl, 'PATCH', `/v2/Users/${created.body.id}`, {
            schemas: [PATCH],
            Operations: [{ op: 'replace', path: 'active', value: n % 2 === 0 }],
          });
          expect(patched.status).toBe(200);
          outcomes.push({
            instance,
            ok: true,
            afterKill: killedAt.time > 0 && started > killedAt.time,
            id: created.body.id,
          });
          if (instance === 'b' && killedAt.time > 0) {
            bAcksAfterKill++;
          }
        } catch {
          outcomes.push({ instance, ok: false, afterKill: killedAt.time > 0 && started > killedAt.time });
          if (instance === 'a') {
            return; // a load balancer takes the dead instance out
          }
        }
      }
    };
    const workers = [...[0, 1, 2].map((w) => worker(a, 'a', w)), ...[0, 1, 2].map((w) => worker(b, 'b', w))];
    const deadline = Date.now() + 120_000;
    while (outcomes.filter((o) => o.ok).length < 40 && Date.now() < deadline) {
      await sleep(20);
    }
    // A load balancer's health check would take A out now; its requests already in flight fail.
    stop.a = true;
    killedAt.time = Date.now();
    await a.kill();
    while (bAcksAfterKill < 40 && Date.now() < deadline + 120_000) {
      await sleep(20);
    }
    stop.now = true;
    await Promise.all(workers);

    const failures = outcomes.filter((o) => !o.ok);
    // Only requests to the killed instance failed, at most the one each of its workers had in flight.
    expect(failures.filter((o) => o.instance === 'b')).toEqual([]);
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(failures.every((o) => !o.afterKill)).toBe(true);
    expect(bAcksAfterKill).toBeGreaterThanOrEqual(40);
    // Everything acknowledged by either instance is in the database.
    const acked = outcomes.filter((o) => o.ok).map((o) => o.id!);
    expect(await scalar('SELECT count(*) AS n FROM users WHERE id = ANY($1::uuid[])', [acked])).toBe(acked.length);
    expect((await call(b.baseUrl, 'GET', '/health')).status).toBe(200);
  });
});
