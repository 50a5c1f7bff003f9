import { GroupMembershipRow, UserRecord, UsersRepository } from '@roster/db';
import { SchemaRegistry } from '@roster/scim';
import { Readable } from 'node:stream';
import { CursorCodec } from '../common/cursors';
import { parseListQuery } from '../common/list-query';
import { loadConfig } from '../config';
import { RENDER_CHUNK, UsersService } from './users.service';
import { EventsService } from '../events/events.service';

const USERS = 200;
const GROUPS_EACH = 30;

function record(i: number): UserRecord {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id,
    userName: `u${i}`,
    externalId: null,
    displayName: null,
    active: true,
    doc: { userName: `u${i}` },
    passwordHash: null,
    version: 1,
    created: at,
    lastModified: at,
  };
}

/**
 * A repository stand-in (unit level): `memberships` answers with an array that counts how often its
 * rows are read, which is how the cost of rendering shows without measuring time.
 */
function setup() {
  const records = Array.from({ length: USERS }, (_, i) => record(i));
  let reads = 0;
  const calls: string[][] = [];
  const users = {
    count: () => Promise.resolve(records.length),
    page: (query: { limit: number; offset: number; total?: boolean }) =>
      Promise.resolve({
        rows: records.slice(query.offset, query.offset + query.limit),
        ...(query.total ? { total: records.length } : {}),
      }),
    displayNames: () => Promise.resolve(new Map()),
    memberships: (ids: string[]) => {
      calls.push(ids);
      const rows: GroupMembershipRow[] = ids.flatMap((userId) =>
        Array.from({ length: GROUPS_EACH }, (_, g) => ({
          userId,
          groupId: `g${g}`,
          displayName: `Group ${g}`,
          direct: g === 0,
        })),
      );
      return Promise.resolve(
        new Proxy(rows, {
          get(target, key, receiver) {
            if (typeof key === 'string' && /^\d+$/.test(key)) {
              reads++;
            }
            return Reflect.get(target, key, receiver) as unknown;
          },
        }),
      );
    },
  };
  const service = new UsersService(
    users as unknown as UsersRepository,
    new SchemaRegistry(),
    new CursorCodec(Buffer.alloc(32, 3)),
    loadConfig({}),
    {} as EventsService,
  );
  return { service, calls, reads: () => reads };
}

const request = () => parseListQuery({ count: '1000' }, { maxResults: 1000, defaultPageSize: 100 });

describe('UsersService lists: groups rendered in linear time, in bounded chunks', () => {
  it('reads each membership row a bounded number of times, whatever the page size', async () => {
    const { service, reads } = setup();
    const list = await service.list(request());
    expect(list.Resources).toHaveLength(USERS);
    expect(list.Resources.every((u) => Array.isArray(u.groups) && u.groups.length === GROUPS_EACH)).toBe(true);
    // Filtering all memberships for every user read USERS × USERS × GROUPS_EACH rows (1,200,000 here).
    expect(reads()).toBeLessThanOrEqual(2 * USERS * GROUPS_EACH);
  });

  it('asks for the memberships of at most RENDER_CHUNK users at a time', async () => {
    const { service, calls } = setup();
    await service.list(request());
    expect(calls.map((ids) => ids.length)).toEqual(
      Array.from({ length: Math.ceil(USERS / RENDER_CHUNK) }, () => RENDER_CHUNK),
    );
  });

  it('streams a large page for HTTP, rendering a chunk only when the reader asks for more', async () => {
    const { service, calls } = setup();
    const stream = await service.listForHttp(request());
    expect(stream).toBeInstanceOf(Readable);
    const readable = stream as Readable;
    const first = (await readable[Symbol.asyncIterator]().next()).value as string;
    expect(first).toMatch(
      /^\{"schemas":\["urn:ietf:params:scim:api:messages:2.0:ListResponse"\],"totalResults":200,"itemsPerPage":200,/,
    );
    // Only the head has been read: no chunk of users has been rendered yet beyond what the stream buffers.
    expect(calls.length).toBeLessThan(Math.ceil(USERS / RENDER_CHUNK));
    const rest: string[] = [first];
    for await (const chunk of readable) {
      rest.push(chunk as string);
    }
    const body = JSON.parse(rest.join('')) as { Resources: unknown[]; itemsPerPage: number };
    expect(body.Resources).toHaveLength(USERS);
    expect(body.itemsPerPage).toBe(USERS);
  });

  it('answers a page of one chunk or less as a plain object', async () => {
    const { service } = setup();
    const small = await service.listForHttp(
      parseListQuery({ count: String(RENDER_CHUNK) }, { maxResults: 1000, defaultPageSize: 100 }),
    );
    expect(small).not.toBeInstanceOf(Readable);
  });
});
