import { parseFilter, parsePath, SchemaRegistry, ScimError } from '@roster/scim';
import { BulkReferences, formatFilter, formatPath, FoundReference } from './bulk-references';
import { BulkOperation, bulkIdReference, parseBulkRequest, parseTarget } from './bulk-request';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

const references = new BulkReferences(new SchemaRegistry());
const bulkIds = (found: FoundReference[]) => found.map((r) => r.bulkId);
const ids: Record<string, string> = { a: 'id-a', b: 'id-b', x: 'id-x' };
const resolveAll = (r: FoundReference) => ids[r.bulkId] ?? `id-${r.bulkId}`;

describe('bulkIdReference', () => {
  it.each([
    ['bulkId:qwerty', 'qwerty'],
    ['BULKID:qwerty', 'qwerty'],
    ['bulkId:with:colons', 'with:colons'],
    ['bulkId:', ''],
  ])('reads %s as a reference to "%s"', (text, bulkId) => {
    expect(bulkIdReference(text)).toBe(bulkId);
  });

  it.each([['qwerty'], [' bulkId:x'], ['see bulkId:x'], [42], [null]])('does not read %p as a reference', (value) => {
    expect(bulkIdReference(value)).toBeUndefined();
  });
});

describe('BulkReferences.collect', () => {
  it.each<[string, Record<string, unknown>]>([
    ['an extension object with a bare manager', { [ENTERPRISE]: { manager: 'bulkId:a' } }],
    ['an extension object with { value }', { [ENTERPRISE]: { manager: { value: 'bulkId:a' } } }],
    ['a manager list, as Entra samples send it', { [ENTERPRISE]: { manager: [{ value: 'bulkId:a' }] } }],
    ['a URN-qualified top-level key', { [`${ENTERPRISE}:manager`]: 'bulkId:a' }],
    ['a URN-qualified sub-attribute key', { [`${ENTERPRISE}:manager.value`]: 'bulkId:a' }],
    ['names in another case', { [ENTERPRISE.toUpperCase()]: { Manager: { VALUE: 'bulkId:a' } } }],
  ])('finds a manager in %s', (_, data) => {
    expect(bulkIds(references.collect('User', 'POST', data))).toEqual(['a']);
  });

  it('finds nothing where no resource id belongs, and never a substring', () => {
    const data = {
      userName: 'bulkId:a',
      displayName: 'bulkId:a',
      externalId: 'bulkId:a',
      title: 'reports to bulkId:a',
      groups: [{ value: 'bulkId:a' }],
      [ENTERPRISE]: { department: 'bulkId:a', manager: { displayName: 'bulkId:a' } },
    };
    expect(references.collect('User', 'POST', data)).toEqual([]);
  });

  it('finds members as objects or bare values, each exactly once, with their site', () => {
    const found = references.collect('Group', 'PUT', {
      displayName: 'bulkId:zzz',
      members: [{ value: 'bulkId:a', type: 'User' }, 'bulkId:b', { value: 'bulkId:12' }, { value: 'not-a-ref' }],
    });
    expect(bulkIds(found)).toEqual(['a', 'b', '12']);
    expect(found[0].site).toEqual({ attributePath: 'members', multiValued: true, resourceTypes: ['User', 'Group'] });
  });

  it('finds references in PATCH values, pathless values and path filters', () => {
    const found = references.collect('Group', 'PATCH', {
      schemas: [PATCH],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: 'bulkId:a' }] },
        { op: 'remove', path: 'members[value eq "bulkId:b"]' },
        { op: 'Replace', value: { members: [{ value: 'bulkId:x' }], displayName: 'bulkId:no' } },
        { op: 'replace', path: 'displayName', value: 'bulkId:no' },
      ],
    });
    expect(found.map((r) => [r.bulkId, r.inFilter])).toEqual([
      ['a', false],
      ['b', true],
      ['x', false],
    ]);
  });

  it('throws the PATCH error for a body PATCH would refuse', () => {
    expect(() => references.collect('User', 'PATCH', { Operations: [] })).toThrow(ScimError);
  });
});

