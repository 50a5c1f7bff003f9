import { SchemaRegistry, ScimError } from '@roster/scim';
import { CursorCodec } from './cursors';
import { parseListQuery } from './list-query';
import { fetchPage, PageSource } from './paging';

const limits = { maxResults: 100, defaultPageSize: 10 };
const ID = '6f3c2d1e-0a4b-4c5d-8e9f-0123456789ab';

/** A stand-in for a repository (unit level): records the statements the pager asks for. */
function source(rows: { id: string; sortKey?: unknown }[]) {
  const calls: { where: string; params: unknown[] }[] = [];
  const fake: PageSource<{ id: string; sortKey?: unknown }> = {
    page: (query) => {
      calls.push({ where: query.pageWhere ?? query.where, params: query.pageParams ?? query.params });
      return Promise.resolve({ rows: rows.slice(0, query.limit), ...(query.total ? { total: rows.length } : {}) });
    },
    count: () => Promise.resolve(rows.length),
  };
  return { fake, calls };
}

async function rejection(promise: Promise<unknown>): Promise<ScimError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScimError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('fetchPage cursors (RFC 9865), signed by the server', () => {
  const cursors = new CursorCodec(Buffer.alloc(32, 9));
  const options = {
    registry: new SchemaRegistry(),
    resourceType: 'User' as const,
    baseUrl: 'http://x/v2',
    cursorTimeoutSeconds: 3600,
    cursors,
  };
  const rows = [
    { id: ID, sortKey: new Date('2026-01-01T00:00:00.000Z') },
    { id: '7f3c2d1e-0a4b-4c5d-8e9f-0123456789ab', sortKey: new Date('2026-01-02T00:00:00.000Z') },
  ];

  /** The state of a real next cursor, for forging variants of it with the server's own key. */
  async function issued(query: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const page = await fetchPage(
      parseListQuery({ cursor: '', count: '1', ...query }, limits),
      source(rows).fake,
      options,
    );
    expect(page.nextCursor).toBeDefined();
    return cursors.decode(page.nextCursor!) as Record<string, unknown>;
  }

  it('continues from an issued cursor through a keyset on (key, id)', async () => {
    const first = await fetchPage(parseListQuery({ cursor: '', count: '1' }, limits), source(rows).fake, options);
    const { fake, calls } = source(rows.slice(1));
    await fetchPage(parseListQuery({ cursor: first.nextCursor!, count: '1' }, limits), fake, options);
    expect(calls[0].params).toEqual([ID, '2026-01-01T00:00:00.000Z']);
  });

  it('refuses cursors it did not sign, before any statement', async () => {
    const state = await issued();
    const { fake, calls } = source(rows);
    for (const cursor of [
      Buffer.from(JSON.stringify(state)).toString('base64url'),
      new CursorCodec(Buffer.alloc(32, 1)).encode(state),
      'bm90LWEtY3Vyc29y',
    ]) {
      const error = await rejection(fetchPage(parseListQuery({ cursor, count: '1' }, limits), fake, options));
      expect({ status: error.status, scimType: error.scimType }).toEqual({ status: 400, scimType: 'invalidCursor' });
    }
    expect(calls).toEqual([]);
  });

  it.each([
    ['an id of 36 dashes', { i: '-'.repeat(36) }],
    ['a key "1"', { k: '1' }],
    ['a key "March 7"', { k: 'March 7' }],
    ['a key at the edge of JavaScript dates', { k: '-271821-04-20T00:00:00Z' }],
    ['a key with a NUL', { k: '2026-01-01T00:00:00.000Z\u0000' }],
    ['a key that is an object', { k: { $gt: 1 } }],
  ])(
    'refuses a signed cursor with %s (a leaked key must still not reach SQL as a bad cast)',
    async (_label, change) => {
      const state = { ...(await issued()), ...change };
      const { fake, calls } = source(rows);
      const error = await rejection(
        fetchPage(parseListQuery({ cursor: cursors.encode(state), count: '1' }, limits), fake, options),
      );
      expect({ status: error.status, scimType: error.scimType }).toEqual({ status: 400, scimType: 'invalidCursor' });
      expect(calls).toEqual([]);
    },
  );

  it('refuses a NUL inside a text key, and a non-UUID key when the key is the id', async () => {
    const byName = { ...(await issued({ sortBy: 'userName' })), k: 'a\u0000b' };
    const error = await rejection(
      fetchPage(
        parseListQuery({ cursor: cursors.encode(byName), count: '1', sortBy: 'userName' }, limits),
        source(rows).fake,
        options,
      ),
    );
    expect(error.scimType).toBe('invalidCursor');
    const byLocation = { ...(await issued({ sortBy: 'meta.location' })), k: 'not-an-id' };
    const second = await rejection(
      fetchPage(
        parseListQuery({ cursor: cursors.encode(byLocation), count: '1', sortBy: 'meta.location' }, limits),
        source(rows).fake,
        options,
      ),
    );
    expect(second.scimType).toBe('invalidCursor');
  });
});
