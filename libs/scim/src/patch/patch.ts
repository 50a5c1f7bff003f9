/**
 * The RFC 7644 §3.5.2 PATCH engine: validates a PatchOp body, then applies its operations to a copy of a stored
 * canonical document. Pure: no I/O, no Nest. The service loads the resource, calls `applyPatch`, and writes
 * `doc`, `password` and `memberOps` in one transaction (or nothing, when `changed` is false).
 *
 * Group membership never travels through the document: a group may have far more members than anyone wants to
 * load for a PATCH, so `members` operations come back as deltas (`memberOps`) for the database to apply.
 *
 * Values go through the same normalising layer as POST and PUT (`normalizeAttributeValue`), so a PATCH can never
 * store what a create would have refused or coerced differently.
 */
import { ScimError } from '../errors';
import type { AttrPath, Filter } from '../filter/ast';
import { matchesElement } from '../filter/evaluate';
import { parsePath } from '../filter/parser';
import { assertInputLimits, checkImmutable, isPlainObject, normalizeAttributeValue } from '../resource/normalize';
import { ENTERPRISE_USER_SCHEMA } from '../schema/definitions';
import { formatAttrPath, type ResolvedAttribute, type SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, ResourceTypeName } from '../schema/types';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface PatchRequestLimits {
  /** Most operations in one request (RFC 7644 sets no limit; this bounds the work of one request). */
  maxOperations: number;
}

export const DEFAULT_PATCH_LIMITS: Readonly<PatchRequestLimits> = Object.freeze({ maxOperations: 1000 });

export type PatchOpName = 'add' | 'replace' | 'remove';

/** One validated operation: `op` in lower case, `path` as written, `value` only when the client sent one. */
export interface PatchOperation {
  op: PatchOpName;
  path?: string;
  value?: unknown;
}

export interface MemberRef {
  value: string;
  type?: 'User' | 'Group';
  display?: string;
}

export type MemberOp =
  | { kind: 'add'; values: MemberRef[] }
  | { kind: 'remove'; values: string[] }
  | { kind: 'removeAll' }
  /** `members[...]` filters other than a plain `value eq "x"`; paths in `filter` are relative to one member. */
  | { kind: 'removeWhere'; filter: Filter }
  | { kind: 'replace'; values: MemberRef[] };

export interface PatchResult {
  /** The new canonical document; never holds `members` for Groups (see `memberOps`). */
  doc: Record<string, unknown>;
  /** Set when an operation sets (string) or clears (null) the writeOnly password; the last one wins. */
  password?: string | null;
  /** Group only, in request order. */
  memberOps: MemberOp[];
  /** False when nothing would change, so the service can skip the write (and keep meta.version). */
  changed: boolean;
}

// ---- the envelope ----------------------------------------------------------------------------------------------

const OP_NAMES: ReadonlySet<string> = new Set<PatchOpName>(['add', 'replace', 'remove']);

function isOpName(name: string): name is PatchOpName {
  return OP_NAMES.has(name);
}

/** The value of `name` in `object`, matched case-sensitively first, then in any case (`Operations`/`operations`). */
function member(object: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  if (Object.hasOwn(object, name)) return { found: true, value: object[name] };
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? { found: false, value: undefined } : { found: true, value: object[key] };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function invalidSyntax(detail: string): ScimError {
  return ScimError.badRequest('invalidSyntax', detail);
}

function invalidValue(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', detail);
}

function invalidPath(detail: string): ScimError {
  return ScimError.badRequest('invalidPath', detail);
}

function noTarget(detail: string): ScimError {
  return ScimError.badRequest('noTarget', detail);
}

function mutability(detail: string): ScimError {
  return ScimError.badRequest('mutability', detail);
}

/** Runs `work`, naming the operation in any ScimError it throws, so a client can tell which of 50 ops failed. */
function inOperation<T>(index: number, work: () => T): T {
  try {
    return work();
  } catch (error: unknown) {
    if (error instanceof ScimError)
      throw new ScimError(error.status, `Operation ${index + 1}: ${error.detail}`, error.scimType);
    throw error;
  }
}

/**
 * Validates a PATCH body (RFC 7644 §3.5.2) and returns its operations. Lenient where real clients differ from the
 * RFC: `op` in any case (Entra's `Replace`), `Operations` in any case, extra keys inside an operation (Microsoft's
 * `"name": "addMember"`) and extra `schemas` entries are ignored, and `"path": ""` or `null` means no path.
 *
 * An empty `Operations` array is accepted as a no-op: RFC 7644 only says the member is required, and Microsoft's
 * validator sends one; failing it would break the client for no gain.
 */
export function parsePatchRequest(body: unknown, limits?: Partial<PatchRequestLimits>): PatchOperation[] {
  if (!isPlainObject(body)) {
    throw invalidSyntax(`The PATCH request body must be a JSON object, got ${describe(body)}`);
  }
  const maxOperations = limits?.maxOperations ?? DEFAULT_PATCH_LIMITS.maxOperations;

  const schemas = member(body, 'schemas').value;
  const listed = isArray(schemas) ? schemas : [schemas];
  if (!listed.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`A PATCH request must list "${PATCH_OP_SCHEMA}" in "schemas"`);
  }
  const operations = member(body, 'Operations');
  if (!operations.found) throw invalidSyntax('A PATCH request must have an "Operations" array');
  const list = operations.value;
  if (!isArray(list)) throw invalidSyntax(`"Operations" must be an array, got ${describe(list)}`);
  // Before any per-operation work, so an oversized request costs nothing more than this check.
  if (list.length > maxOperations) {
    throw invalidValue(
      `The PATCH request has ${list.length} operations; at most ${maxOperations} are allowed in one request`,
    );
  }
  assertInputLimits(body);
  return list.map((raw, index) => inOperation(index, () => parseOperation(raw)));
}

