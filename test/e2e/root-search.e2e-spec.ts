import { startServer, TestServer } from '../support/app';
import { GROUP, USER } from '../support/traces';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** POST /v2/.search (RFC 7644 §3.4.3) over Users and Groups. */
describe('Root search', () => {
  let server: TestServer;
  const users: string[] = [];
  const groups: string[] = [];
  beforeAll(async () => {
    server = await startServer();
    for (let i = 0; i < 3; i++) {
      const user = await server.post('/v2/Users', {
        schemas: [USER],
        userName: `root-${i}@example.com`,
        displayName: `Root ${i}`,
      });
      users.push(user.body.id);
    }
    for (let i = 0; i < 2; i++) {
      const group = await server.post('/v2/Groups', { schemas: [GROUP], displayName: `Root group ${i}` });
      groups.push(group.body.id);
    }
  });
  afterAll(() => server.close());

  const search = (body: Record<string, unknown>) => server.post('/v2/.search', { schemas: [SEARCH], ...body });
  const ids = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id);

  it('finds users and groups with one filter, users first', async () => {
    const found = await search({ filter: 'displayName sw "Root"' });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ totalResults: 5, itemsPerPage: 5, startIndex: 1 });
    expect(ids(found.body)).toEqual([...users, ...groups]);
    expect(found.body.Resources.map((r: { meta?: { resourceType: string } }) => r.meta?.resourceType)).toEqual([
      'User',
      'User',
      'User',
      'Group',
      'Group',
    ]);
  });

  it('pages across the boundary between Users and Groups', async () => {
    const page = await search({ filter: 'displayName sw "Root"', startIndex: 3, count: 2 });
    expect(page.body).toMatchObject({ totalResults: 5, itemsPerPage: 2, startIndex: 3 });
    expect(ids(page.body)).toEqual([users[2], groups[0]]);
    const last = await search({ filter: 'displayName sw "Root"', startIndex: 5, count: 10 });
    expect(ids(last.body)).toEqual([groups[1]]);
    const counted = await search({ filter: 'displayName sw "Root"', count: 0 });
    expect(counted.body).toMatchObject({ totalResults: 5, Resources: [] });
  });

  it('matches nothing of a type that lacks the filtered attribute', async () => {
    const byUserName = await search({ filter: 'userName eq "root-1@example.com"' });
    expect(byUserName.status).toBe(200);
    expect(ids(byUserName.body)).toEqual([users[1]]);
    const byType = await search({ filter: 'meta.resourceType eq "Group" and displayName sw "Root"' });
    expect(ids(byType.body)).toEqual(groups);
    // sortBy applies within each type; a type without the attribute contributes nothing.
    const sorted = await search({ filter: 'displayName sw "Root"', sortBy: 'userName', sortOrder: 'descending' });
    expect(ids(sorted.body)).toEqual([...users].reverse());
  });

  it('answers 400 for a filter no type understands, a bad filter and a cursor', async () => {
    const unknown = await search({ filter: 'noSuchAttribute eq "x"' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.scimType).toBe('invalidFilter');
    const broken = await search({ filter: 'displayName sw' });
    expect(broken.status).toBe(400);
    expect(broken.body.scimType).toBe('invalidFilter');
    const cursor = await search({ cursor: '' });
    expect(cursor.status).toBe(400);
    expect(cursor.body.scimType).toBe('invalidValue');
  });

  it('needs scim.read', async () => {
    expect((await server.post('/v2/.search', { schemas: [SEARCH] }, { token: null })).status).toBe(401);
  });
});
