import { ScimError } from '../errors';
import { MAX_MEMBERS_PER_REQUEST } from '../limits';
import { ENTERPRISE_USER_SCHEMA } from '../schema/definitions';
import type { ResolvedAttribute, SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, ResourceTypeName } from '../schema/types';

/**
 * The one normalising layer of principle 5: whatever shape an IdP sends, what leaves here is a
 * canonical SCIM document (canonical attribute case, canonical extension keys, typed values,
 * nothing empty, nothing unknown, nothing readOnly), so storage, PATCH and projection never see
 * client quirks.
 */

export type NormalizeMode = 'create' | 'replace';

export interface NormalizedResource {
  /** Canonical document: common and core attributes, then each extension under its URN key. */
  doc: Record<string, unknown>;
  /** The cleartext password, taken out of the document so it is hashed, never stored or echoed. */
  password?: string;
  /** The core schema, then each extension that holds data. */
  schemas: string[];
}

/** Principle 6: bounds on what one request body may hold, checked before any other work. */
export const INPUT_LIMITS = { maxDepth: 8, maxValues: 10_000, maxStringBytes: 64 * 1024 } as const;

// Member elements count against MAX_MEMBERS_PER_REQUEST, not against `maxValues`, so that the
// member limit is that number whatever sub-attributes the members carry.

/** Values one member element may hold: its object, value, display, type, $ref, and a little room. */
const MAX_MEMBER_VALUES = 8;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// `Array.isArray` narrows to `any[]`; this keeps the elements `unknown`.
function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function invalidValue(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', detail);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function tooLong(text: string): boolean {
  // Counting bytes is only needed near the limit: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length * 3 <= INPUT_LIMITS.maxStringBytes) return false;
  return text.length > INPUT_LIMITS.maxStringBytes || utf8Length(text) > INPUT_LIMITS.maxStringBytes;
}

/**
 * Rejects a value nested deeper than 8 objects or arrays, holding more than 10,000 values in
 * total or more than MAX_MEMBERS_PER_REQUEST group members, or with a string (key or value) over
 * 64 KiB in UTF-8. The PATCH engine can reuse it. Member lists are the arrays under a `members`
 * key, and the `value` of a PATCH operation whose path is `members`.
 */
// U+0000 is matched on purpose: PostgreSQL cannot store it.
// eslint-disable-next-line no-control-regex -- the NUL character is exactly what this pattern looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const MEMBERS_PATH = /^\s*members(?![\w$])/i;

export function assertInputLimits(value: unknown): void {
  let count = 0;
  let members = 0;
  /** Within a member element: the values it has left, counted instead of the request's. */
  let memberValues: number | undefined;
  const member = (element: unknown, depth: number): void => {
    members++;
    if (members > MAX_MEMBERS_PER_REQUEST) {
      throw invalidValue(
        `A request may name at most ${MAX_MEMBERS_PER_REQUEST} members; send larger sets in several requests.`,
      );
    }
    memberValues = MAX_MEMBER_VALUES;
    try {
      visit(element, depth);
    } finally {
      memberValues = undefined;
    }
  };
  const memberList = (list: unknown, depth: number): void => {
    if (++count > INPUT_LIMITS.maxValues) {
      throw invalidValue(`The request holds more than ${INPUT_LIMITS.maxValues} values`);
    }
    if (depth > INPUT_LIMITS.maxDepth) {
      throw invalidValue(`The request is nested deeper than ${INPUT_LIMITS.maxDepth} levels`);
    }
    for (const element of isArray(list) ? list : [list]) member(element, depth + 1);
  };
  const visit = (node: unknown, depth: number): void => {
    if (memberValues !== undefined) {
      if (--memberValues < 0) throw invalidValue(`A member holds more than ${MAX_MEMBER_VALUES} values`);
    } else if (++count > INPUT_LIMITS.maxValues) {
      throw invalidValue(`The request holds more than ${INPUT_LIMITS.maxValues} values`);
    }
    if (typeof node === 'string') {
      if (tooLong(node)) throw invalidValue(`A string value is longer than ${INPUT_LIMITS.maxStringBytes} bytes`);
      // PostgreSQL cannot store U+0000 or a lone surrogate in text or JSONB; refuse them here
      // rather than fail at the database.
      if (UNSTORABLE.test(node)) throw invalidValue('A string value contains U+0000 or an unpaired surrogate');
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (depth > INPUT_LIMITS.maxDepth) {
      throw invalidValue(`The request is nested deeper than ${INPUT_LIMITS.maxDepth} levels`);
    }
    if (isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const path = (node as Record<string, unknown>).path;
    const patchesMembers = memberValues === undefined && typeof path === 'string' && MEMBERS_PATH.test(path);
    for (const [key, child] of Object.entries(node)) {
      if (tooLong(key)) throw invalidValue(`An attribute name is longer than ${INPUT_LIMITS.maxStringBytes} bytes`);
      const lower = key.toLowerCase();
      const list =
        memberValues === undefined &&
        ((lower === 'members' && isArray(child)) || (patchesMembers && lower === 'value'));
      if (list && (isArray(child) || isPlainObject(child))) {
        memberList(child, depth + 1);
      } else {
        visit(child, depth + 1);
      }
    }
  };
  visit(value, 1);
}

const DATE_TIME = /^(-?(?:[1-9]\d{4,}|\d{4}))-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** XML Schema `dateTime` (RFC 7643 §2.3.5): `2008-01-23T04:56:22Z`, fractions and offsets allowed. */
export function isXsdDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const fraction = m[7];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (minute > 59 || second > 59) return false;
  // XSD 1.0 allows 24:00:00 as the end of a day, and nothing else at hour 24.
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(fraction ?? '')))) return false;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMinutes = Number(m[10]);
    if (offsetMinutes > 59 || offsetHours > 14 || (offsetHours === 14 && offsetMinutes !== 0)) return false;
  }
  return true;
}

