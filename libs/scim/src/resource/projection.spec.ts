import type { Filter, PathExpression } from '../filter/ast';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  ROSTER_GROUP_SCHEMA,
  USER_SCHEMA,
} from '../schema/definitions';
import { SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, AttributeType } from '../schema/types';
import { normalizeInput } from './normalize';
import { compileProjection, project, wantsAttribute, type ProjectionOptions } from './projection';

const registry = new SchemaRegistry();
const ENT = ENTERPRISE_USER_SCHEMA;

/** `name.givenName`, `urn:…:User:manager.value`, `urn:…:enterprise:2.0:User` as a parser would split them. */
function path(text: string): PathExpression {
  let uri: string | undefined;
  let rest = text;
  if (text.startsWith('urn:')) {
    const at = text.lastIndexOf(':');
    uri = text.slice(0, at);
    rest = text.slice(at + 1);
  }
  const [attr, sub] = rest.split('.');
  return { path: { ...(uri ? { uri } : {}), attr, ...(sub ? { sub } : {}) } };
}

const names = (...texts: string[]): PathExpression[] => texts.map(path);

const eq = (attr: string, value: string): Filter => ({ kind: 'compare', path: { attr }, op: 'eq', value });

/** `attr[sub eq "value"]` or `attr[sub eq "value"].after`. */
function valuePath(attr: string, filter: Filter, after?: string): PathExpression {
  return { path: { attr }, filter, ...(after ? { sub: after } : {}) };
}

/** Enough of a filter evaluator for these tests: `eq` on one sub-attribute, case-insensitive names. */
function matchElement(filter: Filter, element: Record<string, unknown>): boolean {
  if (filter.kind !== 'compare' || filter.op !== 'eq') throw new Error('test matcher handles eq only');
  const key = Object.keys(element).find((k) => k.toLowerCase() === filter.path.attr.toLowerCase());
  return key !== undefined && element[key] === filter.value;
}

/** A user as the service stores and returns it: normalised input plus id and meta. */
function storedUser(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { doc, schemas } = normalizeInput(
    registry,
    'User',
    {
      userName: 'bjensen',
      externalId: 'bj-1',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
      displayName: 'Babs Jensen',
      active: true,
      emails: [
        { value: 'bjensen@example.com', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ],
      phoneNumbers: [{ value: '555-555-8377', type: 'work' }],
      [ENT]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'boss-1' } },
      ...extra,
    },
    'create',
  );
  const ext = doc[ENT] as Record<string, unknown> | undefined;
  return {
    schemas,
    id: 'u-1',
    ...doc,
    ...(ext
      ? { [ENT]: { ...ext, manager: { value: 'boss-1', displayName: 'John Smith', $ref: '../Users/boss-1' } } }
      : {}),
    groups: [{ value: 'g-1', display: 'Tour Guides', $ref: '../Groups/g-1', type: 'direct' }],
    meta: {
      resourceType: 'User',
      created: '2010-01-23T04:56:22Z',
      lastModified: '2011-05-13T04:42:34Z',
      location: 'https://h/v2/Users/u-1',
      version: 'W/"3"',
    },
  };
}

function storedGroup(): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA, ROSTER_GROUP_SCHEMA],
    id: 'g-1',
    displayName: 'Tour Guides',
    members: [
      { value: 'u-1', display: 'Babs Jensen', type: 'User', $ref: 'https://h/v2/Users/u-1' },
      { value: 'g-2', display: 'Night shift', type: 'Group', $ref: 'https://h/v2/Groups/g-2' },
    ],
    [ROSTER_GROUP_SCHEMA]: { logo: 'https://h/v2/Groups/g-1/Logo' },
    meta: { resourceType: 'Group', location: 'https://h/v2/Groups/g-1' },
  };
}

const projectUser = (options: ProjectionOptions, resource = storedUser()) =>
  project(registry, 'User', resource, options);
const projectGroup = (options: ProjectionOptions) => project(registry, 'Group', storedGroup(), options);

