import { ScimError, type ScimType } from '../errors';
import type { Filter } from '../filter/ast';
import { normalizeInput } from '../resource/normalize';
import { COMMON_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../schema/definitions';
import { SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, AttributeType } from '../schema/types';
import {
  applyPatch,
  DEFAULT_PATCH_LIMITS,
  PATCH_OP_SCHEMA,
  parsePatchRequest,
  type MemberOp,
  type PatchResult,
} from './patch';

const registry = new SchemaRegistry();
const ENT = ENTERPRISE_USER_SCHEMA;
type Doc = Record<string, unknown>;

function errorOf(call: () => unknown): ScimError {
  try {
    call();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError, nothing was thrown');
}

/** A PatchOp body, as every client sends it. */
const body = (...operations: unknown[]): Doc => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });

/** Envelope validation and application, as the service chains them. */
function patch(type: 'User' | 'Group', current: Doc, request: unknown, reg: SchemaRegistry = registry): PatchResult {
  return applyPatch(reg, type, current, parsePatchRequest(request));
}
const patchUser = (current: Doc, ...operations: unknown[]): PatchResult => patch('User', current, body(...operations));
const patchGroup = (current: Doc, ...operations: unknown[]): PatchResult =>
  patch('Group', current, body(...operations));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A stored user, in the canonical shape `normalizeInput` produces (and frozen: PATCH must never write to it). */
function storedUser(extra: Doc = {}): Doc {
  return deepFreeze(
    normalizeInput(
      registry,
      'User',
      {
        userName: 'bjensen@example.com',
        externalId: 'bjensen',
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        displayName: 'Babs Jensen',
        title: 'Tour Guide',
        active: true,
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@jensen.org', type: 'home' },
        ],
        phoneNumbers: [{ value: '555-555-5555', type: 'work' }],
        [ENT]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'mgr-1' } },
        ...extra,
      },
      'create',
    ).doc,
  );
}

/** A user with only what is required, for tests that create attributes from nothing. */
const minimalUser = (extra: Doc = {}): Doc => deepFreeze({ userName: 'u1', ...extra });

const storedGroup = (extra: Doc = {}): Doc => deepFreeze({ externalId: 'g-ext', displayName: 'Sales', ...extra });

/** `storedUser()` with top-level changes; an `undefined` value removes the key. */
function userWith(changes: Doc, extension?: Doc | null): Doc {
  const doc: Doc = structuredClone(storedUser());
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete doc[key];
    else doc[key] = value;
  }
  if (extension === null) delete doc[ENT];
  else if (extension !== undefined) doc[ENT] = extension;
  return doc;
}

const STORED_EXTENSION = { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'mgr-1' } };

// ---- the envelope ----------------------------------------------------------------------------------------------

describe('parsePatchRequest: the envelope', () => {
  it.each([
    ['Add', 'add'],
    ['add', 'add'],
    ['Replace', 'replace'],
    ['REPLACE', 'replace'],
    ['Remove', 'remove'],
    ['REMOVE', 'remove'],
  ])('accepts op %j as %s', (op, expected) => {
    const value = op.toLowerCase() === 'remove' ? {} : { value: 'x' };
    expect(parsePatchRequest(body({ op, path: 'title', ...value }))).toEqual([
      { op: expected, path: 'title', ...value },
    ]);
  });

  it.each([['Operations'], ['operations'], ['OPERATIONS'], ['oPeRaTiOnS']])('reads the %s member', (key) => {
    expect(
      parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], [key]: [{ op: 'replace', path: 'title', value: 'x' }] }),
    ).toEqual([{ op: 'replace', path: 'title', value: 'x' }]);
  });

  it.each([
    [[PATCH_OP_SCHEMA.toUpperCase()]],
    [['urn:ietf:params:scim:api:messages:2.0:patchop']],
    [[USER_SCHEMA, PATCH_OP_SCHEMA, 'urn:example:whatever']],
  ])('accepts schemas %j', (schemas) => {
    expect(parsePatchRequest({ schemas, Operations: [{ op: 'remove', path: 'title' }] })).toHaveLength(1);
  });

  it('ignores unknown keys inside an operation and beside it (Microsoft collection: "name", "id")', () => {
    expect(
      parsePatchRequest({
        id: 'group-1',
        schemas: [PATCH_OP_SCHEMA],
        Operations: [{ name: 'addMember', op: 'add', path: 'members', value: 'string id 1' }],
      }),
    ).toEqual([{ op: 'add', path: 'members', value: 'string id 1' }]);
  });

  it('keeps a null value (it clears) apart from a missing one', () => {
    expect(parsePatchRequest(body({ op: 'replace', path: 'title', value: null }))).toEqual([
      { op: 'replace', path: 'title', value: null },
    ]);
    expect(parsePatchRequest(body({ op: 'remove', path: 'title' }))[0]).not.toHaveProperty('value');
  });

  it.each([[''], ['   '], [null]])('treats path %j as no path', (path) => {
    expect(parsePatchRequest(body({ op: 'replace', path, value: { title: 'x' } }))).toEqual([
      { op: 'replace', value: { title: 'x' } },
    ]);
  });

  it('accepts an empty Operations array as a no-op (Microsoft validator)', () => {
    const request = { schemas: [PATCH_OP_SCHEMA], Operations: [] };
    expect(parsePatchRequest(request)).toEqual([]);
    const current = storedUser();
    expect(patch('User', current, request)).toEqual({ doc: current, memberOps: [], changed: false });
  });

  it(`allows ${DEFAULT_PATCH_LIMITS.maxOperations} operations by default and a configured limit`, () => {
    const many = (n: number) => body(...Array.from({ length: n }, () => ({ op: 'remove', path: 'title' })));
    expect(parsePatchRequest(many(1000))).toHaveLength(1000);
    const error = errorOf(() => parsePatchRequest(many(1001)));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain('1001 operations; at most 1000');
    expect(errorOf(() => parsePatchRequest(many(3), { maxOperations: 2 })).detail).toContain('at most 2');
    expect(parsePatchRequest(many(2), { maxOperations: 2 })).toHaveLength(2);
  });

  it.each<[string, unknown, ScimType, string]>([
    ['a non-object body', 'Operations', 'invalidSyntax', 'must be a JSON object, got a string'],
    ['an array body', [], 'invalidSyntax', 'must be a JSON object, got an array'],
    ['a null body', null, 'invalidSyntax', 'got null'],
    ['no schemas', { Operations: [] }, 'invalidSyntax', PATCH_OP_SCHEMA],
    ['another schema', { schemas: [USER_SCHEMA], Operations: [] }, 'invalidSyntax', '"schemas"'],
    ['no Operations', { schemas: [PATCH_OP_SCHEMA] }, 'invalidSyntax', 'must have an "Operations" array'],
    ['Operations not an array', { schemas: [PATCH_OP_SCHEMA], Operations: {} }, 'invalidSyntax', 'got an object'],
    ['an operation that is not an object', body('replace'), 'invalidSyntax', 'Operation 1: An operation must be'],
    ['no op', body({ path: 'title', value: 'x' }), 'invalidSyntax', 'has no "op"'],
    ['op not a string', body({ op: 1, path: 'title', value: 'x' }), 'invalidSyntax', '"op" must be a string'],
    ['an unknown op', body({ op: 'Move', path: 'title', value: 'x' }), 'invalidSyntax', 'Unknown op "Move"'],
    ['JSON Patch "test"', body({ op: 'test', path: 'title', value: 'x' }), 'invalidSyntax', '"test"'],
    ['add without value', body({ op: 'add', path: 'title' }), 'invalidSyntax', '"add" operation must have a "value"'],
    ['replace without value', body({ op: 'Replace', path: 'title' }), 'invalidSyntax', '"replace" operation must'],
    ['a numeric path', body({ op: 'remove', path: 7 }), 'invalidPath', '"path" must be a string, got a number'],
    ['a malformed path', body({ op: 'remove', path: 'emails[type eq "work"' }), 'invalidPath', 'Missing "]"'],
    ['a path with spaces', body({ op: 'remove', path: 'name givenName' }), 'invalidPath', 'end of the path'],
    ['a too deep value', body({ op: 'add', path: 'title', value: [[[[[[[['x']]]]]]]] }), 'invalidValue', 'deeper'],
  ])('rejects %s', (_name, request, scimType, detail) => {
    const error = errorOf(() => parsePatchRequest(request));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toContain(detail);
  });

  it('names the failing operation by its 1-based position', () => {
    const error = errorOf(() =>
      parsePatchRequest(body({ op: 'add', path: 'title', value: 'x' }, { op: 'copy', path: 'title' })),
    );
    expect(error.detail).toBe('Operation 2: Unknown op "copy"; expected add, replace or remove');
  });
});

// ---- replays of real client requests ------------------------------------------------------------------------

interface Replay {
  type: 'User' | 'Group';
  current: Doc;
  request: Doc;
  doc: Doc;
  memberOps?: MemberOp[];
  password?: string | null;
}

const WORK_EMAIL = (value: string) => ({ value, type: 'work', primary: true });
const HOME_EMAIL = { value: 'babs@jensen.org', type: 'home' };

