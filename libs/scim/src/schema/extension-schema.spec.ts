import { ScimError } from '../errors';
import { applyPatch, parsePatchRequest } from '../patch/patch';
import { normalizeInput } from '../resource/normalize';
import { project } from '../resource/projection';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './definitions';
import { checkCompatibleChange, EXTENSION_LIMITS, parseExtensionSchema } from './extension-schema';
import { SchemaRegistry } from './registry';

const URN = 'urn:example:params:scim:schemas:extension:acme:2.0:User';

function errorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

const body = (extra: Record<string, unknown> = {}) => ({
  id: URN,
  resourceType: 'User',
  attributes: [{ name: 'costCenter' }],
  ...extra,
});

describe('parseExtensionSchema', () => {
  it('fills in the RFC 7643 §7 defaults', () => {
    const parsed = parseExtensionSchema(body());
    expect(parsed).toEqual({
      resourceType: 'User',
      required: false,
      schema: {
        id: URN,
        name: 'User',
        description: '',
        attributes: [
          {
            name: 'costCenter',
            type: 'string',
            multiValued: false,
            required: false,
            caseExact: false,
            mutability: 'readWrite',
            returned: 'default',
            uniqueness: 'none',
          },
        ],
      },
    });
  });

  it('keeps every characteristic, in canonical case, and treats uniqueness global as server', () => {
    const parsed = parseExtensionSchema(
      body({
        name: 'Acme',
        required: true,
        attributes: [
          { name: 'badge', type: 'INTEGER', uniqueness: 'global', mutability: 'immutable', returned: 'always' },
          { name: 'home', type: 'reference', referenceTypes: ['external'] },
          { name: 'level', canonicalValues: ['junior', 'senior'], caseExact: true },
          {
            name: 'site',
            type: 'complex',
            multiValued: true,
            subAttributes: [{ name: 'building' }, { name: '$ref', type: 'reference' }],
          },
        ],
      }),
    );
    expect(parsed.required).toBe(true);
    const [badge, home, level, site] = parsed.schema.attributes;
    expect(badge).toMatchObject({ type: 'integer', uniqueness: 'server', mutability: 'immutable', returned: 'always' });
    expect(home).toMatchObject({ caseExact: true, referenceTypes: ['external'] });
    expect(level).toMatchObject({ caseExact: true, canonicalValues: ['junior', 'senior'] });
    expect(site.subAttributes?.map((s) => s.name)).toEqual(['building', '$ref']);
  });

  it.each([
    ['a body that is not an object', [], 'invalidSyntax'],
    ['an id that is not a URN', body({ id: 'acme' }), 'invalidValue'],
    ['an id with a space', body({ id: 'urn:example:a b' }), 'invalidValue'],
    ['an id with a quote (no filter could name it)', body({ id: "urn:example:o'brien:User" }), 'invalidValue'],
    ['an id whose last segment has a dot', body({ id: 'urn:example:acme:User.v2' }), 'invalidValue'],
    ['an id with an empty segment', body({ id: 'urn:example::User' }), 'invalidValue'],
    ['an over-long id', body({ id: `urn:example:${'x'.repeat(EXTENSION_LIMITS.urnLength)}` }), 'invalidValue'],
    ['no resourceType', body({ resourceType: undefined }), 'invalidValue'],
    ['an unknown resourceType', body({ resourceType: 'Device' }), 'invalidValue'],
    ['no attributes', body({ attributes: [] }), 'invalidValue'],
    [
      'too many attributes',
      body({ attributes: Array.from({ length: 101 }, (_, i) => ({ name: `a${i}` })) }),
      'invalidValue',
    ],
    ['an attribute name starting with a digit', body({ attributes: [{ name: '9lives' }] }), 'invalidValue'],
    ['a top-level $ref', body({ attributes: [{ name: '$ref' }] }), 'invalidValue'],
    ['an unknown type', body({ attributes: [{ name: 'a', type: 'float' }] }), 'invalidValue'],
    [
      'a string for a boolean characteristic',
      body({ attributes: [{ name: 'a', multiValued: 'yes' }] }),
      'invalidValue',
    ],
    ['an unknown mutability', body({ attributes: [{ name: 'a', mutability: 'sometimes' }] }), 'invalidValue'],
    ['duplicate names in another case', body({ attributes: [{ name: 'a' }, { name: 'A' }] }), 'invalidValue'],
    [
      'a complex attribute without sub-attributes',
      body({ attributes: [{ name: 'c', type: 'complex' }] }),
      'invalidValue',
    ],
    [
      'a complex sub-attribute',
      body({
        attributes: [
          {
            name: 'c',
            type: 'complex',
            subAttributes: [{ name: 'd', type: 'complex', subAttributes: [{ name: 'e' }] }],
          },
        ],
      }),
      'invalidValue',
    ],
    [
      'sub-attributes on a string',
      body({ attributes: [{ name: 'a', subAttributes: [{ name: 'b' }] }] }),
      'invalidValue',
    ],
    [
      'uniqueness on a multi-valued attribute',
      body({ attributes: [{ name: 'a', multiValued: true, uniqueness: 'server' }] }),
      'invalidValue',
    ],
    ['referenceTypes on a string', body({ attributes: [{ name: 'a', referenceTypes: ['User'] }] }), 'invalidValue'],
    ['a non-string canonical value', body({ attributes: [{ name: 'a', canonicalValues: [1] }] }), 'invalidValue'],
    [
      'an over-long description',
      body({ description: 'x'.repeat(EXTENSION_LIMITS.descriptionLength + 1) }),
      'invalidValue',
    ],
  ])('refuses %s', (_what, input, scimType) => {
    const error = errorOf(() => parseExtensionSchema(input));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
  });

  it.each([
    ['the same id in another case', URN.toUpperCase().replace('URN:', 'urn:'), 409],
    ['an id that extends a registered one', `${URN}:more`, 400],
    ['an id a registered one extends', URN.slice(0, URN.lastIndexOf(':')), 400],
  ])('refuses %s', (_what, id, status) => {
    expect(errorOf(() => parseExtensionSchema(body({ id }), [URN])).status).toBe(status);
  });
});