/** `null`, `""` (and a missing value) clear an attribute: Entra's null-update test sends both. */
function clears(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

function coerceSimple(attribute: AttributeDefinition, value: unknown, path: string): unknown {
  switch (attribute.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Entra's default job sends "True"/"False"; the validator then rejects strings in responses.
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw invalidValue(`Attribute "${path}" must be a boolean (true or false), got ${describe(value)}`);
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      // Entra sends numbers of custom attributes as strings ("42"), as it does booleans.
      if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value);
      throw invalidValue(`Attribute "${path}" must be an integer, got ${describe(value)}`);
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && /^\s*-?\d{1,15}(\.\d{1,15})?([eE][+-]?\d{1,3})?\s*$/.test(value)) {
        const number = Number(value);
        if (Number.isFinite(number)) return number;
      }
      throw invalidValue(`Attribute "${path}" must be a decimal number, got ${describe(value)}`);
    case 'dateTime':
      if (typeof value === 'string' && isXsdDateTime(value)) return value;
      throw invalidValue(`Attribute "${path}" must be an xsd:dateTime string such as "2008-01-23T04:56:22Z"`);
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value === 'string') return value;
      throw invalidValue(`Attribute "${path}" must be a string, got ${describe(value)}`);
    case 'complex':
      // Unreachable: complex values go through coerceComplex.
      throw invalidValue(`Attribute "${path}" must be a JSON object, got ${describe(value)}`);
  }
}