/** Every PATCH body of shared/reference/provisioning-traces.md and conformance.md, with the document it must give. */
const replays: [string, Replay][] = [
  [
    'A5 Entra default job: Replace a work email valuePath and name.familyName',
    {
      type: 'User',
      current: storedUser(),
      request: body(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ),
      doc: userWith({
        name: { givenName: 'Barbara', familyName: 'updatedFamilyName' },
        emails: [WORK_EMAIL('updatedEmail@microsoft.com'), HOME_EMAIL],
      }),
    },
  ],
  [
    'A5 Entra default job: Replace userName',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }),
      doc: userWith({ userName: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }),
    },
  ],
  [
    'A5 Entra default job (S2): six capitalised Replace ops incl. externalId and a URN path',
    {
      type: 'User',
      current: storedUser(),
      request: body(
        { op: 'Replace', path: 'displayName', value: 'Pvlo' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'TestBcwqnm@test.microsoft.com' },
        { op: 'Replace', path: 'name.givenName', value: 'Gtfd' },
        { op: 'Replace', path: 'name.familyName', value: 'Pkqf' },
        { op: 'Replace', path: 'externalId', value: 'Eqpj' },
        { op: 'Replace', path: `${ENT}:employeeNumber`, value: 'Eqpj' },
      ),
      doc: userWith(
        {
          externalId: 'Eqpj',
          displayName: 'Pvlo',
          name: { givenName: 'Gtfd', familyName: 'Pkqf' },
          emails: [WORK_EMAIL('TestBcwqnm@test.microsoft.com'), HOME_EMAIL],
        },
        { ...STORED_EXTENSION, employeeNumber: 'Eqpj' },
      ),
    },
  ],
  [
    'A5 Entra aadOptscim062020: pathless value with dotted and URN-qualified keys',
    {
      type: 'User',
      current: storedUser(),
      request: body(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'TestMhvaes@test.microsoft.com' },
        {
          op: 'replace',
          value: {
            displayName: 'Bjfe',
            'name.givenName': 'Kkom',
            'name.familyName': 'Unua',
            [`${ENT}:employeeNumber`]: 'Aklq',
          },
        },
      ),
      doc: userWith(
        {
          displayName: 'Bjfe',
          name: { givenName: 'Kkom', familyName: 'Unua' },
          emails: [WORK_EMAIL('TestMhvaes@test.microsoft.com'), HOME_EMAIL],
        },
        { ...STORED_EXTENSION, employeeNumber: 'Aklq' },
      ),
    },
  ],
  [
    'A5 Entra: Add a single-valued string (default job)',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'Add', path: 'nickName', value: 'Babs' }),
      doc: userWith({ nickName: 'Babs' }),
    },
  ],
  [
    'A5 Entra: add a single-valued string (flagged job)',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'add', path: 'nickName', value: 'Babs' }),
      doc: userWith({ nickName: 'Babs' }),
    },
  ],
  [
    'A5 Entra: the work email does not exist yet, so the valuePath creates it',
    {
      type: 'User',
      current: minimalUser(),
      request: body({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@contoso.com' }),
      doc: { userName: 'u1', emails: [{ value: 'new@contoso.com', type: 'work' }] },
    },
  ],
  [
    'A5 Microsoft SCIM Validator: phone and address valuePaths, created, and a pathless userName',
    {
      type: 'User',
      current: minimalUser(),
      request: body(
        { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '07-272-0828' },
        { op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '2809 Johns Walk' },
        { op: 'replace', path: 'addresses[type eq "work"].locality', value: 'KMYVNUJVVZWC' },
        { op: 'replace', value: { userName: 'emilio@hermann.uk' } },
      ),
      doc: {
        userName: 'emilio@hermann.uk',
        phoneNumbers: [{ value: '07-272-0828', type: 'work' }],
        addresses: [{ streetAddress: '2809 Johns Walk', locality: 'KMYVNUJVVZWC', type: 'work' }],
      },
    },
  ],
  [
    'A6.1 manager as an array with $ref, short path "manager"',
    {
      type: 'User',
      current: minimalUser(),
      request: body({
        op: 'Add',
        path: 'manager',
        value: [{ $ref: 'http://example.com/scim/Users/00aa00aa', value: '00aa00aa' }],
      }),
      doc: { userName: 'u1', [ENT]: { manager: { value: '00aa00aa' } } },
    },
  ],
  [
    'A6.2 validation template: set the manager as a bare string',
    {
      type: 'User',
      current: minimalUser(),
      request: body({ op: 'Add', path: `${ENT}:manager`, value: 'mgr-42' }),
      doc: { userName: 'u1', [ENT]: { manager: { value: 'mgr-42' } } },
    },
  ],
  [
    'A6.2 validation template: change the manager',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', path: `${ENT}:manager`, value: 'mgr-2' }),
      doc: userWith({}, { ...STORED_EXTENSION, manager: { value: 'mgr-2' } }),
    },
  ],
  [
    'A6.2 validation template: clear the manager with ""',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', path: `${ENT}:manager`, value: '' }),
      doc: userWith({}, { employeeNumber: '701984', department: 'Tour Operations' }),
    },
  ],
  [
    'A6.3 SCIM Validator: add the manager as {"value": id}',
    {
      type: 'User',
      current: minimalUser(),
      request: body({ op: 'add', path: `${ENT}:manager`, value: { value: 'AXTKDLNRKMKT' } }),
      doc: { userName: 'u1', [ENT]: { manager: { value: 'AXTKDLNRKMKT' } } },
    },
  ],
  [
    'A6.3 SCIM Validator: replace the manager as {"value": id}',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', path: `${ENT}:manager`, value: { value: 'AXTKDLNRKMKT' } }),
      doc: userWith({}, { ...STORED_EXTENSION, manager: { value: 'AXTKDLNRKMKT' } }),
    },
  ],
  [
    'A6.3 SCIM Validator: remove the manager (the emptied extension disappears)',
    {
      type: 'User',
      current: minimalUser({ [ENT]: { manager: { value: 'mgr-1' } } }),
      request: body({ op: 'remove', path: `${ENT}:manager` }),
      doc: { userName: 'u1' },
    },
  ],
  [
    'A6 legacy customappsso dotted form urn:...:User.manager',
    {
      type: 'User',
      current: minimalUser(),
      request: body({ op: 'Replace', path: `${ENT}.manager`, value: { Value: 'mgr-7' } }),
      doc: { userName: 'u1', [ENT]: { manager: { value: 'mgr-7' } } },
    },
  ],
  [
    'A7 Entra default job: Replace active with the string "False"',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'Replace', path: 'active', value: 'False' }),
      doc: userWith({ active: false }),
    },
  ],
  [
    'A7 Entra tutorial: Replace active with a boolean, Operations before schemas',
    {
      type: 'User',
      current: storedUser(),
      request: { Operations: [{ op: 'Replace', path: 'active', value: false }], schemas: [PATCH_OP_SCHEMA] },
      doc: userWith({ active: false }),
    },
  ],
  [
    'A7 Entra flagged job: replace active false',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', path: 'active', value: false }),
      doc: userWith({ active: false }),
    },
  ],
  [
    'A7 re-enable with "True"',
    {
      type: 'User',
      current: storedUser({ active: false }),
      request: body({ op: 'Replace', path: 'active', value: 'True' }),
      doc: userWith({ active: true }),
    },
  ],
  [
    'A9 Entra: Replace a group displayName',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'Replace', path: 'displayName', value: 'Sales updatedDisplayName' }),
      doc: { externalId: 'g-ext', displayName: 'Sales updatedDisplayName' },
    },
  ],
  [
    'A9 Entra: Add a member with "$ref": null',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'Add', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }),
      doc: storedGroup(),
      memberOps: [{ kind: 'add', values: [{ value: 'f648f8d5ea4e4cd38e9c' }] }],
    },
  ],
  [
    'A9 Entra default job: Remove a member by value array, no filter',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }),
      doc: storedGroup(),
      memberOps: [{ kind: 'remove', values: ['f648f8d5ea4e4cd38e9c'] }],
    },
  ],
  [
    'A9 Entra flagged job: remove a member by filter',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'remove', path: 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]' }),
      doc: storedGroup(),
      memberOps: [{ kind: 'remove', values: ['7f4bc1a3-285e-48ae-8202-5accb43efb0e'] }],
    },
  ],
  [
    'A9 gallery: several members in one op, several ops in one request',
    {
      type: 'Group',
      current: storedGroup(),
      request: body(
        { op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] },
        { op: 'Remove', path: 'members', value: [{ value: 'u4' }, { value: 'u5' }] },
      ),
      doc: storedGroup(),
      memberOps: [
        { kind: 'add', values: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] },
        { kind: 'remove', values: ['u4', 'u5'] },
      ],
    },
  ],
  [
    'A9 SCIM Validator: pathless group externalId',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'replace', value: { externalId: 'c3b9a3ee-33b5-4c2f-8e5a-6c4f2d0e8b1a' } }),
      doc: { externalId: 'c3b9a3ee-33b5-4c2f-8e5a-6c4f2d0e8b1a', displayName: 'Sales' },
    },
  ],
  [
    'A9 SCIM Validator: pathless group displayName',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'replace', value: { displayName: 'MSADPJJZWBUS' } }),
      doc: { externalId: 'g-ext', displayName: 'MSADPJJZWBUS' },
    },
  ],
  [
    'A10 null update phase 1, verbose: one replace "" per attribute, a filtered path apart',
    {
      type: 'User',
      current: storedUser(),
      request: body(
        { op: 'replace', path: 'title', value: '' },
        { op: 'replace', path: 'name.givenName', value: '' },
        { op: 'replace', path: `${ENT}:department`, value: '' },
        { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '' },
      ),
      doc: userWith(
        { title: undefined, name: { familyName: 'Jensen' }, phoneNumbers: undefined },
        { employeeNumber: '701984', manager: { value: 'mgr-1' } },
      ),
    },
  ],
  [
    'A10 null update phase 1, batched: a pathless value object of ""',
    {
      type: 'User',
      current: storedUser(),
      request: body(
        { op: 'replace', value: { title: '', 'name.givenName': '', [`${ENT}:department`]: '' } },
        { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '' },
      ),
      doc: userWith(
        { title: undefined, name: { familyName: 'Jensen' }, phoneNumbers: undefined },
        { employeeNumber: '701984', manager: { value: 'mgr-1' } },
      ),
    },
  ],
  [
    'A10 null update phase 2: the same with null, on attributes already cleared, changes nothing more',
    {
      type: 'User',
      current: deepFreeze(
        userWith(
          { title: undefined, name: { familyName: 'Jensen' }, phoneNumbers: undefined },
          { employeeNumber: '701984', manager: { value: 'mgr-1' } },
        ),
      ),
      request: body(
        { op: 'replace', value: { title: null, 'name.givenName': null, [`${ENT}:department`]: null } },
        { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: null },
      ),
      doc: userWith(
        { title: undefined, name: { familyName: 'Jensen' }, phoneNumbers: undefined },
        { employeeNumber: '701984', manager: { value: 'mgr-1' } },
      ),
    },
  ],
  [
    'A11/collection: replace userName',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', path: 'userName', value: 'ryan3' }),
      doc: userWith({ userName: 'ryan3' }),
    },
  ],
  [
    'A11/collection: Replace userName and Replace active false in separate requests (first)',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'Replace', path: 'userName', value: 'newusername' }),
      doc: userWith({ userName: 'newusername' }),
    },
  ],
  [
    'A11/collection: Replace active with a boolean',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'Replace', path: 'active', value: false }),
      doc: userWith({ active: false }),
    },
  ],
  [
    'A11/collection: add a member with the extra "name":"addMember" key and a displayName label',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({
        name: 'addMember',
        op: 'add',
        path: 'members',
        value: [{ displayName: 'new User', value: 'id4' }],
      }),
      doc: storedGroup(),
      memberOps: [{ kind: 'add', values: [{ value: 'id4', display: 'new User' }] }],
    },
  ],
  [
    'A11/collection: remove members[value eq "id4"]',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'remove', path: 'members[value eq "id4"]' }),
      doc: storedGroup(),
      memberOps: [{ kind: 'remove', values: ['id4'] }],
    },
  ],
  [
    'A11/collection: remove path members removes all',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({ op: 'remove', path: 'members' }),
      doc: storedGroup(),
      memberOps: [{ kind: 'removeAll' }],
    },
  ],
  [
    'A11/collection garbage: add a member given as a bare string, with "id" in the body',
    {
      type: 'Group',
      current: storedGroup(),
      request: {
        id: 'group-1',
        Operations: [{ op: 'add', path: 'members', value: 'string id 1' }],
        schemas: [PATCH_OP_SCHEMA],
      },
      doc: storedGroup(),
      memberOps: [{ kind: 'add', values: [{ value: 'string id 1' }] }],
    },
  ],
  [
    'B3 Okta deactivate: pathless replace {"active": false}',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', value: { active: false } }),
      doc: userWith({ active: false }),
    },
  ],
  [
    'B3 Okta reactivate: pathless replace {"active": true}',
    {
      type: 'User',
      current: storedUser({ active: false }),
      request: body({ op: 'replace', value: { active: true } }),
      doc: userWith({ active: true }),
    },
  ],
  [
    'B3 Okta password sync: pathless replace {"password"}',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', value: { password: 't1meMa$heen' } }),
      doc: storedUser(),
      password: 't1meMa$heen',
    },
  ],
  [
    'B4 Okta rename: the pathless value carries the group id, which is ignored',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({
        op: 'replace',
        value: { id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Test SCIMv2' },
      }),
      doc: { externalId: 'g-ext', displayName: 'Test SCIMv2' },
    },
  ],
  [
    'B4 Okta membership: remove by filter and add in one request, with the rename op',
    {
      type: 'Group',
      current: storedGroup(),
      request: body(
        { op: 'replace', value: { id: 'abf4dd94', displayName: 'Sales' } },
        { op: 'remove', path: 'members[value eq "89bb1940-b905-4575-9e7f-6f887cfb368e"]' },
        {
          op: 'add',
          path: 'members',
          value: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' }],
        },
      ),
      doc: storedGroup(),
      memberOps: [
        { kind: 'remove', values: ['89bb1940-b905-4575-9e7f-6f887cfb368e'] },
        {
          kind: 'add',
          values: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' }],
        },
      ],
    },
  ],
  [
    'B4 Okta full membership push: replace members',
    {
      type: 'Group',
      current: storedGroup(),
      request: body({
        op: 'replace',
        path: 'members',
        value: [
          { value: '23a3', display: 'a@okta.local' },
          { value: '89bb', display: 'b@okta.local' },
        ],
      }),
      doc: storedGroup(),
      memberOps: [
        {
          kind: 'replace',
          values: [
            { value: '23a3', display: 'a@okta.local' },
            { value: '89bb', display: 'b@okta.local' },
          ],
        },
      ],
    },
  ],
  [
    'Conformance §4 SCIMple: pathless replace {"active": false}',
    {
      type: 'User',
      current: storedUser(),
      request: body({ op: 'replace', value: { active: false } }),
      doc: userWith({ active: false }),
    },
  ],
];

