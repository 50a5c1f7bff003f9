import { parseFilter, SchemaRegistry, ScimError } from '@roster/scim';
import { VALID_FILTERS } from '@roster/scim/filter/filter-corpus';
import { randomUUID } from 'node:crypto';
import { migratedTemplate } from '../../../../test/support/template';
import { DatabaseHandle, openDatabase, ReadQueries } from '../database';
import { compileFilter, SqlParams } from '../filter-sql';
import { PrismaService } from '../prisma.service';
import { EventRow } from '../repositories/events.repository';
import { UserRecord, UsersRepository, UserWrite } from '../repositories/users.repository';
import { DEFAULT_PAGE_KEY, keysetAfter, pageOrder, readPage } from './pages';

/**
 * The resource store's own tests (issue 12): its statements over a real in-memory PGlite, started
 * from the shared migrated template (test/support/template.ts), and its SQL for the filter corpus.
 */
const registry = new SchemaRegistry();
const BASE_URL = 'http://x/v2';

function write(userName: string, emails: string[] = []): UserWrite {
  const doc = {
    userName,
    active: true,
    ...(emails.length ? { emails: emails.map((value) => ({ value, type: 'work' })) } : {}),
  };
  return {
    userName,
    externalId: null,
    displayName: null,
    active: true,
    doc,
    passwordHash: null,
    emails: emails.map((value) => ({ value, type: 'work', primary: false })),
  };
}

function event(user: UserRecord, version: number): EventRow {
  return {
    type: 'user.updated',
    resourceType: 'User',
    resourceId: user.id,
    version,
    changes: [{ path: 'nickName', value: 'x' }],
    detail: null,
    actorKind: 'system',
    actorId: null,
    actorName: 'store.spec',
    requestId: null,
    clientAddress: null,
    userAgent: null,
  };
}

