import { PAGE_BOOKMARKS } from '../../apps/api/src/common/bookmarks';
import { startServer, TestServer } from '../support/app';
import { PATCH_OP, USER } from '../support/traces';

/**
 * Sequential startIndex paging (issue 12 item 7): page N+1 is found from the bookmark page N left,
 * and gives exactly the page OFFSET would, or OFFSET is used.
 */
describe('startIndex bookmarks', () => {
  let server: TestServer;
  const ids: string[] = [];
  beforeAll(async () => {
    server = await startServer();
    for (let i = 0; i < 23; i++) {
      const created = await server.post('/v2/Users', {
        schemas: [USER],
        userName: `mark-${String(i % 7).padStart(2, '0')}-${i}@example.com`,
        // Some without a displayName: NULL sort keys page last.
        ...(i % 3 === 0 ? {} : { displayName: `Mark ${i % 4}` }),
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
  });
  afterAll(() => server.close());
  afterEach(() => jest.restoreAllMocks());

  async function walk(query: string, count: number): Promise<{ ids: string[]; fromBookmark: number }> {
    const take = jest.spyOn(PAGE_BOOKMARKS, 'take');
    const seen: string[] = [];
    for (let start = 1; ; start += count) {
      const page = await server.get(`/v2/Users?${query}&count=${count}&startIndex=${start}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
      if (page.body.Resources.length < count) {
        break;
      }
    }
    const fromBookmark = take.mock.results.filter((r) => r.value !== undefined).length;
    take.mockRestore();
    return { ids: seen, fromBookmark };
  }

  async function all(query: string): Promise<string[]> {
    const page = await server.get(`/v2/Users?${query}&count=1000`);
    return page.body.Resources.map((r: { id: string }) => r.id);
  }

  it.each([
    ['the default order', 'attributes=id'],
    ['a sort by userName, descending', 'attributes=id&sortBy=userName&sortOrder=descending'],
    ['a sort with NULL keys (displayName)', 'attributes=id&sortBy=displayName'],
    ['a filter', `attributes=id&filter=${encodeURIComponent('userName sw "mark-0"')}&sortBy=userName`],
  ])('walks %s page by page from bookmarks, giving what one large page gives', async (_name, query) => {
    const expected = await all(query);
    const walked = await walk(query, 4);
    expect(walked.ids).toEqual(expected);
    // Every page after the first began at a bookmark.
    expect(walked.fromBookmark).toBe(Math.floor(expected.length / 4));
  });

  it('reads by OFFSET when the data changed since the page before, and still gives the OFFSET page', async () => {
    const query = 'attributes=id&sortBy=userName';
    const first = await server.get(`/v2/Users?${query}&count=5&startIndex=1`);
    expect(first.status).toBe(200);
    // A user that sorts first: every later position moves by one.
    const early = await server.post('/v2/Users', { schemas: [USER], userName: 'aaa-mark@example.com' });
    const take = jest.spyOn(PAGE_BOOKMARKS, 'take');
    const second = await server.get(`/v2/Users?${query}&count=5&startIndex=6`);
    expect(take.mock.results.map((r) => r.value)).toEqual([undefined]);
    const expected = (await all(query)).slice(5, 10);
    expect(second.body.Resources.map((r: { id: string }) => r.id)).toEqual(expected);
    await server.delete(`/v2/Users/${early.body.id}`);

    // An update of a sort key between pages is a change too.
    await server.get(`/v2/Users?${query}&count=5&startIndex=1`);
    await server.patch(`/v2/Users/${ids[3]}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'userName', value: 'aab-mark@example.com' }],
    });
    take.mockClear();
    const third = await server.get(`/v2/Users?${query}&count=5&startIndex=6`);
    expect(take.mock.results.map((r) => r.value)).toEqual([undefined]);
    expect(third.body.Resources.map((r: { id: string }) => r.id)).toEqual((await all(query)).slice(5, 10));
  });

  it('uses a bookmark only for the same query and page size', async () => {
    await server.get('/v2/Users?attributes=id&count=5&startIndex=1');
    const take = jest.spyOn(PAGE_BOOKMARKS, 'take');
    const other = await server.get('/v2/Users?attributes=id&count=4&startIndex=6');
    const sorted = await server.get('/v2/Users?attributes=id&sortBy=userName&count=5&startIndex=6');
    expect(take.mock.results.filter((r) => r.value !== undefined)).toEqual([]);
    expect(other.body.Resources.map((r: { id: string }) => r.id)).toEqual((await all('attributes=id')).slice(5, 9));
    expect(sorted.body.Resources.map((r: { id: string }) => r.id)).toEqual(
      (await all('attributes=id&sortBy=userName')).slice(5, 10),
    );
  });
});