describe('replays of real client PATCH bodies', () => {
  it.each(replays)('%s', (_name, replay) => {
    const result = patch(replay.type, replay.current, replay.request);
    expect(result.doc).toStrictEqual(replay.doc);
    expect(result.memberOps).toStrictEqual(replay.memberOps ?? []);
    if (replay.password === undefined) expect(result).not.toHaveProperty('password');
    else expect(result.password).toBe(replay.password);
  });

  it('A10 phase 2 on already cleared attributes reports no change', () => {
    const cleared = deepFreeze(
      userWith(
        { title: undefined, name: { familyName: 'Jensen' }, phoneNumbers: undefined },
        { employeeNumber: '701984', manager: { value: 'mgr-1' } },
      ),
    );
    const result = patchUser(
      cleared,
      { op: 'replace', value: { title: null, 'name.givenName': null, [`${ENT}:department`]: null } },
      { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: null },
    );
    expect(result.changed).toBe(false);
  });

  it('A6.2 validation template: set, change, then clear the manager, reading back after each step', () => {
    let doc = minimalUser();
    const steps: [unknown, unknown][] = [
      [{ op: 'Add', path: `${ENT}:manager`, value: 'm1' }, { value: 'm1' }],
      [{ op: 'replace', path: `${ENT}:manager`, value: 'm2' }, { value: 'm2' }],
      [{ op: 'replace', path: `${ENT}:manager`, value: '' }, undefined],
    ];
    for (const [operation, manager] of steps) {
      doc = patchUser(doc, operation).doc;
      expect((doc[ENT] as Doc | undefined)?.manager).toEqual(manager);
    }
    expect(doc).toStrictEqual({ userName: 'u1' });
  });
});

// ---- paths --------------------------------------------------------------------------------------------------

