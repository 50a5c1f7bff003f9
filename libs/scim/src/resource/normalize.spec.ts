import { ScimError } from '../errors';
import { MAX_MEMBERS_PER_REQUEST } from '../limits';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  ROSTER_GROUP_SCHEMA,
  USER_SCHEMA,
} from '../schema/definitions';
import { SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, AttributeType } from '../schema/types';
import {
  assertInputLimits,
  checkImmutable,
  INPUT_LIMITS,
  isXsdDateTime,
  normalizeAttributeValue,
  normalizeInput,
} from './normalize';

const registry = new SchemaRegistry();
const ENT = ENTERPRISE_USER_SCHEMA;

function errorOf(call: () => unknown): ScimError {
  try {
    call();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError, nothing was thrown');
}

const user = (body: unknown, mode: 'create' | 'replace' = 'create') => normalizeInput(registry, 'User', body, mode);
const group = (body: unknown, mode: 'create' | 'replace' = 'create') => normalizeInput(registry, 'Group', body, mode);
/** A minimal valid user body with extra keys. */
const withUser = (extra: Record<string, unknown>): Record<string, unknown> => ({ userName: 'bjensen', ...extra });

/** Request bodies as the IdPs send them (shared/reference/provisioning-traces.md and Microsoft's collection). */
const traces = {
  entraCreate: () => ({
    schemas: [USER_SCHEMA, ENT],
    externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
    userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
    active: true,
    emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
  }),
  entraOlder: () => ({
    schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],
    externalId: 'jyoung',
    userName: 'jyoung@testuser.com',
    active: true,
    addresses: null,
    displayName: 'Joy Young',
    emails: [{ type: 'work', value: 'jyoung@Contoso.com', primary: true }],
    meta: { resourceType: 'User' },
    name: { familyName: 'Young', givenName: 'Joy' },
    phoneNumbers: null,
    preferredLanguage: null,
    title: null,
    department: null,
    manager: null,
  }),
  oktaCreate: () => ({
    schemas: [USER_SCHEMA],
    userName: 'test.user@okta.local',
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: '1mz050nq',
    active: true,
  }),
  msPostUser: () => ({
    userName: 'UserName123',
    active: true,
    displayName: 'BobIsAmazing',
    schemas: [USER_SCHEMA],
    externalId: '3f2a3b1c-0000-4000-8000-000000000001',
    name: { formatted: 'Ryan Leenay', familyName: 'Leenay', givenName: 'Ryan' },
    emails: [
      { Primary: true, type: 'work', value: 'testing@bob.com' },
      { Primary: false, type: 'home', value: 'testinghome@bob.com' },
    ],
  }),
  msPostEnterpriseUser: () => ({
    userName: 'UserName222',
    active: true,
    displayName: 'lennay',
    schemas: [ENT, USER_SCHEMA],
    externalId: '3f2a3b1c-0000-4000-8000-000000000002',
    name: { formatted: 'Adrew Ryan', familyName: 'Ryan', givenName: 'Andrew' },
    emails: [
      { Primary: true, type: 'work', value: 'testing@bob2.com' },
      { Primary: false, type: 'home', value: 'testinghome@bob3.com' },
    ],
    [ENT]: { Department: 'bob', Manager: { Value: 'SuzzyQ' } },
  }),
  msGarbageUser: (overrides: Record<string, unknown> = {}) => ({
    userName: 'OMalley',
    active: true,
    addresses: [
      {
        country: 'Bermuda',
        formatted: '9132 Jennifer Way Suite 040\nSouth Nancy, MI 55645',
        locality: 'West Mercedes',
        postalCode: '99265',
        region: 'Montana',
        streetAddress: '4939 Hess Fork',
        type: 'work',
        primary: false,
      },
      {
        country: null,
        formatted: '18522 Lisa Unions\nEast Gregory, CT 52311',
        locality: null,
        postalCode: null,
        region: null,
        streetAddress: null,
        type: 'other',
        primary: false,
      },
    ],
    displayName: 'Kimberly Baker',
    emails: [
      { type: 'work', primary: true, value: 'anna33@example.com' },
      { type: 'other', primary: false, value: 'anna33@gmail.com' },
    ],
    meta: {
      created: '2019-09-18T18:15:26.5788954+00:00',
      lastModified: '2019-09-18T18:15:26.5788976+00:00',
      resourceType: 'User',
    },
    name: {
      formatted: 'Daniel Mcgee',
      familyName: 'OMalley',
      givenName: 'Darl',
      honorificPrefix: null,
      honorificSuffix: null,
    },
    phoneNumbers: [
      { type: 'fax', primary: false, value: '312-320-0500' },
      { type: 'mobile', primary: false, value: '312-320-1707' },
      { type: 'work', primary: true, value: '312-320-0932' },
    ],
    preferredLanguage: 'xh',
    roles: [],
    title: 'Site engineer',
    externalId: '22fbc523-6032-4c5f-939d-5d4850cf3e52',
    schemas: [USER_SCHEMA],
    ...overrides,
  }),
  msGroupWithAdscimUrn: () => ({
    schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
    externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
    displayName: 'displayName',
    meta: { resourceType: 'Group' },
  }),
  oktaGroup: () => ({ schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', members: [] }),
  msFilledGroup: () => ({
    schemas: [GROUP_SCHEMA],
    externalId: '3f2a3b1c-0000-4000-8000-000000000003',
    displayName: 'GroupDisplayName2',
    members: [{ value: 'id3', display: 'VP' }],
  }),
};

describe('normalizeInput: real IdP bodies', () => {
  it('Entra create: drops meta and the empty roles, lists only the core schema', () => {
    const body = traces.entraCreate();
    expect(user(body)).toEqual({
      doc: {
        externalId: body.externalId,
        userName: body.userName,
        name: body.name,
        active: true,
        emails: [{ value: body.emails[0].value, type: 'work', primary: true }],
      },
      schemas: [USER_SCHEMA],
    });
  });

  it('Entra older shape: nulls clear, the misspelled extension URN and flat nulls are ignored', () => {
    expect(user(traces.entraOlder())).toEqual({
      doc: {
        externalId: 'jyoung',
        userName: 'jyoung@testuser.com',
        name: { familyName: 'Young', givenName: 'Joy' },
        displayName: 'Joy Young',
        active: true,
        emails: [{ value: 'jyoung@Contoso.com', type: 'work', primary: true }],
      },
      schemas: [USER_SCHEMA],
    });
  });

  it('Okta create: takes the password out, ignores the readOnly groups: []', () => {
    const result = user(traces.oktaCreate());
    expect(result.password).toBe('1mz050nq');
    expect(result.doc).toEqual({
      externalId: '00ujl29u0le5T6Aj10h7',
      userName: 'test.user@okta.local',
      name: { familyName: 'User', givenName: 'Test' },
      displayName: 'Test User',
      locale: 'en-US',
      active: true,
      emails: [{ value: 'test.user@okta.local', type: 'work', primary: true }],
    });
    expect(JSON.stringify(result.doc)).not.toContain('1mz050nq');
  });

  it('Microsoft collection: "Primary" becomes primary', () => {
    expect(user(traces.msPostUser()).doc.emails).toEqual([
      { value: 'testing@bob.com', type: 'work', primary: true },
      { value: 'testinghome@bob.com', type: 'home', primary: false },
    ]);
  });

  it('Microsoft collection: "Department" and "Manager.Value" in the extension become canonical', () => {
    const result = user(traces.msPostEnterpriseUser());
    expect(result.doc[ENT]).toEqual({ department: 'bob', manager: { value: 'SuzzyQ' } });
    expect(result.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it('Microsoft collection: null sub-attributes, client meta and roles: [] are dropped', () => {
    const result = user(traces.msGarbageUser());
    expect(result.doc).toEqual({
      externalId: '22fbc523-6032-4c5f-939d-5d4850cf3e52',
      userName: 'OMalley',
      name: { formatted: 'Daniel Mcgee', familyName: 'OMalley', givenName: 'Darl' },
      displayName: 'Kimberly Baker',
      title: 'Site engineer',
      preferredLanguage: 'xh',
      active: true,
      emails: [
        { value: 'anna33@example.com', type: 'work', primary: true },
        { value: 'anna33@gmail.com', type: 'other', primary: false },
      ],
      phoneNumbers: [
        { value: '312-320-0500', type: 'fax', primary: false },
        { value: '312-320-1707', type: 'mobile', primary: false },
        { value: '312-320-0932', type: 'work', primary: true },
      ],
      addresses: [
        {
          formatted: '9132 Jennifer Way Suite 040\nSouth Nancy, MI 55645',
          streetAddress: '4939 Hess Fork',
          locality: 'West Mercedes',
          region: 'Montana',
          postalCode: '99265',
          country: 'Bermuda',
          type: 'work',
          primary: false,
        },
        { formatted: '18522 Lisa Unions\nEast Gregory, CT 52311', type: 'other', primary: false },
      ],
    });
  });

  it('Microsoft collection: "active": "True" is stored as the boolean true', () => {
    expect(user(traces.msGarbageUser({ userName: 'emp1', active: 'True' })).doc.active).toBe(true);
  });

  it('Microsoft collection: PUT with the misspelled "adreses" succeeds without addresses', () => {
    const body = traces.msGarbageUser({ id: 'c0ffee', active: false });
    const { addresses, ...rest } = body;
    const result = user({ ...rest, adreses: addresses }, 'replace');
    expect(result.doc.addresses).toBeUndefined();
    expect(result.doc.userName).toBe('OMalley');
    expect(result.doc.active).toBe(false);
    expect(result.doc.id).toBeUndefined();
    expect(JSON.stringify(result)).not.toMatch(/adreses|Addresses/i);
  });

  it('Microsoft collection: PUT with "userame" instead of userName is a 400', () => {
    const { userName, ...rest } = traces.msGarbageUser({ id: 'c0ffee' });
    const error = errorOf(() => user({ ...rest, userame: userName }, 'replace'));
    expect(error.toJSON()).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(error.detail).toMatch(/^Attribute "userName" is required/);
  });

  it('Microsoft collection: POST without userName is a 400', () => {
    const { userName: _userName, ...rest } = traces.msGarbageUser();
    expect(errorOf(() => user(rest)).detail).toBe('Attribute "userName" is required');
  });

  it("Entra group: Microsoft's undefined ADSCIM schema URN and meta are ignored", () => {
    expect(group(traces.msGroupWithAdscimUrn())).toEqual({
      doc: { externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName' },
      schemas: [GROUP_SCHEMA],
    });
  });

  it('Okta group: members: [] leaves no members key', () => {
    expect(group(traces.oktaGroup()).doc).toEqual({ displayName: 'Test SCIMv2' });
  });

  it('Microsoft collection group: the member display is kept with the value', () => {
    expect(group(traces.msFilledGroup()).doc.members).toEqual([{ value: 'id3', display: 'VP' }]);
  });

  it('a group without displayName is a 400', () => {
    expect(errorOf(() => group({ externalId: 'x', members: [] })).detail).toBe('Attribute "displayName" is required');
  });
});

describe('normalizeInput: the body', () => {
  it.each([
    ['null', null],
    ['an array', [{ userName: 'a' }]],
    ['a string', '{"userName":"a"}'],
    ['a number', 42],
    ['a boolean', true],
    ['nothing', undefined],
  ])('rejects %s with invalidSyntax', (_what, body) => {
    const error = errorOf(() => user(body));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidSyntax');
  });

  it('does not let a "__proto__" key reach the prototype', () => {
    const result = user(JSON.parse('{"userName":"a","__proto__":{"polluted":true},"name":{"__proto__":{"x":1}}}'));
    expect(result.doc).toEqual({ userName: 'a' });
    expect(Object.getPrototypeOf(result.doc)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes attributes in schema order: common, core, then extensions', () => {
    const result = user({
      [ENT]: { manager: 'm' },
      emails: 'a@example.com',
      active: true,
      userName: 'a',
      externalId: 'x',
    });
    expect(Object.keys(result.doc)).toEqual(['externalId', 'userName', 'active', 'emails', ENT]);
  });

  it('does not modify the body it was given', () => {
    const body = traces.msPostEnterpriseUser();
    const copy = structuredClone(body);
    user(body);
    expect(body).toEqual(copy);
  });
});

describe('normalizeInput: attribute names', () => {
  it.each([
    [
      'core names in any case',
      { USERNAME: 'a', Name: { GivenName: 'g' }, NickName: 'n' },
      { userName: 'a', name: { givenName: 'g' }, nickName: 'n' },
    ],
    [
      'sub-attributes in any case',
      withUser({ EMAILS: [{ VALUE: 'a@b', TYPE: 'work', PRIMARY: true }] }),
      { userName: 'bjensen', emails: [{ value: 'a@b', type: 'work', primary: true }] },
    ],
    [
      '$ref in any case',
      withUser({ photos: [{ VALUE: 'https://p/1.png' }] }),
      { userName: 'bjensen', photos: [{ value: 'https://p/1.png' }] },
    ],
    [
      'dotted names',
      withUser({ 'name.givenName': 'g', 'NAME.familyName': 'f' }),
      { userName: 'bjensen', name: { familyName: 'f', givenName: 'g' } },
    ],
    [
      'a dotted name after the complex value',
      withUser({ name: { givenName: 'g' }, 'name.familyName': 'f' }),
      { userName: 'bjensen', name: { familyName: 'f', givenName: 'g' } },
    ],
    [
      'a dotted null clears that sub-attribute only',
      withUser({ name: { givenName: 'g', familyName: 'f' }, 'name.givenName': null }),
      { userName: 'bjensen', name: { familyName: 'f' } },
    ],
    [
      'a dotted name into a multi-valued attribute is ignored',
      withUser({ 'emails.value': 'a@b' }),
      { userName: 'bjensen' },
    ],
    [
      'URN-qualified core names',
      { [`${USER_SCHEMA}:userName`]: 'a', [`${USER_SCHEMA.toUpperCase()}:name.givenName`]: 'g' },
      { userName: 'a', name: { givenName: 'g' } },
    ],
    [
      'the later of two spellings wins',
      withUser({ active: true, Active: 'false' }),
      { userName: 'bjensen', active: false },
    ],
    ['the common externalId in any case', withUser({ EXTERNALID: 'e' }), { externalId: 'e', userName: 'bjensen' }],
  ])('accepts %s', (_what, body, doc) => {
    expect(user(body).doc).toEqual(doc);
  });

  it.each([
    ['nested under the URN key', { [ENT]: { department: 'd' } }],
    ['nested under the URN key in another case', { [ENT.toUpperCase()]: { Department: 'd' } }],
    ['as a top-level URN-qualified key', { [`${ENT}:department`]: 'd' }],
    ['as a top-level URN-qualified key in another case', { [`${ENT.toLowerCase()}:DEPARTMENT`]: 'd' }],
    ['in the legacy dotted form', { [`${ENT}.department`]: 'd' }],
    ['unqualified at the top level (no core attribute has the name)', { department: 'd' }],
  ])('accepts an extension attribute %s, nesting it under the canonical URN', (_what, extra) => {
    const result = user(withUser(extra));
    expect(result.doc).toEqual({ userName: 'bjensen', [ENT]: { department: 'd' } });
    expect(result.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it('merges nested and top-level extension attributes', () => {
    const result = user(
      withUser({
        [ENT]: { department: 'd', costCenter: 'c' },
        [`${ENT}:manager.value`]: 'm',
        [`${ENT}:costCenter`]: 'c2',
      }),
    );
    expect(result.doc[ENT]).toEqual({ costCenter: 'c2', department: 'd', manager: { value: 'm' } });
  });

  it.each([
    ['an unknown attribute', withUser({ adreses: [{ country: 'x' }], userame: 'x' })],
    ['an unknown sub-attribute', withUser({ name: { nickName: 'x' } })],
    ['an unknown attribute inside a known extension', withUser({ [ENT]: { tag: 'x' } })],
    ['a core attribute inside the extension object', withUser({ [ENT]: { userName: 'x', nickName: 'y' } })],
    ['a Group attribute on a User', withUser({ members: [{ value: 'x' }] })],
    ['the schemas array', withUser({ schemas: ['urn:whatever'] })],
    ['an over-deep path', withUser({ 'name.givenName.x': 'y' })],
  ])('drops %s', (_what, body) => {
    const result = user(body);
    expect(result.doc).toEqual({ userName: 'bjensen' });
    expect(result.schemas).toEqual([USER_SCHEMA]);
  });

  it.each([
    ['id', withUser({ id: 'client-chosen' }), {}],
    ['meta', withUser({ meta: { resourceType: 'User', created: '2019-09-18T18:15:26Z' } }), {}],
    ['groups', withUser({ groups: [{ value: 'g1', display: 'G' }] }), {}],
    [
      'manager.displayName',
      withUser({ [ENT]: { manager: { value: 'm', displayName: 'Boss' } } }),
      { [ENT]: { manager: { value: 'm' } } },
    ],
    ['a URN-qualified manager.displayName', withUser({ [`${ENT}:manager.displayName`]: 'Boss' }), {}],
  ])('drops the readOnly %s', (_what, body, rest) => {
    expect(user(body).doc).toEqual({ userName: 'bjensen', ...rest });
  });

  it('keeps the display a client gives a member (echoed back on reads) and drops a null $ref', () => {
    expect(group({ displayName: 'g', members: [{ value: 'u1', display: 'VP', $ref: null }] }).doc).toEqual({
      displayName: 'g',
      members: [{ value: 'u1', display: 'VP' }],
    });
  });

  it.each([
    [
      'the Roster logo',
      { displayName: 'g', [ROSTER_GROUP_SCHEMA]: { logo: 'https://x/logo.png' } },
      { displayName: 'g' },
    ],
    [
      'a URN-qualified logo',
      { displayName: 'g', [`${ROSTER_GROUP_SCHEMA}:logo`]: 'https://x/logo.png' },
      { displayName: 'g' },
    ],
    ['id', { displayName: 'g', id: 'x' }, { displayName: 'g' }],
  ])('drops the readOnly group %s', (_what, body, doc) => {
    const result = group(body);
    expect(result.doc).toEqual(doc);
    expect(result.schemas).toEqual([GROUP_SCHEMA]);
  });

  it('keeps immutable member sub-attributes for the service to compare', () => {
    expect(
      group({ displayName: 'g', members: [{ value: 'u1', $ref: 'https://h/v2/Users/u1', type: 'User' }] }).doc,
    ).toEqual({
      displayName: 'g',
      members: [{ value: 'u1', $ref: 'https://h/v2/Users/u1', type: 'User' }],
    });
  });
});

describe('normalizeInput: values', () => {
  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
    ['True', true],
    ['False', false],
    ['TRUE', true],
    ['fAlSe', false],
  ])('accepts the boolean %j as %j', (sent, stored) => {
    expect(user(withUser({ active: sent })).doc.active).toBe(stored);
    expect(user(withUser({ emails: [{ value: 'a', primary: sent }] })).doc.emails).toEqual([
      { value: 'a', primary: stored },
    ]);
  });

  it.each([
    ['active', 'yes', 'boolean'],
    ['active', 1, 'boolean'],
    ['active', 0, 'boolean'],
    ['active', '1', 'boolean'],
    ['active', ' true', 'boolean'],
    ['active', {}, 'boolean'],
    ['userName', 123, 'string'],
    ['userName', true, 'string'],
    ['userName', { value: 'a' }, 'string'],
    ['displayName', 5, 'string'],
    ['profileUrl', { href: 'x' }, 'string'],
    ['name', 'Barbara Jensen', 'JSON object'],
    ['name', 12, 'JSON object'],
  ])('rejects %s: %j, naming the attribute and the expected %s', (attribute, value, expectedType) => {
    const error = errorOf(() => user({ userName: 'bjensen', [attribute]: value }));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(`"${attribute}"`);
    expect(error.detail).toContain(expectedType);
  });

  it.each([
    ['emails.primary', { emails: [{ value: 'a', primary: 'yes' }] }, 'boolean'],
    ['emails.value', { emails: [{ value: 42 }] }, 'string'],
    ['emails.value', { emails: [7] }, 'string'],
    ['name.givenName', { name: { givenName: ['a'] } }, 'single-valued'],
    ['x509Certificates.value', { x509Certificates: [{ value: 1 }] }, 'string'],
    ['addresses.primary', { addresses: [{ country: 'DE', primary: 'no' }] }, 'boolean'],
    ['photos.value', { photos: [[{ value: 'x' }]] }, 'single-valued'],
    [`${ENT}:manager.value`, { [ENT]: { manager: 12 } }, 'string'],
    [`${ENT}:department`, { [ENT]: { department: 3 } }, 'string'],
    [ENT, { [ENT]: 'Sales' }, 'JSON object'],
    ['name', { name: [{ givenName: 'a' }] }, 'single-valued'],
    ['active', { active: [true] }, 'single-valued'],
  ])('rejects a wrong value in %s', (path, extra, expectedType) => {
    const error = errorOf(() => user(withUser(extra)));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(`"${path}"`);
    expect(error.detail).toContain(expectedType);
  });

  it.each([
    ['an empty string', ''],
    ['null', null],
  ])('clears an attribute given %s', (_what, empty) => {
    const result = user(
      withUser({
        displayName: empty,
        active: empty,
        name: { givenName: empty, familyName: empty },
        emails: empty,
        [ENT]: { department: empty, manager: empty },
        [`${ENT}:costCenter`]: empty,
      }),
    );
    expect(result).toEqual({ doc: { userName: 'bjensen' }, schemas: [USER_SCHEMA] });
  });

  it.each([
    ['an empty array', []],
    ['an array of nulls', [null, '']],
    ['elements whose sub-attributes are all empty', [{ value: null, type: '' }, {}]],
  ])('leaves out a multi-valued attribute given %s', (_what, emails) => {
    expect(user(withUser({ emails })).doc).toEqual({ userName: 'bjensen' });
  });

  it('drops empty elements and empty sub-attributes, keeping the rest', () => {
    expect(
      user(withUser({ emails: [null, { value: 'a', display: '' }, {}, { type: 'home', value: 'b' }] })).doc.emails,
    ).toEqual([{ value: 'a' }, { value: 'b', type: 'home' }]);
  });

  it('clears an extension object given null or ""', () => {
    expect(user(withUser({ [`${ENT}:department`]: 'd', [ENT]: null })).doc).toEqual({ userName: 'bjensen' });
    expect(user(withUser({ [ENT]: '' })).schemas).toEqual([USER_SCHEMA]);
  });

  it('echoes values exactly as sent: no trimming, no case changes, no reformatting', () => {
    const body = withUser({
      userName: '  MiXeD.Case@Example.COM ',
      displayName: 'Ünïcödé  name ',
      phoneNumbers: [{ value: '55555555555', type: 'Work' }],
      name: { formatted: 'Line 1\nLine 2' },
      profileUrl: 'HTTPS://Example.com/Profile?x=1',
      locale: 'EN-us',
    });
    expect(user(body).doc).toEqual({
      userName: '  MiXeD.Case@Example.COM ',
      displayName: 'Ünïcödé  name ',
      phoneNumbers: [{ value: '55555555555', type: 'Work' }],
      name: { formatted: 'Line 1\nLine 2' },
      profileUrl: 'HTTPS://Example.com/Profile?x=1',
      locale: 'EN-us',
    });
  });

  it.each([
    [
      'a single object for a multi-valued attribute',
      { emails: { value: 'a@b', type: 'work' } },
      { emails: [{ value: 'a@b', type: 'work' }] },
    ],
    [
      'a bare value for a complex attribute with a value sub-attribute',
      { emails: 'a@b' },
      { emails: [{ value: 'a@b' }] },
    ],
    [
      'bare values inside a multi-valued complex attribute',
      { emails: ['a@b', { value: 'c@d' }] },
      { emails: [{ value: 'a@b' }, { value: 'c@d' }] },
    ],
  ])('tolerates %s', (_what, extra, doc) => {
    expect(user(withUser(extra)).doc).toEqual({ userName: 'bjensen', ...doc });
  });

  it('tolerates bare member ids (Microsoft collection)', () => {
    expect(group({ displayName: 'g', members: ['string id 1', { value: 'u2' }] }).doc.members).toEqual([
      { value: 'string id 1' },
      { value: 'u2' },
    ]);
  });

  it.each([
    ['emails.type', { emails: [{ value: 'a', type: 'personal' }] }],
    ['phoneNumbers.type', { phoneNumbers: [{ value: '1', type: 'satellite' }] }],
    ['ims.type', { ims: [{ value: 'x', type: 'Matrix' }] }],
    ['groups-like free text', { addresses: [{ country: 'DE', type: 'Headquarters' }] }],
  ])('accepts any value for the canonical-valued %s', (_what, extra) => {
    expect(user(withUser(extra)).doc).toEqual({ userName: 'bjensen', ...extra });
  });

  it('accepts any member type', () => {
    expect(group({ displayName: 'g', members: [{ value: 'd1', type: 'Device' }] }).doc.members).toEqual([
      { value: 'd1', type: 'Device' },
    ]);
  });
});

describe('normalizeInput: primary', () => {
  it.each([
    [
      'two primaries: the first keeps it',
      [
        { value: 'a', primary: true },
        { value: 'b', primary: true },
      ],
      [true, true],
      [true, false],
    ],
    [
      'three, counting the string "True"',
      [
        { value: 'a', primary: false },
        { value: 'b', primary: 'True' },
        { value: 'c', primary: true },
        { value: 'd', primary: 'true' },
      ],
      [false, true, true, true],
      [false, true, false, false],
    ],
    ['one primary: unchanged', [{ value: 'a' }, { value: 'b', primary: true }], [undefined, true], [undefined, true]],
    ['no primary: unchanged', [{ value: 'a', primary: false }, { value: 'b' }], [false, undefined], [false, undefined]],
  ])('%s', (_what, emails, _sent, stored) => {
    const result = user(withUser({ emails }));
    expect((result.doc.emails as Record<string, unknown>[]).map((e) => e.primary)).toEqual(stored);
  });

  it('applies to every multi-valued attribute with a primary', () => {
    const result = user(
      withUser({
        addresses: [
          { country: 'DE', primary: true },
          { country: 'FR', primary: true },
        ],
        roles: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      }),
    );
    expect(result.doc.addresses).toEqual([
      { country: 'DE', primary: true },
      { country: 'FR', primary: false },
    ]);
    expect(result.doc.roles).toEqual([
      { value: 'a', primary: true },
      { value: 'b', primary: false },
    ]);
  });
});

describe('normalizeInput: required attributes', () => {
  it.each([
    ['missing', {}],
    ['null', { userName: null }],
    ['an empty string', { userName: '' }],
    ['misspelled', { userame: 'x' }],
  ])('rejects a User whose userName is %s', (_what, body) => {
    const error = errorOf(() => user({ ...body, displayName: 'x' }));
    expect(error.toJSON()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'invalidValue',
      detail: 'Attribute "userName" is required',
    });
  });

  it('says why a PUT must repeat a required attribute', () => {
    expect(errorOf(() => user({ displayName: 'x' }, 'replace')).detail).toBe(
      'Attribute "userName" is required; PUT replaces the whole resource, so it must be sent again',
    );
  });

  it.each([
    ['missing', {}],
    ['empty', { displayName: '' }],
    ['null', { displayName: null }],
  ])('rejects a Group whose displayName is %s', (_what, body) => {
    expect(errorOf(() => group(body)).detail).toBe('Attribute "displayName" is required');
  });

  it.each([['create'], ['replace']] as const)('accepts the minimal body in %s mode', (mode) => {
    expect(user({ userName: 'a' }, mode)).toEqual({ doc: { userName: 'a' }, schemas: [USER_SCHEMA] });
    expect(group({ displayName: 'g' }, mode)).toEqual({ doc: { displayName: 'g' }, schemas: [GROUP_SCHEMA] });
  });
});

describe('normalizeInput: password', () => {
  it.each([
    ['a password', { password: 's3cret!' }, 's3cret!'],
    ['a password in another case', { PassWord: 'p' }, 'p'],
    ['a URN-qualified password', { [`${USER_SCHEMA}:password`]: 'p' }, 'p'],
    ['a password of spaces', { password: '   ' }, '   '],
    ['an empty password', { password: '' }, undefined],
    ['a null password', { password: null }, undefined],
    ['no password', {}, undefined],
  ])('takes %s out of the document', (_what, extra, password) => {
    const result = user(withUser(extra));
    expect(result.password).toBe(password);
    expect(Object.keys(result)).toEqual(password === undefined ? ['doc', 'schemas'] : ['doc', 'password', 'schemas']);
    expect(result.doc).toEqual({ userName: 'bjensen' });
  });

  it.each([[123], [true], [{ value: 'p' }], [['p']]])('rejects the password %j', (password) => {
    const error = errorOf(() => user(withUser({ password })));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain('"password"');
  });

  it('ignores a password sent for a Group', () => {
    expect(group({ displayName: 'g', password: 'p' })).toEqual({ doc: { displayName: 'g' }, schemas: [GROUP_SCHEMA] });
  });
});

describe('normalizeInput: the enterprise manager', () => {
  it.each([
    ['a bare id (Entra validation template)', 'boss-id', { value: 'boss-id' }],
    ['{ value } (Entra SCIM validator)', { value: 'boss-id' }, { value: 'boss-id' }],
    ['{ Value } (Microsoft collection)', { Value: 'boss-id' }, { value: 'boss-id' }],
    [
      'an array with $ref and value (Entra sample code)',
      [{ $ref: 'https://h/scim/Users/boss-id', value: 'boss-id' }],
      { value: 'boss-id' },
    ],
    ['an array: the first element wins', [{ value: 'a' }, { value: 'b' }], { value: 'a' }],
    ['an array of one bare id', ['boss-id'], { value: 'boss-id' }],
    [
      '$ref and displayName besides the value',
      { value: 'boss-id', $ref: 'u', displayName: 'Boss' },
      { value: 'boss-id' },
    ],
    ['an empty string', '', undefined],
    ['null', null, undefined],
    ['an empty array', [], undefined],
    ['an empty value', { value: '' }, undefined],
    ['a null value', { value: null }, undefined],
    ['only a displayName', { displayName: 'Boss' }, undefined],
    ['only a $ref', { $ref: 'https://h/scim/Users/boss-id' }, undefined],
  ])('accepts %s', (_what, manager, stored) => {
    const result = user(withUser({ [ENT]: { manager } }));
    expect(result.doc[ENT]).toEqual(stored === undefined ? undefined : { manager: stored });
    expect(result.schemas).toEqual(stored === undefined ? [USER_SCHEMA] : [USER_SCHEMA, ENT]);
  });

  it.each([
    ['a URN-qualified key', { [`${ENT}:manager`]: 'boss-id' }],
    ['a URN-qualified sub-attribute', { [`${ENT}:manager.value`]: 'boss-id' }],
    ['the legacy dotted key', { [`${ENT}.manager`]: ['boss-id'] }],
    ['"Manager" with "Value" in the extension', { [ENT]: { Manager: { Value: 'boss-id' } } }],
  ])('accepts the manager given as %s', (_what, extra) => {
    expect(user(withUser(extra)).doc[ENT]).toEqual({ manager: { value: 'boss-id' } });
  });
});

describe('normalizeAttributeValue (for the PATCH engine)', () => {
  const resolve = (name: string) => {
    const resolved = registry.resolveName('User', name);
    if (!resolved) throw new Error(`${name} does not resolve`);
    return resolved;
  };

  it.each([
    ['active', 'False', false],
    ['active', '', undefined],
    ['emails', { value: 'a', Primary: 'true' }, [{ value: 'a', primary: true }]],
    ['emails.value', 'a@b', 'a@b'],
    ['name.givenName', null, undefined],
    [`${ENT}:manager`, 'boss', { value: 'boss' }],
    [`${ENT}:manager`, [{ $ref: 'u', value: 'boss' }], { value: 'boss' }],
    [`${ENT}:manager`, '', undefined],
    [`${ENT}:manager.value`, 'boss', 'boss'],
    // The caller must refuse readOnly targets first; their readOnly sub-attributes never survive.
    ['groups', [{ value: 'g', display: 'G' }], undefined],
  ])('%s given %j is %j', (name, value, normalized) => {
    expect(normalizeAttributeValue(registry, resolve(name), value)).toEqual(normalized);
  });

  it('drops readOnly sub-attributes inside the value', () => {
    const groups = registry.resolveName('User', 'emails');
    expect(groups && normalizeAttributeValue(registry, groups, [{ value: 'a@b', display: 'A' }])).toEqual([
      { value: 'a@b', display: 'A' },
    ]);
    const manager = registry.resolveName('User', `${ENT}:manager`);
    expect(manager && normalizeAttributeValue(registry, manager, { value: 'm', displayName: 'Boss' })).toEqual({
      value: 'm',
    });
  });

  it('rejects a wrong type with the path in the detail', () => {
    expect(errorOf(() => normalizeAttributeValue(registry, resolve('active'), 'maybe')).detail).toContain('"active"');
  });
});

describe('isXsdDateTime', () => {
  it.each([
    '2008-01-23T04:56:22Z',
    '2008-01-23T04:56:22',
    '2019-09-18T18:15:26.5788954+00:00',
    '2015-10-10T14:38:21.8617979-07:00',
    '2024-02-29T00:00:00Z',
    '2000-02-29T23:59:59.999+14:00',
    '1999-12-31T24:00:00Z',
    '-0044-03-15T12:00:00Z',
    '12345-01-01T00:00:00Z',
  ])('accepts %s', (value) => {
    expect(isXsdDateTime(value)).toBe(true);
  });

  it.each([
    '2008-01-23',
    '2008-01-23 04:56:22Z',
    '2008-1-23T04:56:22Z',
    '2008-13-01T00:00:00Z',
    '2008-00-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2008-04-31T00:00:00Z',
    '2008-01-32T00:00:00Z',
    '2008-01-23T25:00:00Z',
    '2008-01-23T24:00:01Z',
    '2008-01-23T24:00:00.5Z',
    '2008-01-23T23:60:00Z',
    '2008-01-23T23:59:60Z',
    '2008-01-23T04:56:22+15:00',
    '2008-01-23T04:56:22+14:30',
    '2008-01-23T04:56:22+05:60',
    '2008-01-23T04:56:22.Z',
    '2008-01-23T04:56:22z',
    '02008-01-23T04:56:22Z',
    'yesterday',
    '',
  ])('rejects %s', (value) => {
    expect(isXsdDateTime(value)).toBe(false);
  });
});

describe('input limits', () => {
  const nest = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
    return value;
  };

  it.each([
    ['a body nested 8 levels deep', nest(8), true],
    ['a body nested 9 levels deep', nest(9), false],
    [`${INPUT_LIMITS.maxValues} values`, { list: Array.from({ length: INPUT_LIMITS.maxValues - 2 }, () => 1) }, true],
    [
      `${INPUT_LIMITS.maxValues + 1} values`,
      { list: Array.from({ length: INPUT_LIMITS.maxValues - 1 }, () => 1) },
      false,
    ],
    ['a 64 KiB string', { s: 'a'.repeat(64 * 1024) }, true],
    ['a string one byte over 64 KiB', { s: 'a'.repeat(64 * 1024 + 1) }, false],
    ['a string of two-byte characters over 64 KiB', { s: 'é'.repeat(32 * 1024 + 1) }, false],
    ['a string of two-byte characters at 64 KiB', { s: 'é'.repeat(32 * 1024) }, true],
    ['a string of surrogate pairs over 64 KiB', { s: '😀'.repeat(16 * 1024 + 1) }, false],
    ['a string of surrogate pairs at 64 KiB', { s: '😀'.repeat(16 * 1024) }, true],
    ['an attribute name over 64 KiB', { ['k'.repeat(64 * 1024 + 1)]: 1 }, false],
  ])('%s: within limits is %s', (_what, value, ok) => {
    if (ok) {
      expect(() => assertInputLimits(value)).not.toThrow();
    } else {
      const error = errorOf(() => assertInputLimits(value));
      expect(error.scimType).toBe('invalidValue');
      expect(error.status).toBe(400);
    }
  });

  it.each([
    ['too deep', withUser({ name: nest(8) }), /nested deeper than 8 levels/],
    [
      'too many values',
      withUser({ emails: Array.from({ length: 5000 }, (_, i) => ({ value: `u${i}@x` })) }),
      /more than 10000 values/,
    ],
    ['a too long string', withUser({ displayName: 'x'.repeat(70_000) }), /longer than 65536 bytes/],
  ])('normalizeInput rejects a body that is %s, before looking at its attributes', (_what, body, detail) => {
    const error = errorOf(() => user(body));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toMatch(detail);
  });
});

/**
 * A registry with attributes RFC 7643's own schemas do not have (integer, decimal, dateTime,
 * binary, immutable), so those rules are tested too.
 */
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
          attr('count', 'integer'),
          attr('ratio', 'decimal'),
          attr('since', 'dateTime'),
          attr('blob', 'binary'),
          attr('scores', 'integer', { multiValued: true }),
          attr('code', 'string', { mutability: 'immutable' }),
          attr('token', 'string', { mutability: 'immutable', caseExact: true }),
          attr('born', 'dateTime', { mutability: 'immutable' }),
          attr('badge', 'complex', {
            subAttributes: [attr('serial', 'string', { mutability: 'immutable' }), attr('label', 'string')],
          }),
          attr('keys', 'string', { multiValued: true, mutability: 'immutable' }),
          attr('cards', 'complex', {
            multiValued: true,
            subAttributes: [attr('value', 'string', { mutability: 'immutable' })],
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
        schemaExtensions: [{ schema: 'urn:example:lab:ext', required: true }],
      },
    ],
  });
}

describe('normalizeInput: integer, decimal, dateTime, binary (lab schema)', () => {
  const lab = labRegistry();
  const labUser = (extra: Record<string, unknown>) =>
    normalizeInput(lab, 'User', { userName: 'u', ...extra }, 'create');

  it.each([
    ['count', 0],
    ['count', -12],
    ['count', 9007199254740991],
    ['ratio', 0.5],
    ['ratio', 3],
    ['ratio', -1e-9],
    ['since', '2008-01-23T04:56:22Z'],
    ['since', '2019-09-18T18:15:26.5788954+00:00'],
    ['blob', 'TUlJQ0l6Q0NBY3VnQXdJQkFnSUo='],
    ['scores', [1, 2, 3]],
  ])('accepts %s: %j unchanged', (name, value) => {
    expect(labUser({ [name]: value }).doc[name]).toEqual(value);
  });

  it.each([
    ['count', '12.5', 'integer'],
    ['count', 'twelve', 'integer'],
    ['count', 1.5, 'integer'],
    ['count', true, 'integer'],
    ['count', Number.NaN, 'integer'],
    ['ratio', '0.5x', 'decimal'],
    ['ratio', Number.POSITIVE_INFINITY, 'decimal'],
    ['ratio', false, 'decimal'],
    ['since', '23/01/2008', 'xsd:dateTime'],
    ['since', 1200000000, 'xsd:dateTime'],
    ['since', '2008-02-30T00:00:00Z', 'xsd:dateTime'],
    ['blob', 42, 'string'],
    ['scores', ['one'], 'integer'],
  ])('rejects %s: %j, expecting %s', (name, value, expectedType) => {
    const error = errorOf(() => labUser({ [name]: value }));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(`"${name}"`);
    expect(error.detail).toContain(expectedType);
  });

  it.each([
    ['count', '12', 12],
    ['count', ' -3 ', -3],
    ['ratio', '0.5', 0.5],
    ['ratio', '2e3', 2000],
    ['scores', ['1', 2], [1, 2]],
  ])("coerces Entra's string-typed number %s: %j", (name, value, expected) => {
    expect(labUser({ [name]: value }).doc[name]).toEqual(expected);
  });

  it('wraps a single value for a multi-valued simple attribute', () => {
    expect(labUser({ scores: 7 }).doc.scores).toEqual([7]);
  });

  it('requires the attributes of a required extension, even when the extension is absent', () => {
    expect(errorOf(() => normalizeInput(lab, 'Group', { displayName: 'g' }, 'create')).detail).toBe(
      'Attribute "urn:example:lab:ext:level" is required',
    );
    expect(normalizeInput(lab, 'Group', { displayName: 'g', 'urn:example:lab:ext': { level: 2 } }, 'create')).toEqual({
      doc: { displayName: 'g', 'urn:example:lab:ext': { level: 2 } },
      schemas: ['urn:example:lab:Group', 'urn:example:lab:ext'],
    });
  });

  it('requires the attributes of an optional extension only when the extension is sent', () => {
    expect(labUser({}).schemas).toEqual(['urn:example:lab:User']);
    expect(errorOf(() => labUser({ 'urn:example:lab:ext': { ref: 'r' } })).detail).toBe(
      'Attribute "urn:example:lab:ext:level" is required',
    );
  });
});

describe('checkImmutable', () => {
  const lab = labRegistry();

  it.each([
    ['an unchanged value', { code: 'a' }, { code: 'a' }],
    ['a value differing only in case (caseExact false)', { code: 'abc' }, { code: 'ABC' }],
    ['a first value', {}, { code: 'a' }],
    ['the same instant written differently', { born: '2008-01-23T04:56:22Z' }, { born: '2008-01-23T05:56:22+01:00' }],
    ['a changed readWrite attribute', { count: 1 }, { count: 2 }],
    ['an immutable multi-valued attribute in another order', { keys: ['a', 'b'] }, { keys: ['b', 'a'] }],
    [
      'changed elements of a multi-valued attribute with immutable sub-attributes',
      { cards: [{ value: 'a' }] },
      { cards: [{ value: 'b' }] },
    ],
    [
      'an immutable sub-attribute set for the first time',
      { badge: { label: 'x' } },
      { badge: { serial: 's', label: 'x' } },
    ],
    [
      'a readWrite sub-attribute of the same complex changed',
      { badge: { serial: 's', label: 'x' } },
      { badge: { serial: 's', label: 'y' } },
    ],
    [
      'an extension attribute unchanged',
      { 'urn:example:lab:ext': { ref: 'r', level: 1 } },
      { 'urn:example:lab:ext': { ref: 'r', level: 2 } },
    ],
  ])('allows %s', (_what, before, after) => {
    expect(() => checkImmutable(lab, 'User', { userName: 'u', ...before }, { userName: 'u', ...after })).not.toThrow();
  });

  it.each([
    ['a changed value', { code: 'a' }, { code: 'b' }, 'code'],
    ['a removed value', { code: 'a' }, {}, 'code'],
    ['a value differing in case (caseExact true)', { token: 'abc' }, { token: 'ABC' }, 'token'],
    ['a changed instant', { born: '2008-01-23T04:56:22Z' }, { born: '2008-01-23T04:56:23Z' }, 'born'],
    ['a changed multi-valued attribute', { keys: ['a', 'b'] }, { keys: ['a', 'c'] }, 'keys'],
    ['a shorter multi-valued attribute', { keys: ['a', 'b'] }, { keys: ['a'] }, 'keys'],
    ['a changed immutable sub-attribute', { badge: { serial: 's1' } }, { badge: { serial: 's2' } }, 'badge.serial'],
    ['a removed complex holding an immutable sub-attribute', { badge: { serial: 's1' } }, {}, 'badge.serial'],
    [
      'a changed extension attribute',
      { 'urn:example:lab:ext': { ref: 'r1' } },
      { 'urn:example:lab:ext': { ref: 'r2' } },
      'urn:example:lab:ext:ref',
    ],
    ['a removed extension', { 'urn:example:lab:ext': { ref: 'r1' } }, {}, 'urn:example:lab:ext:ref'],
  ])('rejects %s with scimType mutability', (_what, before, after, path) => {
    const error = errorOf(() => checkImmutable(lab, 'User', { userName: 'u', ...before }, { userName: 'u', ...after }));
    expect(error.toJSON()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'mutability',
      detail: `Attribute "${path}" is immutable and cannot be changed once set`,
    });
  });

  it('lets group members come and go: their sub-attributes are immutable per member, not per list', () => {
    const before = group({ displayName: 'g', members: [{ value: 'u1', type: 'User' }, { value: 'u2' }] }).doc;
    const after = group({ displayName: 'g', members: [{ value: 'u3', type: 'Group' }] }).doc;
    expect(() => checkImmutable(registry, 'Group', before, after)).not.toThrow();
  });

  it('accepts any change to the RFC User, which has no immutable attributes', () => {
    const before = user(traces.msPostEnterpriseUser()).doc;
    const after = user(traces.oktaCreate()).doc;
    expect(() => checkImmutable(registry, 'User', before, after)).not.toThrow();
  });
});

describe('strings PostgreSQL cannot store', () => {
  const registry = new SchemaRegistry();
  it.each([
    ['a NUL character', 'bad\u0000name'],
    ['an unpaired high surrogate', 'bad\ud800name'],
    ['an unpaired low surrogate', 'bad\udc00name'],
  ])('refuses %s with invalidValue', (_, nickName) => {
    expect(() => normalizeInput(registry, 'User', { userName: 'u', nickName }, 'create')).toThrow(
      expect.objectContaining({ status: 400, scimType: 'invalidValue' }),
    );
  });

  it('accepts a proper surrogate pair', () => {
    expect(
      normalizeInput(registry, 'User', { userName: 'u', nickName: 'emoji \ud83d\ude00' }, 'create').doc.nickName,
    ).toBe('emoji \ud83d\ude00');
  });
});

describe('the member limit: one number, whatever the members carry (issue 10, finding 9)', () => {
  const full = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      value: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      display: `Member ${i}`,
      type: 'User',
      $ref: `https://roster.example.com/v2/Users/${i}`,
    }));
  const patch = (operations: unknown[]) => ({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: operations,
  });

  it.each([
    ['a group body', (n: number) => ({ schemas: [GROUP_SCHEMA], displayName: 'g', members: full(n) })],
    ['a PATCH add on members', (n: number) => patch([{ op: 'add', path: 'members', value: full(n) }])],
    [
      'a PATCH replace on Members (any case)',
      (n: number) => patch([{ op: 'Replace', path: 'Members', value: full(n) }]),
    ],
    ['a pathless PATCH', (n: number) => patch([{ op: 'add', value: { members: full(n) } }])],
    [
      'members split over operations',
      (n: number) =>
        patch([
          { op: 'add', path: 'members', value: full(n - 1) },
          { op: 'add', path: 'members', value: full(1) },
        ]),
    ],
  ])(`%s may name ${MAX_MEMBERS_PER_REQUEST} members with every sub-attribute, and no more`, (_what, body) => {
    expect(() => assertInputLimits(body(MAX_MEMBERS_PER_REQUEST))).not.toThrow();
    const error = errorOf(() => assertInputLimits(body(MAX_MEMBERS_PER_REQUEST + 1)));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toBe(
      `A request may name at most ${MAX_MEMBERS_PER_REQUEST} members; send larger sets in several requests.`,
    );
  });

  it('bounds what one member element may hold, and its nesting', () => {
    const fat = {
      schemas: [GROUP_SCHEMA],
      members: [Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))],
    };
    expect(errorOf(() => assertInputLimits(fat)).detail).toMatch(/A member holds more than 8 values/);
    const deep = { a: { b: { c: { d: { e: { f: { members: [{ value: 'x' }] } } } } } } };
    expect(errorOf(() => assertInputLimits(deep)).detail).toMatch(/nested deeper than 8 levels/);
  });

  it('still counts everything else against the value limit', () => {
    const body = {
      schemas: [GROUP_SCHEMA],
      members: full(10),
      emails: Array.from({ length: INPUT_LIMITS.maxValues }, () => 1),
    };
    expect(errorOf(() => assertInputLimits(body)).detail).toMatch(/more than 10000 values/);
  });
});