describe('project: defaults (no attributes, no excludedAttributes)', () => {
  it('returns every default attribute, schemas first', () => {
    const resource = storedUser();
    const projected = projectUser({});
    expect(projected).toEqual(resource);
    expect(Object.keys(projected)[0]).toBe('schemas');
  });

  it.each([
    ['an empty options object', {}],
    ['empty lists', { attributes: [], excludedAttributes: [] }],
  ])('treats %s as no projection', (_what, options) => {
    expect(projectUser(options)).toEqual(storedUser());
  });

  it('never returns the password, even if one slipped into the document', () => {
    const projected = projectUser({}, { ...storedUser(), password: 'secret' });
    expect(projected).not.toHaveProperty('password');
    expect(JSON.stringify(projected)).not.toContain('secret');
  });

  it('drops nulls, unknown keys, unknown sub-attributes and empty extension objects', () => {
    const projected = projectUser(
      {},
      {
        schemas: [USER_SCHEMA, ENT, 'urn:example:stale'],
        id: 'u-1',
        userName: 'a',
        displayName: null,
        nickName: undefined,
        adreses: [{ country: 'x' }],
        emails: [{ value: 'a@b', label: 'x', type: null }, null],
        name: { givenName: 'g', nickName: 'n' },
        [ENT]: { tag: 'x' },
        'urn:example:stale': { a: 1 },
      },
    );
    expect(projected).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u-1',
      userName: 'a',
      emails: [{ value: 'a@b' }],
      name: { givenName: 'g' },
    });
  });

  it('answers with canonical names whatever case the stored keys have', () => {
    expect(
      projectUser({}, { ID: 'u-1', USERNAME: 'a', Name: { GivenName: 'g' }, [ENT.toUpperCase()]: { Department: 'd' } }),
    ).toEqual({
      schemas: [USER_SCHEMA, ENT],
      id: 'u-1',
      userName: 'a',
      name: { givenName: 'g' },
      [ENT]: { department: 'd' },
    });
  });

  it('lists in schemas only the extensions present, whatever the stored schemas said', () => {
    const { [ENT]: _extension, ...withoutExtension } = storedUser();
    expect(projectUser({}, withoutExtension).schemas).toEqual([USER_SCHEMA]);
    expect(projectUser({}, { ...withoutExtension, schemas: undefined }).schemas).toEqual([USER_SCHEMA]);
  });

  it('does not modify the resource', () => {
    const resource = storedUser();
    const copy = structuredClone(resource);
    projectUser({ attributes: names('emails.value'), excludedAttributes: names('name') }, resource);
    projectUser({ excludedAttributes: [valuePath('emails', eq('type', 'work'))], matchElement }, resource);
    expect(resource).toEqual(copy);
  });

  it('returns the Roster group extension by default', () => {
    expect(projectGroup({})).toEqual(storedGroup());
  });
});

describe('project: attributes', () => {
  const user = storedUser();
  const extension = user[ENT] as Record<string, unknown>;

  it.each([
    ['userName', names('userName'), { userName: 'bjensen' }],
    ['id alone', names('id'), {}],
    ['an unknown attribute', names('adreses'), {}],
    [
      'userName,emails (Microsoft collection)',
      names('userName', 'emails'),
      { userName: 'bjensen', emails: user.emails },
    ],
    ['a sub-attribute', names('name.givenName'), { name: { givenName: 'Barbara' } }],
    [
      'names in another case',
      names('NAME.GIVENNAME', 'UserName'),
      { userName: 'bjensen', name: { givenName: 'Barbara' } },
    ],
    [
      'two sub-attributes',
      names('name.givenName', 'name.familyName'),
      { name: { familyName: 'Jensen', givenName: 'Barbara' } },
    ],
    ['a sub-attribute and its parent', names('name.givenName', 'name'), { name: user.name }],
    [
      'a sub-attribute of a multi-valued attribute',
      names('emails.value'),
      { emails: [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }] },
    ],
    ['meta', names('meta'), { meta: user.meta }],
    ['meta.created', names('meta.created'), { meta: { created: '2010-01-23T04:56:22Z' } }],
    ['externalId', names('externalId'), { externalId: 'bj-1' }],
    ['groups', names('groups'), { groups: user.groups }],
    ['the password', names('password'), {}],
    ['a URN-qualified core attribute', names(`${USER_SCHEMA}:userName`), { userName: 'bjensen' }],
    ['a URN-qualified extension attribute', names(`${ENT}:department`), { [ENT]: { department: 'Tour Operations' } }],
    ['an unqualified extension attribute', names('department'), { [ENT]: { department: 'Tour Operations' } }],
    [
      'a URN-qualified extension sub-attribute',
      names(`${ENT}:manager.value`),
      { [ENT]: { manager: { value: 'boss-1' } } },
    ],
    ['the whole extension', names(ENT), { [ENT]: extension }],
    ['the whole extension in another case', names(ENT.toLowerCase()), { [ENT]: extension }],
    ['the whole extension and one of its attributes', names(`${ENT}:department`, ENT), { [ENT]: extension }],
  ])('%s', (_what, attributes, rest) => {
    const projected = projectUser({ attributes });
    const schemas = rest[ENT as keyof typeof rest] ? [USER_SCHEMA, ENT] : [USER_SCHEMA];
    expect(projected).toEqual({ schemas, id: 'u-1', ...rest });
  });

  it('keeps id and schemas even when only other attributes are asked for (Entra: attributes=id)', () => {
    expect(Object.keys(projectUser({ attributes: names('displayName') }))).toEqual(['schemas', 'id', 'displayName']);
  });

  it('returns nothing of an attribute the resource does not have', () => {
    expect(projectUser({ attributes: names('nickName', `${ENT}:costCenter`) })).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u-1',
    });
  });

  it('returns the group members when asked, and only what was asked', () => {
    expect(projectGroup({ attributes: names('displayName') })).toEqual({
      schemas: [GROUP_SCHEMA],
      id: 'g-1',
      displayName: 'Tour Guides',
    });
    expect(projectGroup({ attributes: names('members.value') })).toEqual({
      schemas: [GROUP_SCHEMA],
      id: 'g-1',
      members: [{ value: 'u-1' }, { value: 'g-2' }],
    });
    expect(projectGroup({ attributes: names(ROSTER_GROUP_SCHEMA) })).toEqual({
      schemas: [GROUP_SCHEMA, ROSTER_GROUP_SCHEMA],
      id: 'g-1',
      [ROSTER_GROUP_SCHEMA]: { logo: 'https://h/v2/Groups/g-1/Logo' },
    });
  });
});

