import { ScimError } from '../errors';
import type { CustomExtension } from './registry';
import type {
  AttributeDefinition,
  AttributeType,
  Mutability,
  ResourceTypeName,
  Returned,
  SchemaDefinition,
  Uniqueness,
} from './types';

/**
 * Issue 15: an administrator's extension schema (RFC 7643 §7 schema resource, plus the resource
 * type it extends and whether it is required) checked into a definition the registry can serve.
 * Pure: the admin API, the CLI and the registry loader all call it, and it is table-tested.
 */

/** Bounds on one registered schema (principle 6). */
export const EXTENSION_LIMITS = Object.freeze({
  urnLength: 200,
  nameLength: 64,
  descriptionLength: 1024,
  attributes: 100,
  subAttributes: 30,
  canonicalValues: 100,
  canonicalValueLength: 256,
  referenceTypes: 10,
});

/**
 * `urn:<NID>:<NSS>` (RFC 8141), limited to what a filter, a PATCH path and `attributes` can name:
 * colon-separated segments of letters, digits, `_`, `-` and `.` (the parser's URI segments), the
 * last one without a dot, so `urn:…:User.attr` keeps meaning the legacy dotted form.
 */
const URN = /^urn:[a-z0-9][a-z0-9-]{0,31}(?::[A-Za-z0-9._-]+)*:[A-Za-z0-9_-]+$/i;
/** RFC 7643 §2.1 ATTRNAME; `$ref` is allowed for sub-attributes, as the core schemas use it. */
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const TYPES: readonly AttributeType[] = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'complex',
  'binary',
];
const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED: readonly Returned[] = ['always', 'never', 'default', 'request'];
const UNIQUENESS: readonly Uniqueness[] = ['none', 'server', 'global'];
const RESOURCE_TYPES: readonly ResourceTypeName[] = ['User', 'Group'];

function invalid(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, label: string): T {
  if (value === undefined) return fallback;
  const found = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!found) throw invalid(`${label} must be one of ${allowed.join(', ')}`);
  return found;
}

function flag(value: unknown, fallback: boolean, label: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${label} must be true or false`);
  return value;
}

function text(value: unknown, max: number, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${label} must be a string`);
  if (value.length > max) throw invalid(`${label} is longer than ${max} characters`);
  return value;
}

function stringList(value: unknown, maxItems: number, maxLength: number, label: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '' || v.length > maxLength)) {
    throw invalid(`${label} must be an array of non-empty strings of at most ${maxLength} characters`);
  }
  if (value.length > maxItems) throw invalid(`${label} holds more than ${maxItems} values`);
  return [...new Set(value as string[])];
}