describe('normalizeInput: extension URNs nobody registered (SCHEMA_UNKNOWN_EXTENSIONS)', () => {
  const UNKNOWN = 'urn:example:custom:2.0:User';
  const bodies: [string, Record<string, unknown>][] = [
    ['the nested form', withUser({ [UNKNOWN]: { tag: 'x' } })],
    ["Entra's flat form", withUser({ [`${UNKNOWN}:tag`]: 'x' })],
    [
      "Entra's misspelled enterprise URN used as a key",
      withUser({ 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User': { department: 'x' } }),
    ],
  ];
  const withMode = (mode: 'reject' | 'store' | 'ignore', seen: string[] = []) => {
    const r = new SchemaRegistry();
    r.setUnknownExtensions({ mode, onIgnored: (urn) => seen.push(urn) });
    return r;
  };

  it.each(bodies)('reject (the default) refuses %s, naming the URN', (_what, body) => {
    const error = errorOf(() => user(body));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toMatch(/urn:\S+ is not registered|" is not registered/);
  });

  it.each(bodies)('ignore drops %s and reports the URN', (_what, body) => {
    const seen: string[] = [];
    const result = normalizeInput(withMode('ignore', seen), 'User', body, 'create');
    expect(result.doc).toEqual({ userName: 'bjensen' });
    expect(seen).toHaveLength(1);
  });

  it('store keeps both forms verbatim under the URN and lists it in schemas', () => {
    const result = normalizeInput(
      withMode('store'),
      'User',
      withUser({ [UNKNOWN]: { tag: 'x', deep: { a: [1] } }, [`${UNKNOWN}:flat`]: true }),
      'create',
    );
    expect(result.doc[UNKNOWN]).toEqual({ tag: 'x', deep: { a: [1] }, flat: true });
    expect(result.schemas).toEqual([USER_SCHEMA, UNKNOWN]);
  });

  it.each([
    ['the core schema URN', withUser({ [USER_SCHEMA]: { nickName: 'n' } })],
    [
      'an attribute of the other resource type',
      withUser({ 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName': 'x' }),
    ],
    ['an unknown attribute of a known extension (flat)', withUser({ [`${ENT}:shoeSize`]: 9 })],
    [
      'a URN only in schemas',
      withUser({ schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'] }),
    ],
  ])('never counts %s as an unregistered extension', (_what, body) => {
    expect(() => user(body)).not.toThrow();
  });
});
