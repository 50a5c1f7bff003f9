import { parseFilter, ResourceTypeName, ROSTER_GROUP_SCHEMA, SchemaRegistry, ScimError } from '@roster/scim';
import { compileFilter, compileSortKey, DEFAULT_FILTER_MAX_COST, filterCost, SqlParams } from './filter-sql';

const registry = new SchemaRegistry();
const BASE = 'https://roster.example.com/v2';
const GROUP_ID = '6f3c2d1e-0a4b-4c5d-8e9f-0123456789ab';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function compile(filter: string, resourceType: ResourceTypeName = 'User'): { sql: string; params: unknown[] } {
  const params = new SqlParams();
  const sql = compileFilter(parseFilter(filter), { registry, resourceType, params, baseUrl: BASE });
  return { sql, params: params.values };
}

function cost(filter: string, resourceType: ResourceTypeName = 'User'): number {
  return filterCost(parseFilter(filter), { registry, resourceType, params: new SqlParams(), baseUrl: BASE });
}

function failure(action: () => unknown): ScimError {
  try {
    action();
  } catch (error) {
    if (error instanceof ScimError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ScimError');
}

/** The text of each `r.id IN (...)` subquery, found by matching parentheses. */
function inSubqueries(sql: string): string[] {
  const found: string[] = [];
  let from = 0;
  for (;;) {
    const at = sql.indexOf('r.id IN (', from);
    if (at < 0) {
      return found;
    }
    let depth = 0;
    let end = at + 'r.id IN '.length;
    for (; end < sql.length; end++) {
      depth += sql[end] === '(' ? 1 : sql[end] === ')' ? -1 : 0;
      if (depth === 0) {
        break;
      }
    }
    found.push(sql.slice(at + 'r.id IN ('.length, end));
    from = end;
  }
}

describe('groups predicates compile to set operations, not a subquery per user row', () => {
  it.each([
    `groups.value eq "${GROUP_ID}"`,
    `groups.value ne "${GROUP_ID}"`,
    `not (groups.value eq "${GROUP_ID}")`,
    'groups.display co "x0"',
    'groups.display sw "Eng"',
    'groups.type eq "indirect"',
    `groups.$ref eq "${BASE}/Groups/${GROUP_ID}"`,
    'groups[type eq "direct" and display co "sales"]',
    'groups[not (type eq "indirect") or display ew "staff"]',
    'userName sw "a" or groups.display eq "Sales"',
  ])('%s is a non-correlated IN over one walk of the group graph', (filter) => {
    const { sql } = compile(filter);
    const subqueries = inSubqueries(sql);
    expect(subqueries).toHaveLength(1);
    const [subquery] = subqueries;
    expect(subquery).toMatch(/^WITH RECURSIVE /);
    // Nothing inside refers to the outer row, so PostgreSQL computes the set once per statement.
    expect(subquery).not.toMatch(/\br\./);
  });

  it('restricts the groups before walking when the predicate is about the group', () => {
    const { sql } = compile('groups.display co "x0"');
    expect(sql).toMatch(
      /SELECT gg\d+\.id AS gid FROM groups gg\d+ WHERE \(lower\(gg\d+\.display_name::text\) LIKE \$1/,
    );
  });

  it('presence is a probe of the membership index, without a walk', () => {
    for (const filter of ['groups pr', 'groups.display pr', 'groups[type pr]', 'not (groups pr)', 'groups eq null']) {
      const { sql } = compile(filter);
      expect({ filter, sql }).toEqual({
        filter,
        sql: expect.stringMatching(/EXISTS \(SELECT 1 FROM group_members gm\d+ WHERE gm\d+\.user_id = r\.id\)/),
      });
      expect(sql).not.toMatch(/RECURSIVE/);
    }
  });

  it('two groups predicates are two sets, each computed once', () => {
    const { sql } = compile(`groups.value eq "${GROUP_ID}" and not (groups.display co "x")`);
    expect(inSubqueries(sql)).toHaveLength(2);
  });

  it('refuses unknown sub-attributes of groups', () => {
    expect(failure(() => compile('groups[nosuch pr]')).scimType).toBe('invalidFilter');
    expect(failure(() => compile('groups.nosuch eq "x"')).scimType).toBe('invalidFilter');
  });
});

describe('the filter cost budget', () => {
  it.each([
    ['userName eq "a"', 1],
    ['userName co "a"', 2],
    ['title eq "a"', 2],
    ['emails.value eq "a@b"', 4],
    ['emails[type eq "work" and value co "@x"]', 6],
    ['groups.display co "x0"', 12],
    [`groups[value eq "${GROUP_ID}" and type eq "direct"]`, 12],
    ['groups pr', 10],
  ])('%s costs %d', (filter, expected) => {
    expect(cost(filter)).toBe(expected);
  });

  it('keeps every 64-term list of indexed comparisons within the budget', () => {
    const filter = Array.from({ length: 64 }, (_, i) => `userName eq "u${i}"`).join(' or ');
    expect(cost(filter)).toBeLessThanOrEqual(DEFAULT_FILTER_MAX_COST);
    expect(() => compile(filter)).not.toThrow();
  });

  it.each([
    [
      'sixty emails[value co ...] terms',
      'User',
      Array.from({ length: 60 }, (_, i) => `emails[value co "x${i}"]`).join(' or '),
    ],
    [
      'sixty members.display co terms',
      'Group',
      Array.from({ length: 60 }, (_, i) => `members.display co "x${i}"`).join(' or '),
    ],
    [
      'eleven groups predicates',
      'User',
      Array.from({ length: 11 }, (_, i) => `groups.display co "x${i}"`).join(' or '),
    ],
  ] as [string, ResourceTypeName, string][])('refuses %s', (_label, resourceType, filter) => {
    const error = failure(() => compile(filter, resourceType));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toMatch(/too expensive: it costs \d+ where at most 100 is allowed/);
  });

  it('follows a configured budget', () => {
    const params = new SqlParams();
    const context = { registry, resourceType: 'User' as const, params, baseUrl: BASE, maxCost: 3 };
    expect(() => compileFilter(parseFilter('userName co "a"'), context)).not.toThrow();
    expect(failure(() => compileFilter(parseFilter('emails.value co "a"'), context)).detail).toMatch(/at most 3/);
  });
});

describe('dateTime values are checked as calendar dates before they reach SQL', () => {
  it.each([
    'meta.created gt "2020-13-01T00:00:00Z"',
    'meta.created gt "2020-02-30T00:00:00Z"',
    'meta.created gt "0000-01-01T00:00:00Z"',
    'meta.created gt "2020-01-01T00:00:00+99:99"',
    'meta.created gt 2020-13-01T00:00:00Z',
    'meta.lastModified le 20200101',
  ])('refuses %s', (filter) => {
    expect(failure(() => compile(filter)).scimType).toBe('invalidFilter');
  });

  it('passes the canonical instant, with an explicit offset', () => {
    expect(compile('meta.created ge "2020-02-29t10:00:00"').params).toEqual(['2020-02-29T10:00:00Z']);
    expect(compile('meta.created ge 2020-02-29T10:00:00.1234567+02:00').params).toEqual([
      '2020-02-29T10:00:00.1234567+02:00',
    ]);
  });
});

describe('sort keys', () => {
  const key = (sortBy: string, resourceType: ResourceTypeName = 'User') =>
    compileSortKey(sortBy, { registry, resourceType, params: new SqlParams(), baseUrl: BASE });

  it('sorts meta.location like the id, on Users and Groups', () => {
    expect(key('meta.location')).toEqual({ sql: 'r.id', type: 'string', uuid: true });
    expect(key('meta.location', 'Group')).toEqual({ sql: 'r.id', type: 'string', uuid: true });
  });

  it('sorts manager.$ref like the manager id, without parameters', () => {
    expect(key(`${ENTERPRISE}:manager.$ref`).sql).toBe(`(r.doc->'${ENTERPRISE}'->'manager'->>'value')`);
  });

  it('sorts the group logo reference without parameters', () => {
    expect(key(`${ROSTER_GROUP_SCHEMA}:logo`, 'Group').sql).toMatch(/group_logos/);
  });

  it('never takes parameters, whatever the attribute', () => {
    const params = new SqlParams();
    for (const sortBy of [
      'userName',
      'meta.location',
      'emails.value',
      `${ENTERPRISE}:manager.displayName`,
      'meta.version',
    ]) {
      compileSortKey(sortBy, { registry, resourceType: 'User', params, baseUrl: BASE });
    }
    expect(params.values).toEqual([]);
  });
});
