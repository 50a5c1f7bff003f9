import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { runCli } from '../../apps/cli/src/cli';
import { PrismaService } from '@roster/db';
import { EventsRetentionService } from '../../apps/api/src/events/events-retention.service';
import { startServer, TestServer } from '../support/app';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

interface FeedEvent {
  id: string;
  type: string;
  time: string;
  resource: { type: string; id: string; version?: string; location?: string };
  changes: { path: string; value?: unknown; count?: number }[];
  detail?: { cascade?: string[] };
  actor: { kind: string; id?: string; name?: string; requestId?: string; clientAddress?: string; userAgent?: string };
}

interface FeedPage {
  Resources: FeedEvent[];
  nextCursor: string;
  itemsPerPage: number;
}

describe('Change events (issue 14)', () => {
  let server: TestServer;
  let token: string;
  let tokenId: string;

  beforeAll(async () => {
    server = await startServer({ TRUST_PROXY: 'true' });
    const created = await server.post('/admin/tokens', { name: 'Okta provisioning', scope: 'scim.read scim.write' });
    expect(created.status).toBe(201);
    token = created.body.token;
    tokenId = created.body.id;
  });

  afterAll(async () => {
    await server.close();
  });

  /** The position after the newest event now. */
  async function head(): Promise<string> {
    let cursor = '';
    for (;;) {
      const page = await server.get<FeedPage>(`/v2/Events?count=1000&cursor=${cursor}`);
      expect(page.status).toBe(200);
      if (page.body.Resources.length === 0) {
        return page.body.nextCursor;
      }
      cursor = page.body.nextCursor;
    }
  }

  async function since(cursor: string, query = ''): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    for (;;) {
      const page = await server.get<FeedPage>(`/v2/Events?count=1000&cursor=${cursor}${query}`);
      expect(page.status).toBe(200);
      events.push(...page.body.Resources);
      if (page.body.Resources.length === 0) {
        return events;
      }
      cursor = page.body.nextCursor;
    }
  }

  const asOkta = {
    get token() {
      return token;
    },
  };

  function write(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return server.request(method, path, {
      body,
      token: asOkta.token,
      headers: { 'user-agent': 'Okta SCIM Client 1.0.0', 'x-forwarded-for': '203.0.113.7', ...headers },
    });
  }

  it('a created user has one user.created event with its attributes, the actor, request id, address and User-Agent, never the password', async () => {
    const start = await head();
    const userName = unique('ann');
    const created = await write('POST', '/v2/Users', {
      schemas: [USER],
      userName,
      displayName: 'Ann',
      password: 'Sup3r-secret-password!',
      emails: [{ value: `${userName}@example.com`, type: 'work' }],
    });
    expect(created.status).toBe(201);
    const events = await since(start);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event.type).toBe('user.created');
    expect(event.resource).toEqual({
      type: 'User',
      id: created.body.id,
      version: created.body.meta.version,
      location: created.body.meta.location,
    });
    expect(event.changes).toEqual(
      expect.arrayContaining([
        { path: 'userName', value: userName },
        { path: 'displayName', value: 'Ann' },
        { path: 'password' },
      ]),
    );
    expect(JSON.stringify(event)).not.toContain('Sup3r-secret-password!');
    expect(event.actor).toEqual({
      kind: 'api-token',
      id: tokenId,
      name: 'Okta provisioning',
      requestId: created.headers.get('x-request-id'),
      clientAddress: '203.0.113.7',
      userAgent: 'Okta SCIM Client 1.0.0',
    });
  });

  it('PATCH active:false is user.deactivated naming the cascade; active:true is user.reactivated; other changes user.updated', async () => {
    const created = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('bob') });
    const id = created.body.id as string;
    const start = await head();
    const patch = (ops: unknown[]) => write('PATCH', `/v2/Users/${id}`, { schemas: [PATCH], Operations: ops });
    expect((await patch([{ op: 'replace', path: 'active', value: false }])).status).toBe(200);
    expect((await patch([{ op: 'replace', path: 'active', value: true }])).status).toBe(200);
    expect((await patch([{ op: 'replace', path: 'title', value: 'Engineer' }])).status).toBe(200);
    // A PATCH that changes nothing writes nothing.
    expect((await patch([{ op: 'replace', path: 'title', value: 'Engineer' }])).status).toBe(200);
    const events = await since(start);
    expect(events.map((e) => [e.type, e.resource.version, e.changes])).toEqual([
      ['user.deactivated', 'W/"2"', [{ path: 'active', value: false }]],
      ['user.reactivated', 'W/"3"', [{ path: 'active', value: true }]],
      ['user.updated', 'W/"4"', [{ path: 'title', value: 'Engineer' }]],
    ]);
    expect(events[0].detail?.cascade).toEqual(expect.arrayContaining(['refresh_tokens', 'access_tokens', 'consents']));
  });

  it('failed requests write no events: 400, 409, 412, 404 and a failing Bulk operation', async () => {
    const created = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('cat') });
    const id = created.body.id as string;
    const start = await head();
    expect((await write('POST', '/v2/Users', { schemas: [USER] })).status).toBe(400);
    expect((await write('POST', '/v2/Users', { schemas: [USER], userName: created.body.userName })).status).toBe(409);
    expect(
      (
        await write(
          'PATCH',
          `/v2/Users/${id}`,
          { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] },
          { 'if-match': 'W/"99"' },
        )
      ).status,
    ).toBe(412);
    expect(
      (
        await write('PATCH', `/v2/Users/${id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'userName', value: 42 }],
        })
      ).status,
    ).toBe(400);
    expect((await write('DELETE', `/v2/Users/${id}`, undefined, { 'if-match': 'W/"7"' })).status).toBe(412);
    const group = await write('POST', '/v2/Groups', { schemas: [GROUP], displayName: unique('g') });
    const afterGroup = await head();
    // A member that does not exist: 400, and no member was added by the same request.
    expect(
      (
        await write('PATCH', `/v2/Groups/${group.body.id}`, {
          schemas: [PATCH],
          Operations: [
            { op: 'add', path: 'members', value: [{ value: id }] },
            { op: 'add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] },
          ],
        })
      ).status,
    ).toBe(400);
    const bulk = await write('POST', '/v2/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'ok', data: { schemas: [USER], userName: unique('bulk-ok') } },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [USER], userName: created.body.userName } },
        {
          method: 'PATCH',
          path: `/Users/${id}`,
          version: 'W/"99"',
          data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'x' }] },
        },
      ],
    });
    expect(bulk.status).toBe(200);
    const statuses = (bulk.body.Operations as { status: string }[]).map((o) => o.status);
    expect(statuses).toEqual(['201', '409', '412']);
    const events = await since(start);
    expect(events.map((e) => e.type)).toEqual(['group.created', 'user.created']);
    expect((await since(afterGroup)).map((e) => e.resource.id)).not.toContain(group.body.id);
  });

  it('group events: created with its members, one members_added / members_removed per PATCH with the ids, updated, deleted', async () => {
    const users = await Promise.all(
      [1, 2, 3].map(
        async () => (await write('POST', '/v2/Users', { schemas: [USER], userName: unique('m') })).body.id as string,
      ),
    );
    const start = await head();
    const group = await write('POST', '/v2/Groups', {
      schemas: [GROUP],
      displayName: unique('team'),
      members: [{ value: users[0] }],
    });
    expect(group.status).toBe(201);
    const id = group.body.id as string;
    const patch = (ops: unknown[]) => write('PATCH', `/v2/Groups/${id}`, { schemas: [PATCH], Operations: ops });
    expect(
      (
        await patch([
          { op: 'add', path: 'members', value: [{ value: users[0] }, { value: users[1] }, { value: users[2] }] },
        ])
      ).status,
    ).toBeLessThan(300);
    expect((await patch([{ op: 'remove', path: `members[value eq "${users[1]}"]` }])).status).toBeLessThan(300);
    expect((await patch([{ op: 'replace', path: 'displayName', value: unique('renamed') }])).status).toBeLessThan(300);
    expect((await write('DELETE', `/v2/Groups/${id}`)).status).toBe(204);
    const events = (await since(start)).filter((e) => e.resource.id === id);
    expect(events.map((e) => e.type)).toEqual([
      'group.created',
      'group.members_added',
      'group.members_removed',
      'group.updated',
      'group.deleted',
    ]);
    expect(events[0].changes).toEqual(expect.arrayContaining([{ path: 'members', value: [users[0]], count: 1 }]));
    // users[0] was a member already: only the two new ones are named.
    expect(events[1].changes).toEqual([{ path: 'members', value: [users[1], users[2]].sort(), count: 2 }]);
    expect(events[2].changes).toEqual([{ path: 'members', value: [users[1]], count: 1 }]);
    expect(events[1].resource.version).toBe('W/"2"');
  });

  it("Bulk's batched creations record the changes a single POST records: values, extension attributes by URN, a password by name", async () => {
    const start = await head();
    const body = (userName: string, password?: string) => ({
      schemas: [USER, ENTERPRISE],
      userName,
      displayName: 'Bea',
      ...(password ? { password } : {}),
      emails: [{ value: `${userName}@example.com`, type: 'work' }],
      [ENTERPRISE]: { department: 'R&D', employeeNumber: '42' },
    });
    const single = await write('POST', '/v2/Users', body(unique('single'), 'Sup3r-secret-password!'));
    expect(single.status).toBe(201);
    const names = [unique('batch'), unique('batch')];
    const bulk = await write('POST', '/v2/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: body(names[0], 'Sup3r-secret-password!') },
        { method: 'POST', path: '/Users', bulkId: 'b', data: body(names[1]) },
      ],
    });
    expect(bulk.status).toBe(200);
    const ids = (bulk.body.Operations as { status: string; location: string }[]).map((o) => {
      expect(o.status).toBe('201');
      return o.location.split('/').pop();
    });
    const events = await since(start);
    expect(events.map((e) => [e.type, e.resource.id])).toEqual([
      ['user.created', single.body.id],
      ['user.created', ids[0]],
      ['user.created', ids[1]],
    ]);
    const byPath = (e: FeedEvent) => [...e.changes].sort((a, b) => a.path.localeCompare(b.path));
    const without = (e: FeedEvent, paths: string[]) => byPath(e).filter((c) => !paths.includes(c.path));
    const personal = ['userName', 'emails'];
    // The same attributes, with the same values but the user's own name and address.
    expect(without(events[1], personal)).toEqual(without(events[0], personal));
    expect(byPath(events[1])).toEqual(
      expect.arrayContaining([
        { path: 'userName', value: names[0] },
        { path: 'displayName', value: 'Bea' },
        { path: `${ENTERPRISE}:department`, value: 'R&D' },
        { path: `${ENTERPRISE}:employeeNumber`, value: '42' },
        { path: 'password' },
      ]),
    );
    expect(events[2].changes.map((c) => c.path)).not.toContain('password');
    expect(events[2].resource.version).toBe('W/"1"');
    expect(events[1].actor).toEqual({ ...events[0].actor, requestId: bulk.headers.get('x-request-id') });
    expect(JSON.stringify(events)).not.toContain('Sup3r-secret-password!');
  });

  it('Bulk writes its creations with the Bulk request as the actor, one event each, and deletes as user.deleted', async () => {
    const start = await head();
    const names = Array.from({ length: 30 }, () => unique('bulk'));
    const bulk = await write('POST', '/v2/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: names.map((userName, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${i}`,
        data: { schemas: [USER], userName },
      })),
    });
    expect(bulk.status).toBe(200);
    const ids = (bulk.body.Operations as { location: string }[]).map((o) => o.location.split('/').pop());
    expect((await write('DELETE', `/v2/Users/${ids[0]}`)).status).toBe(204);
    const events = await since(start);
    expect(
      events
        .filter((e) => e.type === 'user.created')
        .map((e) => e.resource.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(new Set(events.map((e) => e.actor.requestId)).size).toBe(2);
    expect(events.every((e) => e.actor.name === 'Okta provisioning')).toBe(true);
    const deleted = events[events.length - 1];
    expect(deleted).toMatchObject({ type: 'user.deleted', resource: { id: ids[0] } });
    expect(deleted.detail?.cascade).toContain('browser_sessions');
    // A deleted user's userName can be taken again at once.
    expect((await write('POST', '/v2/Users', { schemas: [USER], userName: names[0] })).status).toBe(201);
  });

  it('filters by type, resource, actor and time; resource histories; bad parameters are 400s', async () => {
    const created = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('hist') });
    const id = created.body.id as string;
    await write('PATCH', `/v2/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    const byType = await since('', '&type=user.deactivated');
    expect(byType.length).toBeGreaterThan(0);
    expect(byType.every((e) => e.type === 'user.deactivated')).toBe(true);
    expect((await since('', `&resourceId=${id}`)).map((e) => e.type)).toEqual(['user.created', 'user.deactivated']);
    const admin = await since('', '&actor=admin');
    expect(admin.every((e) => e.actor.kind === 'admin')).toBe(true);
    expect((await since('', `&actor=${tokenId}&resourceId=${id}`)).length).toBe(2);
    const time = (await since('', `&resourceId=${id}`))[1].time;
    expect((await since('', `&resourceId=${id}&since=${time}`)).map((e) => e.type)).toEqual(['user.deactivated']);
    expect((await since('', `&resourceId=${id}&until=${time}`)).map((e) => e.type)).toEqual(['user.created']);

    const history = await server.get<FeedPage>(`/v2/Users/${id}/History`);
    expect(history.status).toBe(200);
    expect(history.body.Resources.map((e) => e.type)).toEqual(['user.created', 'user.deactivated']);
    const page = await server.get<FeedPage>(`/v2/Users/${id}/History?count=1`);
    expect(page.body.Resources.map((e) => e.type)).toEqual(['user.created']);
    const next = await server.get<FeedPage>(`/v2/Users/${id}/History?count=1&cursor=${page.body.nextCursor}`);
    expect(next.body.Resources.map((e) => e.type)).toEqual(['user.deactivated']);
    expect((await server.get('/v2/Users/00000000-0000-4000-8000-000000000000/History')).status).toBe(404);
    expect((await server.get('/v2/Groups/not-a-uuid/History')).status).toBe(404);

    for (const query of [
      'type=user.exploded',
      'cursor=abc',
      'count=0',
      'since=yesterday',
      'cursor=99999999999999999999',
    ]) {
      const bad = await server.get(`/v2/Events?${query}`);
      expect([query, bad.status]).toEqual([query, 400]);
      expect(bad.body.scimType).toMatch(/invalidValue|invalidCursor/);
    }
    // The feed is an administrator's: a provisioning token cannot read it.
    expect((await server.get('/v2/Events', { token })).status).toBe(403);
  });

  it('a reader following nextCursor during concurrent writes sees every event exactly once, in sequence order', async () => {
    const users = await Promise.all(
      Array.from(
        { length: 6 },
        async () => (await write('POST', '/v2/Users', { schemas: [USER], userName: unique('c') })).body.id as string,
      ),
    );
    const start = await head();
    let writing = true;
    const seen: FeedEvent[] = [];
    const reader = (async () => {
      let cursor = start;
      for (;;) {
        const done = !writing;
        const page = await server.get<FeedPage>(`/v2/Events?count=7&cursor=${cursor}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.Resources);
        cursor = page.body.nextCursor;
        if (done && page.body.Resources.length === 0) {
          return;
        }
      }
    })();
    const writers = users.map(async (id, w) => {
      for (let i = 0; i < 12; i++) {
        const response = await write('PATCH', `/v2/Users/${id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'title', value: `w${w}-${i}` }],
        });
        expect(response.status).toBe(200);
      }
    });
    await Promise.all(writers);
    writing = false;
    await reader;
    const seqs = seen.map((e) => BigInt(e.id));
    for (let i = 1; i < seqs.length; i++) {
      expect(seqs[i] > seqs[i - 1]).toBe(true);
    }
    expect(seen).toHaveLength(users.length * 12);
    expect(seen.map((e) => e.id)).toEqual((await since(start)).map((e) => e.id));
  });

  it('MCP: a change made through a tool has its event with the token as actor; recent_changes lists it, newest first, bounded', async () => {
    const created = await server.post('/admin/tokens', { name: 'Assistant', scope: 'scim.read scim.write', mcp: true });
    const client = new Client({ name: 'events-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/v2/mcp`), {
        authProvider: { token: () => Promise.resolve(created.body.token as string) },
      }),
    );
    const start = await head();
    for (const name of [unique('mcp'), unique('mcp')]) {
      const made = await client.callTool({
        name: 'create_user',
        arguments: { userName: name, displayName: 'Via MCP' },
      });
      expect(made.isError).toBeFalsy();
    }
    const events = await since(start);
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({
        type: 'user.created',
        actor: { kind: 'api-token', id: created.body.id, name: 'Assistant' },
      });
    }
    type Recent = { changes: { id: string; type: string; paths: string[] }[]; nextCursor?: string };
    const newest = (await client.callTool({ name: 'recent_changes', arguments: { limit: 1 } }))
      .structuredContent as Recent;
    expect(newest.changes).toHaveLength(1);
    expect(newest.changes[0]).toMatchObject({ id: events[1].id, type: 'user.created' });
    expect(newest.changes[0].paths).toContain('userName');
    const older = (
      await client.callTool({ name: 'recent_changes', arguments: { limit: 1, cursor: newest.nextCursor } })
    ).structuredContent as Recent;
    expect(older.changes.map((c) => c.id)).toEqual([events[0].id]);
    const mine = (await client.callTool({ name: 'recent_changes', arguments: { resource_id: events[0].resource.id } }))
      .structuredContent as Recent;
    expect(mine.changes.map((c) => c.id)).toEqual([events[0].id]);
    const tooMany = await client.callTool({ name: 'recent_changes', arguments: { limit: 500 } });
    expect(tooMany.isError).toBe(true);
    await client.close();
  });

  it('CLI events tail prints the newest events; --follow prints new ones as they commit, like tail -f', async () => {
    const cli = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        env: { ROSTER_URL: server.baseUrl, ROSTER_TOKEN: server.adminToken, LOG_LEVEL: 'silent' },
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
      });
      return {
        code,
        lines: stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FeedEvent),
        stderr,
      };
    };
    const a = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('tail') });
    const b = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('tail') });
    const last = await cli('events', 'tail', '--limit', '2');
    expect(last.code).toBe(0);
    expect(last.lines.map((e) => e.resource.id)).toEqual([a.body.id, b.body.id]);
    const mine = await cli('events', 'tail', '--resource-id', a.body.id, '--type', 'user.created');
    expect(mine.lines.map((e) => [e.type, e.resource.id])).toEqual([['user.created', a.body.id]]);

    const following = cli('events', 'tail', '--follow', '--limit', '3', '--interval', '1');
    // Give the follower time to find the end before the writes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const c = await write('POST', '/v2/Users', { schemas: [USER], userName: unique('tail') });
    await write('PATCH', `/v2/Users/${c.body.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    await write('DELETE', `/v2/Users/${c.body.id}`);
    const followed = await following;
    expect(followed.code).toBe(0);
    expect(followed.lines.map((e) => [e.type, e.resource.id])).toEqual([
      ['user.created', c.body.id],
      ['user.deactivated', c.body.id],
      ['user.deleted', c.body.id],
    ]);
    expect(followed.stderr).toContain(`cursor ${followed.lines[2].id}`);
    expect((await cli('events', 'tail', '--limit', 'x')).code).toBe(2);
  });

  it('retention: events older than EVENTS_RETENTION_DAYS (90) are pruned in batches; newer ones stay', async () => {
    const prisma = server.app.get(PrismaService);
    const kept = await since('');
    await prisma.client.$executeRawUnsafe(
      // Ids below every existing one, as old rows have: retention walks the oldest ids first.
      `INSERT INTO events (id, time, type, resource_type, resource_id, actor_kind)
       SELECT -i, now() - interval '91 days' - i * interval '1 second', 'user.updated', 'User', 'old-' || i, 'system'
       FROM generate_series(1, 2500) AS i`,
    );
    expect(await server.app.get(EventsRetentionService).prune()).toBe(2500);
    expect((await since('')).map((e) => e.id)).toEqual(kept.map((e) => e.id));
    expect(await server.app.get(EventsRetentionService).prune()).toBe(0);
  });

  it('token.created / token.revoked and client.registered / client.deleted, by the admin, never with a secret', async () => {
    const start = await head();
    const made = await server.post('/admin/tokens', { name: 'Short-lived', scope: 'scim.read' });
    expect((await server.delete(`/admin/tokens/${made.body.id}`)).status).toBe(204);
    const client = await server.post('/admin/clients', {
      client_name: 'Reporting',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'scim.read',
    });
    expect(client.status).toBe(201);
    expect((await server.delete(`/admin/clients/${client.body.client_id}`)).status).toBe(204);
    // A refused revocation writes nothing.
    expect((await server.delete(`/admin/tokens/${made.body.id}`)).status).toBe(404);
    const events = await since(start);
    expect(events.map((e) => [e.type, e.resource.type, e.resource.id])).toEqual([
      ['token.created', 'ApiToken', made.body.id],
      ['token.revoked', 'ApiToken', made.body.id],
      ['client.registered', 'OAuthClient', client.body.client_id],
      ['client.deleted', 'OAuthClient', client.body.client_id],
    ]);
    expect(events[0].changes).toEqual(expect.arrayContaining([{ path: 'name', value: 'Short-lived' }]));
    expect(events.every((e) => e.actor.kind === 'admin')).toBe(true);
    const text = JSON.stringify(events);
    expect(text).not.toContain(made.body.token);
    expect(text).not.toContain(client.body.client_secret);
  });
});