function parseOperation(raw: unknown): PatchOperation {
  if (!isPlainObject(raw)) throw invalidSyntax(`An operation must be a JSON object, got ${describe(raw)}`);
  const opField = member(raw, 'op');
  if (!opField.found) throw invalidSyntax('The operation has no "op"; expected add, replace or remove');
  if (typeof opField.value !== 'string') {
    throw invalidSyntax(`"op" must be a string (add, replace or remove), got ${describe(opField.value)}`);
  }
  const op = opField.value.toLowerCase();
  if (!isOpName(op)) {
    throw invalidSyntax(`Unknown op "${opField.value}"; expected add, replace or remove`);
  }

  const pathField = member(raw, 'path').value;
  let path: string | undefined;
  if (typeof pathField === 'string') {
    // Some clients send `"path": ""` beside a pathless value; it names nothing, so it is no path.
    if (pathField.trim() !== '') {
      path = pathField;
      // Syntax errors surface here, before anything is applied; applyPatch resolves the names.
      parsePath(path);
    }
  } else if (pathField !== undefined && pathField !== null) {
    throw invalidPath(`"path" must be a string, got ${describe(pathField)}`);
  }

  const valueField = member(raw, 'value');
  if (op !== 'remove' && !valueField.found) {
    throw invalidSyntax(`An "${op}" operation must have a "value"`);
  }
  return { op, ...(path !== undefined ? { path } : {}), ...(valueField.found ? { value: valueField.value } : {}) };
}

// ---- applying ----------------------------------------------------------------------------------------------------

/**
 * Applies validated operations to a copy of `current` (a canonical document as `normalizeInput` makes it).
 * Throws a ScimError on the first failing operation; `current` is never modified, so a failure leaves nothing
 * half-applied.
 */
export function applyPatch(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  current: Record<string, unknown>,
  operations: PatchOperation[],
): PatchResult {
  // Members are left out before copying: they are never patched here, and a big group's list is costly to clone.
  const { members: _members, ...attributes } = current;
  const before = structuredClone(resourceType === 'Group' ? attributes : current);
  const engine = new PatchEngine(registry, resourceType, structuredClone(before));
  operations.forEach((operation, index) => inOperation(index, () => engine.apply(operation)));
  return engine.finish(before);
}

type Json = Record<string, unknown>;

/** A path resolved against the schema: an attribute, optionally narrowed by a value filter and a sub-attribute. */
interface Target {
  /** Attribute-level (no `subAttribute`), so it normalises values of the whole attribute. */
  resolved: ResolvedAttribute;
  sub?: AttributeDefinition;
  /** Only on multi-valued attributes; its paths are relative to one element. */
  filter?: Filter;
  /** Canonical text for error details. */
  label: string;
}

type Resolution = { kind: 'schema'; schemaId: string; extension: boolean } | { kind: 'attribute'; target: Target };

/** Keys of a pathless value that are not attributes to set: Okta sends `id` on every group rename. */
const IGNORED_VALUE_KEYS: ReadonlySet<string> = new Set(['id', 'schemas', 'meta']);