describe('paths', () => {
  it.each([
    ['name.givenName', 'Bab'],
    ['NAME.GIVENNAME', 'Bab'],
    [`${USER_SCHEMA}:name.givenName`, 'Bab'],
    [`${USER_SCHEMA.toUpperCase()}:Name.GivenName`, 'Bab'],
  ])('resolves %s to name.givenName', (path, value) => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path, value });
    expect(doc.name).toEqual({ givenName: 'Bab', familyName: 'Jensen' });
  });

  it.each([
    [`${ENT}:department`],
    [`${ENT}.department`],
    [`${ENT.toUpperCase()}:DEPARTMENT`],
    ['department'],
    ['Department'],
  ])('resolves the extension path %s', (path) => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path, value: 'Sales' });
    expect(doc[ENT]).toEqual({ ...STORED_EXTENSION, department: 'Sales' });
  });

  it.each([
    ['Emails[Type eq "work"].Value'],
    ['emails[TYPE eq "WORK"].value'],
    [`${USER_SCHEMA}:emails[type eq "work"].value`],
  ])('matches valuePath %s case-insensitively and writes canonical names', (path) => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path, value: 'w@x.org' });
    expect(doc.emails).toStrictEqual([WORK_EMAIL('w@x.org'), HOME_EMAIL]);
  });

  it('writes canonical attribute names and schema order whatever the client wrote', () => {
    const { doc } = patchUser(
      minimalUser(),
      { op: 'add', path: 'TITLE', value: 'Boss' },
      { op: 'add', path: 'Active', value: 'true' },
      { op: 'add', path: 'NickName', value: 'B' },
      { op: 'add', path: 'EMAILS', value: { Value: 'a@b.c', TYPE: 'work', Primary: 'True' } },
      { op: 'add', path: 'externalID', value: 'e1' },
    );
    expect(doc).toStrictEqual({
      externalId: 'e1',
      userName: 'u1',
      nickName: 'B',
      title: 'Boss',
      active: true,
      emails: [{ value: 'a@b.c', type: 'work', primary: true }],
    });
    expect(Object.keys(doc)).toEqual(['externalId', 'userName', 'nickName', 'title', 'active', 'emails']);
    expect(Object.keys((doc.emails as Doc[])[0])).toEqual(['value', 'type', 'primary']);
  });

  it.each<[string, unknown, unknown]>([
    ['{"value": ""} clears it', { value: '' }, undefined],
    ['{"Value": null} clears it', { Value: null }, undefined],
    ['[] clears it', [], undefined],
    ['[{"value": "m5"}] sets it', [{ value: 'm5' }], { value: 'm5' }],
    ['only a displayName keeps the stored one', { displayName: 'Boss' }, { value: 'mgr-1' }],
    ['only a $ref keeps the stored one', { $ref: 'https://x/Users/m9' }, { value: 'mgr-1' }],
  ])('manager: %s', (_name, value, expected) => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: 'manager', value });
    expect((doc[ENT] as Doc).manager).toStrictEqual(expected);
  });

  it('adds an object of extension attributes at the extension URN path', () => {
    const { doc } = patchUser(minimalUser(), {
      op: 'add',
      path: ENT,
      value: { Department: 'R&D', manager: 'm9', employeeNumber: '' },
    });
    expect(doc).toStrictEqual({ userName: 'u1', [ENT]: { department: 'R&D', manager: { value: 'm9' } } });
  });

  it('replaces at the extension URN path by merging, like a complex attribute', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: ENT, value: { department: 'R&D' } });
    expect(doc[ENT]).toEqual({ ...STORED_EXTENSION, department: 'R&D' });
  });

  it.each([
    [{ op: 'remove', path: ENT }],
    [{ op: 'replace', path: ENT, value: null }],
    [{ op: 'replace', value: { [ENT]: '' } }],
  ])('removes the whole extension with %j', (operation) => {
    expect(patchUser(storedUser(), operation).doc).toStrictEqual(userWith({}, null));
  });

  it('accepts a pathless value holding the extension object, with keys in any case', () => {
    const { doc } = patchUser(minimalUser(), {
      op: 'replace',
      value: { [ENT.toLowerCase()]: { Manager: { Value: 'm3' }, COSTCENTER: 'cc1' } },
    });
    expect(doc).toStrictEqual({ userName: 'u1', [ENT]: { costCenter: 'cc1', manager: { value: 'm3' } } });
  });

  it('accepts a pathless key that is itself a valuePath', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', value: { 'emails[type eq "home"].display': 'Home' } });
    expect(doc.emails).toStrictEqual([WORK_EMAIL('bjensen@example.com'), { ...HOME_EMAIL, display: 'Home' }]);
  });

  it.each<[string, Doc, string]>([
    ['an unknown attribute', { op: 'replace', path: 'nickname2', value: 'x' }, 'Unknown attribute "nickname2"'],
    ['an unknown sub-attribute', { op: 'replace', path: 'name.nick', value: 'x' }, 'no sub-attribute "nick"'],
    [
      'an unknown sub-attribute after a filter',
      { op: 'replace', path: 'emails[type eq "work"].label', value: 'x' },
      'no sub-attribute "label"',
    ],
    [
      'an unknown attribute in a value filter',
      { op: 'replace', path: 'emails[kind eq "work"].value', value: 'x' },
      'names "kind", which is not a sub-attribute',
    ],
    [
      'a value filter with a dotted path',
      { op: 'remove', path: 'emails[type.x eq "work"]' },
      'which is not a sub-attribute',
    ],
    ['a filter on a single-valued attribute', { op: 'remove', path: 'name[givenName eq "x"]' }, 'single-valued'],
    [
      'an attribute of the wrong schema',
      { op: 'replace', path: `${GROUP_SCHEMA}:displayName`, value: 'x' },
      'Unknown attribute',
    ],
    ['a Group attribute on a User', { op: 'add', path: 'members', value: [{ value: 'x' }] }, '"members"'],
    ['an unknown key in a pathless value', { op: 'replace', value: { nickname2: 'x' } }, '"nickname2"'],
    [
      'an unknown key inside an extension object',
      { op: 'replace', value: { [ENT]: { division: 'd', shoeSize: 9 } } },
      'shoeSize',
    ],
    ['a stray bracket', { op: 'remove', path: 'emails[value co "x"]]' }, 'position'],
    ['the core schema URN as a remove path', { op: 'remove', path: USER_SCHEMA }, 'names the core schema'],
  ])('rejects %s with invalidPath', (_name, operation, detail) => {
    const error = errorOf(() => patchUser(storedUser(), operation));
    expect(error.scimType).toBe('invalidPath');
    expect(error.status).toBe(400);
    expect(error.detail).toContain(detail);
  });

  it.each([
    ['a path', { op: 'replace', path: 'urn:example:foo:bar', value: 'x' }],
    ['a pathless key', { op: 'replace', value: { 'urn:example:foo:bar': 'x' } }],
    ['a pathless extension object', { op: 'add', value: { 'urn:example:foo': { bar: 'x' } } }],
  ])('rejects an unregistered extension URN in %s with invalidValue naming it', (_what, operation) => {
    const error = errorOf(() => patchUser(storedUser(), operation));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain('"urn:example:foo" is not registered');
  });

  it('names a filtered target as the client wrote it in errors', () => {
    const error = errorOf(() => patchUser(storedUser(), { op: 'remove', path: 'groups[value eq "g1"].display' }));
    expect(error.detail).toBe(
      'Operation 1: Attribute "groups[value eq "g1"].display" is readOnly and cannot be changed',
    );
  });

  it('rejects a User attribute on a Group', () => {
    const error = errorOf(() => patchGroup(storedGroup(), { op: 'replace', path: 'userName', value: 'x' }));
    expect(error.scimType).toBe('invalidPath');
    expect(error.detail).toContain('Unknown attribute "userName"');
  });
});

// ---- add ---------------------------------------------------------------------------------------------------

describe('add', () => {
  it('sets a singular attribute, replacing its value', () => {
    expect(patchUser(storedUser(), { op: 'add', path: 'title', value: 'Chief' }).doc.title).toBe('Chief');
  });

  it('merges the sub-attributes of a complex singular attribute', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'add',
      path: 'name',
      value: { middleName: 'Jane', givenName: 'Barb', formatted: '' },
    });
    expect(doc.name).toStrictEqual({ familyName: 'Jensen', givenName: 'Barb', middleName: 'Jane' });
  });

  it('sets a sub-attribute of a missing complex attribute', () => {
    expect(patchUser(minimalUser(), { op: 'add', path: 'name.familyName', value: 'J' }).doc).toStrictEqual({
      userName: 'u1',
      name: { familyName: 'J' },
    });
  });

  it('appends to a multi-valued attribute', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'add',
      path: 'emails',
      value: [{ value: 'other@x.org', type: 'other' }],
    });
    expect(doc.emails).toStrictEqual([
      WORK_EMAIL('bjensen@example.com'),
      HOME_EMAIL,
      { value: 'other@x.org', type: 'other' },
    ]);
  });

  it.each([
    ['a single object', { value: 'solo@x.org', type: 'other' }, [{ value: 'solo@x.org', type: 'other' }]],
    ['a bare value', 'solo@x.org', [{ value: 'solo@x.org' }]],
    ['an array of bare values', ['a@x.org', 'b@x.org'], [{ value: 'a@x.org' }, { value: 'b@x.org' }]],
  ])('wraps %s', (_name, value, expected) => {
    expect(patchUser(minimalUser(), { op: 'add', path: 'emails', value }).doc.emails).toStrictEqual(expected);
  });

  it('skips exact duplicates, already stored or repeated in the value', () => {
    const result = patchUser(storedUser(), {
      op: 'add',
      path: 'emails',
      value: [
        { type: 'home', value: 'babs@jensen.org' },
        { value: 'new@x.org', type: 'other' },
        { value: 'new@x.org', type: 'other' },
      ],
    });
    expect(result.doc.emails).toStrictEqual([
      WORK_EMAIL('bjensen@example.com'),
      HOME_EMAIL,
      { value: 'new@x.org', type: 'other' },
    ]);
  });

  it('reports no change when every added element is already there', () => {
    const result = patchUser(storedUser(), { op: 'add', path: 'emails', value: [HOME_EMAIL] });
    expect(result.changed).toBe(false);
  });

  it('does nothing for an empty array', () => {
    expect(patchUser(storedUser(), { op: 'add', path: 'emails', value: [] })).toMatchObject({
      doc: storedUser(),
      changed: false,
    });
  });

  it('pathless add applies each key as its own add (multi-valued keys append)', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'add',
      value: { emails: [{ value: 'x@x.org', type: 'other' }], nickName: 'B', 'name.middleName': 'J' },
    });
    expect(doc.emails).toHaveLength(3);
    expect(doc.nickName).toBe('B');
    expect(doc.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen', middleName: 'J' });
  });

  it.each([
    [
      'an and-conjunction',
      'emails[type eq "work" and primary eq true].value',
      [{ value: 'w@x.org', type: 'work', primary: true }],
    ],
    ['a filter on value itself', 'emails[value eq "w@x.org"].display', [{ value: 'w@x.org', display: 'W' }]],
    [
      'parenthesised terms',
      'emails[(type eq "work") and (display eq "Desk")].value',
      [{ value: 'w@x.org', display: 'Desk', type: 'work' }],
    ],
  ])('creates the element from %s when nothing matches', (_name, path, expected) => {
    const value = path.endsWith('.display') ? 'W' : 'w@x.org';
    expect(patchUser(minimalUser(), { op: 'add', path, value }).doc.emails).toStrictEqual(expected);
  });

  it('creates on add with a filter but no sub-attribute, merging the value into the described element', () => {
    const { doc } = patchUser(minimalUser(), {
      op: 'add',
      path: 'addresses[type eq "home"]',
      value: { locality: 'Oslo', country: 'NO' },
    });
    expect(doc.addresses).toStrictEqual([{ locality: 'Oslo', country: 'NO', type: 'home' }]);
  });

  it.each([
    ['an or', 'emails[type eq "work" or type eq "home"].value'],
    ['ne', 'emails[type ne "work"].value'],
    ['co', 'emails[value co "x"].value'],
    ['pr', 'emails[display pr].value'],
    ['not', 'emails[not (type eq "work")].value'],
    ['eq null', 'emails[type eq null].value'],
    ['contradicting eq terms', 'emails[type eq "work" and type eq "home"].value'],
  ])('fails with noTarget when nothing matches %s (no element to create)', (_name, path) => {
    const error = errorOf(() => patchUser(minimalUser(), { op: 'add', path, value: 'w@x.org' }));
    expect(error.scimType).toBe('noTarget');
    expect(error.detail).toContain('not a conjunction of "eq" comparisons');
  });

  it('does not create anything to clear a missing element', () => {
    const result = patchUser(minimalUser(), { op: 'add', path: 'emails[type eq "work"].value', value: null });
    expect(result).toMatchObject({ doc: minimalUser(), changed: false });
  });
});

