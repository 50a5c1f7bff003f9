import { ScimError } from '../errors';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  RESOURCE_TYPE_SCHEMA,
  ROSTER_GROUP_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  USER_SCHEMA,
} from './definitions';
import { formatAttrPath, joinUrl, SchemaRegistry } from './registry';
import { buildServiceProviderConfig, type ServiceProviderFeatures } from './service-provider-config';
import type { AttributeDefinition, AttributeType, Mutability, Returned, Uniqueness } from './types';

/**
 * Every attribute and sub-attribute, written out from RFC 7643 §8.7.1 (and §3.1 for the common
 * attributes), in the RFC's order. Deviations from the RFC's JSON follow its errata:
 * Group.displayName required (5368), groups.$ref referenceTypes ["Group"] (8471),
 * x509Certificates.value caseExact (6000, 8470); addresses.primary and members.display are added
 * (RFC §2.4 / §8.2 and §4.2 examples); roles.type's empty canonicalValues is left out.
 */
type Row = [
  path: string,
  type: AttributeType,
  multiValued: boolean,
  required: boolean,
  caseExact: boolean,
  mutability: Mutability,
  returned: Returned,
  uniqueness: Uniqueness,
  extra?: { canonicalValues?: string[]; referenceTypes?: string[] },
];

const rw = (path: string, type: AttributeType = 'string', extra?: Row[8]): Row => [
  path,
  type,
  false,
  false,
  false,
  'readWrite',
  'default',
  'none',
  extra,
];
const multi = (path: string): Row => [path, 'complex', true, false, false, 'readWrite', 'default', 'none'];