describe('checkCompatibleChange', () => {
  const before = parseExtensionSchema(
    body({
      attributes: [
        { name: 'a', required: true, uniqueness: 'server', mutability: 'immutable', canonicalValues: ['x', 'y'] },
        { name: 'c', type: 'complex', subAttributes: [{ name: 'd' }] },
      ],
    }),
  );
  const after = (attributes: unknown[], extra: Record<string, unknown> = {}) =>
    parseExtensionSchema(body({ attributes, ...extra }));
  const same = [
    { name: 'a', required: true, uniqueness: 'server', mutability: 'immutable', canonicalValues: ['x', 'y'] },
    { name: 'c', type: 'complex', subAttributes: [{ name: 'd' }] },
  ];

  it.each([
    ['no change', after(same)],
    ['a new optional attribute', after([...same, { name: 'b', type: 'integer' }])],
    [
      'a new optional sub-attribute',
      after([same[0], { name: 'c', type: 'complex', subAttributes: [{ name: 'd' }, { name: 'e' }] }]),
    ],
    [
      'required dropped, uniqueness dropped, immutable relaxed',
      after([{ name: 'a', canonicalValues: ['x', 'y', 'z'] }, same[1]]),
    ],
    ['a new description and returned', after([{ ...same[0], returned: 'request', description: 'A' }, same[1]])],
  ])('accepts %s', (_what, next) => {
    expect(() => checkCompatibleChange(before, next)).not.toThrow();
  });

  it.each([
    ['a removed attribute', after([same[0]]), '"c" would be removed'],
    [
      'a removed sub-attribute',
      after([same[0], { name: 'c', type: 'complex', subAttributes: [{ name: 'x' }] }]),
      'c.d',
    ],
    ['a changed type', after([{ ...same[0], type: 'integer' }, same[1]]), 'changes type'],
    ['multiValued changed', after([same[0], { ...same[1], multiValued: true }]), 'multiValued'],
    ['caseExact changed', after([{ ...same[0], caseExact: true }, same[1]]), 'caseExact'],
    ['immutable made readOnly', after([{ ...same[0], mutability: 'readOnly' }, same[1]]), 'mutability'],
    ['a canonical value dropped', after([{ ...same[0], canonicalValues: ['x'] }, same[1]]), '"y"'],
    ['a new required attribute', after([...same, { name: 'n', required: true }]), '"n" is required'],
    ['the extension made required', after(same, { required: true }), 'becomes required'],
    ['another resource type', after(same, { resourceType: 'Group' }), 'resource type'],
  ])('refuses %s', (_what, next, detail) => {
    const error = errorOf(() => checkCompatibleChange(before, next));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain(detail);
  });

  it('refuses making an existing attribute unique', () => {
    const plain = parseExtensionSchema(body({ attributes: [{ name: 'a' }] }));
    const unique = parseExtensionSchema(body({ attributes: [{ name: 'a', uniqueness: 'server' }] }));
    expect(errorOf(() => checkCompatibleChange(plain, unique)).detail).toContain('becomes unique');
  });
});