// ---- replace -----------------------------------------------------------------------------------------------

describe('replace', () => {
  it('replaces the whole list of a multi-valued attribute without a filter', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'replace',
      path: 'emails',
      value: [{ value: 'only@x.org', type: 'work' }],
    });
    expect(doc.emails).toStrictEqual([{ value: 'only@x.org', type: 'work' }]);
  });

  it.each([[[]], [null], ['']])('clears a multi-valued attribute with %j', (value) => {
    expect(patchUser(storedUser(), { op: 'replace', path: 'emails', value }).doc).not.toHaveProperty('emails');
  });

  it('sets a sub-attribute on every matching element', () => {
    const current = storedUser({
      emails: [
        { value: 'a@x.org', type: 'work' },
        { value: 'b@x.org', type: 'home' },
        { value: 'c@x.org', type: 'WORK' },
      ],
    });
    const { doc } = patchUser(current, { op: 'replace', path: 'emails[type eq "work"].display', value: 'Office' });
    expect(doc.emails).toStrictEqual([
      { value: 'a@x.org', display: 'Office', type: 'work' },
      { value: 'b@x.org', type: 'home' },
      { value: 'c@x.org', display: 'Office', type: 'WORK' },
    ]);
  });

  it('sets a sub-attribute on every element when the path has no filter', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: 'emails.display', value: 'D' });
    expect(doc.emails).toStrictEqual([
      { value: 'bjensen@example.com', display: 'D', type: 'work', primary: true },
      { ...HOME_EMAIL, display: 'D' },
    ]);
  });

  it('merges an object into the matching elements for a filter without a sub-attribute', () => {
    const current = storedUser({
      addresses: [{ streetAddress: '1 Main St', locality: 'Oslo', type: 'work' }],
    });
    const { doc } = patchUser(current, {
      op: 'replace',
      path: 'addresses[type eq "work"]',
      value: { locality: 'Bergen', postalCode: '5003', region: '' },
    });
    expect(doc.addresses).toStrictEqual([
      { streetAddress: '1 Main St', locality: 'Bergen', postalCode: '5003', type: 'work' },
    ]);
  });

  it('accepts a one-element array where one element is replaced', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'replace',
      path: 'emails[type eq "home"]',
      value: [{ display: 'Home' }],
    });
    expect(doc.emails).toStrictEqual([WORK_EMAIL('bjensen@example.com'), { ...HOME_EMAIL, display: 'Home' }]);
  });

  it('removes the matching elements when a filtered path is replaced with null', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: 'emails[type eq "home"]', value: null });
    expect(doc.emails).toStrictEqual([WORK_EMAIL('bjensen@example.com')]);
  });

  it('drops an element left with only its labels after its value is cleared', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: 'emails[type eq "work"].value', value: '' });
    expect(doc.emails).toStrictEqual([HOME_EMAIL]);
  });

  it('leaves untouched elements alone even when they have only labels', () => {
    const current = storedUser({ phoneNumbers: [{ type: 'fax' }, { value: '1', type: 'work' }] });
    const { doc } = patchUser(current, { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '2' });
    expect(doc.phoneNumbers).toStrictEqual([{ type: 'fax' }, { value: '2', type: 'work' }]);
  });

  it('merges a complex singular attribute (RFC 7644 §3.5.2.3), clearing sub-attributes given as ""', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'replace',
      path: 'name',
      value: { familyName: 'Jensen-Smith', givenName: '' },
    });
    expect(doc.name).toStrictEqual({ familyName: 'Jensen-Smith' });
  });

  it('removes a complex attribute whose last sub-attribute is cleared', () => {
    const current = minimalUser({ name: { givenName: 'A' } });
    expect(patchUser(current, { op: 'replace', path: 'name.givenName', value: null }).doc).toStrictEqual(minimalUser());
  });

  it.each([
    [{ op: 'replace', path: 'title', value: 'Tour Guide' }],
    [{ op: 'replace', path: 'TITLE', value: 'Tour Guide' }],
    [{ op: 'replace', value: { active: true, displayName: 'Babs Jensen' } }],
    [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'bjensen@example.com' }],
    [{ op: 'replace', path: 'name', value: { givenName: 'Barbara' } }],
    [{ op: 'replace', path: `${ENT}:manager`, value: 'mgr-1' }],
    [{ op: 'replace', path: 'active', value: 'TRUE' }],
  ])('reports no change for %j, which sets what is stored', (operation) => {
    const current = storedUser();
    const result = patchUser(current, operation);
    expect(result.changed).toBe(false);
    expect(result.doc).toStrictEqual(current);
  });
});

// ---- remove ------------------------------------------------------------------------------------------------

describe('remove', () => {
  it.each<[string, string, (doc: Doc) => unknown, unknown]>([
    ['a singular attribute', 'title', (d) => d.title, undefined],
    ['a sub-attribute', 'name.givenName', (d) => d.name, { familyName: 'Jensen' }],
    ['a multi-valued attribute', 'emails', (d) => d.emails, undefined],
    ['matching elements', 'emails[type eq "home"]', (d) => d.emails, [WORK_EMAIL('bjensen@example.com')]],
    [
      'a sub-attribute of matching elements',
      'emails[type eq "work"].primary',
      (d) => d.emails,
      [{ value: 'bjensen@example.com', type: 'work' }, HOME_EMAIL],
    ],
    ['an element that loses its value', 'emails[type eq "work"].value', (d) => d.emails, [HOME_EMAIL]],
    ['an extension attribute', `${ENT}:employeeNumber`, (d) => (d[ENT] as Doc).employeeNumber, undefined],
    ['the manager value', `${ENT}:manager.value`, (d) => (d[ENT] as Doc).manager, undefined],
    [
      'every element matched by a complex filter',
      'emails[type eq "work" or type eq "home"]',
      (d) => d.emails,
      undefined,
    ],
  ])('removes %s', (_name, path, pick, expected) => {
    const result = patchUser(storedUser(), { op: 'remove', path });
    expect(pick(result.doc)).toStrictEqual(expected);
    expect(result.changed).toBe(true);
  });

  it.each([
    ['nickName'],
    ['name.middleName'],
    ['addresses'],
    ['emails[type eq "other"]'],
    ['emails[type eq "other"].value'],
    [`${ENT}:costCenter`],
    ['x509Certificates.value'],
  ])('treats removing the absent %s as a no-op', (path) => {
    const current = storedUser();
    expect(patchUser(current, { op: 'remove', path })).toEqual({ doc: current, memberOps: [], changed: false });
  });

  it('treats removing from an absent extension as a no-op', () => {
    expect(patchUser(minimalUser(), { op: 'remove', path: `${ENT}:manager` }).changed).toBe(false);
  });

  it.each<[string, unknown, Doc[] | undefined]>([
    ['by value, in any case', [{ value: 'BABS@jensen.org' }], [WORK_EMAIL('bjensen@example.com')]],
    ['by value as bare strings', ['babs@jensen.org', 'bjensen@example.com'], undefined],
    ['a single object', { value: 'babs@jensen.org', $ref: null }, [WORK_EMAIL('bjensen@example.com')]],
    ['by every given sub-attribute when no value is given', [{ type: 'work' }], [HOME_EMAIL]],
    ['nothing for values not present', [{ value: 'nobody@x.org' }], [WORK_EMAIL('bjensen@example.com'), HOME_EMAIL]],
    ['nothing for an empty array', [], [WORK_EMAIL('bjensen@example.com'), HOME_EMAIL]],
  ])('with a value array on a multi-valued attribute (Entra style) removes %s', (_name, value, expected) => {
    expect(patchUser(storedUser(), { op: 'remove', path: 'emails', value }).doc.emails).toStrictEqual(expected);
  });

  it('fails with noTarget without a path', () => {
    const error = errorOf(() => patchUser(storedUser(), { op: 'remove' }));
    expect(error.scimType).toBe('noTarget');
    expect(error.detail).toBe('Operation 1: A remove operation needs a "path" naming what to remove');
  });

  it('fails with noTarget without a path even with a value', () => {
    expect(errorOf(() => patchUser(storedUser(), { op: 'remove', value: { title: 'x' } })).scimType).toBe('noTarget');
  });
});

// ---- values ----------------------------------------------------------------------------------------------

