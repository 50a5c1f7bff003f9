import { startServer, TestServer } from '../support/app';
import { nullPaths } from '../support/json';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let sequence = 0;
/** A unique, realistic user body; factories rather than fixtures. */
function userBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  const userName = `user${sequence}.${Date.now()}@example.com`;
  return {
    schemas: [USER],
    userName,
    name: { givenName: `Given${sequence}`, familyName: `Family${sequence}` },
    displayName: `User ${sequence}`,
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    ...overrides,
  };
}

describe('Users', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ FILTER_MAX_RESULTS: '50', BODY_LIMIT: '16384' });
  });
  afterAll(async () => {
    await server.close();
  });

  async function create(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await server.post('/v2/Users', userBody(overrides));
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('create', () => {
    it('answers 201 with the full resource, Location, ETag and meta', async () => {
      const body = userBody({ externalId: 'ext-1', nickName: 'Babs', title: 'Tour Guide' });
      const res = await server.post('/v2/Users', body);
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
      const user = res.body;
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('location')).toBe(`${server.baseUrl}/v2/Users/${user.id}`);
      expect(res.headers.get('etag')).toBe('W/"1"');
      expect(user).toMatchObject({
        schemas: [USER],
        userName: body.userName,
        externalId: 'ext-1',
        nickName: 'Babs',
        title: 'Tour Guide',
        name: body.name,
        emails: body.emails,
        active: true,
        meta: {
          resourceType: 'User',
          location: `${server.baseUrl}/v2/Users/${user.id}`,
          version: 'W/"1"',
        },
      });
      expect(Date.parse(user.meta.created)).not.toBeNaN();
      expect(user.meta.lastModified).toBe(user.meta.created);
      expect(nullPaths(user)).toEqual([]);
    });

    it('echoes values exactly as sent', async () => {
      const user = await create({
        phoneNumbers: [{ value: '+1 (555) 555-0100', type: 'Work' }],
        displayName: '  Spaced  ',
      });
      expect(user.phoneNumbers).toEqual([{ value: '+1 (555) 555-0100', type: 'Work' }]);
      expect(user.displayName).toBe('  Spaced  ');
    });

    it('stores "True"/"False" strings as booleans (Entra)', async () => {
      const user = await create({ active: 'False' });
      expect(user.active).toBe(false);
    });

    it('never returns the password', async () => {
      const res = await server.post('/v2/Users', userBody({ password: 't0p-Secret!' }));
      expect(res.status).toBe(201);
      expect(res.text).not.toContain('t0p-Secret');
      expect(res.body.password).toBeUndefined();
      const read = await server.get(`/v2/Users/${res.body.id}?attributes=password`);
      expect(read.body.password).toBeUndefined();
    });

    it('ignores readOnly, unknown attributes and unknown schema URNs instead of rejecting them', async () => {
      const res = await server.post(
        '/v2/Users',
        userBody({
          schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],
          id: 'client-chosen',
          meta: { resourceType: 'User', created: '2015-01-01T00:00:00Z' },
          groups: [],
          roles: [],
          adreses: [{ street: 'x' }],
          favouriteColour: 'blue',
        }),
      );
      expect(res.status).toBe(201);
      expect(res.body.id).not.toBe('client-chosen');
      expect(res.body.meta.created).not.toBe('2015-01-01T00:00:00Z');
      expect(res.body).not.toHaveProperty('favouriteColour');
      expect(res.body).not.toHaveProperty('adreses');
      expect(res.body).not.toHaveProperty('roles');
    });

    it('keeps the enterprise extension, with manager given as a bare id', async () => {
      const manager = await create();
      const res = await server.post(
        '/v2/Users',
        userBody({
          schemas: [USER, ENTERPRISE],
          [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: manager.id },
        }),
      );
      expect(res.status).toBe(201);
      expect(res.body.schemas).toEqual([USER, ENTERPRISE]);
      expect(res.body[ENTERPRISE]).toEqual({
        employeeNumber: '701984',
        department: 'Tour Operations',
        manager: {
          value: manager.id,
          $ref: `${server.baseUrl}/v2/Users/${manager.id}`,
          displayName: manager.displayName,
        },
      });
    });

    it('rejects a duplicate userName, case-insensitively, with 409 uniqueness', async () => {
      const user = await create();
      const res = await server.post('/v2/Users', userBody({ userName: String(user.userName).toUpperCase() }));
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: expect.any(String) });
    });

    it.each([
      ['no userName', { userName: undefined }, 'invalidValue'],
      ['an empty userName', { userName: '' }, 'invalidValue'],
      ['a non-boolean active', { active: 'maybe' }, 'invalidValue'],
      ['a string where a complex value belongs', { name: 'Barbara' }, 'invalidValue'],
    ])('answers 400 for %s and stores nothing', async (_, overrides, scimType) => {
      const body = userBody(overrides);
      const before = await server.get('/v2/Users?count=0');
      const res = await server.post('/v2/Users', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType });
      const after = await server.get('/v2/Users?count=0');
      expect(after.body.totalResults).toBe(before.body.totalResults);
    });

    it('answers malformed JSON with 400 invalidSyntax', async () => {
      const res = await server.request('POST', '/v2/Users', {
        raw: '{"userName": "x",',
        headers: { 'content-type': 'application/scim+json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    });

    it.each([
      ['application/scim+json', 'application/scim+json'],
      ['application/json', 'application/json; charset=utf-8'],
      ['text/plain (Okta spec test clients)', 'text/plain'],
      ['no Content-Type at all', undefined],
    ])('parses a body sent as %s', async (_, contentType) => {
      const body = userBody();
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const res = await server.request('POST', '/v2/Users', {
        raw: new TextEncoder().encode(JSON.stringify(body)),
        headers,
      });
      expect(res.status).toBe(201);
      expect(res.body.userName).toBe(body.userName);
    });

    it('answers an unsupported media type with 415', async () => {
      const res = await server.request('POST', '/v2/Users', {
        raw: '<user/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '415' });
    });

    it('answers a body over BODY_LIMIT with 413', async () => {
      const res = await server.post('/v2/Users', userBody({ title: 'x'.repeat(20000) }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '413' });
    });
  });

  describe('read', () => {
    it('reads a user with an ETag, and answers 304 to a matching If-None-Match', async () => {
      const user = await create();
      const res = await server.get(`/v2/Users/${user.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(user);
      expect(res.headers.get('etag')).toBe('W/"1"');
      const cached = await server.get(`/v2/Users/${user.id}`, { headers: { 'if-none-match': 'W/"1"' } });
      expect(cached.status).toBe(304);
      expect(cached.text).toBe('');
      const stale = await server.get(`/v2/Users/${user.id}`, { headers: { 'if-none-match': 'W/"0"' } });
      expect(stale.status).toBe(200);
    });

    it.each(['6c5bf2b5-5b2b-4e8a-a4a1-000000000000', '010101001010101011001010101011', 'string%20id%201'])(
      'answers 404 with a SCIM error for unknown id %s',
      async (id) => {
        const res = await server.get(`/v2/Users/${id}`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ schemas: [ERROR], status: '404', detail: expect.stringContaining('not found') });
      },
    );

    it('projects with attributes and excludedAttributes, always keeping id and schemas', async () => {
      const user = await create({
        [ENTERPRISE]: { department: 'Sales', employeeNumber: '7' },
        schemas: [USER, ENTERPRISE],
      });
      const some = await server.get(`/v2/Users/${user.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
      expect(some.body).toEqual({
        schemas: [USER, ENTERPRISE],
        id: user.id,
        userName: user.userName,
        name: { givenName: user.name.givenName },
        [ENTERPRISE]: { department: 'Sales' },
      });
      const less = await server.get(`/v2/Users/${user.id}?excludedAttributes=emails,meta,name`);
      expect(less.body).not.toHaveProperty('emails');
      expect(less.body).not.toHaveProperty('meta');
      expect(less.body).not.toHaveProperty('name');
      expect(less.body.userName).toBe(user.userName);
    });

    it('projects a valuePath entry of attributes (Microsoft collection)', async () => {
      const user = await create({
        emails: [
          { value: 'emailName357@example.com', type: 'work', primary: true },
          { value: 'home357@example.com', type: 'home' },
        ],
      });
      const res = await server.get(`/v2/Users/${user.id}?attributes=emails[type eq "work"]`);
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ value: 'emailName357@example.com', type: 'work', primary: true }]);
    });
  });

  describe('list and filter', () => {
    let tag: string;
    let people: Record<string, any>[];

    beforeAll(async () => {
      tag = `t${Date.now()}`;
      people = [];
      for (const [i, given] of ['Ann', 'bob', 'Cid', 'dee', 'Eve'].entries()) {
        people.push(
          await create({
            userName: `${given.toLowerCase()}.${tag}@example.com`,
            name: { givenName: given, familyName: tag },
            title: i % 2 === 0 ? 'Engineer' : 'Manager',
            active: i !== 4,
            emails: [
              { value: `${given.toLowerCase()}.${tag}@work.example.com`, type: 'work', primary: true },
              { value: `${given.toLowerCase()}.${tag}@home.example.org`, type: 'home' },
            ],
            schemas: [USER, ENTERPRISE],
            [ENTERPRISE]: { employeeNumber: String(100 + i), department: i < 2 ? 'Sales' : 'Ops' },
          }),
        );
      }
    });

    async function names(query: string): Promise<string[]> {
      const res = await server.get(`/v2/Users?${query}`);
      expect(res.status).toBe(200);
      return res.body.Resources.map((u: { userName: string }) => u.userName.split('.')[0]);
    }

    const q = (filter: string, extra = '') => `filter=${encodeURIComponent(filter)}&sortBy=userName${extra}`;

    it('answers a filter with no match with an empty ListResponse (Entra test connection)', async () => {
      const res = await server.get(
        `/v2/Users?filter=${encodeURIComponent('userName eq "3f8b9c1e-5a2d-4e7f-9b1c-0d2e3f4a5b6c"')}`,
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
    });

    it.each([
      ['userName eq, differently cased', (t: string) => `userName eq "ANN.${t.toUpperCase()}@EXAMPLE.COM"`, ['ann']],
      ['sw', (t: string) => `userName sw "b" and name.familyName eq "${t}"`, ['bob']],
      ['co on a sub-attribute', (t: string) => `name.familyName eq "${t}" and name.givenName co "E"`, ['dee', 'eve']],
      [
        'ew',
        (t: string) => `name.familyName eq "${t}" and userName ew "${t}@example.com"`,
        ['ann', 'bob', 'cid', 'dee', 'eve'],
      ],
      [
        'or with precedence',
        (t: string) => `name.givenName eq "ann" or name.givenName eq "bob" and name.familyName eq "${t}"`,
        ['ann', 'bob'],
      ],
      ['not', (t: string) => `name.familyName eq "${t}" and not (title eq "Engineer")`, ['bob', 'dee']],
      ['active eq false', (t: string) => `name.familyName eq "${t}" and active eq false`, ['eve']],
      ['emails.value', (t: string) => `emails.value eq "CID.${t}@home.example.org"`, ['cid']],
      ['valuePath same element', (t: string) => `emails[type eq "work" and value co "dee.${t}@work"]`, ['dee']],
      [
        'valuePath that must not mix elements',
        (t: string) => `emails[type eq "home" and value co "dee.${t}@work"]`,
        [],
      ],
      [
        'Entra emails[type eq "work"].value eq',
        (t: string) => `emails[type eq "work"].value eq "eve.${t}@work.example.com"`,
        ['eve'],
      ],
      [
        'enterprise extension',
        (t: string) => `${ENTERPRISE}:department eq "sales" and name.familyName eq "${t}"`,
        ['ann', 'bob'],
      ],
      [
        'extension number compared as string',
        (t: string) => `${ENTERPRISE}:employeeNumber ge "103" and name.familyName eq "${t}"`,
        ['dee', 'eve'],
      ],
      ['pr', (t: string) => `name.familyName eq "${t}" and title pr`, ['ann', 'bob', 'cid', 'dee', 'eve']],
      [
        'unquoted value (Microsoft collection)',
        (t: string) => `name.FamilyName eq ${t} and (emails.Value co work.example.com)`,
        ['ann', 'bob', 'cid', 'dee', 'eve'],
      ],
      [
        'meta.created gt',
        (t: string) => `meta.created gt "2015-10-10T14:38:21.8617979-07:00" and name.familyName eq "${t}"`,
        ['ann', 'bob', 'cid', 'dee', 'eve'],
      ],
      [
        'meta.lastModified lt the past',
        (t: string) => `meta.lastModified lt "2001-01-01T00:00:00Z" and name.familyName eq "${t}"`,
        [],
      ],
    ])('filters with %s', async (_, filter, expected) => {
      expect(await names(q(filter(tag)))).toEqual(expected);
    });

    it('pages with startIndex and count, with a stable order and totalResults over all matches', async () => {
      const filter = `name.familyName eq "${tag}"`;
      const first = await server.get(`/v2/Users?${q(filter, '&startIndex=1&count=2')}`);
      expect(first.body).toMatchObject({ totalResults: 5, itemsPerPage: 2, startIndex: 1 });
      const second = await server.get(`/v2/Users?${q(filter, '&startIndex=3&count=2')}`);
      const third = await server.get(`/v2/Users?${q(filter, '&startIndex=5&count=2')}`);
      const all = [...first.body.Resources, ...second.body.Resources, ...third.body.Resources].map((u) => u.id);
      expect(new Set(all).size).toBe(5);
      expect(third.body.itemsPerPage).toBe(1);
    });

    it('treats startIndex below 1 as 1, answers count=0 with only totalResults, and clamps count', async () => {
      const filter = encodeURIComponent(`name.familyName eq "${tag}"`);
      const zero = await server.get(`/v2/Users?filter=${filter}&startindex=0&count=0`);
      expect(zero.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, startIndex: 1, Resources: [] });
      const many = await server.get(`/v2/Users?count=500`);
      expect(many.body.itemsPerPage).toBeLessThanOrEqual(50);
    });

    it('sorts descending by any singular attribute', async () => {
      expect(
        await names(
          `filter=${encodeURIComponent(`name.familyName eq "${tag}"`)}&sortBy=name.givenName&sortOrder=descending`,
        ),
      ).toEqual(['eve', 'dee', 'cid', 'bob', 'ann']);
    });

    it('pages by cursor (RFC 9865) forwards and backwards', async () => {
      const filter = encodeURIComponent(`name.familyName eq "${tag}"`);
      const seen: string[] = [];
      let res = await server.get(`/v2/Users?filter=${filter}&sortBy=userName&count=2&cursor=`);
      expect(res.body.previousCursor).toBeUndefined();
      seen.push(...res.body.Resources.map((u: any) => u.userName));
      while (res.body.nextCursor) {
        const next = res.body.nextCursor;
        res = await server.get(`/v2/Users?filter=${filter}&sortBy=userName&count=2&cursor=${next}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.Resources.map((u: any) => u.userName));
      }
      expect(seen.map((n) => n.split('.')[0])).toEqual(['ann', 'bob', 'cid', 'dee', 'eve']);
      const back = await server.get(
        `/v2/Users?filter=${filter}&sortBy=userName&count=2&cursor=${res.body.previousCursor}`,
      );
      expect(back.body.Resources.map((u: any) => u.userName.split('.')[0])).toEqual(['cid', 'dee']);
    });

    it('rejects a cursor from another query and a forged one', async () => {
      const res = await server.get(`/v2/Users?sortBy=userName&count=1&cursor=`);
      const other = await server.get(`/v2/Users?sortBy=displayName&count=1&cursor=${res.body.nextCursor}`);
      expect(other.status).toBe(400);
      expect(other.body.scimType).toBe('invalidCursor');
      const forged = await server.get(`/v2/Users?count=1&cursor=not-a-cursor`);
      expect(forged.body.scimType).toBe('invalidCursor');
    });

    it('searches with POST /.search', async () => {
      const res = await server.post('/v2/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: `name.familyName eq "${tag}" and active eq true`,
        attributes: ['userName'],
        sortBy: 'userName',
        sortOrder: 'descending',
        count: 2,
      });
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(4);
      expect(res.body.Resources).toEqual([
        { schemas: [USER], id: people[3].id, userName: people[3].userName },
        { schemas: [USER], id: people[2].id, userName: people[2].userName },
      ]);
    });

    it.each([
      ['userName eq', 'invalidFilter'],
      ['nosuch eq "x"', 'invalidFilter'],
      ['password eq "x"', 'invalidFilter'],
      ['active gt true', 'invalidFilter'],
      ['meta.created gt "yesterday"', 'invalidFilter'],
      ['(userName eq "x"', 'invalidFilter'],
    ])('answers the bad filter %j with 400 %s', async (filter, scimType) => {
      const res = await server.get(`/v2/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType });
    });

    it.each([
      ['sortBy=nosuch', 'invalidValue'],
      ['sortOrder=sideways', 'invalidValue'],
      ['count=ten', 'invalidValue'],
    ])('answers %s with 400 %s', async (query, scimType) => {
      const res = await server.get(`/v2/Users?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe(scimType);
    });
  });

  describe('replace', () => {
    it('replaces the whole resource, keeping id, created and the password', async () => {
      const user = await create({ nickName: 'Old', title: 'Old title' });
      const res = await server.put(`/v2/Users/${user.id}`, {
        schemas: [USER],
        id: user.id,
        userName: user.userName,
        nickName: 'New',
        meta: user.meta,
      });
      expect(res.status).toBe(200);
      expect(res.body.nickName).toBe('New');
      expect(res.body).not.toHaveProperty('title');
      expect(res.body).not.toHaveProperty('emails');
      expect(res.body.id).toBe(user.id);
      expect(res.body.meta.created).toBe(user.meta.created);
      expect(res.body.meta.version).toBe('W/"2"');
      expect(res.headers.get('etag')).toBe('W/"2"');
    });

    it('answers 400 without userName and 404 for an unknown id', async () => {
      const user = await create();
      expect((await server.put(`/v2/Users/${user.id}`, { schemas: [USER], userame: 'typo' })).status).toBe(400);
      expect((await server.put(`/v2/Users/6c5bf2b5-5b2b-4e8a-a4a1-000000000000`, userBody())).status).toBe(404);
    });

    it('answers 409 when the new userName belongs to someone else', async () => {
      const [a, b] = [await create(), await create()];
      const res = await server.put(`/v2/Users/${b.id}`, { ...userBody(), userName: a.userName });
      expect(res.status).toBe(409);
      expect(res.body.scimType).toBe('uniqueness');
    });
  });

  describe('patch', () => {
    it('applies Entra default-job operations with capitalised ops and "False" strings', async () => {
      const user = await create();
      const res = await server.patch(`/v2/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updated@example.com' },
          { op: 'Replace', path: 'name.familyName', value: 'Updated' },
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '42' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ value: 'updated@example.com', type: 'work', primary: true }]);
      expect(res.body.name.familyName).toBe('Updated');
      expect(res.body.active).toBe(false);
      expect(res.body[ENTERPRISE]).toEqual({ employeeNumber: '42' });
      expect(res.headers.get('etag')).toBe('W/"2"');
      const read = await server.get(`/v2/Users/${user.id}`);
      expect(read.body).toEqual(res.body);
    });

    it('applies a pathless replace with dotted and URN keys (aadOptscim062020) and Okta deactivation', async () => {
      const user = await create();
      const res = await server.patch(`/v2/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [
          {
            op: 'replace',
            value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', [`${ENTERPRISE}:employeeNumber`]: 'Aklq' },
          },
          { op: 'replace', value: { active: false } },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        displayName: 'Bjfe',
        name: { givenName: 'Kkom' },
        active: false,
        [ENTERPRISE]: { employeeNumber: 'Aklq' },
      });
    });

    it('sets, changes and clears the manager in every shape clients send', async () => {
      const [m1, m2, user] = [await create(), await create(), await create()];
      const path = `${ENTERPRISE}:manager`;
      const steps: [unknown, string | undefined][] = [
        [{ op: 'Add', path, value: m1.id }, m1.id],
        [{ op: 'replace', path, value: { value: m2.id } }, m2.id],
        [{ op: 'Add', path: 'manager', value: [{ $ref: 'x', value: m1.id }] }, m1.id],
        [{ op: 'replace', path, value: '' }, undefined],
        [{ op: 'replace', path, value: { Value: m2.id } }, m2.id],
        [{ op: 'remove', path }, undefined],
      ];
      for (const [operation, expected] of steps) {
        const res = await server.patch(`/v2/Users/${user.id}`, { schemas: [PATCH], Operations: [operation] });
        expect(res.status).toBe(200);
        expect(res.body[ENTERPRISE]?.manager?.value).toBe(expected);
      }
    });

    it('answers 204 with Prefer: return=minimal', async () => {
      const user = await create();
      const res = await server.patch(
        `/v2/Users/${user.id}`,
        { schemas: [PATCH], Operations: [{ op: 'replace', path: 'nickName', value: 'Q' }] },
        { headers: { prefer: 'return=minimal' } },
      );
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await server.get(`/v2/Users/${user.id}`)).body.nickName).toBe('Q');
    });

    it('applies all operations or none', async () => {
      const user = await create();
      const res = await server.patch(`/v2/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'replace', path: 'nickName', value: 'Changed' },
          { op: 'replace', path: 'nosuch.attribute', value: 'x' },
        ],
      });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidPath');
      const read = await server.get(`/v2/Users/${user.id}`);
      expect(read.body.nickName).toBeUndefined();
      expect(read.body.meta.version).toBe('W/"1"');
    });

    it.each([
      ['an unknown op', [{ op: 'frobnicate', path: 'nickName', value: 'x' }], 'invalidSyntax'],
      ['remove without a path', [{ op: 'remove' }], 'noTarget'],
      ['a readOnly target', [{ op: 'replace', path: 'id', value: 'x' }], 'mutability'],
      ['a wrong type', [{ op: 'replace', path: 'active', value: 'sometimes' }], 'invalidValue'],
    ])('answers %s with 400 %s', async (_, operations, scimType) => {
      const user = await create();
      const res = await server.patch(`/v2/Users/${user.id}`, { schemas: [PATCH], Operations: operations });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType });
    });

    it('never loses an update under 20 concurrent PATCHes', async () => {
      const user = await create({ emails: [] });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          server.patch(`/v2/Users/${user.id}`, {
            schemas: [PATCH],
            Operations: [{ op: 'add', path: 'emails', value: [{ value: `c${i}@example.com`, type: 'other' }] }],
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const read = await server.get(`/v2/Users/${user.id}`);
      expect(read.body.emails).toHaveLength(20);
      expect(read.body.meta.version).toBe('W/"21"');
    });
  });

  describe('preconditions and delete', () => {
    it('honours If-Match on PUT, PATCH and DELETE', async () => {
      const user = await create();
      const patch = { schemas: [PATCH], Operations: [{ op: 'replace', path: 'nickName', value: 'A' }] };
      const stale = await server.patch(`/v2/Users/${user.id}`, patch, { headers: { 'if-match': 'W/"9"' } });
      expect(stale.status).toBe(412);
      expect(stale.body).toMatchObject({ schemas: [ERROR], status: '412' });
      const fresh = await server.patch(`/v2/Users/${user.id}`, patch, { headers: { 'if-match': 'W/"1"' } });
      expect(fresh.status).toBe(200);
      const put = await server.put(
        `/v2/Users/${user.id}`,
        { userName: user.userName },
        { headers: { 'if-match': 'W/"1"' } },
      );
      expect(put.status).toBe(412);
      const del = await server.delete(`/v2/Users/${user.id}`, { headers: { 'if-match': 'W/"1"' } });
      expect(del.status).toBe(412);
      expect((await server.delete(`/v2/Users/${user.id}`, { headers: { 'if-match': 'W/"2"' } })).status).toBe(204);
    });

    it('deletes with 204, then answers 404 for the user and for a second delete', async () => {
      const user = await create();
      const res = await server.delete(`/v2/Users/${user.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await server.get(`/v2/Users/${user.id}`)).status).toBe(404);
      expect((await server.delete(`/v2/Users/${user.id}`)).status).toBe(404);
    });

    it('keeps deactivated users readable and filterable', async () => {
      const user = await create({ active: false });
      expect((await server.get(`/v2/Users/${user.id}`)).body.active).toBe(false);
      const found = await server.get(
        `/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}" and active eq false`)}`,
      );
      expect(found.body.totalResults).toBe(1);
    });
  });
});
