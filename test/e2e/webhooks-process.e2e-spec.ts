import { Client } from 'pg';
import { freePort } from '../support/app';
import { createTestDatabase, TestDatabase, testDatabaseKind } from '../support/database';
import { TEST_KEK } from '../support/oauth';
import { ensureBuilt, ServiceProcess, startServiceProcess } from '../support/service-process';
import { WebhookReceiver } from '../support/webhook-receiver';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const TOKEN = 'webhooks-admin-token-0123456789abcdef';
const LEASE_SECONDS = 6;

// Real service processes on PostgreSQL: several instances on one database, SIGKILL, restarts.
// `npm test` runs in-process PGlite, where one process holds the database; `npm run test:pg` runs these.
const describeOnPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

jest.setTimeout(600_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(baseUrl: string, method: string, path: string, body?: unknown) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Issue 14, "Done when": webhook deliveries survive the death of the instance delivering them.
 * Two instances on one PostgreSQL share the subscriptions and deliver every event at least once,
 * in order; a killed instance's claimed delivery is made by the other once its lease expires; and
 * a service killed with SIGKILL amid writes and deliveries loses neither an event nor a delivery.
 */
describeOnPostgres('Webhooks across processes (PostgreSQL)', () => {
  let database: TestDatabase;
  let sql: Client;
  let env: Record<string, string>;
  const running: ServiceProcess[] = [];
  const receivers: WebhookReceiver[] = [];

  async function start(port?: number): Promise<ServiceProcess> {
    const service = await startServiceProcess({ ...env, PORT: String(port ?? (await freePort())) }, 150_000);
    running.push(service);
    return service;
  }

  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }

  async function subscribe(service: ServiceProcess, url: string): Promise<string> {
    const created = await call(service.baseUrl, 'POST', '/admin/webhooks', { url, event_types: ['user.created'] });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  /** Feed positions of the user.created events after `after`, in feed order. */
  async function createdEvents(after: bigint): Promise<{ seq: string; resourceId: string }[]> {
    const { rows } = await sql.query<{ position: string; resource_id: string }>(
      `SELECT seq::text AS position, resource_id FROM events WHERE type = 'user.created' AND seq > $1 ORDER BY seq`,
      [after.toString()],
    );
    return rows.map((r) => ({ seq: r.position, resourceId: r.resource_id }));
  }

  /**
   * Positions for every committed event (what any reader of the feed does). The sequencer waits for
   * transactions older than the writes anywhere on the PostgreSQL server (other suites share it), so
   * this reads until no committed event is left without a position.
   */
  async function sequenced(service: ServiceProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      expect((await call(service.baseUrl, 'GET', '/v2/Events?count=1&sortOrder=descending')).status).toBe(200);
      const { rows } = await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM events WHERE seq IS NULL');
      if (rows[0].n === '0' || Date.now() > deadline) {
        return;
      }
      await sleep(200);
    }
  }

  /** First arrivals in order must follow the feed: re-deliveries may repeat an event, never reorder or skip. */
  function expectInOrder(ids: string[]): void {
    const firsts = ids.filter((id, i) => ids.indexOf(id) === i).map(BigInt);
    for (let i = 1; i < firsts.length; i++) {
      expect(firsts[i] > firsts[i - 1]).toBe(true);
    }
    for (let i = 1; i < ids.length; i++) {
      // A repeat comes back only from the point a delivery was cut: never older than its predecessor's predecessor.
      expect(BigInt(ids[i]) >= BigInt(ids[i - 1]) || ids.slice(0, i).includes(ids[i])).toBe(true);
    }
  }

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      SCIM_ADMIN_TOKEN: TOKEN,
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '100',
      WEBHOOKS_LEASE_SECONDS: String(LEASE_SECONDS),
      // Long enough that the claimer is killed before it gives up on the held request itself.
      WEBHOOKS_TIMEOUT_MS: '5000',
      WEBHOOKS_RETRY_BASE_MS: '100',
      WEBHOOKS_RETRY_MAX_MS: '500',
      WEBHOOKS_MAX_FAILURES: '1000',
      PASSWORD_SCRYPT_N: '16384',
    };
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  }, 600_000);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => service.kill()));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  it('two instances deliver every event to every subscriber, in order; a killed claimer is taken over after its lease', async () => {
    const a = await start();
    const hooks = [await receiver(), await receiver(), await receiver()];
    const subscriptions = [];
    for (const hook of hooks) {
      subscriptions.push(await subscribe(a, hook.url));
    }
    // Started after the subscriptions exist, so it looks for work at once rather than on its idle check.
    const b = await start();
    await sequenced(a);
    const { rows } = await sql.query<{ head: string }>(`SELECT coalesce(max(seq), 0)::text AS head FROM events`);
    const start0 = BigInt(rows[0].head);

    // Writes through both instances, several at a time.
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; i < 10; i++) {
          const via = (i + worker) % 2 === 0 ? a : b;
          const created = await call(via.baseUrl, 'POST', '/v2/Users', {
            schemas: [USER],
            userName: `two-${worker}-${i}@example.com`,
          });
          expect(created.status).toBe(201);
          ids.push(created.body.id as string);
        }
      }),
    );
    await sequenced(b);
    const expected = (await createdEvents(start0)).map((e) => e.seq);
    expect(expected).toHaveLength(40);
    for (const hook of hooks) {
      await hook.waitFor((r) => expected.every((seq) => r.some((x) => String(x.json?.data?.id) === seq)), 90_000);
      // No instance died here: exactly once each, in feed order.
      expect(hook.eventIds()).toEqual(expected);
    }

    // A delivery claimed by one instance, which dies while the receiver holds the request.
    const held = await receiver();
    held.respond = (_r, n) => (n === 0 ? 'hang' : 200);
    const sub = await subscribe(a, held.url);
    const victimUser = await call(a.baseUrl, 'POST', '/v2/Users', { schemas: [USER], userName: 'held@example.com' });
    expect(victimUser.status).toBe(201);
    await held.waitFor((r) => r.length >= 1, 60_000, 'the first attempt');
    const owner = await sql.query<{ lease_owner: string | null }>(
      'SELECT lease_owner FROM webhook_subscriptions WHERE id = $1',
      [sub],
    );
    const pid = Number(owner.rows[0].lease_owner?.split(':').at(-2));
    const [claimer, other] = a.child.pid === pid ? [a, b] : [b, a];
    expect(claimer.child.pid).toBe(pid);
    const killedAt = Date.now();
    await claimer.kill();
    await held.waitFor((r) => r.length >= 2, 60_000, 'the delivery by the surviving instance');
    // Taken over only once the dead instance's lease ran out, and as the same message.
    expect(held.received[1].at - killedAt).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 1500);
    expect(held.received[1].headers['webhook-id']).toBe(held.received[0].headers['webhook-id']);
    const log = await call(other.baseUrl, 'GET', `/admin/webhooks/${sub}/deliveries`);
    expect(log.body.deliveries[0]).toMatchObject({ status: 'succeeded', last_status_code: 200 });
    expect(ids).toHaveLength(40);
  });

  it('SIGKILL amid writes and deliveries: after a restart every acknowledged write has its event, and every event is delivered', async () => {
    const port = await freePort();
    let service = await start(port);
    const hook = await receiver();
    hook.delayMs = 15;
    const sub = await subscribe(service, hook.url);
    await sequenced(service);
    const { rows } = await sql.query<{ cursor: string }>(
      'SELECT cursor::text FROM webhook_subscriptions WHERE id = $1',
      [sub],
    );
    const from = BigInt(rows[0].cursor);

    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const created = await call(`http://127.0.0.1:${port}`, 'POST', '/v2/Users', {
            schemas: [USER],
            userName: `stream-${w}-${i}@example.com`,
          });
          if (created.status === 201) {
            acknowledged.push(created.body.id as string);
          }
        } catch {
          // The service is down (killed, restarting): the write was not acknowledged.
          await sleep(200);
        }
      }
    });
    await hook.waitFor((r) => r.length > 0, 60_000, 'the first deliveries');
    // Killed twice while writes and deliveries are in flight, restarted each time on the same port.
    for (const delay of [1500, 2500]) {
      await sleep(delay);
      const deliveredBefore = hook.received.length;
      await service.kill();
      running.splice(running.indexOf(service), 1);
      expect(deliveredBefore).toBeGreaterThan(0);
      service = await start(port);
    }
    await sleep(1500);
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(20);

    await sequenced(service);
    const events = await createdEvents(from);
    const withEvent = new Set(events.map((e) => e.resourceId));
    // Every acknowledged write has its event; and no user (acknowledged or not) exists without one.
    expect(acknowledged.filter((id) => !withEvent.has(id))).toEqual([]);
    const orphans = await sql.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM users u WHERE u.user_name LIKE 'stream-%'
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'user.created' AND e.resource_id = u.id::text)`,
    );
    expect(orphans.rows[0].n).toBe('0');
    // Every event is delivered (at least once), and first deliveries follow the feed.
    const expected = events.map((e) => e.seq);
    await hook.waitFor((r) => expected.every((seq) => r.some((x) => String(x.json?.data?.id) === seq)), 120_000);
    const got = hook.eventIds().filter((id) => BigInt(id) > from);
    expect([...new Set(got)].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))).toEqual(expected);
    expectInOrder(got);
  });
});