describe('BulkReferences rewriting', () => {
  it('replaces references with ids and leaves the input untouched', () => {
    const data = { userName: 'u', [ENTERPRISE]: { manager: { value: 'bulkId:a' }, department: 'd' } };
    const copy = structuredClone(data);
    expect(references.resource('User', data, resolveAll)).toEqual({
      userName: 'u',
      [ENTERPRISE]: { manager: { value: 'id-a' }, department: 'd' },
    });
    expect(data).toEqual(copy);
  });

  it('returns the same object when nothing refers to a bulkId', () => {
    const data = { displayName: 'g', members: [{ value: 'id-1' }] };
    expect(references.resource('Group', data, resolveAll)).toBe(data);
  });

  it('leaves out what resolves to null (a reference that must wait) and keeps the rest', () => {
    const group = references.resource(
      'Group',
      { displayName: 'g', members: [{ value: 'bulkId:a' }, { value: 'bulkId:b' }] },
      (r) => (r.bulkId === 'a' ? null : 'id-b'),
    );
    expect(group).toEqual({ displayName: 'g', members: [{ value: 'id-b' }] });
    const user = references.resource('User', { userName: 'u', [ENTERPRISE]: { manager: 'bulkId:a' } }, () => null);
    expect(user).toEqual({ userName: 'u', [ENTERPRISE]: { manager: null } });
  });

  it('rewrites a PATCH filter operand and keeps the rest of the path', () => {
    const body = references.patch(
      'Group',
      {
        schemas: [PATCH],
        Operations: [
          { op: 'remove', path: 'members[(value eq "bulkId:a" or value eq "bulkId:b") and type eq "User"]' },
          { op: 'replace', path: `${ENTERPRISE}:manager.value`, value: 'bulkId:x' },
        ],
      },
      resolveAll,
    );
    const [remove] = (body as { Operations: { path: string }[] }).Operations;
    expect(parsePath(remove.path)).toEqual(
      parsePath('members[(value eq "id-a" or value eq "id-b") and type eq "User"]'),
    );
  });
});

describe('formatFilter', () => {
  it.each([
    'value eq "a"',
    'value eq "a \\"quoted\\" é" and type eq "User"',
    'value eq "a" or value eq "b" and type pr',
    '(value eq "a" or value eq "b") and type pr',
    'not (value eq "a") or value ne "b"',
    'emails[type eq "work" and value co "@x"] and active eq true',
    'meta.lastModified gt "2026-01-01T00:00:00Z" or count le 3 or x eq null',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"',
  ])('writes %s back so that it parses the same', (text) => {
    const filter = parseFilter(text);
    expect(parseFilter(formatFilter(filter))).toEqual(filter);
  });

  it('writes paths with a filter and a sub-attribute', () => {
    const path = parsePath('emails[type eq "work"].value');
    expect(parsePath(formatPath(path))).toEqual(path);
  });
});

describe('parseBulkRequest', () => {
  const limits = { maxOperations: 3 };
  const op = (extra: Record<string, unknown> = {}) => ({
    method: 'POST',
    path: '/Users',
    bulkId: 'a',
    data: {},
    ...extra,
  });

  it('reads operations with member names in any case and methods in any case', () => {
    const request = parseBulkRequest(
      { SCHEMAS: [BULK], FailOnErrors: 2, operations: [{ METHOD: 'delete', PATH: ' /Users/1 ', Version: 'W/"1"' }] },
      limits,
    );
    expect(request).toEqual({
      failOnErrors: 2,
      operations: [{ index: 0, method: 'DELETE', path: '/Users/1', version: 'W/"1"' }],
    });
  });

  it('answers 413 for more than maxOperations, before looking at them', () => {
    const error = catchError(() => parseBulkRequest({ schemas: [BULK], Operations: [1, 2, 3, 4] }, limits));
    expect(error).toMatchObject({ status: 413, detail: expect.stringContaining('maxOperations (3)') });
  });

  it('rejects a duplicate bulkId, naming both operations', () => {
    const error = catchError(() =>
      parseBulkRequest({ schemas: [BULK], Operations: [op(), op({ method: 'PUT' })] }, limits),
    );
    expect(error).toMatchObject({ status: 400, scimType: 'invalidSyntax', detail: expect.stringContaining('1 and 2') });
  });
});

describe('parseTarget', () => {
  const target = (method: BulkOperation['method'], path: string) => parseTarget({ index: 0, method, path });

  it.each<[BulkOperation['method'], string, unknown]>([
    ['POST', '/Users', { resourceType: 'User' }],
    ['POST', '/groups/', { resourceType: 'Group' }],
    ['PATCH', '/Users/2819c223', { resourceType: 'User', id: '2819c223' }],
    ['DELETE', '/Groups/bulkId:g1', { resourceType: 'Group', id: 'bulkId:g1', bulkIdRef: 'g1' }],
    ['PUT', '/Users/bulkId%3Au1', { resourceType: 'User', id: 'bulkId:u1', bulkIdRef: 'u1' }],
  ])('reads %s %s', (method, path, expected) => {
    expect(target(method, path)).toEqual(expected);
  });

  it.each<[BulkOperation['method'], string, number]>([
    ['POST', '/v2/Users', 404],
    ['POST', '/Users?attributes=id', 404],
    ['POST', '/Schemas', 404],
    ['POST', '/Users/1', 405],
    ['PATCH', '/Groups', 405],
  ])('refuses %s %s with %i', (method, path, status) => {
    expect(target(method, path)).toMatchObject({ status });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
