import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { runCli } from '../../apps/cli/src/cli';
import { startServer, TestServer } from '../support/app';
import { TEST_KEK } from '../support/oauth';
import { USER, PATCH_OP } from '../support/traces';
import { verifyStandardWebhook, WebhookReceiver } from '../support/webhook-receiver';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * Webhooks (issue 14 item 3) against a real receiver on 127.0.0.1: signatures checked with the
 * published Standard Webhooks scheme, order, retries after a 500, disabling, replay, rotation,
 * SSRF refusals, the roster.events scope and the CLI. PGlite (`npm test`) and PostgreSQL (`npm run test:pg`).
 */
describe('Webhooks', () => {
  let server: TestServer;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    server = await startServer({
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
      WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '100',
      WEBHOOKS_RETRY_BASE_MS: '200',
      WEBHOOKS_RETRY_MAX_MS: '400',
      WEBHOOKS_MAX_FAILURES: '3',
      WEBHOOKS_LEASE_SECONDS: '10',
      WEBHOOKS_TIMEOUT_MS: '5000',
    });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await server?.close();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }

  async function subscribe(url: string, body: Record<string, unknown> = {}) {
    const created = await server.post('/admin/webhooks', { url, ...body });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string; cursor: string };
  }

  async function createUser(userName: string): Promise<string> {
    const created = await server.post('/v2/Users', { schemas: [USER], userName });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  /** The feed's events of one resource, oldest first. */
  async function eventsOf(resourceId: string): Promise<{ id: string; type: string }[]> {
    const page = await server.get(`/v2/Events?resourceId=${resourceId}&count=100`);
    expect(page.status).toBe(200);
    return page.body.Resources;
  }

  async function subscription(id: string) {
    const got = await server.get(`/admin/webhooks/${id}`);
    expect(got.status).toBe(200);
    return got.body;
  }

  async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value)) {
        return value;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('shows the secret once, delivers subscribed events in order, signed as Standard Webhooks publishes', async () => {
    const hook = await receiver();
    const sub = await subscribe(hook.url, {
      event_types: ['user.created', 'user.deactivated'],
      description: 'sync',
    });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await subscription(sub.id);
    expect(shown).not.toHaveProperty('secret');
    expect(JSON.stringify(shown)).not.toContain(sub.secret.slice(6));
    expect(shown).toMatchObject({
      url: hook.url,
      event_types: ['user.created', 'user.deactivated'],
      enabled: true,
      format: 'standard-webhooks',
      description: 'sync',
    });

    const userId = await createUser('hooked@example.com');
    const group = await server.post('/v2/Groups', { schemas: [GROUP], displayName: 'Not subscribed' });
    expect(group.status).toBe(201);
    const patched = await server.patch(`/v2/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(patched.status).toBe(200);

    await hook.waitFor((r) => r.length >= 2);
    const events = await eventsOf(userId);
    expect(events.map((e) => e.type)).toEqual(['user.created', 'user.deactivated']);
    expect(hook.eventIds()).toEqual(events.map((e) => e.id));
    for (const [i, got] of hook.received.entries()) {
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers['webhook-id']).toBe(`evt_${events[i].id}`);
      expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
      expect(verifyStandardWebhook(sub.secret, got.headers, got.body)).toBe(true);
      // A changed byte, or another secret, does not verify.
      expect(verifyStandardWebhook(sub.secret, got.headers, `${got.body} `)).toBe(false);
      expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got.headers, got.body)).toBe(
        false,
      );
      expect(got.json).toMatchObject({ type: events[i].type, data: { id: events[i].id, resource: { id: userId } } });
    }
    expect(hook.received[1].json.data.changes).toEqual([{ path: 'active', value: false }]);
    // The group's event was not subscribed: skipped, not sent.
    expect(hook.received.some((r) => r.json.type === 'group.created')).toBe(false);

    const log = await server.get(`/admin/webhooks/${sub.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual(events.map((e) => e.id).reverse());
    expect(log.body.deliveries[0]).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200 });
    expect(typeof log.body.deliveries[0].latency_ms).toBe('number');
    expect(log.body.deliveries[0].response_snippet).toBe('ok');

    const created = await server.get(`/v2/Events?type=webhook.created&resourceId=${sub.id}`);
    expect(created.body.Resources).toHaveLength(1);
    expect(JSON.stringify(created.body.Resources[0])).not.toContain(sub.secret.slice(6));
    expect(created.body.Resources[0].actor.kind).toBe('admin');
  });

  it('retries after a 500 with backoff, and keeps the order: the next event waits for the first', async () => {
    const hook = await receiver();
    hook.respond = (_r, n) => (n === 0 ? 500 : 200);
    const sub = await subscribe(hook.url, { event_types: ['user.created'] });
    const first = await createUser('retry-1@example.com');
    const second = await createUser('retry-2@example.com');
    await hook.waitFor((r) => r.length >= 3);
    const [a] = await eventsOf(first);
    const [b] = await eventsOf(second);
    // The first event twice (a 500, then a 200), and only then the second.
    expect(hook.eventIds().slice(0, 3)).toEqual([a.id, a.id, b.id]);
    expect(hook.received[0].headers['webhook-id']).toBe(hook.received[1].headers['webhook-id']);
    expect(hook.received[1].at - hook.received[0].at).toBeGreaterThanOrEqual(90);

    const log = await until(
      () => server.get(`/admin/webhooks/${sub.id}/deliveries`),
      (l) => l.body.deliveries.length === 2,
      'two log rows',
    );
    const row = log.body.deliveries.find((d: { event_id: string }) => d.event_id === a.id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200, last_error: null });
    const state = await subscription(sub.id);
    expect(state).toMatchObject({ consecutive_failures: 0, failures_total: 1, deliveries_total: 2 });
    expect(BigInt(state.cursor)).toBeGreaterThanOrEqual(BigInt(b.id));
  });

  it('disables a subscription after WEBHOOKS_MAX_FAILURES failures in a row; enabling resumes where it stopped', async () => {
    const hook = await receiver();
    hook.respond = () => 500;
    const sub = await subscribe(hook.url, { event_types: ['user.created'] });
    const userId = await createUser('failing@example.com');
    const [event] = await eventsOf(userId);

    const disabled = await until(
      () => subscription(sub.id),
      (s) => s.enabled === false,
      'disabling',
    );
    expect(hook.received).toHaveLength(3);
    expect(disabled.consecutive_failures).toBe(3);
    expect(disabled.disabled_reason).toContain('3 consecutive failed deliveries');
    expect(disabled.disabled_reason).toContain('HTTP 500');
    expect(BigInt(disabled.cursor)).toBeLessThan(BigInt(event.id));
    const log = await server.get(`/admin/webhooks/${sub.id}/deliveries`);
    expect(log.body.deliveries).toEqual([
      expect.objectContaining({ event_id: event.id, status: 'failed', attempts: 3, last_status_code: 500 }),
    ]);
    const notice = await server.get(`/v2/Events?type=webhook.updated&resourceId=${sub.id}`);
    expect(notice.body.Resources.at(-1)).toMatchObject({
      actor: { kind: 'system' },
      changes: expect.arrayContaining([{ path: 'enabled', value: false }]),
    });
    // Nothing more is sent while disabled.
    await new Promise((r) => setTimeout(r, 500));
    expect(hook.received).toHaveLength(3);

    hook.respond = () => 204;
    const enabled = await server.patch(`/admin/webhooks/${sub.id}`, { enabled: true });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ enabled: true, consecutive_failures: 0, disabled_reason: null });
    await hook.waitFor((r) => r.length >= 4);
    expect(hook.eventIds()[3]).toBe(event.id);
    // Past the event (and past the webhook.* events after it, which this subscription skips).
    await until(
      () => subscription(sub.id),
      (s) => BigInt(s.cursor) >= BigInt(event.id),
      'the cursor past the event',
    );
  });

  it('replays from an event id: the same messages again, in order, then new ones', async () => {
    const hook = await receiver();
    const sub = await subscribe(hook.url, { event_types: ['user.created'] });
    const ids = [await createUser('replay-1@example.com'), await createUser('replay-2@example.com')];
    await hook.waitFor((r) => r.length >= 2);
    const first = hook.received.map((r) => r.headers['webhook-id']);

    const replayed = await server.post(`/admin/webhooks/${sub.id}/replay`, { from: hook.eventIds()[0] });
    expect(replayed.status).toBe(202);
    expect(BigInt(replayed.body.cursor)).toBe(BigInt(hook.eventIds()[0]) - 1n);
    await hook.waitFor((r) => r.length >= 4);
    expect(hook.received.slice(2).map((r) => r.headers['webhook-id'])).toEqual(first);
    const third = await createUser('replay-3@example.com');
    await hook.waitFor((r) => r.length >= 5);
    expect(hook.eventIds()[4]).toBe((await eventsOf(third))[0].id);
    expect(ids).toHaveLength(2);

    for (const bad of [{ from: 'abc' }, { from: '0' }, {}, { from: '99999999999999999999' }]) {
      const refused = await server.post(`/admin/webhooks/${sub.id}/replay`, bad);
      expect(refused.status).toBe(400);
      expect(refused.body.scimType).toBe('invalidValue');
    }
  });

  it('rotates the secret: shown once, and both secrets sign for the overlap', async () => {
    const hook = await receiver();
    const sub = await subscribe(hook.url, { event_types: ['user.created'] });
    const rotated = await server.post(`/admin/webhooks/${sub.id}/secret`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(sub.secret);
    expect(rotated.body.previous_secret_until).not.toBeNull();
    await createUser('rotated@example.com');
    await hook.waitFor((r) => r.length >= 1);
    const [got] = hook.received;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(rotated.body.secret, got.headers, got.body)).toBe(true);
    expect(verifyStandardWebhook(sub.secret, got.headers, got.body)).toBe(true);
    const event = await server.get(`/v2/Events?type=webhook.updated&resourceId=${sub.id}`);
    expect(event.body.Resources[0].changes).toEqual([{ path: 'secret' }]);
  });

  it('refuses unsafe targets and bad input with a 400 naming the problem, and creates nothing', async () => {
    const before = (await server.get('/admin/webhooks')).body.webhooks.length;
    const cases: [unknown, RegExp][] = [
      [{ url: 'http://hooks.example.com/x' }, /must use https/],
      [{ url: 'https://10.0.0.8/hook' }, /private, loopback, link-local or reserved address \(10\.0\.0\.8\)/],
      [{ url: 'https://169.254.169.254/latest/meta-data' }, /169\.254\.169\.254/],
      [{ url: 'https://192.168.1.20/' }, /private/],
      [{ url: 'https://[fe80::1]/' }, /fe80::1/],
      [{ url: 'https://[::ffff:10.0.0.1]/' }, /private/],
      [{ url: 'https://100.64.0.1/' }, /reserved/],
      [{ url: 'ftp://hooks.example.com/' }, /must use https, not ftp/],
      [{ url: 'https://user:pw@hooks.example.com/' }, /credentials/],
      [{ url: `https://hooks.example.com/${'a'.repeat(2000)}` }, /longer than 2000/],
      [{ url: 'not a url' }, /not a valid absolute URL/],
      [{ url: 'https://hooks.example.com/', event_types: ['user.exploded'] }, /Unknown event type user\.exploded/],
      [{ url: 'https://hooks.example.com/', event_types: 'user.created' }, /event_types must be a list/],
      [{ url: 'https://hooks.example.com/', description: 'x'.repeat(501) }, /at most 500/],
      [
        { url: 'https://hooks.example.com/', format: 'cloudevents' },
        /format must be one of standard-webhooks, secevent/,
      ],
      [{ url: 'https://hooks.example.com/', secret: 'mine' }, /Unknown member secret/],
      [{ url: 'https://hooks.example.com/', enabled: 'yes' }, /enabled must be true or false/],
      [['https://hooks.example.com/'], /JSON object/],
    ];
    for (const [body, detail] of cases) {
      const refused = await server.post('/admin/webhooks', body);
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
      expect(refused.body.detail).toMatch(detail);
      expect(['invalidValue', 'invalidSyntax']).toContain(refused.body.scimType);
    }
    expect((await server.get('/admin/webhooks')).body.webhooks.length).toBe(before);

    const hook = await receiver();
    const sub = await subscribe(hook.url);
    const local = await server.patch(`/admin/webhooks/${sub.id}`, { url: 'https://172.16.5.4/' });
    expect(local.status).toBe(400);
    expect(local.body.detail).toMatch(/172\.16\.5\.4/);
    expect((await server.get('/admin/webhooks/not-a-uuid')).status).toBe(404);
    expect((await server.get('/admin/webhooks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await server.delete(`/admin/webhooks/${sub.id}`)).status).toBe(204);
    expect((await server.get(`/admin/webhooks/${sub.id}`)).status).toBe(404);
  });

  it('pushes SCIM security events as signed SETs (format secevent, RFC 8935): 202 is success, other events pass over', async () => {
    const hook = await receiver();
    hook.respond = (_request, n) => (n === 0 ? 200 : 202);
    const sub = await subscribe(hook.url, { format: 'secevent' });
    expect((await subscription(sub.id)).format).toBe('secevent');
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/jwks.json`));

    const userId = await createUser('pushed@example.com');
    // An API token's creation is a change event, but not a SCIM one: nothing is pushed for it.
    expect((await server.post('/admin/tokens', { name: 'not-pushed', scope: 'scim.read' })).status).toBe(201);
    const deleted = await server.delete(`/v2/Users/${userId}`);
    expect(deleted.status).toBe(204);

    // The first answer (200) is not RFC 8935's 202: the same SET is sent again, then the delete.
    await hook.waitFor((r) => r.length >= 3);
    const [first, again, last] = hook.received;
    // The same SET again (ES256 signatures differ from one signing to the next; the jti does not).
    expect(decodeJwt(again.body).jti).toBe(decodeJwt(first.body).jti);
    for (const got of hook.received) {
      expect(got.headers['content-type']).toBe('application/secevent+jwt');
    }
    const created = await jwtVerify(first.body, jwks, {
      issuer: server.config.publicUrl,
      audience: hook.url,
      typ: 'secevent+jwt',
    });
    const createEvent = (created.payload.events as Record<string, { data?: { userName?: string } }>)[
      'urn:ietf:params:scim:event:prov:create:full'
    ];
    expect(createEvent?.data?.userName).toBe('pushed@example.com');
    const removed = await jwtVerify(last.body, jwks, { audience: hook.url, typ: 'secevent+jwt' });
    expect(Object.keys(removed.payload.events as object)).toEqual(['urn:ietf:params:scim:event:prov:delete']);
    expect(removed.payload.jti).not.toBe(created.payload.jti);

    const log = await until(
      () => server.get(`/admin/webhooks/${sub.id}/deliveries`),
      (r) => r.body.deliveries?.length === 2 && r.body.deliveries[0].status === 'succeeded',
      'the delete delivered',
    );
    expect(log.body.deliveries.map((d: { event_type: string }) => d.event_type)).toEqual([
      'user.deleted',
      'user.created',
    ]);
    expect(log.body.deliveries[1]).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 202 });
  });

  it('roster.events reads the change log and nothing else; roster.admin still does; scim.read does not', async () => {
    const userId = await createUser('audited@example.com');
    const token = await server.post('/admin/tokens', { name: 'audit', scope: 'roster.events' });
    expect(token.status).toBe(201);
    const reader = token.body.token as string;
    const feed = await server.get('/v2/Events?count=5', { token: reader });
    expect(feed.status).toBe(200);
    expect((await server.get(`/v2/Users/${userId}/History`, { token: reader })).status).toBe(200);
    expect((await server.get('/admin/webhooks', { token: reader })).status).toBe(403);
    expect((await server.get('/v2/Users', { token: reader })).status).toBe(403);

    const scim = await server.post('/admin/tokens', { name: 'app', scope: 'scim.read' });
    const refused = await server.get('/v2/Events', { token: scim.body.token });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('roster.admin, roster.events');
    expect(refused.headers.get('www-authenticate')).toContain('scope="roster.events"');
    expect((await server.get('/v2/Events?count=1')).status).toBe(200);
  });

  it('the CLI manages subscriptions through the management API', async () => {
    const hook = await receiver();
    const io = () => {
      const out = { stdout: '', stderr: '' };
      return {
        out,
        io: {
          env: { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken, LOG_LEVEL: 'silent' },
          stdout: (t: string) => (out.stdout += t),
          stderr: (t: string) => (out.stderr += t),
        },
      };
    };
    const create = io();
    expect(
      await runCli(
        ['webhooks', 'create', '--url', hook.url, '--events', 'user.created', '--description', 'cli'],
        create.io,
      ),
    ).toBe(0);
    const created = JSON.parse(create.out.stdout);
    expect(created.secret).toMatch(/^whsec_/);
    await createUser('cli-hook@example.com');
    await hook.waitFor((r) => r.length >= 1);
    expect(verifyStandardWebhook(created.secret, hook.received[0].headers, hook.received[0].body)).toBe(true);

    const list = io();
    expect(await runCli(['webhooks', 'list'], list.io)).toBe(0);
    expect(JSON.parse(list.out.stdout).webhooks.some((w: { id: string }) => w.id === created.id)).toBe(true);
    const update = io();
    expect(await runCli(['webhooks', 'update', created.id, '--disable'], update.io)).toBe(0);
    expect(JSON.parse(update.out.stdout).enabled).toBe(false);
    const deliveries = io();
    await until(
      async () => {
        deliveries.out.stdout = '';
        await runCli(['webhooks', 'deliveries', created.id], deliveries.io);
        return JSON.parse(deliveries.out.stdout).deliveries as unknown[];
      },
      (d) => d.length === 1,
      'the CLI delivery log',
    );
    const refused = io();
    expect(await runCli(['webhooks', 'update', created.id, '--url', 'https://10.1.1.1/'], refused.io)).toBe(1);
    expect(refused.out.stderr).toContain('10.1.1.1');
    const usage = io();
    expect(await runCli(['webhooks', 'replay', created.id, '--from', 'x'], usage.io)).toBe(2);
    const removed = io();
    expect(await runCli(['webhooks', 'delete', created.id], removed.io)).toBe(0);
    expect((await server.get(`/admin/webhooks/${created.id}`)).status).toBe(404);
  });
});
