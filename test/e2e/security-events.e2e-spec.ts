import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { PrismaService } from '@roster/db';
import { runCli } from '../../apps/cli/src/cli';
import { startServer, TestServer } from '../support/app';
import { TEST_KEK } from '../support/oauth';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const EV = 'urn:ietf:params:scim:event:prov';
const CREATE_FULL = `${EV}:create:full`;
const CREATE_NOTICE = `${EV}:create:notice`;
const PATCH_NOTICE = `${EV}:patch:notice`;
const DELETE = `${EV}:delete`;
const ACTIVATE = `${EV}:activate`;
const DEACTIVATE = `${EV}:deactivate`;

/** The wait of a long poll in this suite: long enough for a write to land during it. */
const WAIT_MS = 4000;

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

interface Receiver {
  id: string;
  token: string;
  audience: string;
  events: string[];
  poll_url: string;
  acked_through: string;
}

interface PollBody {
  sets: Record<string, string>;
  moreAvailable?: boolean;
}

interface SetClaims extends JWTPayload {
  txn?: string;
  toe: number;
  sub_id: { format: string; uri: string; id: string; externalId?: string };
  events: Record<string, { data?: Record<string, unknown>; attributes?: string[]; version?: string }>;
}

describe('SCIM security events: SETs by RFC 8936 poll (issue 14 item 4)', () => {
  let server: TestServer;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    server = await startServer({
      SET_POLL_WAIT_MS: String(WAIT_MS),
      SET_POLL_MAX_EVENTS: '50',
      ROSTER_KEY_ENCRYPTION_KEY: TEST_KEK,
    });
    jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/jwks.json`));
  });

  afterAll(async () => {
    await server.close();
  });

  async function receiver(body: Record<string, unknown> = {}): Promise<Receiver> {
    const created = await server.post('/admin/set-receivers', { name: unique('receiver'), ...body });
    expect(created.status).toBe(201);
    return created.body as Receiver;
  }

  function poll(r: Pick<Receiver, 'id' | 'token'>, body: unknown, token: string | null = r.token) {
    return server.request<PollBody>('POST', `/v2/Events/Receivers/${r.id}/Poll`, {
      raw: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      token,
    });
  }

  /**
   * The SETs waiting for the receiver, acknowledging nothing. With `expected`, polls again until
   * that many have come: on a shared PostgreSQL cluster another database's long transaction can
   * hold back the positioning of a committed change for longer than one poll waits for it.
   */
  async function pending(r: Receiver, expected = 0): Promise<Record<string, string>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await poll(r, { returnImmediately: true });
      expect(answer.status).toBe(200);
      if (Object.keys(answer.body.sets).length >= expected || Date.now() > deadline) {
        return answer.body.sets;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function verify(jws: string, r: Receiver): Promise<SetClaims> {
    const { payload, protectedHeader } = await jwtVerify(jws, jwks, {
      issuer: server.config.publicUrl,
      audience: r.audience,
      typ: 'secevent+jwt',
    });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    return payload as SetClaims;
  }

  async function claimsOf(r: Receiver, expected: number): Promise<SetClaims[]> {
    const sets = await pending(r, expected);
    const claims = await Promise.all(Object.values(sets).map((jws) => verify(jws, r)));
    for (const [jti, jws] of Object.entries(sets)) {
      expect(decodeJwt(jws).jti).toBe(jti);
    }
    return claims.sort((a, b) => String(a.jti).localeCompare(String(b.jti)));
  }

  it('a created user is a SET signed with a key of the served JWKS: typ, iss, aud, jti, iat, toe, txn, sub_id, create:full', async () => {
    const r = await receiver({ audience: 'https://hr.example.com/scim-events' });
    expect(r.token).toMatch(/^roster_set_/);
    expect(r.poll_url).toBe(`${server.baseUrl}/v2/Events/Receivers/${r.id}/Poll`);
    const userName = unique('bjensen');
    const created = await server.post(
      '/v2/Users',
      {
        schemas: [USER, ENTERPRISE],
        userName,
        externalId: `${userName}-ext`,
        password: 'Sup3r-secret-password!',
        emails: [{ value: `${userName}@example.com`, type: 'work' }],
        [ENTERPRISE]: { department: 'Tour Operations' },
      },
      { headers: { 'x-request-id': `req-${userName}` } },
    );
    expect(created.status).toBe(201);
    const sets = await pending(r, 1);
    expect(Object.keys(sets)).toHaveLength(1);
    const [jti, jws] = Object.entries(sets)[0];
    expect(decodeProtectedHeader(jws).typ).toBe('secevent+jwt');
    const claims = await verify(jws, r);
    expect(claims).toMatchObject({
      iss: server.config.publicUrl,
      aud: 'https://hr.example.com/scim-events',
      jti,
      txn: `req-${userName}`,
      sub_id: { format: 'scim', uri: `/Users/${created.body.id}`, id: created.body.id, externalId: `${userName}-ext` },
    });
    expect(claims).not.toHaveProperty('sub');
    expect(claims.iat).toBeGreaterThanOrEqual(claims.toe);
    expect(Math.abs(claims.toe * 1000 - Date.parse(created.body.meta.created))).toBeLessThan(2000);
    expect(Object.keys(claims.events)).toEqual([CREATE_FULL]);
    const full = claims.events[CREATE_FULL];
    expect(full.version).toBe(created.body.meta.version);
    expect(full.data).toMatchObject({
      id: created.body.id,
      userName,
      externalId: `${userName}-ext`,
      emails: [{ value: `${userName}@example.com`, type: 'work' }],
      [ENTERPRISE]: { department: 'Tour Operations' },
      meta: { resourceType: 'User', location: created.body.meta.location, version: created.body.meta.version },
    });
    expect(jws).not.toContain('Sup3r');
    expect(JSON.stringify(claims)).not.toMatch(/password|Sup3r/i);
  });

  it('maps every write: patch notice with the changed attributes, deactivate and activate with it, delete; group members as patch notices on the group; tokens make none', async () => {
    const r = await receiver();
    const user = await server.post('/v2/Users', { schemas: [USER], userName: unique('ann') });
    const id = user.body.id as string;
    await server.patch(`/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { displayName: 'Ann', password: 'An0ther-secret-pass!' } }],
    });
    await server.patch(`/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    await server.patch(`/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    const group = await server.post('/v2/Groups', { schemas: [GROUP], displayName: unique('guides') });
    const patched = await server.patch(`/v2/Groups/${group.body.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
    });
    expect(patched.status).toBeLessThan(300);
    await server.patch(`/v2/Groups/${group.body.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }],
    });
    expect((await server.post('/admin/tokens', { name: unique('t'), scope: 'scim.read' })).status).toBe(201);
    await server.delete(`/v2/Users/${id}`);
    await server.delete(`/v2/Groups/${group.body.id}`);

    const claims = await claimsOf(r, 9);
    const summary = claims.map((c) => ({ uri: c.sub_id.uri, events: c.events }));
    expect(summary).toEqual([
      { uri: `/Users/${id}`, events: { [CREATE_FULL]: expect.any(Object) } },
      {
        uri: `/Users/${id}`,
        events: {
          [PATCH_NOTICE]: { version: 'W/"2"', attributes: expect.arrayContaining(['displayName', 'password']) },
        },
      },
      {
        uri: `/Users/${id}`,
        events: { [PATCH_NOTICE]: { version: 'W/"3"', attributes: ['active'] }, [DEACTIVATE]: {} },
      },
      {
        uri: `/Users/${id}`,
        events: { [PATCH_NOTICE]: { version: 'W/"4"', attributes: ['active'] }, [ACTIVATE]: {} },
      },
      { uri: `/Groups/${group.body.id}`, events: { [CREATE_FULL]: expect.any(Object) } },
      {
        uri: `/Groups/${group.body.id}`,
        events: { [PATCH_NOTICE]: { version: expect.any(String), attributes: ['members'] } },
      },
      {
        uri: `/Groups/${group.body.id}`,
        events: { [PATCH_NOTICE]: { version: expect.any(String), attributes: ['members'] } },
      },
      { uri: `/Users/${id}`, events: { [DELETE]: {} } },
      { uri: `/Groups/${group.body.id}`, events: { [DELETE]: {} } },
    ]);
    expect(JSON.stringify(claims)).not.toContain('An0ther');
    // One feed, in order: the jtis end with the feed positions, which follow the writes.
    expect(claims.map((c) => c.jti)).toEqual([...claims.map((c) => c.jti)].sort());
  });

  it('ack removes a SET; an unacknowledged one comes back with the same jti and the same claims; maxEvents and moreAvailable page the rest', async () => {
    const r = await receiver({ events: [CREATE_NOTICE] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await server.post('/v2/Users', { schemas: [USER], userName: unique('p') })).body.id as string);
    }
    expect(Object.keys(await pending(r, 5))).toHaveLength(5);
    const first = await poll(r, { returnImmediately: true, maxEvents: 2 });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(first.body.sets)).toHaveLength(2);
    expect(first.body.moreAvailable).toBe(true);
    const [a, b] = Object.keys(first.body.sets);
    expect((await verify(first.body.sets[a], r)).sub_id.id).toBe(ids[0]);
    expect((await verify(first.body.sets[a], r)).events).toEqual({
      [CREATE_NOTICE]: { version: 'W/"1"', attributes: expect.arrayContaining(['id', 'userName']) },
    });

    // Acknowledge the second only: the first comes again (at least once), then the third.
    const second = await poll(r, { returnImmediately: true, maxEvents: 2, ack: [b] });
    expect(Object.keys(second.body.sets)).toEqual([a, expect.any(String)]);
    const c = Object.keys(second.body.sets)[1];
    expect((await verify(second.body.sets[c], r)).sub_id.id).toBe(ids[2]);
    const again = decodeJwt(second.body.sets[a]);
    const before = decodeJwt(first.body.sets[a]);
    expect({ ...again, iat: 0 }).toEqual({ ...before, iat: 0 });

    const third = await poll(r, { returnImmediately: true, ack: [a, c] });
    expect(Object.values(third.body.sets).map((s) => decodeJwt<SetClaims>(s).sub_id.id)).toEqual(ids.slice(3));
    expect(third.body.moreAvailable).toBeUndefined();
    const done = await poll(r, { returnImmediately: true, ack: Object.keys(third.body.sets) });
    expect(done.body).toEqual({ sets: {} });
    const state = await server.get(`/admin/set-receivers/${r.id}`);
    expect(state.body.acks_ahead).toBe(0);
    expect(BigInt(state.body.acked_through)).toBeGreaterThan(BigInt(r.acked_through));

    // Acknowledging again, or acknowledging jtis of another receiver, changes nothing.
    const other = await receiver();
    const replay = await poll(r, {
      returnImmediately: true,
      ack: [a, b, `${other.id.replace(/-/g, '').slice(0, 16)}0000000000000001`],
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ sets: {} });
  });

  it('maxEvents 0 acknowledges only; setErrs settle a SET and are recorded with the receiver', async () => {
    const r = await receiver({ events: [DELETE] });
    const users = await Promise.all(
      [1, 2].map(async () => (await server.post('/v2/Users', { schemas: [USER], userName: unique('d') })).body.id),
    );
    for (const id of users) {
      expect((await server.delete(`/v2/Users/${id}`)).status).toBe(204);
    }
    const sets = await pending(r, 2);
    const [x, y] = Object.keys(sets);
    expect(Object.keys(sets)).toHaveLength(2);
    const ackOnly = await poll(r, {
      maxEvents: 0,
      ack: [x],
      setErrs: { [y]: { err: 'invalid_audience', description: 'Not for this receiver.' } },
    });
    expect(ackOnly.status).toBe(200);
    expect(ackOnly.body).toEqual({ sets: {} });
    expect(await pending(r)).toEqual({});
    const state = await server.get(`/admin/set-receivers/${r.id}`);
    expect(state.body.errors).toEqual([
      { jti: y, err: 'invalid_audience', description: 'Not for this receiver.', time: expect.any(String) },
    ]);
  });

  it('a receiver gets only the events it asked for, and none from before it was created', async () => {
    const before = await server.post('/v2/Users', { schemas: [USER], userName: unique('old') });
    const r = await receiver({ events: [DEACTIVATE] });
    expect(await pending(r)).toEqual({});
    const id = before.body.id as string;
    await server.patch(`/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'displayName', value: 'x' }],
    });
    await server.patch(`/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    const claims = await claimsOf(r, 1);
    expect(claims.map((c) => c.events)).toEqual([{ [DEACTIVATE]: {} }]);
  });

  it('a long poll waits for the next change and returns it; with nothing to send it answers empty when the wait ends', async () => {
    const r = await receiver({ events: [CREATE_FULL] });
    const waiting = poll(r, { maxEvents: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const created = await server.post('/v2/Users', { schemas: [USER], userName: unique('late') });
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(Object.values(answer.body.sets).map((s) => decodeJwt<SetClaims>(s).sub_id.id)).toEqual([created.body.id]);

    const quiet = await receiver({ events: [DELETE] });
    const started = Date.now();
    const empty = await poll(quiet, {});
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ sets: {} });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 200);
  });

  it('a backlog wider than the poll window: polls say moreAvailable and move the cursor through it to the SET behind it', async () => {
    const r = await receiver({ events: [DELETE] });
    // 45,000 events of other types, written straight into the outbox: more than the two windows
    // of 20,000 positions one poll goes through (the one its cursor moves across, the one it
    // reads) and more than one sequencing round (10,000).
    await server.app.get(PrismaService).client.$executeRawUnsafe(
      `INSERT INTO events (type, resource_type, resource_id, version, changes, actor_kind)
       SELECT 'user.updated', 'User', gen_random_uuid()::text, 2, '[{"path":"displayName","value":"x"}]'::jsonb, 'system'
       FROM generate_series(1, 45000)`,
    );
    const user = await server.post('/v2/Users', { schemas: [USER], userName: unique('gone') });
    expect((await server.delete(`/v2/Users/${user.body.id}`)).status).toBe(204);
    const answers: PollBody[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await poll(r, { returnImmediately: true });
      expect(answer.status).toBe(200);
      answers.push(answer.body);
      if (Object.keys(answer.body.sets).length) {
        break;
      }
      expect(answer.body.moreAvailable).toBe(true);
    }
    expect(answers.length).toBeGreaterThan(1);
    const last = answers[answers.length - 1];
    expect(Object.values(last.sets).map((s) => decodeJwt<SetClaims>(s).sub_id.id)).toEqual([user.body.id]);
    const done = await poll(r, { returnImmediately: true, ack: Object.keys(last.sets) });
    expect(done.body).toEqual({ sets: {} });
    const state = await server.get(`/admin/set-receivers/${r.id}`);
    expect(BigInt(state.body.acked_through) - BigInt(r.acked_through)).toBeGreaterThan(45000n);
  });

  it('authentication: its own poll token or roster.admin; other receivers, other scopes, replaced or disabled tokens are refused', async () => {
    const r = await receiver();
    const other = await receiver();
    expect((await poll(r, { returnImmediately: true }, null)).status).toBe(401);
    expect((await poll(r, { returnImmediately: true }, other.token)).status).toBe(403);
    expect((await poll(r, { returnImmediately: true }, server.adminToken)).status).toBe(200);
    const reader = await server.post('/admin/tokens', { name: unique('reader'), scope: 'scim.read scim.write' });
    expect((await poll(r, { returnImmediately: true }, reader.body.token)).status).toBe(403);
    const admin = await server.post('/admin/tokens', { name: unique('admin'), scope: 'roster.admin' });
    expect((await poll(r, { returnImmediately: true }, admin.body.token)).status).toBe(200);
    // A poll token is good for nothing else.
    expect((await server.get('/v2/Users', { token: r.token })).status).toBe(403);
    expect((await server.get('/v2/Events', { token: r.token })).status).toBe(403);
    expect((await server.get('/admin/set-receivers', { token: r.token })).status).toBe(403);

    const rotated = await server.post(`/admin/set-receivers/${r.id}/token`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.body.token).not.toBe(r.token);
    expect((await poll(r, { returnImmediately: true })).status).toBe(401);
    expect((await poll(r, { returnImmediately: true }, rotated.body.token)).status).toBe(200);

    expect((await server.patch(`/admin/set-receivers/${r.id}`, { enabled: false })).body.enabled).toBe(false);
    expect((await poll(r, { returnImmediately: true }, rotated.body.token)).status).toBe(401);
    expect((await server.patch(`/admin/set-receivers/${r.id}`, { enabled: true })).body.enabled).toBe(true);
    expect((await poll(r, { returnImmediately: true }, rotated.body.token)).status).toBe(200);

    expect((await server.delete(`/admin/set-receivers/${other.id}`)).status).toBe(204);
    expect((await poll(other, { returnImmediately: true })).status).toBe(401);
    expect((await poll(other, { returnImmediately: true }, server.adminToken)).status).toBe(404);
    expect((await server.get(`/admin/set-receivers/${other.id}`)).status).toBe(404);
  });

  it.each([
    ['an array body', [], /JSON object/],
    ['maxEvents negative', { maxEvents: -1 }, /maxEvents/],
    ['maxEvents not an integer', { maxEvents: 1.5 }, /maxEvents/],
    ['maxEvents a string', { maxEvents: '10' }, /maxEvents/],
    ['returnImmediately a string', { returnImmediately: 'yes' }, /returnImmediately/],
    ['ack not an array', { ack: 'abc' }, /ack/],
    ['ack with a number', { ack: [1] }, /ack/],
    ['ack too long a jti', { ack: ['x'.repeat(65)] }, /ack/],
    ['too many acks', { ack: Array.from({ length: 1001 }, (_, i) => `j${i}`) }, /at most 1000/],
    ['setErrs an array', { setErrs: [] }, /setErrs/],
    ['setErrs without err', { setErrs: { j: { description: 'x' } } }, /setErrs/],
    ['setErrs description not a string', { setErrs: { j: { err: 'x', description: 5 } } }, /setErrs/],
  ])(
    'a bad poll request (%s) is 400 in the RFC 8936 error shape and acknowledges nothing',
    async (_name, body, message) => {
      const r = await receiver({ events: [CREATE_NOTICE] });
      await server.post('/v2/Users', { schemas: [USER], userName: unique('b') });
      const sets = await pending(r, 1);
      const jti = Object.keys(sets)[0];
      const input = body as Record<string, unknown> | unknown[];
      const bad = await poll(
        r,
        Array.isArray(input) ? input : { ...input, ...(input.ack === undefined ? { ack: [jti] } : {}) },
      );
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
      expect(bad.body).toEqual({ err: 'invalid_request', description: expect.stringMatching(message) });
      expect(Object.keys(await pending(r))).toEqual([jti]);
    },
  );

  it('malformed JSON is a 400; an oversized body is a 413; neither changes anything', async () => {
    const r = await receiver();
    const garbled = await server.request('POST', `/v2/Events/Receivers/${r.id}/Poll`, {
      raw: '{"ack": [',
      headers: { 'content-type': 'application/json' },
      token: r.token,
    });
    expect(garbled.status).toBe(400);
    const huge = await server.request('POST', `/v2/Events/Receivers/${r.id}/Poll`, {
      raw: JSON.stringify({ ack: ['x'.repeat(64)], pad: 'x'.repeat(server.config.bodyLimit + 10) }),
      headers: { 'content-type': 'application/json' },
      token: r.token,
    });
    expect(huge.status).toBe(413);
    const unchanged = await server.get(`/admin/set-receivers/${r.id}`);
    expect(unchanged.body.acked_through).toBe(r.acked_through);
  });

  it.each([
    ['no name', { name: '' }, /name/],
    ['an unknown event URI', { events: ['urn:ietf:params:scim:event:prov:put:full'] }, /Unknown SCIM event URI/],
    ['an empty event list', { events: [] }, /events/],
    ['push delivery', { delivery: 'push' }, /delivery/],
    ["Roster's own API as audience", { audience: 'SELF' }, /own resources/],
  ])('a bad receiver (%s) is a SCIM 400 invalidValue and creates nothing', async (_name, body, message) => {
    const count = (await server.get('/admin/set-receivers')).body.receivers.length;
    const input = { name: unique('bad'), ...body } as Record<string, unknown>;
    if (input.audience === 'SELF') {
      input.audience = `${server.config.publicUrl}/v2`;
    }
    const refused = await server.post('/admin/set-receivers', input);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(message);
    expect((await server.get('/admin/set-receivers')).body.receivers).toHaveLength(count);
  });

  it('the ServiceProviderConfig lists the SCIM event URIs issued (draft-ietf-scim-events §4)', async () => {
    const spc = await server.get('/v2/ServiceProviderConfig');
    expect(spc.body.securityEvents).toEqual({
      asyncRequest: 'none',
      eventUris: [CREATE_FULL, CREATE_NOTICE, PATCH_NOTICE, DELETE, ACTIVATE, DEACTIVATE],
    });
  });

  it('CLI set-receivers create, list, show, update, rotate-token and delete, through the same service', async () => {
    const cli = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        env: { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken, LOG_LEVEL: 'silent' },
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
      });
      return { code, out: stdout ? (JSON.parse(stdout) as Record<string, any>) : undefined, stderr };
    };
    const created = await cli(
      'set-receivers',
      'create',
      '--name',
      'cli receiver',
      '--events',
      `${DELETE},${DEACTIVATE}`,
    );
    expect(created.code).toBe(0);
    expect(created.out).toMatchObject({
      name: 'cli receiver',
      events: [DELETE, DEACTIVATE],
      token: expect.stringMatching(/^roster_set_/),
    });
    const id = created.out!.id as string;
    const listed = await cli('set-receivers', 'list');
    expect(listed.out!.receivers.map((r: { id: string }) => r.id)).toContain(id);
    expect(JSON.stringify(listed.out)).not.toContain(created.out!.token);
    const updated = await cli('set-receivers', 'update', id, '--disable', '--name', 'renamed');
    expect(updated.out).toMatchObject({ name: 'renamed', enabled: false });
    const shown = await cli('set-receivers', 'show', id);
    expect(shown.out).toMatchObject({ id, name: 'renamed', acks_ahead: 0, errors: [] });
    const rotated = await cli('set-receivers', 'rotate-token', id);
    expect(rotated.out!.token).not.toBe(created.out!.token);
    const bad = await cli('set-receivers', 'create', '--name', 'x', '--events', 'urn:nope');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Unknown SCIM event URI/);
    expect((await cli('set-receivers', 'delete', id)).code).toBe(0);
    expect((await cli('set-receivers', 'show', id)).code).not.toBe(0);
  });
});