describe('values are coerced and validated like create input', () => {
  it.each([
    ['True', true],
    ['FALSE', false],
    [true, true],
  ])('coerces active %j', (value, expected) => {
    expect(patchUser(minimalUser(), { op: 'add', path: 'active', value }).doc.active).toBe(expected);
  });

  it('coerces primary in elements and in sub-attribute paths', () => {
    expect(
      patchUser(minimalUser(), { op: 'add', path: 'emails', value: [{ value: 'a@b.c', Primary: 'True' }] }).doc.emails,
    ).toStrictEqual([{ value: 'a@b.c', primary: true }]);
    expect(
      patchUser(storedUser(), { op: 'replace', path: 'emails[type eq "home"].primary', value: 'true' }).doc.emails,
    ).toStrictEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { ...HOME_EMAIL, primary: true },
    ]);
  });

  it('drops unknown and readOnly sub-attributes inside values, as create does', () => {
    const { doc } = patchUser(minimalUser(), {
      op: 'add',
      path: 'emails',
      value: [{ value: 'a@b.c', $ref: 'x', shoe: 1 }],
    });
    expect(doc.emails).toStrictEqual([{ value: 'a@b.c' }]);
  });

  it.each<[string, Doc, string]>([
    ['a number for a string', { op: 'replace', path: 'userName', value: 42 }, '"userName" must be a string'],
    ['a number for a boolean', { op: 'replace', path: 'active', value: 1 }, '"active" must be a boolean'],
    ['"yes" for a boolean', { op: 'replace', value: { active: 'yes' } }, '"active" must be a boolean'],
    ['an array for a single value', { op: 'replace', path: 'title', value: ['a'] }, 'single-valued, got an array'],
    ['a string for a complex value', { op: 'replace', path: 'name', value: 'Bob' }, '"name" needs a JSON object'],
    [
      'a bad primary in a sub-attribute path',
      { op: 'replace', path: 'emails[type eq "work"].primary', value: 'yes' },
      '"emails.primary" must be a boolean',
    ],
    [
      'a bad primary inside an element',
      { op: 'add', path: 'emails', value: [{ value: 'a@b.c', primary: 'maybe' }] },
      '"emails.primary" must be a boolean',
    ],
    [
      'a bad sub-attribute in a merged object',
      { op: 'replace', path: 'name', value: { givenName: 7 } },
      '"name.givenName" must be a string',
    ],
    [
      'a filter value of the wrong type for the element it creates',
      { op: 'add', path: 'emails[primary eq "perhaps"].value', value: 'a@b.c' },
      '"emails.primary" must be a boolean',
    ],
    ['a pathless string', { op: 'replace', value: 'x' }, 'without "path" needs a JSON object'],
    ['a pathless array', { op: 'add', value: [{ title: 'x' }] }, 'got an array'],
    ['a non-object extension value', { op: 'replace', value: { [ENT]: 'x' } }, `"${ENT}" needs a JSON object`],
    ['a non-string password', { op: 'replace', path: 'password', value: 1234 }, '"password" must be a string'],
    [
      'two elements where one is replaced',
      { op: 'replace', path: 'emails[type eq "work"]', value: [{ value: 'a' }, { value: 'b' }] },
      'needs a JSON object',
    ],
  ])('rejects %s with invalidValue', (_name, operation, detail) => {
    const error = errorOf(() => patchUser(storedUser(), operation));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(detail);
  });

  it('clears with null and "" inside pathless value objects', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'replace',
      value: { title: '', 'name.givenName': '', displayName: null, [ENT]: { department: null } },
    });
    expect(doc).toStrictEqual(
      userWith(
        { title: undefined, displayName: undefined, name: { familyName: 'Jensen' } },
        { employeeNumber: '701984', manager: { value: 'mgr-1' } },
      ),
    );
  });

  it.each([[''], [null]])('add with %j clears too', (value) => {
    expect(patchUser(storedUser(), { op: 'add', path: 'title', value }).doc).not.toHaveProperty('title');
    expect(patchUser(storedUser(), { op: 'add', path: 'emails', value }).doc).not.toHaveProperty('emails');
  });
});

// ---- primary -----------------------------------------------------------------------------------------------