function parseAttribute(raw: unknown, label: string, sub: boolean): AttributeDefinition {
  if (!isObject(raw)) throw invalid(`${label} must be a JSON object`);
  const name = raw.name;
  if (typeof name !== 'string' || !(ATTRIBUTE_NAME.test(name) || (sub && name === '$ref'))) {
    throw invalid(`${label}.name must be an attribute name (a letter, then letters, digits, "_" or "-")`);
  }
  if (name.length > EXTENSION_LIMITS.nameLength) {
    throw invalid(`${label}.name is longer than ${EXTENSION_LIMITS.nameLength} characters`);
  }
  const at = `Attribute "${name}"`;
  const type = oneOf(raw.type, TYPES, 'string', `${at}: type`);
  const multiValued = flag(raw.multiValued, false, `${at}: multiValued`);
  const uniqueness = oneOf(raw.uniqueness, UNIQUENESS, 'none', `${at}: uniqueness`);
  const description = text(raw.description, EXTENSION_LIMITS.descriptionLength, `${at}: description`);
  const canonicalValues = stringList(
    raw.canonicalValues,
    EXTENSION_LIMITS.canonicalValues,
    EXTENSION_LIMITS.canonicalValueLength,
    `${at}: canonicalValues`,
  );
  const referenceTypes = stringList(raw.referenceTypes, EXTENSION_LIMITS.referenceTypes, 64, `${at}: referenceTypes`);
  if (referenceTypes && type !== 'reference') throw invalid(`${at}: referenceTypes needs type "reference"`);

  let subAttributes: AttributeDefinition[] | undefined;
  if (type === 'complex') {
    // RFC 7643 §2.3.8: a complex attribute holds sub-attributes, never another complex attribute.
    if (sub) throw invalid(`${label}: a sub-attribute cannot be complex`);
    const list = raw.subAttributes;
    if (!Array.isArray(list) || list.length === 0) {
      throw invalid(`${at}: a complex attribute needs a non-empty subAttributes array`);
    }
    if (list.length > EXTENSION_LIMITS.subAttributes) {
      throw invalid(`${at} has more than ${EXTENSION_LIMITS.subAttributes} sub-attributes`);
    }
    subAttributes = list.map((s, i) => parseAttribute(s, `${at}.subAttributes[${i}]`, true));
    assertUniqueNames(subAttributes, `${at}`);
  } else if (raw.subAttributes !== undefined) {
    throw invalid(`${at}: only a complex attribute has subAttributes`);
  }
  if (uniqueness !== 'none' && (multiValued || type === 'complex' || sub)) {
    throw invalid(`${at}: uniqueness is supported on singular, simple attributes only`);
  }
  return {
    name,
    type,
    multiValued,
    ...(description !== undefined ? { description } : {}),
    required: flag(raw.required, false, `${at}: required`),
    // RFC 7643 §7: caseExact defaults to false; a reference is case-exact (§2.3.7).
    caseExact: flag(raw.caseExact, type === 'reference', `${at}: caseExact`),
    mutability: oneOf(raw.mutability, MUTABILITIES, 'readWrite', `${at}: mutability`),
    returned: oneOf(raw.returned, RETURNED, 'default', `${at}: returned`),
    // `global` cannot be promised by one server; it is enforced as `server`, and said so.
    uniqueness: uniqueness === 'global' ? 'server' : uniqueness,
    ...(canonicalValues?.length ? { canonicalValues } : {}),
    ...(referenceTypes?.length ? { referenceTypes } : {}),
    ...(subAttributes ? { subAttributes } : {}),
  };
}

function assertUniqueNames(attributes: AttributeDefinition[], where: string): void {
  const seen = new Set<string>();
  for (const attribute of attributes) {
    const lower = attribute.name.toLowerCase();
    if (seen.has(lower)) throw invalid(`${where} names the attribute "${attribute.name}" twice (names ignore case)`);
    seen.add(lower);
  }
}

/** Checks that `urn` can be an extension id, whether in a body or in a URL. */
export function assertExtensionUrn(urn: unknown): asserts urn is string {
  if (typeof urn !== 'string' || urn.length > EXTENSION_LIMITS.urnLength || !URN.test(urn)) {
    throw invalid(`"id" must be a URN (urn:<namespace>:<name>) of at most ${EXTENSION_LIMITS.urnLength} characters`);
  }
}

/**
 * A POST /admin/schemas body into a registrable extension. `existing` are the ids already in
 * the registry (built-in and custom); an id that equals one, or of which one is a `:`-prefix
 * (or the other way round), is refused, since attribute names like `urn:a:User:x` would be
 * ambiguous between the two.
 */
export function parseExtensionSchema(body: unknown, existing: string[] = []): CustomExtension {
  if (!isObject(body)) throw ScimError.badRequest('invalidSyntax', 'The schema must be a JSON object');
  const id = body.id;
  assertExtensionUrn(id);
  const lower = id.toLowerCase();
  for (const other of existing) {
    const o = other.toLowerCase();
    if (o === lower) throw ScimError.conflict(`The schema "${other}" is already registered`);
    if (
      lower.startsWith(`${o}:`) ||
      o.startsWith(`${lower}:`) ||
      lower.startsWith(`${o}.`) ||
      o.startsWith(`${lower}.`)
    ) {
      throw invalid(`"${id}" and the registered schema "${other}" would make attribute names ambiguous`);
    }
  }
  const resourceType = oneOf(body.resourceType, RESOURCE_TYPES, 'User', '"resourceType"');
  if (body.resourceType === undefined) throw invalid('"resourceType" is required: User or Group');
  const attributes = body.attributes;
  if (!Array.isArray(attributes) || attributes.length === 0) {
    throw invalid('"attributes" must be a non-empty array of attribute definitions');
  }
  if (attributes.length > EXTENSION_LIMITS.attributes) {
    throw invalid(`A schema may define at most ${EXTENSION_LIMITS.attributes} attributes`);
  }
  const parsed = attributes.map((a, i) => parseAttribute(a, `attributes[${i}]`, false));
  assertUniqueNames(parsed, `The schema "${id}"`);
  const name = text(body.name, EXTENSION_LIMITS.nameLength * 2, '"name"');
  const description = text(body.description, EXTENSION_LIMITS.descriptionLength, '"description"');
  const schema: SchemaDefinition = {
    id,
    name: name ?? id.slice(id.lastIndexOf(':') + 1),
    description: description ?? '',
    attributes: parsed,
  };
  return { resourceType, required: flag(body.required, false, '"required"'), schema };
}