describe('resource store over PGlite', () => {
  let handle: DatabaseHandle;
  let users: UsersRepository;
  const created: UserRecord[] = [];
  /** Every statement the store sent through the driver path, in order. */
  let sent: string[] = [];

  beforeAll(async () => {
    handle = await openDatabase({
      url: 'memory://',
      dataDir: '',
      poolSize: 1,
      loadDataDir: await migratedTemplate(),
      observer: {
        start: (sql) => {
          sent.push(sql);
          return () => undefined;
        },
      },
    });
    users = new UsersRepository(new PrismaService(handle));
    for (const name of ['ann', 'bob', 'cid', 'dee', 'eve']) {
      const record = await users.transaction((tx) =>
        users.insert(tx, randomUUID(), write(`${name}@example.com`, [`${name}@example.com`]), new Date()),
      );
      created.push(record);
      // Distinct creation times: the default order is by `created`, then id.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
  });

  const page = (query: Partial<Parameters<UsersRepository['page']>[0]> = {}) =>
    users.page({
      where: 'true',
      params: [],
      orderBy: pageOrder(DEFAULT_PAGE_KEY, false),
      limit: 2,
      offset: 0,
      sortKey: DEFAULT_PAGE_KEY.sql,
      ...query,
    });

  it('reads a page, its total and (only when more rows follow) its stamp in one statement', async () => {
    sent = [];
    const first = await page({ total: true, stamp: 'ifMore' });
    expect(first.rows.map((r) => r.userName)).toEqual(['ann@example.com', 'bob@example.com']);
    expect(first.total).toBe(5);
    expect(first.stamp).toMatch(/\|5$/);
    expect(sent).toHaveLength(1);

    sent = [];
    const whole = await page({ total: true, stamp: 'ifMore', limit: 10 });
    expect(whole.rows).toHaveLength(5);
    expect(whole.total).toBe(5);
    expect(whole.stamp).toBeUndefined();
    expect(sent).toHaveLength(1);
  });

  it('counts with a filter, and continues after a row by keyset exactly where OFFSET would', async () => {
    const params = new SqlParams();
    const where = compileFilter(parseFilter('userName ew "@example.com"'), {
      registry,
      resourceType: 'User',
      params,
      baseUrl: BASE_URL,
    });
    const filterParams = [...params.values];
    const byOffset = await page({ where, params: filterParams, offset: 2, total: true });
    const first = await page({ where, params: filterParams });
    const last = first.rows[1];
    const keyset = keysetAfter(
      DEFAULT_PAGE_KEY,
      { k: last.sortKey instanceof Date ? last.sortKey.toISOString() : last.sortKey, i: last.id },
      false,
      false,
      params,
    );
    const byKeyset = await page({
      where,
      params: filterParams,
      pageWhere: `(${where}) AND ${keyset}`,
      pageParams: [...params.values],
      total: true,
      stamp: 'always',
    });
    expect(byKeyset.rows.map((r) => r.id)).toEqual(byOffset.rows.map((r) => r.id));
    expect(byKeyset.total).toBe(5);
    expect(byKeyset.stamp).toBeDefined();
  });

  it('an empty page past the end still reports the total (a second statement), one at the start does not', async () => {
    sent = [];
    const past = await page({ offset: 50, total: true });
    expect(past.rows).toEqual([]);
    expect(past.total).toBe(5);
    expect(sent).toHaveLength(2);

    sent = [];
    const none = await page({ where: 'false', total: true });
    expect(none).toEqual({ rows: [], total: 0 });
    expect(sent).toHaveLength(1);
  });

  it('reads a user with its groups in the page statement when asked', async () => {
    const read = await page({ withGroups: true, limit: 1 });
    expect(read.rows[0].memberships).toEqual([]);
    const plain = await page({ limit: 1 });
    expect(plain.rows[0].memberships).toBeUndefined();
  });

  it('writes a user, its changed emails and its event in one statement, only at the version read', async () => {
    const current = (await users.findByIdWithGroups(created[1].id))!;
    const next = write('bob@example.com', ['bob2@example.com']);
    sent = [];
    const updated = await users.updateIfVersion(current, next, new Date(), [event(current, current.version + 1)], {
      emailsChanged: true,
    });
    expect(sent).toHaveLength(1);
    expect(updated?.version).toBe(current.version + 1);
    const rows = await handle.reads.query<{ value: string; n: string }>(
      `SELECT e.value, (SELECT count(*) FROM events v WHERE v.resource_id = $1 AND v.version = $2)::text AS n
       FROM user_emails e WHERE e.user_id = $1::uuid ORDER BY e.position`,
      [current.id, current.version + 1],
    );
    expect(rows).toEqual([{ value: 'bob2@example.com', n: '1' }]);

    // The version read is gone: nothing is written, neither the row nor its event.
    const stale = await users.updateIfVersion(
      current,
      write('stale@example.com'),
      new Date(),
      [event(current, current.version + 1)],
      {
        emailsChanged: true,
      },
    );
    expect(stale).toBeUndefined();
    const after = (await users.findByIdWithGroups(current.id))!;
    expect(after.userName).toBe('bob@example.com');
    expect(after.version).toBe(current.version + 1);
    const events = await handle.reads.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM events WHERE resource_id = $1`,
      [current.id],
    );
    expect(events[0].n).toBe('1');
  });

  it('a unique violation of the conditional update is reported as such, and changes nothing', async () => {
    const current = (await users.findByIdWithGroups(created[2].id))!;
    let error: unknown;
    try {
      await users.updateIfVersion(current, write('ann@example.com'), new Date(), [], { emailsChanged: false });
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('23505');
    expect((await users.findByIdWithGroups(current.id))!.version).toBe(current.version);
  });
});

describe('resource store SQL for the filter corpus (snapshot)', () => {
  /** The predicate each corpus filter compiles to, per resource type, or the error it is refused with. */
  function compiled(resourceType: 'User' | 'Group'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { filter } of VALID_FILTERS) {
      const params = new SqlParams();
      try {
        const sql = compileFilter(parseFilter(filter), { registry, resourceType, params, baseUrl: BASE_URL });
        out[filter] = `${sql}  -- ${JSON.stringify(params.values)}`;
      } catch (error) {
        out[filter] = error instanceof ScimError ? `refused: ${error.scimType ?? error.status}` : String(error);
      }
    }
    return out;
  }

  it('User', () => {
    expect(compiled('User')).toMatchSnapshot();
  });

  it('Group', () => {
    expect(compiled('Group')).toMatchSnapshot();
  });

  it('the page statement for a filtered first page', async () => {
    const captured: string[] = [];
    const db: ReadQueries = {
      query: <T>(sql: string) => {
        captured.push(sql);
        return Promise.resolve([] as T[]);
      },
    };
    const params = new SqlParams();
    const where = compileFilter(parseFilter('userName eq "a@example.com"'), {
      registry,
      resourceType: 'User',
      params,
      baseUrl: BASE_URL,
    });
    await readPage(
      db,
      { table: 'users', resourceType: 'User', select: 'r.id' },
      {
        where,
        params: params.values,
        orderBy: pageOrder(DEFAULT_PAGE_KEY, false),
        limit: 100,
        offset: 0,
        sortKey: DEFAULT_PAGE_KEY.sql,
        total: true,
        stamp: 'ifMore',
      },
    );
    expect(captured).toMatchSnapshot();
  });
});