describe('primary: at most one, the last operation wins', () => {
  const emails = (doc: Doc) => (doc.emails as Doc[]).map((e) => [e.value, e.primary]);

  it('adding a primary element demotes the stored primary', () => {
    const { doc } = patchUser(storedUser(), {
      op: 'add',
      path: 'emails',
      value: { value: 'new@x.org', type: 'other', primary: true },
    });
    expect(emails(doc)).toEqual([
      ['bjensen@example.com', false],
      ['babs@jensen.org', undefined],
      ['new@x.org', true],
    ]);
  });

  it('a later operation overrides an earlier one', () => {
    const { doc } = patchUser(
      storedUser(),
      { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
      { op: 'add', path: 'emails', value: { value: 'n@x.org', primary: true } },
      { op: 'replace', path: 'emails[type eq "work"].primary', value: true },
    );
    expect(emails(doc)).toEqual([
      ['bjensen@example.com', true],
      ['babs@jensen.org', false],
      ['n@x.org', false],
    ]);
  });

  it('the first primary of one value array wins within that operation', () => {
    const { doc } = patchUser(minimalUser(), {
      op: 'replace',
      path: 'emails',
      value: [
        { value: 'a@x.org', primary: true },
        { value: 'b@x.org', primary: true },
      ],
    });
    expect(emails(doc)).toEqual([
      ['a@x.org', true],
      ['b@x.org', false],
    ]);
  });

  it('a filter matching two elements makes only the first primary', () => {
    const current = minimalUser({
      emails: [
        { value: 'a@x.org', type: 'work' },
        { value: 'b@x.org', type: 'work' },
      ],
    });
    const { doc } = patchUser(current, { op: 'replace', path: 'emails[type eq "work"].primary', value: true });
    expect(emails(doc)).toEqual([
      ['a@x.org', true],
      ['b@x.org', false],
    ]);
  });

  it('re-adding the stored primary element (a duplicate) makes it win again', () => {
    const { doc } = patchUser(
      storedUser(),
      { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
      { op: 'add', path: 'emails', value: [WORK_EMAIL('bjensen@example.com')] },
    );
    expect(emails(doc)).toEqual([
      ['bjensen@example.com', true],
      ['babs@jensen.org', false],
    ]);
  });

  it('setting primary false leaves no primary', () => {
    const { doc } = patchUser(storedUser(), { op: 'replace', path: 'emails[type eq "work"].primary', value: false });
    expect(emails(doc)).toEqual([
      ['bjensen@example.com', false],
      ['babs@jensen.org', undefined],
    ]);
  });

  it('a merged element that becomes primary wins, in another attribute independently', () => {
    const current = storedUser({
      phoneNumbers: [
        { value: '1', type: 'work', primary: true },
        { value: '2', type: 'mobile' },
      ],
    });
    const { doc } = patchUser(current, {
      op: 'replace',
      path: 'phoneNumbers[type eq "mobile"]',
      value: { primary: 'True' },
    });
    expect(doc.phoneNumbers).toStrictEqual([
      { value: '1', type: 'work', primary: false },
      { value: '2', type: 'mobile', primary: true },
    ]);
    expect(emails(doc)[0]).toEqual(['bjensen@example.com', true]);
  });

  it('repairs a stored document with two primaries by keeping the first', () => {
    const current = deepFreeze({
      userName: 'u1',
      emails: [
        { value: 'a', primary: true },
        { value: 'b', primary: true },
      ],
    });
    const result = patchUser(current, { op: 'replace', path: 'title', value: 'T' });
    expect(result.doc.emails).toStrictEqual([
      { value: 'a', primary: true },
      { value: 'b', primary: false },
    ]);
  });
});

// ---- mutability --------------------------------------------------------------------------------------------

describe('mutability', () => {
  it.each<[string, Doc]>([
    ['id', { op: 'replace', path: 'id', value: 'other' }],
    ['meta', { op: 'replace', path: 'meta', value: { resourceType: 'User' } }],
    ['meta.created', { op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }],
    ['groups', { op: 'add', path: 'groups', value: [{ value: 'g1' }] }],
    ['groups (remove)', { op: 'remove', path: 'groups' }],
    ['groups with a filter', { op: 'remove', path: 'groups[value eq "g1"]' }],
    ['manager.displayName', { op: 'replace', path: `${ENT}:manager.displayName`, value: 'Boss' }],
    ['id (remove)', { op: 'remove', path: 'id' }],
  ])('rejects an explicit path to the readOnly %s', (_name, operation) => {
    const error = errorOf(() => patchUser(storedUser(), operation));
    expect(error.scimType).toBe('mutability');
    expect(error.detail).toContain('is readOnly');
  });

  it('ignores id, schemas, meta and readOnly attributes inside a pathless value', () => {
    const current = storedUser();
    const result = patchUser(current, {
      op: 'replace',
      value: {
        id: 'x',
        ID: 'y',
        schemas: [USER_SCHEMA],
        meta: { resourceType: 'User' },
        groups: [],
        'meta.created': '2020-01-01T00:00:00Z',
        [ENT]: { manager: { value: 'mgr-1', displayName: 'Boss' }, 'manager.displayName': 'Boss' },
      },
    });
    expect(result).toEqual({ doc: current, memberOps: [], changed: false });
  });

  it.each<[string, Doc[]]>([
    ['remove userName', [{ op: 'remove', path: 'userName' }]],
    ['replace userName ""', [{ op: 'replace', path: 'userName', value: '' }]],
    ['replace userName null in a pathless value', [{ op: 'replace', value: { userName: null } }]],
  ])('rejects removing a required attribute: %s', (_name, operations) => {
    const error = errorOf(() => patchUser(storedUser(), ...operations));
    expect(error.scimType).toBe('mutability');
    expect(error.detail).toBe('Attribute "userName" is required and cannot be removed');
  });

  it('allows removing a required attribute when a later operation sets it again', () => {
    const { doc } = patchUser(
      storedUser(),
      { op: 'remove', path: 'userName' },
      { op: 'add', path: 'userName', value: 'again' },
    );
    expect(doc.userName).toBe('again');
  });

  it('rejects removing a Group displayName', () => {
    const error = errorOf(() => patchGroup(storedGroup(), { op: 'remove', path: 'displayName' }));
    expect(error.scimType).toBe('mutability');
    expect(error.detail).toContain('"displayName" is required');
  });

  describe('immutable attributes (lab schema)', () => {
    const lab = labRegistry();
    const labPatch = (current: Doc, ...operations: unknown[]) => patch('User', current, body(...operations), lab);

    it.each<[string, Doc, Doc]>([
      ['code set from nothing', { userName: 'u' }, { op: 'add', path: 'code', value: 'C1' }],
      [
        'code set to the same value in another case',
        { userName: 'u', code: 'c1' },
        {
          op: 'replace',
          path: 'code',
          value: 'C1',
        },
      ],
      [
        'badge.serial set from nothing',
        { userName: 'u', badge: { label: 'L' } },
        {
          op: 'add',
          path: 'badge.serial',
          value: 'S',
        },
      ],
      [
        'the badge label (readWrite) next to a serial',
        { userName: 'u', badge: { serial: 'S' } },
        {
          op: 'replace',
          path: 'badge',
          value: { label: 'L' },
        },
      ],
    ])('allows %s', (_name, current, operation) => {
      expect(() => labPatch(deepFreeze(current), operation)).not.toThrow();
    });

    it.each<[string, Doc, Doc, string]>([
      ['changing code', { userName: 'u', code: 'C1' }, { op: 'replace', path: 'code', value: 'C2' }, '"code"'],
      ['removing code', { userName: 'u', code: 'C1' }, { op: 'remove', path: 'code' }, '"code"'],
      ['clearing code with ""', { userName: 'u', code: 'C1' }, { op: 'replace', value: { code: '' } }, '"code"'],
      [
        'changing a case-exact token by case',
        { userName: 'u', token: 'abc' },
        { op: 'replace', path: 'token', value: 'ABC' },
        '"token"',
      ],
      [
        'changing badge.serial',
        { userName: 'u', badge: { serial: 'S' } },
        { op: 'replace', path: 'badge.serial', value: 'T' },
        '"badge.serial"',
      ],
      [
        'changing an extension ref',
        { userName: 'u', 'urn:example:lab:ext': { level: 1, ref: 'r' } },
        { op: 'replace', path: 'urn:example:lab:ext:ref', value: 's' },
        '"urn:example:lab:ext:ref"',
      ],
    ])('rejects %s with mutability', (_name, current, operation, detail) => {
      const error = errorOf(() => labPatch(deepFreeze(current), operation));
      expect(error.scimType).toBe('mutability');
      expect(error.detail).toContain(detail);
      expect(error.detail).toContain('immutable');
    });

    it('rejects removing the required attribute of an extension that is present', () => {
      const current = deepFreeze({ userName: 'u', 'urn:example:lab:ext': { level: 1, ref: 'r' } });
      const error = errorOf(() => labPatch(current, { op: 'remove', path: 'urn:example:lab:ext:level' }));
      expect(error.detail).toBe('Attribute "urn:example:lab:ext:level" is required and cannot be removed');
    });

    it('handles a simple multi-valued attribute: append, filter on value, remove by value', () => {
      const current = deepFreeze({ userName: 'u', scores: [1, 2] });
      expect(labPatch(current, { op: 'add', path: 'scores', value: [2, 3] }).doc.scores).toEqual([1, 2, 3]);
      expect(labPatch(current, { op: 'remove', path: 'scores[value eq 2]' }).doc.scores).toEqual([1]);
      expect(labPatch(current, { op: 'remove', path: 'scores', value: [1] }).doc.scores).toEqual([2]);
      expect(labPatch(current, { op: 'add', path: 'scores', value: 5 }).doc.scores).toEqual([1, 2, 5]);
      expect(labPatch(current, { op: 'replace', path: 'scores[value eq 2]', value: 7 }).doc.scores).toEqual([1, 7]);
      expect(labPatch(current, { op: 'replace', path: 'scores[value gt 0]', value: null }).doc).toEqual({
        userName: 'u',
      });
      expect(errorOf(() => labPatch(current, { op: 'remove', path: 'scores[size eq 2]' })).scimType).toBe(
        'invalidPath',
      );
    });
  });
});

// ---- password ----------------------------------------------------------------------------------------------

describe('password (writeOnly)', () => {
  it.each<[string, Doc[], string | null]>([
    ['add with a path', [{ op: 'add', path: 'password', value: 'p1' }], 'p1'],
    ['Replace with a path in any case', [{ op: 'Replace', path: 'PASSWORD', value: 'p2' }], 'p2'],
    ['a URN-qualified path', [{ op: 'replace', path: `${USER_SCHEMA}:password`, value: 'p3' }], 'p3'],
    ['a pathless value', [{ op: 'replace', value: { password: 'p4', title: 'T' } }], 'p4'],
    [
      'the last of several',
      [
        { op: 'add', path: 'password', value: 'a' },
        { op: 'add', path: 'password', value: 'b' },
      ],
      'b',
    ],
    ['clear with ""', [{ op: 'replace', path: 'password', value: '' }], null],
    ['clear with null', [{ op: 'replace', value: { password: null } }], null],
    ['remove', [{ op: 'remove', path: 'password' }], null],
  ])('%s', (_name, operations, expected) => {
    const result = patchUser(storedUser(), ...operations);
    expect(result.password).toBe(expected);
    expect(result.doc).not.toHaveProperty('password');
    expect(result.changed).toBe(true);
  });
});

// ---- groups ------------------------------------------------------------------------------------------------

describe('Group members become memberOps', () => {
  const removeWhere = (path: string): Filter => {
    const result = patchGroup(storedGroup(), { op: 'remove', path });
    const [op] = result.memberOps;
    if (op.kind !== 'removeWhere') throw new Error(`expected removeWhere, got ${op.kind}`);
    return op.filter;
  };

  it.each<[string, Doc, MemberOp[]]>([
    [
      'add {value}',
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      [{ kind: 'add', values: [{ value: 'a' }] }],
    ],
    [
      'add {value, display, type} with type in any case',
      {
        op: 'add',
        path: 'members',
        value: [
          { value: 'a', display: 'A', type: 'user' },
          { Value: 'b', Type: 'GROUP' },
        ],
      },
      [
        {
          kind: 'add',
          values: [
            { value: 'a', type: 'User', display: 'A' },
            { value: 'b', type: 'Group' },
          ],
        },
      ],
    ],
    [
      'add an array of bare ids',
      { op: 'add', path: 'members', value: ['a', 'b'] },
      [{ kind: 'add', values: [{ value: 'a' }, { value: 'b' }] }],
    ],
    [
      'add a single object',
      { op: 'add', path: 'members', value: { value: 'a', $ref: null, type: null } },
      [{ kind: 'add', values: [{ value: 'a' }] }],
    ],
    [
      'add the same id twice in one op',
      {
        op: 'add',
        path: 'members',
        value: [
          { value: 'a', display: 'first' },
          { value: 'a', display: 'second' },
        ],
      },
      [{ kind: 'add', values: [{ value: 'a', display: 'first' }] }],
    ],
    ['add an empty array', { op: 'add', path: 'members', value: [] }, []],
    ['add null', { op: 'add', path: 'members', value: null }, [{ kind: 'removeAll' }]],
    [
      'add with a URN-qualified path',
      { op: 'add', path: `${GROUP_SCHEMA}:members`, value: [{ value: 'a' }] },
      [{ kind: 'add', values: [{ value: 'a' }] }],
    ],
    [
      'remove by value array',
      { op: 'remove', path: 'members', value: [{ value: 'a' }, 'b'] },
      [{ kind: 'remove', values: ['a', 'b'] }],
    ],
    ['remove by a bare id', { op: 'remove', path: 'members', value: 'a' }, [{ kind: 'remove', values: ['a'] }]],
    ['remove with an empty value array', { op: 'remove', path: 'members', value: [] }, []],
    ['remove with a null value', { op: 'remove', path: 'members', value: null }, [{ kind: 'removeAll' }]],
    [
      'remove by filter, attribute in any case',
      { op: 'remove', path: 'Members[Value eq "a"]' },
      [{ kind: 'remove', values: ['a'] }],
    ],
    ['remove all', { op: 'Remove', path: 'members' }, [{ kind: 'removeAll' }]],
    [
      'replace',
      { op: 'replace', path: 'members', value: [{ value: 'a' }] },
      [{ kind: 'replace', values: [{ value: 'a' }] }],
    ],
    ['replace with an empty array', { op: 'replace', path: 'members', value: [] }, [{ kind: 'replace', values: [] }]],
    ['replace with ""', { op: 'replace', path: 'members', value: '' }, [{ kind: 'removeAll' }]],
    [
      'pathless replace containing members',
      { op: 'replace', value: { members: [{ value: 'a' }] } },
      [{ kind: 'replace', values: [{ value: 'a' }] }],
    ],
    [
      'pathless add containing members',
      { op: 'add', value: { Members: ['a'] } },
      [{ kind: 'add', values: [{ value: 'a' }] }],
    ],
  ])('%s', (_name, operation, expected) => {
    const result = patchGroup(storedGroup(), operation);
    expect(result.memberOps).toStrictEqual(expected);
    expect(result.doc).toStrictEqual(storedGroup());
    expect(result.changed).toBe(expected.length > 0);
  });

  it.each([
    ['members[type eq "User"]'],
    ['members[value eq "a" and type eq "User"]'],
    ['members[value eq "a" or value eq "b"]'],
    ['members[value sw "a"]'],
    ['members[value eq 42]'],
    ['members[not (value eq "a")]'],
  ])('remove %s becomes removeWhere', (path) => {
    const result = patchGroup(storedGroup(), { op: 'remove', path });
    expect(result.memberOps).toHaveLength(1);
    expect(result.memberOps[0].kind).toBe('removeWhere');
  });

  it('keeps the filter of a removeWhere as parsed, relative to one member', () => {
    expect(removeWhere('members[type eq "User"]')).toEqual({
      kind: 'compare',
      path: { attr: 'type' },
      op: 'eq',
      value: 'User',
    });
  });

  it('keeps memberOps in request order, interleaved with document changes', () => {
    const result = patchGroup(
      storedGroup(),
      { op: 'remove', path: 'members' },
      { op: 'replace', path: 'displayName', value: 'Renamed' },
      { op: 'add', path: 'members', value: ['x'] },
      { op: 'remove', path: 'members[value eq "y"]' },
    );
    expect(result.memberOps).toStrictEqual([
      { kind: 'removeAll' },
      { kind: 'add', values: [{ value: 'x' }] },
      { kind: 'remove', values: ['y'] },
    ]);
    expect(result.doc).toStrictEqual({ externalId: 'g-ext', displayName: 'Renamed' });
  });

  it('never returns members in the document, even when the stored one has them', () => {
    const current = storedGroup({ members: [{ value: 'a', display: 'A' }] });
    const result = patchGroup(current, { op: 'add', path: 'members', value: ['b'] });
    expect(result.doc).toStrictEqual({ externalId: 'g-ext', displayName: 'Sales' });
    expect(patchGroup(current, { op: 'replace', path: 'displayName', value: 'Sales' }).changed).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['a numeric id', [{ value: 42 }], '"value" must be a non-empty string id, got a number'],
    ['a missing id', [{ display: 'x' }], '"value" must be a non-empty string id, got a undefined'],
    ['an empty id', [{ value: '' }], 'non-empty string'],
    ['an empty bare id', [''], 'non-empty string'],
    ['a numeric bare id', [7], 'got a number'],
    ['a nested array', [['a']], 'got an array'],
    ['an unknown type', [{ value: 'a', type: 'Device' }], '"type" must be "User" or "Group", got "Device"'],
    ['a non-string type', [{ value: 'a', type: 1 }], '"type" must be "User" or "Group", got 1'],
  ])('rejects %s with invalidValue', (_name, value, detail) => {
    const error = errorOf(() => patchGroup(storedGroup(), { op: 'add', path: 'members', value }));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(detail);
  });

  it('validates removal values too', () => {
    const error = errorOf(() => patchGroup(storedGroup(), { op: 'remove', path: 'members', value: [{ value: 1 }] }));
    expect(error.scimType).toBe('invalidValue');
  });

  it.each<[string, Doc]>([
    ['the readOnly display', { op: 'replace', path: 'members[value eq "a"].display', value: 'x' }],
    ['the immutable value', { op: 'replace', path: 'members.value', value: 'x' }],
    ['a member in place', { op: 'replace', path: 'members[value eq "a"]', value: { type: 'User' } }],
    ['a member added through a filter', { op: 'add', path: 'members[value eq "a"]', value: { value: 'a' } }],
    ['a sub-attribute removal', { op: 'remove', path: 'members[value eq "a"].type' }],
  ])('rejects changing %s with mutability', (_name, operation) => {
    expect(errorOf(() => patchGroup(storedGroup(), operation)).scimType).toBe('mutability');
  });

  it('rejects an unknown sub-attribute in a members filter with invalidPath', () => {
    expect(errorOf(() => patchGroup(storedGroup(), { op: 'remove', path: 'members[id eq "a"]' })).scimType).toBe(
      'invalidPath',
    );
  });

  it('ignores the readOnly logo of the group extension inside a pathless value, rejects it by path', () => {
    const logo = 'urn:roster:params:scim:schemas:extension:group:1.0:Group';
    expect(patchGroup(storedGroup(), { op: 'replace', value: { [logo]: { logo: 'http://x/l.png' } } }).changed).toBe(
      false,
    );
    expect(
      errorOf(() => patchGroup(storedGroup(), { op: 'replace', path: `${logo}:logo`, value: 'http://x/l.png' }))
        .scimType,
    ).toBe('mutability');
  });
});

// ---- changed and atomicity ------------------------------------------------------------------------------------

describe('changed', () => {
  it.each<[string, Doc[], boolean]>([
    ['a new value', [{ op: 'replace', path: 'title', value: 'New' }], true],
    [
      'a value and back',
      [
        { op: 'replace', path: 'title', value: 'New' },
        { op: 'replace', path: 'title', value: 'Tour Guide' },
      ],
      false,
    ],
    [
      'a reordered list',
      [{ op: 'replace', path: 'emails', value: [HOME_EMAIL, WORK_EMAIL('bjensen@example.com')] }],
      true,
    ],
    [
      'the same list',
      [{ op: 'replace', path: 'emails', value: [WORK_EMAIL('bjensen@example.com'), HOME_EMAIL] }],
      false,
    ],
    ['removing an absent attribute', [{ op: 'remove', path: 'nickName' }], false],
    ['a password', [{ op: 'replace', path: 'password', value: 'p' }], true],
  ])('%s → %s', (_name, operations, expected) => {
    expect(patchUser(storedUser(), ...operations).changed).toBe(expected);
  });
});

describe('atomicity', () => {
  it('a failing third operation leaves the input untouched and returns nothing', () => {
    const current = structuredClone(storedUser());
    const snapshot = structuredClone(current);
    const error = errorOf(() =>
      patchUser(
        current,
        { op: 'replace', path: 'title', value: 'Changed' },
        { op: 'add', path: 'emails', value: { value: 'x@x.org', primary: true } },
        { op: 'replace', path: 'id', value: 'hijack' },
      ),
    );
    expect(error.detail).toBe('Operation 3: Attribute "id" is readOnly and cannot be changed');
    expect(current).toStrictEqual(snapshot);
  });

  it('never writes to the input, even on success (the input is deeply frozen)', () => {
    const current = storedUser();
    expect(Object.isFrozen(current.emails)).toBe(true);
    const result = patchUser(
      current,
      { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
      { op: 'remove', path: 'name.givenName' },
      { op: 'replace', path: `${ENT}:manager`, value: 'm2' },
      { op: 'add', path: 'addresses[type eq "work"].locality', value: 'Oslo' },
    );
    expect(result.changed).toBe(true);
    expect(current).toStrictEqual(storedUser());
  });

  it('returns a document that shares nothing with the input or the request', () => {
    const current = structuredClone(storedUser());
    const value = [{ value: 'n@x.org', type: 'other' }];
    const { doc } = patchUser(current, { op: 'add', path: 'emails', value });
    (doc.emails as Doc[])[0].value = 'mutated';
    (doc.name as Doc).givenName = 'mutated';
    (doc.emails as Doc[])[2].type = 'mutated';
    expect(current).toStrictEqual(storedUser());
    expect(value).toEqual([{ value: 'n@x.org', type: 'other' }]);
  });

  it('fails at the end when the result breaks a rule, naming no operation', () => {
    const current = structuredClone(storedUser());
    const error = errorOf(() =>
      patchUser(current, { op: 'replace', path: 'title', value: 'x' }, { op: 'remove', path: 'userName' }),
    );
    expect(error.detail).toBe('Attribute "userName" is required and cannot be removed');
    expect(current).toStrictEqual(storedUser());
  });
});

/** A registry with what RFC 7643's own schemas lack: immutable attributes, a simple multi-valued one, a required extension attribute. */
function labRegistry(): SchemaRegistry {
  const attr = (name: string, type: AttributeType, traits: Partial<AttributeDefinition> = {}): AttributeDefinition => ({
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...traits,
  });
  return new SchemaRegistry({
    commonAttributes: COMMON_ATTRIBUTES,
    schemas: [
      {
        id: 'urn:example:lab:User',
        name: 'User',
        description: 'Lab user',
        attributes: [
          attr('userName', 'string', { required: true }),
          attr('scores', 'integer', { multiValued: true }),
          attr('code', 'string', { mutability: 'immutable' }),
          attr('token', 'string', { mutability: 'immutable', caseExact: true }),
          attr('badge', 'complex', {
            subAttributes: [attr('serial', 'string', { mutability: 'immutable' }), attr('label', 'string')],
          }),
        ],
      },
      {
        id: 'urn:example:lab:Group',
        name: 'Group',
        description: 'Lab group',
        attributes: [attr('displayName', 'string', { required: true })],
      },
      {
        id: 'urn:example:lab:ext',
        name: 'LabExtension',
        description: 'Lab extension',
        attributes: [attr('level', 'integer', { required: true }), attr('ref', 'string', { mutability: 'immutable' })],
      },
    ],
    resourceTypes: [
      {
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'Lab user',
        schema: 'urn:example:lab:User',
        schemaExtensions: [{ schema: 'urn:example:lab:ext', required: false }],
      },
      {
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Lab group',
        schema: 'urn:example:lab:Group',
        schemaExtensions: [],
      },
    ],
  });
}