function incompatible(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', `Incompatible change: ${detail}`);
}

const MUTABILITY_RELAXES: Record<Mutability, Mutability[]> = {
  readOnly: ['readOnly'],
  immutable: ['immutable', 'readWrite'],
  readWrite: ['readWrite'],
  writeOnly: ['writeOnly'],
};

function checkAttribute(before: AttributeDefinition, after: AttributeDefinition | undefined, path: string): void {
  if (!after) throw incompatible(`"${path}" would be removed; remove the extension instead`);
  if (after.type !== before.type) throw incompatible(`"${path}" changes type from ${before.type} to ${after.type}`);
  if (after.multiValued !== before.multiValued) throw incompatible(`"${path}" changes multiValued`);
  if (after.caseExact !== before.caseExact) throw incompatible(`"${path}" changes caseExact`);
  if (after.required && !before.required) throw incompatible(`"${path}" becomes required`);
  if (!MUTABILITY_RELAXES[before.mutability].includes(after.mutability)) {
    throw incompatible(`"${path}" changes mutability from ${before.mutability} to ${after.mutability}`);
  }
  if (after.uniqueness !== 'none' && before.uniqueness === 'none') {
    throw incompatible(`"${path}" becomes unique; existing values may not be`);
  }
  if (before.canonicalValues?.length) {
    const kept = new Set((after.canonicalValues ?? []).map((v) => v.toLowerCase()));
    const lost = after.canonicalValues?.length
      ? before.canonicalValues.find((v) => !kept.has(v.toLowerCase()))
      : undefined;
    if (lost !== undefined) throw incompatible(`"${path}" drops the canonical value "${lost}"`);
  }
  if (before.referenceTypes?.length && after.referenceTypes?.length) {
    const lost = before.referenceTypes.find((t) => !after.referenceTypes?.includes(t));
    if (lost !== undefined) throw incompatible(`"${path}" drops the reference type "${lost}"`);
  }
  for (const sub of before.subAttributes ?? []) {
    const match = after.subAttributes?.find((s) => s.name.toLowerCase() === sub.name.toLowerCase());
    checkAttribute(sub, match, `${path}.${sub.name}`);
  }
  for (const sub of after.subAttributes ?? []) {
    const known = before.subAttributes?.some((s) => s.name.toLowerCase() === sub.name.toLowerCase());
    if (!known && sub.required) throw incompatible(`the new sub-attribute "${path}.${sub.name}" is required`);
  }
}

/**
 * PUT /admin/schemas/{urn}: only changes that every stored document still satisfies: new
 * (optional) attributes, descriptions, `returned`, a requirement or uniqueness dropped,
 * immutable relaxed to readWrite, more canonical values or reference types.
 */
export function checkCompatibleChange(before: CustomExtension, after: CustomExtension): void {
  if (before.schema.id.toLowerCase() !== after.schema.id.toLowerCase()) throw incompatible('the id cannot change');
  if (before.resourceType !== after.resourceType) throw incompatible('the resource type cannot change');
  if (after.required && !before.required) throw incompatible('the extension becomes required');
  for (const attribute of before.schema.attributes) {
    const match = after.schema.attributes.find((a) => a.name.toLowerCase() === attribute.name.toLowerCase());
    checkAttribute(attribute, match, attribute.name);
  }
  for (const attribute of after.schema.attributes) {
    const known = before.schema.attributes.some((a) => a.name.toLowerCase() === attribute.name.toLowerCase());
    if (!known && attribute.required) throw incompatible(`the new attribute "${attribute.name}" is required`);
  }
}