describe('SchemaRegistry with runtime extensions', () => {
  const extension = parseExtensionSchema(
    body({
      attributes: [{ name: 'costCenter' }, { name: 'badge', type: 'integer' }, { name: 'secret', returned: 'never' }],
    }),
  );

  it('adds, serves and removes an extension without touching the built-in ones', () => {
    const registry = new SchemaRegistry();
    registry.setCustomExtensions([extension]);
    expect(registry.extensionSchemas('User').map((s) => s.id)).toEqual([ENTERPRISE_USER_SCHEMA, URN]);
    expect(registry.resourceTypeResource('User', 'http://x').schemaExtensions).toContainEqual({
      schema: URN,
      required: false,
    });
    expect(registry.schemaResource(URN, 'http://x').attributes.map((a) => a.name)).toEqual([
      'costCenter',
      'badge',
      'secret',
    ]);
    expect(registry.resolveName('User', `${URN.toUpperCase().replace('URN:', 'urn:')}:COSTCENTER`)).toMatchObject({
      schemaId: URN,
      extension: true,
      canonicalPath: `${URN}:costCenter`,
    });
    expect(registry.resolveName('User', 'costCenter')?.schemaId).toBe(ENTERPRISE_USER_SCHEMA);
    expect(registry.isBuiltIn(URN)).toBe(false);
    expect(registry.isBuiltIn(ENTERPRISE_USER_SCHEMA)).toBe(true);

    registry.setCustomExtensions([]);
    expect(registry.schema(URN)).toBeUndefined();
    expect(registry.resolveName('User', `${URN}:costCenter`)).toBeUndefined();
    expect(registry.extensionSchemas('User').map((s) => s.id)).toEqual([ENTERPRISE_USER_SCHEMA]);
  });

  it('keeps the previous extensions when a new set is inconsistent', () => {
    const registry = new SchemaRegistry();
    registry.setCustomExtensions([extension]);
    expect(() => registry.setCustomExtensions([extension, extension])).toThrow(/defined twice/);
    expect(registry.schema(URN)).toBeDefined();
  });

  it('drives normalisation, PATCH and projection', () => {
    const registry = new SchemaRegistry();
    registry.setCustomExtensions([extension]);
    const input = normalizeInput(
      registry,
      'User',
      { userName: 'u', [URN]: { costCenter: 'c', secret: 's' }, [`${URN}:badge`]: '7' },
      'create',
    );
    expect(input.doc[URN]).toEqual({ costCenter: 'c', badge: 7, secret: 's' });
    expect(input.schemas).toEqual([USER_SCHEMA, URN]);
    const patched = applyPatch(
      registry,
      'User',
      input.doc,
      parsePatchRequest({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'Replace', path: `${URN}:costCenter`, value: 'd' },
          { op: 'replace', value: { [`${URN}:badge`]: 8 } },
        ],
      }),
    );
    expect(patched.doc[URN]).toEqual({ costCenter: 'd', badge: 8, secret: 's' });
    expect(project(registry, 'User', { id: '1', ...patched.doc })).toEqual({
      schemas: [USER_SCHEMA, URN],
      id: '1',
      userName: 'u',
      [URN]: { costCenter: 'd', badge: 8 },
    });
  });

  it('PATCH under store and ignore modes', () => {
    const registry = new SchemaRegistry();
    const other = 'urn:example:other:1.0:User';
    const ops = (...Operations: unknown[]) =>
      parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
    registry.setUnknownExtensions({ mode: 'store' });
    let doc = applyPatch(registry, 'User', { userName: 'u' }, ops({ op: 'add', path: `${other}:tag`, value: 'x' })).doc;
    expect(doc[other]).toEqual({ tag: 'x' });
    doc = applyPatch(registry, 'User', doc, ops({ op: 'add', value: { [other]: { more: 1 } } })).doc;
    expect(doc[other]).toEqual({ tag: 'x', more: 1 });
    doc = applyPatch(registry, 'User', doc, ops({ op: 'remove', path: `${other}:tag` })).doc;
    expect(doc[other]).toEqual({ more: 1 });
    doc = applyPatch(registry, 'User', doc, ops({ op: 'remove', path: other })).doc;
    expect(doc[other]).toBeUndefined();

    const seen: string[] = [];
    registry.setUnknownExtensions({ mode: 'ignore', onIgnored: (urn) => seen.push(urn) });
    const ignored = applyPatch(
      registry,
      'User',
      { userName: 'u' },
      ops({ op: 'add', path: `${other}:tag`, value: 'x' }),
    );
    expect(ignored.doc).toEqual({ userName: 'u' });
    expect(seen).toEqual([other]);
  });
});