function coerceComplex(
  registry: SchemaRegistry,
  attribute: AttributeDefinition,
  value: unknown,
  path: string,
): Record<string, unknown> | undefined {
  // A bare value for a complex attribute with a `value` sub-attribute means that sub-attribute:
  // `"manager": "id"` (Entra's validator), `"members": ["id"]` (Microsoft's collection).
  const wrapped = !isPlainObject(value) && registry.subAttribute(attribute, 'value') ? { value } : value;
  if (!isPlainObject(wrapped)) {
    throw invalidValue(`Attribute "${path}" must be a JSON object, got ${describe(value)}`);
  }
  const found = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(wrapped)) {
    const sub = registry.subAttribute(attribute, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    found.set(sub.name, coerceValue(registry, sub, raw, `${path}.${sub.name}`));
  }
  const out: Record<string, unknown> = {};
  for (const sub of attribute.subAttributes ?? []) {
    const v = found.get(sub.name);
    if (v !== undefined) out[sub.name] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function coerceSingle(registry: SchemaRegistry, attribute: AttributeDefinition, value: unknown, path: string): unknown {
  if (clears(value)) return undefined;
  return attribute.type === 'complex'
    ? coerceComplex(registry, attribute, value, path)
    : coerceSimple(attribute, value, path);
}

/**
 * RFC 7643 §2.4: `primary: true` may appear at most once. Rejecting a body for it would break
 * provisioning over a detail, so the first element marked primary keeps it and later ones are
 * set to false.
 */
function keepFirstPrimary(items: unknown[]): void {
  let seen = false;
  for (const item of items) {
    if (!isPlainObject(item) || item.primary !== true) continue;
    if (seen) item.primary = false;
    seen = true;
  }
}

function coerceValue(registry: SchemaRegistry, attribute: AttributeDefinition, value: unknown, path: string): unknown {
  if (clears(value)) return undefined;
  if (attribute.multiValued) {
    // A single value where an array belongs is common enough (and unambiguous) to accept.
    const items = (isArray(value) ? value : [value])
      .map((item) => coerceSingle(registry, attribute, item, path))
      .filter((item) => item !== undefined);
    if (attribute.type === 'complex') keepFirstPrimary(items);
    return items.length > 0 ? items : undefined;
  }
  if (isArray(value)) {
    throw invalidValue(`Attribute "${path}" is single-valued, got an array`);
  }
  return coerceSingle(registry, attribute, value, path);
}

function isManager(resolved: ResolvedAttribute): boolean {
  return resolved.schemaId === ENTERPRISE_USER_SCHEMA && resolved.attribute.name === 'manager';
}

/**
 * Entra sends the manager as a bare id, as `{"value": id}` and, from its SCIM sample code, as
 * `[{"$ref": ..., "value": id}]`; all become `{ value }`, the one shape the validator reads back.
 */
function normalizeManager(registry: SchemaRegistry, resolved: ResolvedAttribute, value: unknown): unknown {
  const first = isArray(value) ? value[0] : value;
  const coerced = coerceSingle(registry, resolved.attribute, first, resolved.canonicalPath);
  return isPlainObject(coerced) && coerced.value !== undefined ? { value: coerced.value } : undefined;
}

/**
 * Coerces a client value for one resolved attribute or sub-attribute: the same rules as
 * `normalizeInput`, for the PATCH engine. Returns undefined when the value clears the attribute.
 * readOnly sub-attributes inside the value are dropped; the caller decides about readOnly targets.
 */
export function normalizeAttributeValue(
  registry: SchemaRegistry,
  resolved: ResolvedAttribute,
  value: unknown,
): unknown {
  if (!resolved.subAttribute && isManager(resolved)) return normalizeManager(registry, resolved, value);
  return coerceValue(registry, resolved.subAttribute ?? resolved.attribute, value, resolved.canonicalPath);
}

function isPassword(resolved: ResolvedAttribute): boolean {
  return !resolved.extension && resolved.attribute.name === 'password' && resolved.attribute.mutability === 'writeOnly';
}

function normalizePassword(value: unknown): string | undefined {
  if (clears(value)) return undefined;
  if (typeof value === 'string') return value;
  throw invalidValue(`Attribute "password" must be a string, got ${describe(value)}`);
}

/**
 * A body key under an extension URN nobody registered (issue 15), handled as
 * SCHEMA_UNKNOWN_EXTENSIONS says: `reject` names the URN in a 400, `store` keeps the values
 * verbatim (nested under the URN, whichever form was sent), `ignore` drops them and reports the
 * URN so that it can be logged and counted.
 */
function unregistered(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  urn: string,
  key: string,
  raw: unknown,
  stored: Map<string, Record<string, unknown>>,
): void {
  const policy = registry.unknownExtensions();
  if (policy.mode === 'reject') {
    throw invalidValue(
      `The extension "${urn}" is not registered on this server, so its attributes would be lost; ` +
        'an administrator registers it with POST /admin/schemas (see SCHEMA_UNKNOWN_EXTENSIONS)',
    );
  }
  if (policy.mode === 'ignore') {
    policy.onIgnored?.(urn);
    return;
  }
  policy.onStored?.(resourceType, urn);
  const current = [...stored.keys()].find((k) => k.toLowerCase() === urn.toLowerCase()) ?? urn;
  const nested = stored.get(current) ?? {};
  if (key === urn) {
    if (clears(raw)) stored.delete(current);
    else if (isPlainObject(raw)) stored.set(current, { ...nested, ...raw });
    return;
  }
  if (clears(raw)) return;
  stored.set(current, { ...nested, [key.slice(urn.length + 1)]: raw });
}

/**
 * Turns a POST or PUT body into a canonical document. Unknown attributes and URNs listed only in
 * `schemas` are dropped, never rejected (Entra's misspelled `…enterprise:2.0User`, Microsoft's ADSCIM group
 * URN, typos such as `adreses`), as are readOnly attributes (`id`, `meta`, Okta's `groups: []`).
 * `mode` only shapes error details: immutability is checked by `checkImmutable` against the
 * stored resource.
 */
export function normalizeInput(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  body: unknown,
  mode: NormalizeMode,
): NormalizedResource {
  if (!isPlainObject(body)) {
    throw ScimError.badRequest('invalidSyntax', `The request body must be a JSON object, got ${describe(body)}`);
  }
  assertInputLimits(body);

  const core = registry.coreSchema(resourceType);
  const extensions = registry.extensionSchemas(resourceType);
  // Keyed by canonical attribute path and filled in body order, so a later key wins over an
  // earlier spelling of the same attribute (`Active` after `active`).
  const values = new Map<string, unknown>();
  /** SCHEMA_UNKNOWN_EXTENSIONS=store: unregistered extensions, verbatim, by URN as sent. */
  const stored = new Map<string, Record<string, unknown>>();
  let password: string | undefined;

  const assign = (resolved: ResolvedAttribute, raw: unknown): void => {
    const { attribute, subAttribute, attributePath } = resolved;
    if (isPassword(resolved)) {
      if (!subAttribute) password = normalizePassword(raw);
      return;
    }
    if (attribute.mutability === 'readOnly' || subAttribute?.mutability === 'readOnly') return;
    if (!subAttribute) {
      values.set(attributePath, normalizeAttributeValue(registry, resolved, raw));
      return;
    }
    // `emails.value` names no particular element, so there is nothing to set.
    if (attribute.multiValued) return;
    const current = values.get(attributePath);
    const merged = { ...(isPlainObject(current) ? current : {}), [subAttribute.name]: raw };
    values.set(attributePath, normalizeAttributeValue(registry, { ...resolved, subAttribute: undefined }, merged));
  };

  for (const [key, raw] of Object.entries(body)) {
    const extension = registry.extensionSchema(resourceType, key);
    if (extension) {
      if (clears(raw)) {
        for (const attribute of extension.attributes) values.delete(`${extension.id}:${attribute.name}`);
        continue;
      }
      if (!isPlainObject(raw)) {
        throw invalidValue(`Extension "${extension.id}" must be a JSON object, got ${describe(raw)}`);
      }
      for (const [name, value] of Object.entries(raw)) {
        const resolved = registry.resolveName(resourceType, `${extension.id}:${name}`);
        if (resolved?.schemaId === extension.id) assign(resolved, value);
      }
      continue;
    }
    const unknownUrn = registry.unregisteredExtensionUrn(resourceType, key, raw);
    if (unknownUrn !== undefined) {
      unregistered(registry, resourceType, unknownUrn, key, raw, stored);
      continue;
    }
    // Top-level names may be plain, dotted or URN-qualified (`urn:…:enterprise:2.0:User:department`).
    const resolved = registry.resolveName(resourceType, key);
    if (resolved) assign(resolved, raw);
  }

  const doc: Record<string, unknown> = {};
  const schemas = [core.id];
  for (const attribute of [...registry.commonAttributes(), ...core.attributes]) {
    const value = values.get(attribute.name);
    if (value !== undefined) doc[attribute.name] = value;
  }
  for (const extension of extensions) {
    const nested: Record<string, unknown> = {};
    for (const attribute of extension.attributes) {
      const value = values.get(`${extension.id}:${attribute.name}`);
      if (value !== undefined) nested[attribute.name] = value;
    }
    if (Object.keys(nested).length > 0) {
      doc[extension.id] = nested;
      schemas.push(extension.id);
    }
  }

  for (const [urn, nested] of stored) {
    if (Object.keys(nested).length === 0) continue;
    doc[urn] = nested;
    schemas.push(urn);
  }

  // An optional extension that was not sent has no required attributes to miss.
  const requiredExtensions = new Set(
    registry
      .resourceType(resourceType)
      ?.schemaExtensions.filter((e) => e.required)
      .map((e) => e.schema.toLowerCase()),
  );
  const requiredScopes = [
    { prefix: '', attributes: [...registry.commonAttributes(), ...core.attributes], container: doc, checked: true },
    ...extensions.map((e) => ({
      prefix: `${e.id}:`,
      attributes: e.attributes,
      container: doc[e.id],
      checked: doc[e.id] !== undefined || requiredExtensions.has(e.id.toLowerCase()),
    })),
  ];
  for (const scope of requiredScopes) {
    if (!scope.checked) continue;
    for (const attribute of scope.attributes) {
      if (!attribute.required || attribute.mutability === 'readOnly') continue;
      if (isPlainObject(scope.container) && scope.container[attribute.name] !== undefined) continue;
      const name = `${scope.prefix}${attribute.name}`;
      throw invalidValue(
        mode === 'replace'
          ? `Attribute "${name}" is required; PUT replaces the whole resource, so it must be sent again`
          : `Attribute "${name}" is required`,
      );
    }
  }

  return { doc, ...(password !== undefined ? { password } : {}), schemas };
}

function sameScalar(attribute: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (attribute.type === 'dateTime') return a === b || Date.parse(a) === Date.parse(b);
    return attribute.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  }
  return a === b;
}

function sameSingle(attribute: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (attribute.type !== 'complex') return sameScalar(attribute, a, b);
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  return (attribute.subAttributes ?? []).every((sub) => sameValue(sub, a[sub.name], b[sub.name]));
}

/** Equality as the schema defines it: caseExact decides string comparison; element order is free. */
function sameValue(attribute: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (!attribute.multiValued) return sameSingle(attribute, a, b);
  if (a === undefined || b === undefined) return a === b;
  if (!isArray(a) || !isArray(b) || a.length !== b.length) return false;
  const unmatched = [...b];
  return a.every((item) => {
    const at = unmatched.findIndex((other) => sameSingle(attribute, item, other));
    if (at < 0) return false;
    unmatched.splice(at, 1);
    return true;
  });
}

/**
 * RFC 7643 §2.2 `immutable`: once an attribute has a value it cannot change, and removing it is a
 * change too. Sub-attributes of multi-valued attributes are skipped: their elements have no
 * identity, so a changed element is indistinguishable from one removed and one added, which
 * RFC 7643 §4.2 explicitly allows for group members.
 */
export function checkImmutable(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): void {
  const scopes = [
    {
      prefix: '',
      attributes: [...registry.commonAttributes(), ...registry.coreSchema(resourceType).attributes],
      before,
      after,
    },
    ...registry.extensionSchemas(resourceType).map((e) => ({
      prefix: `${e.id}:`,
      attributes: e.attributes,
      before: isPlainObject(before[e.id]) ? before[e.id] : undefined,
      after: isPlainObject(after[e.id]) ? after[e.id] : undefined,
    })),
  ];
  const fail = (path: string): ScimError =>
    ScimError.badRequest('mutability', `Attribute "${path}" is immutable and cannot be changed once set`);

  for (const scope of scopes) {
    if (!isPlainObject(scope.before)) continue;
    const afterScope = isPlainObject(scope.after) ? scope.after : {};
    for (const attribute of scope.attributes) {
      const path = `${scope.prefix}${attribute.name}`;
      const was = scope.before[attribute.name];
      const now = afterScope[attribute.name];
      if (attribute.mutability === 'immutable' && was !== undefined && !sameValue(attribute, was, now)) {
        throw fail(path);
      }
      if (attribute.type !== 'complex' || attribute.multiValued || !isPlainObject(was)) continue;
      for (const sub of attribute.subAttributes ?? []) {
        const subWas = was[sub.name];
        const subNow = isPlainObject(now) ? now[sub.name] : undefined;
        if (sub.mutability === 'immutable' && subWas !== undefined && !sameValue(sub, subWas, subNow)) {
          throw fail(`${path}.${sub.name}`);
        }
      }
    }
  }
}