/** `null`, `""` and a missing value clear the target (Microsoft's null-update test sends both). */
function clears(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

function withSub(resolved: ResolvedAttribute, sub: AttributeDefinition): ResolvedAttribute {
  return { ...resolved, subAttribute: sub, canonicalPath: `${resolved.attributePath}.${sub.name}` };
}

function isManager(resolved: ResolvedAttribute): boolean {
  return resolved.schemaId === ENTERPRISE_USER_SCHEMA && resolved.attribute.name === 'manager';
}

/** Whether a manager value mentions an id (possibly empty): a bare value, or an object with a `value` key. */
function namesManagerId(value: unknown): boolean {
  const first = isArray(value) ? value[0] : value;
  return !isPlainObject(first) || Object.keys(first).some((key) => key.toLowerCase() === 'value');
}

function isEmptyObject(value: Json): boolean {
  return Object.keys(value).length === 0;
}

/**
 * An element left with nothing but its labels (`{"type":"work"}` after its `value` was cleared) says nothing, so
 * an element an operation reduces to that is dropped. Elements the operation did not touch are left alone.
 */
function isHollow(element: unknown): boolean {
  if (!isPlainObject(element)) return element === undefined || element === null || element === '';
  return Object.keys(element).every((key) => key === 'type' || key === 'primary');
}

/** JSON equality; object key order does not matter, array order does, an `undefined` member counts as absent. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isArray(a) || isArray(b)) {
    return isArray(a) && isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/** Equality of two values of one simple attribute, as its schema defines it (`caseExact`). */
function sameSimple(attribute: AttributeDefinition, a: unknown, b: unknown): boolean {
  const fold = (v: unknown): unknown => (typeof v === 'string' && !attribute.caseExact ? v.toLowerCase() : v);
  return fold(a) === fold(b);
}

function withoutPrimary(element: unknown): unknown {
  if (!isPlainObject(element)) return element;
  const { primary: _primary, ...rest } = element;
  return rest;
}

// `Array.isArray` narrows to `any[]`; this keeps the elements `unknown`.
function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function arrayOf(value: unknown): unknown[] {
  return isArray(value) ? value : [];
}

class PatchEngine {
  private password?: string | null;
  private readonly memberOps: MemberOp[] = [];

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly resourceType: ResourceTypeName,
    private readonly doc: Json,
  ) {}

  apply(operation: PatchOperation): void {
    const { op, path, value } = operation;
    if (path === undefined) {
      // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails with HTTP status code 400 and a
      // "scimType" error code of "noTarget"."
      if (op === 'remove') throw noTarget('A remove operation needs a "path" naming what to remove');
      this.applyValueObject(op, value, undefined);
      return;
    }
    if (this.unregistered(op, path.trim(), value)) return;
    const resolution = this.resolvePath(path);
    if (resolution.kind === 'schema') {
      this.applySchema(op, resolution, value, path);
      return;
    }
    this.applyTarget(op, resolution.target, value, true);
  }

  /**
   * A path or pathless key under an extension URN nobody registered (issue 15), as
   * SCHEMA_UNKNOWN_EXTENSIONS says: `reject` names the URN, `ignore` skips it (reported), `store`
   * sets or removes the value verbatim under the URN (`urn` or `urn:attr`, nothing deeper).
   */
  private unregistered(op: PatchOpName, key: string, value: unknown): boolean {
    const found = this.registry.unregisteredExtensionUrn(this.resourceType, key, op === 'remove' ? undefined : value);
    if (found === undefined || /[[\]]/.test(key)) return false;
    // `remove` of a whole stored extension names its URN, which the split above cut at its last colon.
    const urn = Object.keys(this.doc).some((k) => k.toLowerCase() === key.toLowerCase()) ? key : found;
    const policy = this.registry.unknownExtensions();
    if (policy.mode === 'reject') {
      throw invalidValue(
        `The extension "${urn}" is not registered on this server, so its attributes would be lost; ` +
          'an administrator registers it with POST /admin/schemas (see SCHEMA_UNKNOWN_EXTENSIONS)',
      );
    }
    if (policy.mode === 'ignore') {
      policy.onIgnored?.(urn);
      return true;
    }
    const stored = Object.keys(this.doc).find((k) => k.toLowerCase() === urn.toLowerCase()) ?? urn;
    const nested = isPlainObject(this.doc[stored]) ? { ...this.doc[stored] } : {};
    if (key.length === urn.length) {
      if (op === 'remove' || clears(value)) delete this.doc[stored];
      else if (isPlainObject(value)) this.doc[stored] = { ...(op === 'replace' ? {} : nested), ...value };
      return true;
    }
    const attr = key.slice(urn.length + 1);
    if (op === 'remove' || clears(value)) delete nested[attr];
    else nested[attr] = value;
    if (Object.keys(nested).length > 0) this.doc[stored] = nested;
    else delete this.doc[stored];
    return true;
  }

  finish(before: Json): PatchResult {
    this.checkRequired(before);
    checkImmutable(this.registry, this.resourceType, before, this.doc);
    const doc = this.canonicalize(this.doc);
    this.settleLegacyPrimaries(doc);
    const changed =
      this.memberOps.length > 0 || this.password !== undefined || !deepEqual(this.canonicalize(before), doc);
    return {
      doc,
      ...(this.password !== undefined ? { password: this.password } : {}),
      memberOps: this.memberOps,
      changed,
    };
  }

  // ---- resolving paths ---------------------------------------------------------------------------------------

  /** The schema (core or extension) whose id is `text`, in any case. */
  private schemaNamed(text: string): { schemaId: string; extension: boolean } | undefined {
    const lower = text.trim().toLowerCase();
    const core = this.registry.coreSchema(this.resourceType);
    if (core.id.toLowerCase() === lower) return { schemaId: core.id, extension: false };
    const extension = this.registry.extensionSchema(this.resourceType, lower);
    return extension ? { schemaId: extension.id, extension: true } : undefined;
  }

  private resolvePath(text: string): Resolution {
    // A whole schema URN parses as `uri:attr` (`urn:…:2.0` + `User`), so it is recognised before parsing.
    const schema = this.schemaNamed(text);
    if (schema) return { kind: 'schema', ...schema };

    const expression = parsePath(text);
    const resolved = this.registry.resolve(this.resourceType, expression.path);
    if (!resolved) {
      const attribute = this.registry.resolve(this.resourceType, { ...expression.path, sub: undefined });
      if (attribute && expression.path.sub !== undefined) {
        throw invalidPath(`Attribute "${attribute.attributePath}" has no sub-attribute "${expression.path.sub}"`);
      }
      throw invalidPath(`Unknown attribute "${formatAttrPath(expression.path)}" in path "${text}"`);
    }
    const { subAttribute, ...rest } = resolved;
    const base: ResolvedAttribute = { ...rest, canonicalPath: rest.attributePath };
    const attribute = base.attribute;
    let sub = subAttribute;
    let filter: Filter | undefined;
    if (expression.filter) {
      if (!attribute.multiValued) {
        throw invalidPath(
          `"${base.attributePath}" is single-valued; a value filter "[...]" needs a multi-valued attribute`,
        );
      }
      this.checkFilter(attribute, expression.filter, base.attributePath);
      filter = expression.filter;
      if (expression.sub !== undefined) {
        sub = this.registry.subAttribute(attribute, expression.sub);
        if (!sub) throw invalidPath(`Attribute "${base.attributePath}" has no sub-attribute "${expression.sub}"`);
      }
    }
    // With a filter, the path as written says best which elements were meant; otherwise the canonical name does.
    const label = filter ? text.trim() : `${base.attributePath}${sub ? `.${sub.name}` : ''}`;
    return {
      kind: 'attribute',
      target: { resolved: base, ...(sub ? { sub } : {}), ...(filter ? { filter } : {}), label },
    };
  }

  /** Every attribute a value filter names must be a sub-attribute of the filtered attribute. */
  private checkFilter(attribute: AttributeDefinition, filter: Filter, label: string): void {
    switch (filter.kind) {
      case 'and':
      case 'or':
        this.checkFilter(attribute, filter.left, label);
        this.checkFilter(attribute, filter.right, label);
        return;
      case 'not':
        this.checkFilter(attribute, filter.filter, label);
        return;
      case 'valuePath':
        throw invalidPath(`Value filters cannot be nested inside the filter of "${label}"`);
      case 'compare':
      case 'present':
        this.filterSubAttribute(attribute, filter.path, label);
        return;
    }
  }

  private filterSubAttribute(attribute: AttributeDefinition, path: AttrPath, label: string): AttributeDefinition {
    const relative = path.uri === undefined && path.sub === undefined;
    // The elements of a simple multi-valued attribute are bare values, which a filter calls `value`.
    if (relative && !attribute.subAttributes && path.attr.toLowerCase() === 'value') {
      return { ...attribute, name: 'value', multiValued: false };
    }
    const sub = relative ? this.registry.subAttribute(attribute, path.attr) : undefined;
    if (!sub) {
      throw invalidPath(`The filter of "${label}" names "${formatAttrPath(path)}", which is not a sub-attribute of it`);
    }
    return sub;
  }

  private matcher(target: Target): (element: unknown) => boolean {
    const { filter } = target;
    if (!filter) return () => true;
    const attribute = target.resolved.attribute;
    const caseExact = (path: AttrPath): boolean =>
      this.registry.subAttribute(attribute, path.attr)?.caseExact ?? attribute.caseExact;
    return (element) => matchesElement(filter, element, { caseExact });
  }

  // ---- dispatch ----------------------------------------------------------------------------------------------

  /**
   * A pathless add/replace: each key is applied as its own operation. Keys may be plain, dotted, URN-qualified,
   * or a schema URN holding an object of that schema's attributes, in any case. readOnly attributes are skipped
   * without error, since clients echo what they read (Okta's `id`, Entra's `meta`).
   */
  private applyValueObject(op: 'add' | 'replace', value: unknown, schemaId: string | undefined): void {
    if (!isPlainObject(value)) {
      const where = schemaId ? `The value for "${schemaId}"` : `An "${op}" operation without "path"`;
      throw invalidValue(`${where} needs a JSON object of attributes, got ${describe(value)}`);
    }
    for (const [key, raw] of Object.entries(value)) {
      if (IGNORED_VALUE_KEYS.has(key.toLowerCase())) continue;
      if (!schemaId && this.unregistered(op, key, raw)) continue;
      const resolution = this.resolvePath(schemaId ? `${schemaId}:${key}` : key);
      if (resolution.kind === 'schema') {
        if (schemaId) throw invalidPath(`"${key}" inside "${schemaId}" is not an attribute`);
        this.applySchema(op, resolution, raw, key);
        continue;
      }
      this.applyTarget(op, resolution.target, raw, false);
    }
  }

  /** A path (or pathless key) naming a whole schema: `urn:…:enterprise:2.0:User`. */
  private applySchema(
    op: PatchOpName,
    schema: { schemaId: string; extension: boolean },
    value: unknown,
    written: string,
  ): void {
    if (op === 'remove' || clears(value)) {
      if (!schema.extension) {
        throw invalidPath(
          `"${written}" names the core schema; name an attribute to ${op === 'remove' ? 'remove' : 'clear'}`,
        );
      }
      delete this.doc[schema.schemaId];
      return;
    }
    this.applyValueObject(op, value, schema.schemaId);
  }

  private applyTarget(op: PatchOpName, target: Target, value: unknown, explicit: boolean): void {
    const { resolved, sub, filter } = target;
    if (this.isMembers(resolved)) {
      this.applyMembers(op, target, value);
      return;
    }
    if (this.isPassword(resolved)) {
      this.applyPassword(op, value);
      return;
    }
    const readOnly = resolved.attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly';
    if (readOnly) {
      if (explicit) throw mutability(`Attribute "${target.label}" is readOnly and cannot be changed`);
      return;
    }

    const attribute = resolved.attribute;
    if (attribute.multiValued && (filter || sub)) {
      if (op === 'remove') this.removeElements(target);
      else this.writeElements(target, value);
      return;
    }
    if (sub) {
      this.writeSubAttribute(target, sub, op === 'remove' ? undefined : value);
      return;
    }
    if (op === 'remove') {
      if (attribute.multiValued && !clears(value)) this.removeByValue(target, value);
      else this.setAttribute(resolved, undefined);
      return;
    }
    if (attribute.multiValued) {
      if (op === 'add') this.appendElements(target, value);
      else this.replaceList(target, value);
      return;
    }
    if (attribute.type === 'complex') {
      this.mergeComplex(target, value);
      return;
    }
    this.setAttribute(resolved, normalizeAttributeValue(this.registry, resolved, value));
  }

  private isMembers(resolved: ResolvedAttribute): boolean {
    return this.resourceType === 'Group' && !resolved.extension && resolved.attribute.name === 'members';
  }

  /** The same test `normalizeInput` uses: the core `password`, whose writeOnly value never enters the document. */
  private isPassword(resolved: ResolvedAttribute): boolean {
    return (
      !resolved.extension &&
      !resolved.common &&
      resolved.attribute.name === 'password' &&
      resolved.attribute.mutability === 'writeOnly'
    );
  }

  // ---- the document ------------------------------------------------------------------------------------------

  /** The object holding `resolved`: the document, or its extension object (created when `create`). */
  private scope(resolved: ResolvedAttribute, create: boolean): Json | undefined {
    if (!resolved.extension) return this.doc;
    const existing = this.doc[resolved.schemaId];
    if (isPlainObject(existing)) return existing;
    if (!create) return undefined;
    const created: Json = {};
    this.doc[resolved.schemaId] = created;
    return created;
  }

  /** Sets or (for `undefined`, an empty list or an empty object) removes an attribute, pruning an empty extension. */
  private setAttribute(resolved: ResolvedAttribute, value: unknown): void {
    const empty =
      value === undefined || (isArray(value) && value.length === 0) || (isPlainObject(value) && isEmptyObject(value));
    const scope = this.scope(resolved, !empty);
    if (!scope) return;
    if (empty) delete scope[resolved.attribute.name];
    else scope[resolved.attribute.name] = value;
    if (resolved.extension && isEmptyObject(scope)) delete this.doc[resolved.schemaId];
  }

  private getAttribute(resolved: ResolvedAttribute): unknown {
    return this.scope(resolved, false)?.[resolved.attribute.name];
  }

  /** `name.givenName`, `manager.value`: one sub-attribute of a singular complex attribute; `undefined` removes it. */
  private writeSubAttribute(target: Target, sub: AttributeDefinition, value: unknown): void {
    const { resolved } = target;
    const coerced = normalizeAttributeValue(this.registry, withSub(resolved, sub), value);
    const existing = this.getAttribute(resolved);
    const object: Json = isPlainObject(existing) ? { ...existing } : {};
    if (coerced === undefined) delete object[sub.name];
    else object[sub.name] = coerced;
    this.setAttribute(resolved, object);
  }

  /**
   * add/replace of a singular complex attribute: RFC 7644 §3.5.2.3 replaces the sub-attributes given and leaves the
   * others; a sub-attribute given as `""`/null is cleared. The manager is the exception: it is one reference, so a
   * new one replaces it whole (its `$ref` would otherwise keep pointing at the old manager).
   */
  private mergeComplex(target: Target, value: unknown): void {
    const { resolved } = target;
    if (clears(value)) {
      this.setAttribute(resolved, undefined);
      return;
    }
    if (isManager(resolved)) {
      const manager = normalizeAttributeValue(this.registry, resolved, value);
      // `{"value": ""}` clears the manager, but a value naming no id at all (only the readOnly displayName, say)
      // says nothing about who the manager is, and must not silently drop the one stored.
      if (manager !== undefined || namesManagerId(value)) this.setAttribute(resolved, manager);
      return;
    }
    const existing = this.getAttribute(resolved);
    const merged = this.mergeObject(resolved, isPlainObject(existing) ? { ...existing } : {}, value);
    this.setAttribute(resolved, merged);
  }

  /**
   * Merges a client value into one complex value (a singular attribute or one element): the sub-attributes given
   * are coerced and set, cleared ones removed; unknown and readOnly ones are dropped as `normalizeInput` drops them.
   * A bare value means the `value` sub-attribute; anything else that is not an object is rejected.
   */
  private mergeObject(resolved: ResolvedAttribute, into: Json, value: unknown): Json {
    const attribute = resolved.attribute;
    // `[{...}]` where one object belongs is how several clients send a single complex value.
    const single = isArray(value) && value.length === 1 ? value[0] : value;
    let object: Json;
    if (isPlainObject(single)) object = single;
    else if (!isArray(single) && this.registry.subAttribute(attribute, 'value')) object = { value: single };
    else throw invalidValue(`Attribute "${resolved.attributePath}" needs a JSON object, got ${describe(value)}`);
    for (const [key, raw] of Object.entries(object)) {
      const sub = this.registry.subAttribute(attribute, key);
      if (!sub || sub.mutability === 'readOnly') continue;
      const coerced = normalizeAttributeValue(this.registry, withSub(resolved, sub), raw);
      if (coerced === undefined) delete into[sub.name];
      else into[sub.name] = coerced;
    }
    return into;
  }

  // ---- multi-valued attributes ---------------------------------------------------------------------------------

  /** Coerces a value for a multi-valued attribute into its list of elements (a single value is wrapped). */
  private elements(resolved: ResolvedAttribute, value: unknown): unknown[] {
    return arrayOf(normalizeAttributeValue(this.registry, resolved, value));
  }

  /**
   * add without a filter: appends the elements not already present, so repeated adds are idempotent. An element
   * equal to a stored one but for `primary` is the same element: `primary: true` promotes the stored one rather
   * than adding the address twice.
   */
  private appendElements(target: Target, value: unknown): void {
    const { resolved } = target;
    if (clears(value)) {
      this.setAttribute(resolved, undefined);
      return;
    }
    const list = [...arrayOf(this.getAttribute(resolved))];
    let winner: unknown;
    for (const element of this.elements(resolved, value)) {
      const existing = list.find((candidate) => deepEqual(withoutPrimary(candidate), withoutPrimary(element)));
      const primary = isPlainObject(element) && element.primary === true;
      if (existing === undefined) list.push(element);
      // Stored elements belong to this engine's copy of the document, so they may be changed in place.
      else if (primary && isPlainObject(existing)) existing.primary = true;
      if (primary) winner ??= existing ?? element;
    }
    this.settlePrimary(list, winner);
    this.setAttribute(resolved, list);
  }

  /** replace without a filter: the whole list (RFC 7644 §3.5.2.3). */
  private replaceList(target: Target, value: unknown): void {
    const list = this.elements(target.resolved, value);
    this.setAttribute(target.resolved, list);
  }

  /**
   * remove without a filter but with a value (Entra's `{"op":"Remove","path":"members","value":[{"value":id}]}`
   * shape, which it uses for any multi-valued attribute): removes the elements matching one of the given ones, by
   * `value` when given, else by every sub-attribute given.
   */
  private removeByValue(target: Target, value: unknown): void {
    const { resolved } = target;
    const attribute = resolved.attribute;
    const wanted = (isArray(value) ? value : [value]).flatMap((item) => this.elements(resolved, item));
    if (wanted.length === 0) return;
    const matches = (element: unknown, item: unknown): boolean => {
      if (!isPlainObject(item) || !isPlainObject(element)) return sameSimple(attribute, element, item);
      const keys = item.value !== undefined ? ['value'] : Object.keys(item);
      return keys.every((key) => {
        const sub = this.registry.subAttribute(attribute, key);
        return sub !== undefined && sameSimple(sub, element[key], item[key]);
      });
    };
    const list = arrayOf(this.getAttribute(resolved));
    this.setAttribute(
      resolved,
      list.filter((element) => !wanted.some((item) => matches(element, item))),
    );
  }

  /**
   * add/replace with a value filter and/or a sub-attribute: `emails[type eq "work"].value`, `emails.primary`,
   * `addresses[type eq "work"]`. Sets the value on every matching element; when none matches, creates the element
   * the filter describes (what Entra and Microsoft's validator expect, see provisioning-traces A5).
   */
  private writeElements(target: Target, value: unknown): void {
    const { resolved, sub } = target;
    const list = [...arrayOf(this.getAttribute(resolved))];
    const matches = this.matcher(target);
    const matched = new Set(list.filter((element) => matches(element)));

    if (resolved.attribute.type !== 'complex') {
      // A simple multi-valued attribute's elements are bare values: the matching ones are replaced by the value.
      const kept = list.filter((element) => !matched.has(element));
      for (const element of this.elements(resolved, value)) {
        if (!kept.some((other) => deepEqual(other, element))) kept.push(element);
      }
      this.setAttribute(resolved, kept);
      return;
    }

    if (!sub && clears(value)) {
      // Replacing the matching elements with nothing removes them.
      this.setAttribute(
        resolved,
        list.filter((element) => !matched.has(element)),
      );
      return;
    }

    // Each written element is a new object, so `written` tells them apart from the elements left alone.
    const written = new Set<Json>();
    let write: (element: Json) => Json;
    if (sub) {
      const coerced = normalizeAttributeValue(this.registry, withSub(resolved, sub), value);
      // Clearing a sub-attribute of an element that does not exist leaves nothing to do.
      if (coerced === undefined && matched.size === 0) return;
      write = (element) => {
        const copy = { ...element };
        if (coerced === undefined) delete copy[sub.name];
        else copy[sub.name] = coerced;
        return copy;
      };
    } else {
      write = (element) => this.mergeObject(resolved, { ...element }, value);
    }

    if (matched.size === 0) {
      const element = write(this.elementFromFilter(target));
      list.push(element);
      written.add(element);
    } else {
      for (const [index, element] of list.entries()) {
        if (!matched.has(element)) continue;
        // A simple multi-valued attribute's element is a bare value, which filters address as `value`.
        const copy = write(isPlainObject(element) ? element : { value: element });
        list[index] = copy;
        written.add(copy);
      }
    }

    // The first element this operation left primary wins over every other element of the list.
    const winner = [...written].find((element) => element.primary === true);
    const kept = list.filter((element) => !isPlainObject(element) || !written.has(element) || !isHollow(element));
    this.settlePrimary(kept, winner);
    this.setAttribute(resolved, kept);
  }

  /** remove with a value filter and/or a sub-attribute: the matching elements, or that sub-attribute of them. */
  private removeElements(target: Target): void {
    const { resolved, sub } = target;
    const existing = this.getAttribute(resolved);
    if (!isArray(existing)) return;
    const matches = this.matcher(target);
    const list: unknown[] = [];
    for (const element of existing) {
      if (!matches(element)) {
        list.push(element);
        continue;
      }
      if (!sub || !isPlainObject(element)) continue;
      const copy: Json = { ...element };
      delete copy[sub.name];
      if (!isHollow(copy)) list.push(copy);
    }
    this.setAttribute(resolved, list);
  }

  /**
   * The element a filter describes: `type eq "work" and primary eq true` → `{ type: 'work', primary: true }`.
   * No filter (`emails.value`) describes an empty element. Anything but a conjunction of `eq` terms describes no
   * particular element, so there is nothing to create: RFC 7644 §3.5.2.3 `noTarget`.
   */
  private elementFromFilter(target: Target): Json {
    const { resolved, filter } = target;
    const element: Json = {};
    const collect = (node: Filter): boolean => {
      if (node.kind === 'and') return collect(node.left) && collect(node.right);
      if (node.kind !== 'compare' || node.op !== 'eq' || node.value === null) return false;
      const sub = this.filterSubAttribute(resolved.attribute, node.path, target.label);
      const value = normalizeAttributeValue(this.registry, withSub(resolved, sub), node.value);
      if (value === undefined) return false;
      // `type eq "work" and type eq "home"` describes no element at all.
      if (element[sub.name] !== undefined && !sameSimple(sub, element[sub.name], value)) return false;
      element[sub.name] = value;
      return true;
    };
    if (filter && !collect(filter)) {
      throw noTarget(
        `No element of "${resolved.attributePath}" matches the filter, and it is not a conjunction of "eq" ` +
          'comparisons from which a new element could be made',
      );
    }
    return element;
  }

  /**
   * RFC 7643 §2.4: at most one element is primary. The element an operation made primary wins: the others are set
   * to false, so that a later operation's choice overrides an earlier one's.
   */
  private settlePrimary(list: unknown[], winner: unknown): void {
    if (winner === undefined) return;
    for (const element of list) {
      if (element !== winner && isPlainObject(element) && element.primary === true) element.primary = false;
    }
  }

  /** A stored document that already had two primaries keeps the first, as `normalizeInput` would have. */
  private settleLegacyPrimaries(doc: Json): void {
    const scopes: { scope: unknown; attributes: AttributeDefinition[] }[] = [
      { scope: doc, attributes: this.registry.coreSchema(this.resourceType).attributes },
      ...this.registry
        .extensionSchemas(this.resourceType)
        .map((schema) => ({ scope: doc[schema.id], attributes: schema.attributes })),
    ];
    for (const { scope, attributes } of scopes) {
      if (!isPlainObject(scope)) continue;
      for (const attribute of attributes) {
        if (!attribute.multiValued) continue;
        const list = arrayOf(scope[attribute.name]);
        const first = list.find((element) => isPlainObject(element) && element.primary === true);
        this.settlePrimary(list, first);
      }
    }
  }

  // ---- password and members ----------------------------------------------------------------------------------

  private applyPassword(op: PatchOpName, value: unknown): void {
    if (op === 'remove' || clears(value)) {
      this.password = null;
      return;
    }
    if (typeof value !== 'string') {
      throw invalidValue(`Attribute "password" must be a string, got ${describe(value)}`);
    }
    this.password = value;
  }

  private applyMembers(op: PatchOpName, target: Target, value: unknown): void {
    if (target.sub) {
      // display is readOnly and value/type/$ref are immutable: a member can be added or removed, not edited.
      throw mutability(`"${target.label}" cannot be changed; add or remove the member instead`);
    }
    if (target.filter) {
      if (op !== 'remove') {
        throw mutability(`Group members cannot be edited in place through "${target.label}"; add or remove them`);
      }
      const id = plainValueEq(target.filter);
      this.memberOps.push(
        id !== undefined ? { kind: 'remove', values: [id] } : { kind: 'removeWhere', filter: target.filter },
      );
      return;
    }
    if (op === 'remove') {
      if (clears(value)) {
        this.memberOps.push({ kind: 'removeAll' });
        return;
      }
      const ids = memberRefs(value).map((ref) => ref.value);
      if (ids.length > 0) this.memberOps.push({ kind: 'remove', values: ids });
      return;
    }
    if (clears(value)) {
      this.memberOps.push({ kind: 'removeAll' });
      return;
    }
    const values = memberRefs(value);
    if (op === 'replace') this.memberOps.push({ kind: 'replace', values });
    else if (values.length > 0) this.memberOps.push({ kind: 'add', values });
  }

  // ---- finishing -----------------------------------------------------------------------------------------------

  /**
   * RFC 7644 §3.5.2.2: an attribute that "is removed or becomes unassigned and is defined as a required attribute"
   * fails with `mutability`. Checked on the result, so `remove userName` followed by `add userName` is fine.
   */
  private checkRequired(before: Json): void {
    const scopes: [string, Json | undefined, Json | undefined, AttributeDefinition[]][] = [
      [
        '',
        before,
        this.doc,
        [...this.registry.commonAttributes(), ...this.registry.coreSchema(this.resourceType).attributes],
      ],
      ...this.registry
        .extensionSchemas(this.resourceType)
        .map((schema): [string, Json | undefined, Json | undefined, AttributeDefinition[]] => {
          const was = before[schema.id];
          const now = this.doc[schema.id];
          return [
            `${schema.id}:`,
            isPlainObject(was) ? was : undefined,
            isPlainObject(now) ? now : undefined,
            schema.attributes,
          ];
        }),
    ];
    for (const [prefix, was, now, attributes] of scopes) {
      if (!was) continue;
      for (const attribute of attributes) {
        if (!attribute.required || attribute.mutability === 'readOnly') continue;
        if (was[attribute.name] !== undefined && now?.[attribute.name] === undefined) {
          throw mutability(`Attribute "${prefix}${attribute.name}" is required and cannot be removed`);
        }
      }
    }
  }

  /**
   * The document in schema order (common, core, then each extension; sub-attributes in schema order), with keys
   * the schema does not know (`schemas`, if the caller stores it) first as they were, and empty extensions dropped.
   */
  private canonicalize(doc: Json): Json {
    const core = [...this.registry.commonAttributes(), ...this.registry.coreSchema(this.resourceType).attributes];
    const extensions = this.registry.extensionSchemas(this.resourceType);
    const known = new Set([...core.map((a) => a.name), ...extensions.map((e) => e.id)]);
    const out: Json = {};
    for (const [key, value] of Object.entries(doc)) if (!known.has(key)) out[key] = value;
    Object.assign(out, orderAttributes(doc, core));
    for (const extension of extensions) {
      const nested = doc[extension.id];
      if (!isPlainObject(nested)) continue;
      const ordered = orderAttributes(nested, extension.attributes);
      for (const [key, value] of Object.entries(nested)) if (!(key in ordered)) ordered[key] = value;
      if (!isEmptyObject(ordered)) out[extension.id] = ordered;
    }
    return out;
  }
}