describe('project: valuePath entries in attributes', () => {
  const work = eq('type', 'work');
  const workEmail = { value: 'bjensen@example.com', type: 'work', primary: true };
  const homeEmail = { value: 'babs@jensen.org', type: 'home' };

  it.each([
    [
      'emails[type eq "work"] without a matcher keeps every email',
      [valuePath('emails', work)],
      undefined,
      [workEmail, homeEmail],
    ],
    ['emails[type eq "work"] keeps the work email', [valuePath('emails', work)], matchElement, [workEmail]],
    [
      'emails[value eq "babs@jensen.org"] keeps that email (Microsoft collection)',
      [valuePath('emails', eq('value', 'babs@jensen.org'))],
      matchElement,
      [homeEmail],
    ],
    [
      'emails[type eq "work"].value keeps its value',
      [valuePath('emails', work, 'value')],
      matchElement,
      [{ value: 'bjensen@example.com' }],
    ],
    [
      'emails[type eq "work"].value without a matcher keeps every value',
      [valuePath('emails', work, 'value')],
      undefined,
      [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }],
    ],
    [
      'emails[type eq "work"] and emails.type: the other email keeps its type',
      [valuePath('emails', work), ...names('emails.type')],
      matchElement,
      [workEmail, { type: 'home' }],
    ],
    [
      'emails[type eq "work"] and emails: every email',
      [valuePath('emails', work), ...names('emails')],
      matchElement,
      [workEmail, homeEmail],
    ],
    ['a filter matching nothing', [valuePath('emails', eq('type', 'other'))], matchElement, undefined],
    [
      'a sub-attribute after the bracket that does not exist',
      [valuePath('emails', work, 'street')],
      matchElement,
      undefined,
    ],
  ])('%s', (_what, attributes, matcher, emails) => {
    const projected = projectUser({ attributes, ...(matcher ? { matchElement: matcher } : {}) });
    expect(projected.emails).toEqual(emails);
    expect(projected.id).toBe('u-1');
  });

  it('applies a filter to a single-valued complex attribute as to its one element', () => {
    expect(projectUser({ attributes: [valuePath('name', eq('givenName', 'Barbara'))], matchElement }).name).toEqual({
      formatted: 'Ms. Barbara J Jensen III',
      familyName: 'Jensen',
      givenName: 'Barbara',
    });
    expect(projectUser({ attributes: [valuePath('name', eq('givenName', 'Bob'))], matchElement })).not.toHaveProperty(
      'name',
    );
  });

  it('keeps only the matching group members', () => {
    expect(projectGroup({ attributes: [valuePath('members', eq('value', 'g-2'))], matchElement }).members).toEqual([
      { value: 'g-2', display: 'Night shift', type: 'Group', $ref: 'https://h/v2/Groups/g-2' },
    ]);
  });
});