const USER_ROWS: Row[] = [
  ['userName', 'string', false, true, false, 'readWrite', 'default', 'server'],
  rw('name', 'complex'),
  rw('name.formatted'),
  rw('name.familyName'),
  rw('name.givenName'),
  rw('name.middleName'),
  rw('name.honorificPrefix'),
  rw('name.honorificSuffix'),
  rw('displayName'),
  rw('nickName'),
  rw('profileUrl', 'reference', { referenceTypes: ['external'] }),
  rw('title'),
  rw('userType'),
  rw('preferredLanguage'),
  rw('locale'),
  rw('timezone'),
  rw('active', 'boolean'),
  ['password', 'string', false, false, false, 'writeOnly', 'never', 'none'],
  multi('emails'),
  rw('emails.value'),
  rw('emails.display'),
  rw('emails.type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
  rw('emails.primary', 'boolean'),
  multi('phoneNumbers'),
  rw('phoneNumbers.value'),
  rw('phoneNumbers.display'),
  rw('phoneNumbers.type', 'string', { canonicalValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'] }),
  rw('phoneNumbers.primary', 'boolean'),
  multi('ims'),
  rw('ims.value'),
  rw('ims.display'),
  rw('ims.type', 'string', { canonicalValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'] }),
  rw('ims.primary', 'boolean'),
  multi('photos'),
  rw('photos.value', 'reference', { referenceTypes: ['external'] }),
  rw('photos.display'),
  rw('photos.type', 'string', { canonicalValues: ['photo', 'thumbnail'] }),
  rw('photos.primary', 'boolean'),
  multi('addresses'),
  rw('addresses.formatted'),
  rw('addresses.streetAddress'),
  rw('addresses.locality'),
  rw('addresses.region'),
  rw('addresses.postalCode'),
  rw('addresses.country'),
  rw('addresses.type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
  rw('addresses.primary', 'boolean'),
  ['groups', 'complex', true, false, false, 'readOnly', 'default', 'none'],
  ['groups.value', 'string', false, false, false, 'readOnly', 'default', 'none'],
  ['groups.$ref', 'reference', false, false, false, 'readOnly', 'default', 'none', { referenceTypes: ['Group'] }],
  ['groups.display', 'string', false, false, false, 'readOnly', 'default', 'none'],
  [
    'groups.type',
    'string',
    false,
    false,
    false,
    'readOnly',
    'default',
    'none',
    { canonicalValues: ['direct', 'indirect'] },
  ],
  multi('entitlements'),
  rw('entitlements.value'),
  rw('entitlements.display'),
  rw('entitlements.type'),
  rw('entitlements.primary', 'boolean'),
  multi('roles'),
  rw('roles.value'),
  rw('roles.display'),
  rw('roles.type'),
  rw('roles.primary', 'boolean'),
  multi('x509Certificates'),
  ['x509Certificates.value', 'binary', false, false, true, 'readWrite', 'default', 'none'],
  rw('x509Certificates.display'),
  rw('x509Certificates.type'),
  rw('x509Certificates.primary', 'boolean'),
];

const GROUP_ROWS: Row[] = [
  // Roster enforces unique group names (409 uniqueness), so /Schemas says 'server', not the RFC's 'none'.
  ['displayName', 'string', false, true, false, 'readWrite', 'default', 'server'],
  multi('members'),
  ['members.value', 'string', false, false, false, 'immutable', 'default', 'none'],
  [
    'members.$ref',
    'reference',
    false,
    false,
    false,
    'immutable',
    'default',
    'none',
    { referenceTypes: ['User', 'Group'] },
  ],
  [
    'members.type',
    'string',
    false,
    false,
    false,
    'immutable',
    'default',
    'none',
    { canonicalValues: ['User', 'Group'] },
  ],
  ['members.display', 'string', false, false, false, 'immutable', 'default', 'none'],
];

const ENTERPRISE_ROWS: Row[] = [
  rw('employeeNumber'),
  rw('costCenter'),
  rw('organization'),
  rw('division'),
  rw('department'),
  rw('manager', 'complex'),
  rw('manager.value'),
  rw('manager.$ref', 'reference', { referenceTypes: ['User'] }),
  ['manager.displayName', 'string', false, false, false, 'readOnly', 'default', 'none'],
];

const ROSTER_GROUP_ROWS: Row[] = [
  ['logo', 'reference', false, false, false, 'readOnly', 'default', 'none', { referenceTypes: ['external'] }],
];

const COMMON_ROWS: Row[] = [
  ['id', 'string', false, false, true, 'readOnly', 'always', 'server'],
  ['externalId', 'string', false, false, true, 'readWrite', 'default', 'none'],
  ['meta', 'complex', false, false, false, 'readOnly', 'default', 'none'],
  ['meta.resourceType', 'string', false, false, true, 'readOnly', 'default', 'none'],
  ['meta.created', 'dateTime', false, false, false, 'readOnly', 'default', 'none'],
  ['meta.lastModified', 'dateTime', false, false, false, 'readOnly', 'default', 'none'],
  ['meta.location', 'reference', false, false, true, 'readOnly', 'default', 'none', { referenceTypes: ['uri'] }],
  ['meta.version', 'string', false, false, true, 'readOnly', 'default', 'none'],
];

/** `[path, definition]` for every attribute and sub-attribute, in definition order. */
function flatten(attributes: AttributeDefinition[]): [string, AttributeDefinition][] {
  return attributes.flatMap((a): [string, AttributeDefinition][] => [
    [a.name, a],
    ...(a.subAttributes ?? []).map((s): [string, AttributeDefinition] => [`${a.name}.${s.name}`, s]),
  ]);
}

function characteristics(a: AttributeDefinition): unknown[] {
  return [
    a.type,
    a.multiValued,
    a.required,
    a.caseExact,
    a.mutability,
    a.returned,
    a.uniqueness,
    { canonicalValues: a.canonicalValues, referenceTypes: a.referenceTypes },
  ];
}

function expected(row: Row): unknown[] {
  const [, type, multiValued, required, caseExact, mutability, returned, uniqueness, extra] = row;
  return [
    type,
    multiValued,
    required,
    caseExact,
    mutability,
    returned,
    uniqueness,
    { canonicalValues: extra?.canonicalValues, referenceTypes: extra?.referenceTypes },
  ];
}

/** Every path in a JSON document where a value is null or undefined. */
function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  return [];
}

function caught(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

const registry = new SchemaRegistry();
const BASE = 'https://roster.example.com/v2';

describe('schema definitions (RFC 7643 §8.7.1)', () => {
  const tables: [string, Row[], AttributeDefinition[]][] = [
    [USER_SCHEMA, USER_ROWS, registry.schema(USER_SCHEMA)?.attributes ?? []],
    [GROUP_SCHEMA, GROUP_ROWS, registry.schema(GROUP_SCHEMA)?.attributes ?? []],
    [ENTERPRISE_USER_SCHEMA, ENTERPRISE_ROWS, registry.schema(ENTERPRISE_USER_SCHEMA)?.attributes ?? []],
    [ROSTER_GROUP_SCHEMA, ROSTER_GROUP_ROWS, registry.schema(ROSTER_GROUP_SCHEMA)?.attributes ?? []],
    ['common attributes (§3.1)', COMMON_ROWS, registry.commonAttributes()],
  ];

  it.each(tables)('%s defines exactly the expected attributes, in RFC order', (_id, rows, attributes) => {
    expect(flatten(attributes).map(([path]) => path)).toEqual(rows.map(([path]) => path));
  });

  const rows = tables.flatMap(([id, table, attributes]) =>
    table.map((row): [string, string, Row, AttributeDefinition | undefined] => [
      id,
      row[0],
      row,
      new Map(flatten(attributes)).get(row[0]),
    ]),
  );

  it.each(rows)('%s %s has the RFC characteristics', (_id, _path, row, definition) => {
    expect(definition).toBeDefined();
    expect(characteristics(definition as AttributeDefinition)).toEqual(expected(row));
  });

  it.each(rows)('%s %s has a description', (_id, _path, _row, definition) => {
    expect(definition?.description).toEqual(expect.stringMatching(/\S/));
  });

  it('leaves the common attributes out of the User and Group schemas', () => {
    const names = [USER_SCHEMA, GROUP_SCHEMA].flatMap((id) => registry.schema(id)?.attributes.map((a) => a.name));
    expect(names).not.toContain('id');
    expect(names).not.toContain('externalId');
    expect(names).not.toContain('meta');
  });

  it('freezes the shared definitions', () => {
    const userName = registry.schema(USER_SCHEMA)?.attributes[0] as AttributeDefinition;
    expect(() => {
      userName.required = false;
    }).toThrow(TypeError);
    expect(Object.isFrozen(COMMON_ATTRIBUTES)).toBe(true);
  });
});

describe('SchemaRegistry schemas and resource types', () => {
  it('lists User, Group, EnterpriseUser, then the Roster group extension', () => {
    expect(registry.schemas().map((s) => [s.id, s.name, s.description])).toEqual([
      [USER_SCHEMA, 'User', 'User Account'],
      [GROUP_SCHEMA, 'Group', 'Group'],
      [ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User'],
      [ROSTER_GROUP_SCHEMA, 'RosterGroup', 'Roster extension to the Group resource'],
    ]);
  });

  it.each([
    [USER_SCHEMA, USER_SCHEMA],
    [USER_SCHEMA.toUpperCase(), USER_SCHEMA],
    ['urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user', ENTERPRISE_USER_SCHEMA],
    [ROSTER_GROUP_SCHEMA.toLowerCase(), ROSTER_GROUP_SCHEMA],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0User', undefined],
    ['http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group', undefined],
  ])('schema(%s) finds %s', (id, found) => {
    expect(registry.schema(id)?.id).toBe(found);
  });

  it('lists User (/Users) first, then Group (/Groups), each with its optional extension', () => {
    expect(registry.resourceTypes()).toEqual([
      {
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: USER_SCHEMA,
        schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      },
      {
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: GROUP_SCHEMA,
        schemaExtensions: [{ schema: ROSTER_GROUP_SCHEMA, required: false }],
      },
    ]);
  });

  it.each([
    ['User', 'user'],
    ['Group', 'GROUP'],
  ] as const)('finds resource type %s in any case (%s)', (id, written) => {
    expect(registry.resourceType(written)?.id).toBe(id);
  });

  it.each([
    ['User', USER_SCHEMA, [ENTERPRISE_USER_SCHEMA]],
    ['Group', GROUP_SCHEMA, [ROSTER_GROUP_SCHEMA]],
  ] as const)('%s has core schema %s and extensions %j', (type, core, extensions) => {
    expect(registry.coreSchema(type).id).toBe(core);
    expect(registry.extensionSchemas(type).map((s) => s.id)).toEqual(extensions);
  });

  it.each([
    ['User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user', ENTERPRISE_USER_SCHEMA],
    ['User', USER_SCHEMA, undefined],
    ['User', ROSTER_GROUP_SCHEMA, undefined],
    ['Group', ROSTER_GROUP_SCHEMA.toUpperCase(), ROSTER_GROUP_SCHEMA],
    ['Group', ENTERPRISE_USER_SCHEMA, undefined],
  ] as const)('%s: extensionSchema(%s) is %s', (type, urn, found) => {
    expect(registry.extensionSchema(type, urn)?.id).toBe(found);
  });

  it('rejects definitions whose resource types name an unknown schema', () => {
    expect(
      () =>
        new SchemaRegistry({
          schemas: [],
          commonAttributes: [],
          resourceTypes: registry.resourceTypes(),
        }),
    ).toThrow(/unknown schema/);
  });
});

describe('SchemaRegistry.resolve', () => {
  const ENT = ENTERPRISE_USER_SCHEMA;

  it.each([
    // [resource type, path, canonical path, schema, extension, common]
    ['User', { attr: 'userName' }, 'userName', USER_SCHEMA, false, false],
    ['User', { attr: 'USERNAME' }, 'userName', USER_SCHEMA, false, false],
    ['User', { attr: 'name', sub: 'FamilyName' }, 'name.familyName', USER_SCHEMA, false, false],
    ['User', { attr: 'Emails', sub: 'Value' }, 'emails.value', USER_SCHEMA, false, false],
    ['User', { attr: 'emails', sub: 'Primary' }, 'emails.primary', USER_SCHEMA, false, false],
    ['User', { attr: 'groups', sub: '$REF' }, 'groups.$ref', USER_SCHEMA, false, false],
    ['User', { attr: 'ActiVe' }, 'active', USER_SCHEMA, false, false],
    ['User', { attr: 'id' }, 'id', USER_SCHEMA, false, true],
    ['User', { attr: 'ExternalID' }, 'externalId', USER_SCHEMA, false, true],
    ['User', { attr: 'meta', sub: 'Created' }, 'meta.created', USER_SCHEMA, false, true],
    ['User', { attr: 'meta', sub: 'lastmodified' }, 'meta.lastModified', USER_SCHEMA, false, true],
    ['User', { uri: USER_SCHEMA, attr: 'userName' }, 'userName', USER_SCHEMA, false, false],
    [
      'User',
      { uri: USER_SCHEMA.toLowerCase(), attr: 'meta', sub: 'version' },
      'meta.version',
      USER_SCHEMA,
      false,
      true,
    ],
    ['User', { uri: ENT, attr: 'manager' }, `${ENT}:manager`, ENT, true, false],
    ['User', { uri: ENT, attr: 'manager', sub: 'value' }, `${ENT}:manager.value`, ENT, true, false],
    ['User', { uri: ENT.toUpperCase(), attr: 'EmployeeNumber' }, `${ENT}:employeeNumber`, ENT, true, false],
    ['User', { attr: 'department' }, `${ENT}:department`, ENT, true, false],
    ['User', { attr: 'manager', sub: 'displayName' }, `${ENT}:manager.displayName`, ENT, true, false],
    // The legacy dotted form, however the parser splits it.
    [
      'User',
      { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0', attr: 'User', sub: 'manager' },
      `${ENT}:manager`,
      ENT,
      true,
      false,
    ],
    ['User', { attr: `${ENT}.manager` }, `${ENT}:manager`, ENT, true, false],
    ['Group', { attr: 'DisplayName' }, 'displayName', GROUP_SCHEMA, false, false],
    ['Group', { attr: 'members', sub: 'value' }, 'members.value', GROUP_SCHEMA, false, false],
    ['Group', { attr: 'members', sub: 'Display' }, 'members.display', GROUP_SCHEMA, false, false],
    ['Group', { attr: 'logo' }, `${ROSTER_GROUP_SCHEMA}:logo`, ROSTER_GROUP_SCHEMA, true, false],
    [
      'Group',
      { uri: ROSTER_GROUP_SCHEMA, attr: 'LOGO' },
      `${ROSTER_GROUP_SCHEMA}:logo`,
      ROSTER_GROUP_SCHEMA,
      true,
      false,
    ],
    ['Group', { attr: 'meta', sub: 'location' }, 'meta.location', GROUP_SCHEMA, false, true],
  ] as const)('%s %j → %s', (type, path, canonicalPath, schemaId, extension, common) => {
    const resolved = registry.resolve(type, path);
    expect(resolved).toMatchObject({ canonicalPath, schemaId, extension, common });
  });

  it.each([
    ['User', { attr: 'adreses' }],
    ['User', { attr: 'name', sub: 'nickName' }],
    ['User', { attr: 'userName', sub: 'value' }],
    ['User', { attr: 'displayName', sub: 'x' }],
    ['User', { attr: 'members' }],
    ['User', { attr: 'logo' }],
    ['User', { uri: GROUP_SCHEMA, attr: 'displayName' }],
    ['User', { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User', attr: 'department' }],
    ['User', { uri: ENTERPRISE_USER_SCHEMA, attr: 'userName' }],
    ['User', { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0', attr: 'User' }],
    ['User', { attr: ENTERPRISE_USER_SCHEMA }],
    ['User', { attr: 'name.givenName.x' }],
    ['User', { attr: '' }],
    ['Group', { attr: 'userName' }],
    ['Group', { attr: 'manager' }],
    ['Group', { uri: ENTERPRISE_USER_SCHEMA, attr: 'manager' }],
  ] as const)('%s %j does not resolve', (type, path) => {
    expect(registry.resolve(type, path)).toBeUndefined();
  });

  it('returns the definitions themselves', () => {
    const resolved = registry.resolve('User', { attr: 'emails', sub: 'type' });
    expect(resolved?.attribute.name).toBe('emails');
    expect(resolved?.subAttribute?.canonicalValues).toEqual(['work', 'home', 'other']);
    expect(resolved?.attributePath).toBe('emails');
  });

  it.each([
    ['userName', 'userName'],
    ['name.givenName', 'name.givenName'],
    [`${ENTERPRISE_USER_SCHEMA}:manager.value`, `${ENTERPRISE_USER_SCHEMA}:manager.value`],
    [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`, `${ENTERPRISE_USER_SCHEMA}:employeeNumber`],
    [`${USER_SCHEMA}:name.familyName`, 'name.familyName'],
  ])('resolveName(%s) → %s', (name, canonicalPath) => {
    expect(registry.resolveName('User', name)?.canonicalPath).toBe(canonicalPath);
  });

  it.each([
    [{ attr: 'userName' }, 'userName'],
    [{ attr: 'name', sub: 'givenName' }, 'name.givenName'],
    [{ uri: ENTERPRISE_USER_SCHEMA, attr: 'manager', sub: 'value' }, `${ENTERPRISE_USER_SCHEMA}:manager.value`],
  ])('formatAttrPath(%j) is %s', (path, text) => {
    expect(formatAttrPath(path)).toBe(text);
  });

  it('finds sub-attributes in any case', () => {
    const emails = registry.resolve('User', { attr: 'emails' })?.attribute as AttributeDefinition;
    expect(registry.subAttribute(emails, 'PRIMARY')?.name).toBe('primary');
    expect(registry.subAttribute(emails, 'streetAddress')).toBeUndefined();
  });
});

describe('discovery documents', () => {
  it.each(registry.schemas().map((s) => [s.id]))('renders /Schemas/%s', (id) => {
    const resource = registry.schemaResource(id, BASE);
    const definition = registry.schema(id);
    // Core schemas also show externalId (RFC 7643 §3.1), which Entra maps and the gallery checks.
    const isCore = registry.resourceTypes().some((t) => t.schema === id);
    const externalId = registry.commonAttributes().filter((a) => a.name === 'externalId');
    expect(resource).toEqual({
      schemas: [SCHEMA_SCHEMA],
      id,
      name: definition?.name,
      description: definition?.description,
      attributes: [...(isCore ? externalId : []), ...(definition?.attributes ?? [])],
      meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${id}` },
    });
    expect(nullPaths(resource)).toEqual([]);
  });

  it('renders every characteristic of every attribute, with camelCase values', () => {
    const rendered = registry.schemaResources(BASE).flatMap((s) => flatten(s.attributes).map(([, a]) => a));
    // + the Roster logo, + externalId on the User and Group schemas.
    expect(rendered).toHaveLength(USER_ROWS.length + GROUP_ROWS.length + ENTERPRISE_ROWS.length + 1 + 2);
    for (const attribute of rendered) {
      expect(Object.keys(attribute)).toEqual(
        expect.arrayContaining([
          'name',
          'type',
          'multiValued',
          'description',
          'required',
          'caseExact',
          'mutability',
          'returned',
          'uniqueness',
        ]),
      );
      for (const value of [attribute.mutability, attribute.returned, attribute.uniqueness, attribute.type]) {
        expect(value).toMatch(/^[a-z][a-zA-Z]*$/);
      }
    }
  });

  it('contains the text "User Account" that Microsoft\'s collection looks for', () => {
    expect(JSON.stringify(registry.schemaResources(BASE))).toContain('User Account');
  });

  it('hands out copies, so a caller cannot alter the definitions', () => {
    const resource = registry.schemaResource(USER_SCHEMA, BASE);
    const userName = (r: typeof resource) => r.attributes.find((a) => a.name === 'userName');
    userName(resource)!.required = false;
    expect(userName(registry.schemaResource(USER_SCHEMA, BASE))?.required).toBe(true);
  });

  it('finds a schema in any case and answers with its canonical id', () => {
    expect(registry.schemaResource(ENTERPRISE_USER_SCHEMA.toLowerCase(), BASE).id).toBe(ENTERPRISE_USER_SCHEMA);
  });

  it.each([
    ['schemaResource', () => registry.schemaResource('urn:unknown', BASE)],
    ['resourceTypeResource', () => registry.resourceTypeResource('Device', BASE)],
  ])('%s answers 404 for an unknown id', (_name, call) => {
    const error = caught(call);
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).status).toBe(404);
  });

  it('renders /ResourceTypes, User first', () => {
    const resources = registry.resourceTypeResources(`${BASE}/`);
    expect(resources).toEqual([
      {
        schemas: [RESOURCE_TYPE_SCHEMA],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: USER_SCHEMA,
        schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
      },
      {
        schemas: [RESOURCE_TYPE_SCHEMA],
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: GROUP_SCHEMA,
        schemaExtensions: [{ schema: ROSTER_GROUP_SCHEMA, required: false }],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` },
      },
    ]);
    expect(nullPaths(resources)).toEqual([]);
  });

  it('finds a resource type in any case', () => {
    expect(registry.resourceTypeResource('group', BASE).id).toBe('Group');
  });

  it.each([
    ['https://h/v2', '/Schemas', 'https://h/v2/Schemas'],
    ['https://h/v2/', '/Schemas', 'https://h/v2/Schemas'],
    ['https://h/scim//', '/Users', 'https://h/scim/Users'],
  ])('joinUrl(%s, %s) is %s', (base, path, url) => {
    expect(joinUrl(base, path)).toBe(url);
  });
});

describe('buildServiceProviderConfig', () => {
  const minimal: ServiceProviderFeatures = {
    patch: true,
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: false,
    sort: true,
    etag: true,
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer token in the Authorization header' },
    ],
  };

  it('renders the RFC 7643 §5 document with meta and no optional keys left undefined', () => {
    const config = buildServiceProviderConfig(minimal, `${BASE}/`);
    expect(config).toEqual({
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description: 'Bearer token in the Authorization header',
        },
      ],
      meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
    });
    expect(nullPaths(config)).toEqual([]);
    expect(Object.keys(config)).not.toContain('pagination');
    expect(Object.keys(config)).not.toContain('documentationUri');
  });

  it('renders documentationUri, RFC 9865 pagination and every authentication scheme field', () => {
    const config = buildServiceProviderConfig(
      {
        ...minimal,
        documentationUri: 'https://roster.example.com/docs',
        bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
        pagination: {
          cursor: true,
          index: true,
          defaultPaginationMethod: 'index',
          defaultPageSize: 100,
          maxPageSize: 1000,
          cursorTimeout: 3600,
        },
        authenticationSchemes: [
          {
            type: 'oauth2',
            name: 'OAuth 2.0',
            description: 'Client credentials or JWT assertion grant',
            specUri: 'https://www.rfc-editor.org/rfc/rfc6749',
            documentationUri: 'https://roster.example.com/docs/auth',
            primary: true,
          },
          { type: 'oauthbearertoken', name: 'Bearer', description: 'Static token', primary: false },
        ],
      },
      BASE,
    );
    expect(config.documentationUri).toBe('https://roster.example.com/docs');
    expect(config.bulk).toEqual({ supported: true, maxOperations: 1000, maxPayloadSize: 1048576 });
    expect(config.pagination).toEqual({
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: 100,
      maxPageSize: 1000,
      cursorTimeout: 3600,
    });
    expect(config.authenticationSchemes).toHaveLength(2);
    expect(config.authenticationSchemes[0]).toEqual({
      type: 'oauth2',
      name: 'OAuth 2.0',
      description: 'Client credentials or JWT assertion grant',
      specUri: 'https://www.rfc-editor.org/rfc/rfc6749',
      documentationUri: 'https://roster.example.com/docs/auth',
      primary: true,
    });
    expect(nullPaths(config)).toEqual([]);
  });

  it('omits the optional pagination fields that are not set', () => {
    const config = buildServiceProviderConfig({ ...minimal, pagination: { cursor: false, index: true } }, BASE);
    expect(config.pagination).toEqual({ cursor: false, index: true });
    expect(nullPaths(config)).toEqual([]);
  });

  it.each([
    ['patch.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.patch.supported],
    ['bulk.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.bulk.supported],
    ['bulk.maxOperations', (c: ReturnType<typeof buildServiceProviderConfig>) => c.bulk.maxOperations],
    ['bulk.maxPayloadSize', (c: ReturnType<typeof buildServiceProviderConfig>) => c.bulk.maxPayloadSize],
    ['filter.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.filter.supported],
    ['filter.maxResults', (c: ReturnType<typeof buildServiceProviderConfig>) => c.filter.maxResults],
    ['changePassword.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.changePassword.supported],
    ['sort.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.sort.supported],
    ['etag.supported', (c: ReturnType<typeof buildServiceProviderConfig>) => c.etag.supported],
    [
      'authenticationSchemes[0].type',
      (c: ReturnType<typeof buildServiceProviderConfig>) => c.authenticationSchemes[0].type,
    ],
    [
      'authenticationSchemes[0].description',
      (c: ReturnType<typeof buildServiceProviderConfig>) => c.authenticationSchemes[0].description,
    ],
  ])("has the non-empty %s that Okta's spec test reads", (_field, read) => {
    const value = read(buildServiceProviderConfig(minimal, BASE));
    expect(value === undefined || value === null || value === '').toBe(false);
  });
});