/** The attributes of `scope` that `attributes` lists, in that order, each with its sub-attributes in order. */
function orderAttributes(scope: Json, attributes: AttributeDefinition[]): Json {
  const out: Json = {};
  for (const attribute of attributes) {
    const value = scope[attribute.name];
    if (value === undefined) continue;
    const orderOne = (item: unknown): unknown =>
      attribute.subAttributes && isPlainObject(item) ? orderObject(item, attribute.subAttributes) : item;
    out[attribute.name] = isArray(value) ? value.map(orderOne) : orderOne(value);
  }
  return out;
}

function orderObject(object: Json, subAttributes: AttributeDefinition[]): Json {
  const out = orderAttributes(object, subAttributes);
  for (const [key, value] of Object.entries(object)) if (!(key in out) && value !== undefined) out[key] = value;
  return out;
}

/** `value eq "x"` (in any case) → `x`: the shape that names exactly one member, so it becomes a plain remove. */
function plainValueEq(filter: Filter): string | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined;
  const { path } = filter;
  return path.uri === undefined && path.sub === undefined && path.attr.toLowerCase() === 'value'
    ? filter.value
    : undefined;
}

const MEMBER_TYPES: Readonly<Record<string, 'User' | 'Group'>> = { user: 'User', group: 'Group' };