describe('project: excludedAttributes', () => {
  const user = storedUser();

  it.each([
    ['name', names('name'), ['name']],
    ['names in another case', names('NAME', 'Emails'), ['name', 'emails']],
    ['meta', names('meta'), ['meta']],
    ['groups', names('groups'), ['groups']],
    ['the whole extension', names(ENT), [ENT]],
    ['every attribute of the extension', names(`${ENT}:department`, `${ENT}:manager`, `${ENT}:employeeNumber`), [ENT]],
    ['an unknown attribute', names('adreses'), []],
  ])('removes %s', (_what, excludedAttributes, removed) => {
    const projected = projectUser({ excludedAttributes });
    const expected = { ...user };
    for (const key of removed) delete expected[key];
    expected.schemas = removed.includes(ENT) ? [USER_SCHEMA] : [USER_SCHEMA, ENT];
    expect(projected).toEqual(expected);
  });

  it.each([
    ['id', names('id')],
    ['schemas', names('schemas')],
    ['id in another case', names('ID')],
  ])('never removes %s', (_what, excludedAttributes) => {
    const projected = projectUser({ excludedAttributes });
    expect(projected.id).toBe('u-1');
    expect(projected.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it('removes a sub-attribute and keeps the rest of the complex value', () => {
    const projected = projectUser({
      excludedAttributes: names('name.givenName', 'emails.primary', `${ENT}:manager.displayName`),
    });
    expect(projected.name).toEqual({ formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen' });
    expect(projected.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
    expect((projected[ENT] as Record<string, unknown>).manager).toEqual({ value: 'boss-1', $ref: '../Users/boss-1' });
  });

  it('removes a complex value whose sub-attributes are all excluded', () => {
    const projected = projectUser({ excludedAttributes: names('phoneNumbers.value', 'phoneNumbers.type') });
    expect(projected).not.toHaveProperty('phoneNumbers');
  });

  it.each([
    ['without a matcher keeps every email', undefined, 2],
    ['with a matcher removes the work email', matchElement, 1],
  ])('emails[type eq "work"] %s', (_what, matcher, count) => {
    const projected = projectUser({
      excludedAttributes: [valuePath('emails', eq('type', 'work'))],
      ...(matcher ? { matchElement: matcher } : {}),
    });
    expect(projected.emails).toHaveLength(count);
  });

  it('emails[type eq "work"].value removes the value of the work email only', () => {
    expect(
      projectUser({ excludedAttributes: [valuePath('emails', eq('type', 'work'), 'value')], matchElement }).emails,
    ).toEqual([
      { type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
  });

  it('excludedAttributes=members leaves no members key on a group (Entra, Microsoft validator)', () => {
    const projected = projectGroup({ excludedAttributes: names('members') });
    expect(projected).toEqual({
      schemas: [GROUP_SCHEMA, ROSTER_GROUP_SCHEMA],
      id: 'g-1',
      displayName: 'Tour Guides',
      [ROSTER_GROUP_SCHEMA]: { logo: 'https://h/v2/Groups/g-1/Logo' },
      meta: { resourceType: 'Group', location: 'https://h/v2/Groups/g-1' },
    });
    expect(Object.keys(projected)).not.toContain('members');
  });

  it('removes the Roster extension and its schema URN', () => {
    expect(projectGroup({ excludedAttributes: names(`${ROSTER_GROUP_SCHEMA}:logo`) }).schemas).toEqual([GROUP_SCHEMA]);
  });

  it('with attributes too, removes from what attributes selected', () => {
    expect(
      projectUser({ attributes: names('name', 'userName'), excludedAttributes: names('name.formatted', 'userName') }),
    ).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u-1',
      name: { familyName: 'Jensen', givenName: 'Barbara' },
    });
  });
});

/** Attributes with `returned` always, request and never, which the RFC schemas barely use. */
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
  const lab = (id: string, name: string, attributes: AttributeDefinition[]) => ({
    id,
    name,
    description: name,
    attributes,
  });
  return new SchemaRegistry({
    commonAttributes: COMMON_ATTRIBUTES,
    schemas: [
      lab('urn:example:lab:User', 'User', [
        attr('userName', 'string', { returned: 'always' }),
        attr('nickName', 'string'),
        attr('secret', 'string', { returned: 'never' }),
        attr('note', 'string', { returned: 'request' }),
        attr('card', 'complex', {
          multiValued: true,
          subAttributes: [
            attr('number', 'string', { returned: 'always' }),
            attr('label', 'string'),
            attr('pin', 'string', { returned: 'never' }),
            attr('hint', 'string', { returned: 'request' }),
          ],
        }),
      ]),
      lab('urn:example:lab:Group', 'Group', [attr('displayName', 'string')]),
      lab('urn:example:lab:ext', 'Ext', [attr('level', 'integer'), attr('audit', 'string', { returned: 'request' })]),
    ],
    resourceTypes: [
      {
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User',
        schema: 'urn:example:lab:User',
        schemaExtensions: [{ schema: 'urn:example:lab:ext', required: false }],
      },
      {
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: 'urn:example:lab:Group',
        schemaExtensions: [],
      },
    ],
  });
}

describe('project: returned always, request and never (lab schema)', () => {
  const lab = labRegistry();
  const EXT = 'urn:example:lab:ext';
  const resource = {
    id: 'u-1',
    userName: 'u',
    nickName: 'n',
    secret: 's',
    note: 'remember',
    card: [{ number: '4111', label: 'main', pin: '1234', hint: 'birthday' }],
    [EXT]: { level: 3, audit: 'a' },
  };
  const labProject = (options: ProjectionOptions) => project(lab, 'User', resource, options);

  it.each([
    [
      'by default: always and default, not request, never never',
      {},
      { id: 'u-1', userName: 'u', nickName: 'n', card: [{ number: '4111', label: 'main' }], [EXT]: { level: 3 } },
    ],
    [
      'attributes=nickName keeps the always-returned userName',
      { attributes: names('nickName') },
      { id: 'u-1', userName: 'u', nickName: 'n' },
    ],
    [
      'attributes=note returns the request-only attribute',
      { attributes: names('note') },
      { id: 'u-1', userName: 'u', note: 'remember' },
    ],
    ['attributes=secret still hides it', { attributes: names('secret') }, { id: 'u-1', userName: 'u' }],
    [
      'attributes=card leaves out request and never sub-attributes',
      { attributes: names('card') },
      { id: 'u-1', userName: 'u', card: [{ number: '4111', label: 'main' }] },
    ],
    [
      'attributes=card.hint adds the always sub-attribute',
      { attributes: names('card.hint') },
      { id: 'u-1', userName: 'u', card: [{ number: '4111', hint: 'birthday' }] },
    ],
    [
      'attributes=card.pin returns the always sub-attribute only',
      { attributes: names('card.pin') },
      { id: 'u-1', userName: 'u', card: [{ number: '4111' }] },
    ],
    [
      'the whole extension leaves out its request attribute',
      { attributes: names(EXT) },
      { id: 'u-1', userName: 'u', [EXT]: { level: 3 } },
    ],
    [
      'the request attribute of an extension by name',
      { attributes: names(`${EXT}:audit`) },
      { id: 'u-1', userName: 'u', [EXT]: { audit: 'a' } },
    ],
    [
      'excludedAttributes=userName cannot remove it',
      { excludedAttributes: names('userName', 'card.number') },
      { id: 'u-1', userName: 'u', nickName: 'n', card: [{ number: '4111', label: 'main' }], [EXT]: { level: 3 } },
    ],
  ])('%s', (_what, options, expected) => {
    const projected = labProject(options);
    const { [EXT]: extension } = expected as Record<string, unknown>;
    expect(projected).toEqual({
      schemas: extension ? ['urn:example:lab:User', EXT] : ['urn:example:lab:User'],
      ...expected,
    });
  });
});

describe('wantsAttribute', () => {
  const work = valuePath('members', eq('value', 'u-1'));

  it.each([
    ['Group', {}, 'members', true],
    ['Group', { excludedAttributes: names('members') }, 'members', false],
    ['Group', { excludedAttributes: names('Members') }, 'members', false],
    ['Group', { excludedAttributes: names('members.display') }, 'members', true],
    ['Group', { excludedAttributes: names('members.display') }, 'members.display', false],
    ['Group', { excludedAttributes: names('members.display') }, 'members.value', true],
    ['Group', { excludedAttributes: [work] }, 'members', true],
    ['Group', { attributes: names('displayName') }, 'members', false],
    ['Group', { attributes: names('members') }, 'members', true],
    ['Group', { attributes: names('members.value') }, 'members', true],
    ['Group', { attributes: names('members.value') }, 'members.value', true],
    ['Group', { attributes: names('members.value') }, 'members.display', false],
    ['Group', { attributes: [work] }, 'members', true],
    ['Group', { attributes: [work] }, 'members.display', true],
    ['Group', { attributes: [valuePath('members', eq('value', 'u-1'), 'value')] }, 'members.display', false],
    ['Group', { attributes: names('displayName') }, 'id', true],
    ['Group', { excludedAttributes: names('id') }, 'id', true],
    ['Group', { attributes: names('displayName') }, 'meta', false],
    ['Group', {}, ROSTER_GROUP_SCHEMA, true],
    ['Group', { excludedAttributes: names(ROSTER_GROUP_SCHEMA) }, `${ROSTER_GROUP_SCHEMA}:logo`, false],
    ['Group', { excludedAttributes: names(`${ROSTER_GROUP_SCHEMA}:logo`) }, ROSTER_GROUP_SCHEMA, false],
    ['Group', { attributes: names(ROSTER_GROUP_SCHEMA) }, `${ROSTER_GROUP_SCHEMA}:logo`, true],
    ['Group', {}, 'userName', false],
    ['User', {}, 'password', false],
    ['User', { attributes: names('password') }, 'password', false],
    ['User', {}, 'groups', true],
    ['User', { excludedAttributes: names('groups') }, 'groups', false],
    ['User', { attributes: names('userName') }, 'groups', false],
    ['User', { attributes: names(ENT) }, `${ENT}:manager.displayName`, true],
    ['User', { attributes: names(`${ENT}:manager.value`) }, `${ENT}:manager`, true],
    ['User', { attributes: names(`${ENT}:manager.value`) }, `${ENT}:manager.displayName`, false],
    ['User', { excludedAttributes: names(ENT) }, `${ENT}:manager`, false],
    ['User', { excludedAttributes: names('name') }, 'name.givenName', false],
    ['User', {}, 'unknown', false],
  ] as const)('%s %j wants %s: %s', (type, options, canonicalPath, wanted) => {
    expect(wantsAttribute(registry, type, options as ProjectionOptions, canonicalPath)).toBe(wanted);
  });

  it('agrees with project for every attribute of a group', () => {
    const options: ProjectionOptions = { excludedAttributes: names('members', 'meta') };
    const projected = projectGroup(options);
    for (const key of ['members', 'meta', 'displayName', 'id', ROSTER_GROUP_SCHEMA]) {
      expect([key, wantsAttribute(registry, 'Group', options, key)]).toEqual([key, key in projected]);
    }
  });

  it.each([
    ['request attribute by default', {}, 'note', false],
    ['request attribute when asked', { attributes: names('note') }, 'note', true],
    ['request sub-attribute by default', {}, 'card.hint', false],
    ['request sub-attribute when the parent is asked', { attributes: names('card') }, 'card.hint', false],
    ['request sub-attribute when asked', { attributes: names('card.hint') }, 'card.hint', true],
    ['always sub-attribute when a sibling is asked', { attributes: names('card.label') }, 'card.number', true],
    ['always sub-attribute when excluded', { excludedAttributes: names('card.number') }, 'card.number', true],
    ['never sub-attribute when asked', { attributes: names('card.pin') }, 'card.pin', false],
    ['always attribute when others are asked', { attributes: names('nickName') }, 'userName', true],
  ] as const)('lab schema: %s', (_what, options, canonicalPath, wanted) => {
    expect(wantsAttribute(labRegistry(), 'User', options as ProjectionOptions, canonicalPath)).toBe(wanted);
  });
});

describe('compileProjection', () => {
  it('compiles once and applies to many resources alike', () => {
    const projection = compileProjection(registry, 'User', { attributes: names('userName') });
    const users = [storedUser(), storedUser({ userName: 'other' })].map((u) => projection.apply(u));
    expect(users).toEqual([
      { schemas: [USER_SCHEMA], id: 'u-1', userName: 'bjensen' },
      { schemas: [USER_SCHEMA], id: 'u-1', userName: 'other' },
    ]);
    expect(projection.wants('emails')).toBe(false);
  });
});