/**
 * The members a client names: `[{value}]`, `[{value, display, type, "$ref": null}]`, and (Microsoft's reference
 * collection) a bare id or array of ids. Duplicates within one operation are dropped; the first one wins.
 */
function memberRefs(value: unknown): MemberRef[] {
  const refs = new Map<string, MemberRef>();
  for (const entry of isArray(value) ? value : [value]) {
    const ref = memberRef(entry);
    if (!refs.has(ref.value)) refs.set(ref.value, ref);
  }
  return [...refs.values()];
}

function memberRef(entry: unknown): MemberRef {
  if (typeof entry === 'string') {
    if (entry === '') throw invalidValue('A group member id must be a non-empty string');
    return { value: entry };
  }
  if (!isPlainObject(entry)) {
    throw invalidValue(`A group member must be an object with a "value" or an id string, got ${describe(entry)}`);
  }
  const id = member(entry, 'value').value;
  if (typeof id !== 'string' || id === '') {
    throw invalidValue(`A group member's "value" must be a non-empty string id, got ${describe(id)}`);
  }
  const ref: MemberRef = { value: id };
  const type = member(entry, 'type').value;
  if (type !== undefined && type !== null) {
    const canonical = typeof type === 'string' ? MEMBER_TYPES[type.toLowerCase()] : undefined;
    if (!canonical) {
      throw invalidValue(`A group member's "type" must be "User" or "Group", got ${JSON.stringify(type)}`);
    }
    ref.type = canonical;
  }
  // Microsoft's reference collection labels members with `displayName`; `display` is the schema's name.
  const display = member(entry, 'display').found ? member(entry, 'display').value : member(entry, 'displayName').value;
  if (typeof display === 'string' && display !== '') ref.display = display;
  return ref;
}
