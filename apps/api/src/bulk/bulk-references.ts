import {
  AttributeDefinition,
  Filter,
  FilterValue,
  formatAttrPath,
  isPlainObject,
  parsePatchRequest,
  parsePath,
  PATCH_OP_SCHEMA,
  PatchOperation,
  PathExpression,
  ResolvedAttribute,
  ResourceTypeName,
  SchemaRegistry,
} from '@roster/scim';
import { bulkIdReference } from './bulk-request';

/**
 * An attribute whose `value` is the id of a User or a Group: the schema says so with a `$ref`
 * sub-attribute whose referenceTypes name User or Group (`members`, the enterprise `manager`).
 * readOnly ones (`groups`) are never written, so they hold no reference worth resolving.
 */
export interface ReferenceSite {
  /** Canonical path: `members`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`. */
  attributePath: string;
  multiValued: boolean;
  /** What the attribute may point to (RFC 7643 `referenceTypes`). */
  resourceTypes: ResourceTypeName[];
}

/** One `bulkId:<id>` found where a resource id belongs. */
export interface FoundReference {
  bulkId: string;
  site: ReferenceSite;
  /** The element holding it as sent: a bare `"bulkId:x"` or an object such as `{ "value": "bulkId:x", "type": "User" }`. */
  element: unknown;
  /** The reference is the whole value of `<attribute>.value` (a path such as `manager.value`, or a filter operand). */
  bare: boolean;
  /** Found in a PATCH path filter (`members[value eq "bulkId:x"]`). */
  inFilter: boolean;
}

/**
 * What to write where a reference was: an id; `null` to leave its element out (a reference that
 * must wait, RFC 7644 §3.7.1); `undefined` to keep it as it is (when only collecting).
 */
export type ResolveReference = (reference: FoundReference) => string | null | undefined;

type KeyMeaning = { kind: 'schema'; schemaId: string } | { kind: 'site'; site: ReferenceSite; sub?: string };

/** Distinct key spellings remembered by `keyMeaning`. */
const KEY_CACHE_SIZE = 4096;

/** Marks an element left out of a list. */
const DROP = Symbol('drop');

/**
 * Finds and replaces bulkId references (RFC 7644 §3.7.2) in operation data, precisely: only where
 * the schema says a resource id belongs, and only a whole value, never a substring. A reference
 * that a client writes elsewhere (in a displayName, say) is ordinary text. Names are resolved
 * through the schema registry, so every spelling the services accept (any case, URN-qualified,
 * extension objects, a bare manager id) is recognised.
 */
export class BulkReferences {
  private readonly sites = new Map<AttributeDefinition, Omit<ReferenceSite, 'attributePath'> | null>();
  private readonly keys = new Map<string, KeyMeaning | null>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** A POST or PUT body with its references resolved; the same object when nothing changed. */
  resource(type: ResourceTypeName, data: Record<string, unknown>, resolve: ResolveReference): Record<string, unknown> {
    return this.attributes(type, undefined, data, resolve, false);
  }

  /**
   * A PatchOp body with its references resolved, in values and in path filters. Throws the
   * ScimError that PATCH itself would for a malformed body, since nothing can be read from it.
   */
  patch(type: ResourceTypeName, data: Record<string, unknown>, resolve: ResolveReference): Record<string, unknown> {
    const operations = parsePatchRequest(data);
    let changed = false;
    const rewritten = operations.map((operation) => {
      const next = this.patchOperation(type, operation, resolve);
      changed ||= next !== operation;
      return next;
    });
    return changed ? { schemas: [PATCH_OP_SCHEMA], Operations: rewritten } : data;
  }

  /** Every reference in a POST, PUT or PATCH body, without changing it. */
  collect(type: ResourceTypeName, method: 'POST' | 'PUT' | 'PATCH', data: Record<string, unknown>): FoundReference[] {
    const found: FoundReference[] = [];
    const record: ResolveReference = (reference) => {
      found.push(reference);
      return undefined;
    };
    if (method === 'PATCH') {
      this.patch(type, data, record);
    } else {
      this.resource(type, data, record);
    }
    return found;
  }

  private patchOperation(type: ResourceTypeName, operation: PatchOperation, resolve: ResolveReference): PatchOperation {
    const { path, value } = operation;
    if (path === undefined) {
      const next = isPlainObject(value) ? this.attributes(type, undefined, value, resolve, true) : value;
      return next === value ? operation : { ...operation, value: next };
    }
    const schemaId = this.schemaNamed(type, path, true);
    if (schemaId !== undefined) {
      const next = isPlainObject(value) ? this.attributes(type, schemaId, value, resolve, false) : value;
      return next === value ? operation : { ...operation, value: next };
    }
    const expression = parsePath(path);
    const resolved = this.registry.resolve(type, expression.path);
    const site = resolved ? this.site(resolved) : undefined;
    if (!resolved || !site) {
      return operation;
    }
    let nextPath = path;
    if (expression.filter) {
      const filter = this.filter(expression.filter, site, resolve);
      if (filter !== expression.filter) {
        nextPath = formatPath({ ...expression, filter });
      }
    }
    const sub = resolved.subAttribute?.name ?? expression.sub;
    const nextValue = value === undefined ? undefined : this.valueAt(site, sub, value, resolve);
    if (nextPath === path && nextValue === value) {
      return operation;
    }
    return { ...operation, path: nextPath, ...(nextValue !== undefined ? { value: nextValue } : {}) };
  }

  /**
   * The attributes of an object: a resource body, a pathless PATCH value, or the object under a
   * schema URN (`schemaId`). Keys resolve as `normalizeInput` resolves them; `allowCore` also takes
   * the core schema URN as a key, as a pathless PATCH value may use it.
   */
  private attributes(
    type: ResourceTypeName,
    schemaId: string | undefined,
    object: Record<string, unknown>,
    resolve: ResolveReference,
    allowCore: boolean,
  ): Record<string, unknown> {
    let out: Record<string, unknown> | undefined;
    for (const [key, raw] of Object.entries(object)) {
      let next = raw;
      const meaning = this.keyMeaning(type, schemaId, key, allowCore);
      if (meaning?.kind === 'schema') {
        next = isPlainObject(raw) ? this.attributes(type, meaning.schemaId, raw, resolve, false) : raw;
      } else if (meaning?.kind === 'site') {
        next = this.valueAt(meaning.site, meaning.sub, raw, resolve);
      }
      if (next !== raw) {
        out ??= { ...object };
        out[key] = next;
      }
    }
    return out ?? object;
  }

  /**
   * What a key of an object means: a schema URN holding attributes, a reference attribute (or its
   * `value`), or nothing of interest. Remembered per spelling, since an import repeats the same few
   * keys in every one of its thousands of resources.
   */
  private keyMeaning(
    type: ResourceTypeName,
    schemaId: string | undefined,
    key: string,
    allowCore: boolean,
  ): KeyMeaning | null {
    const cacheKey = `${type}\n${schemaId ?? ''}\n${allowCore ? 'core' : ''}\n${key}`;
    const cached = this.keys.get(cacheKey);
    if (cached !== undefined) {
      return cached;
    }
    let meaning: KeyMeaning | null = null;
    const scoped = schemaId === undefined ? this.schemaNamed(type, key, allowCore) : undefined;
    if (scoped !== undefined) {
      meaning = { kind: 'schema', schemaId: scoped };
    } else {
      const resolved = this.registry.resolveName(type, schemaId === undefined ? key : `${schemaId}:${key}`);
      const site =
        resolved && (schemaId === undefined || resolved.schemaId === schemaId) ? this.site(resolved) : undefined;
      if (resolved && site) {
        meaning = { kind: 'site', site, ...(resolved.subAttribute ? { sub: resolved.subAttribute.name } : {}) };
      }
    }
    // Keys are the client's; the bound keeps a stream of odd spellings from growing the cache.
    if (this.keys.size < KEY_CACHE_SIZE) {
      this.keys.set(cacheKey, meaning);
    }
    return meaning;
  }

  private schemaNamed(type: ResourceTypeName, text: string, allowCore: boolean): string | undefined {
    const extension = this.registry.extensionSchema(type, text.trim());
    if (extension) {
      return extension.id;
    }
    const core = this.registry.coreSchema(type);
    return allowCore && core.id.toLowerCase() === text.trim().toLowerCase() ? core.id : undefined;
  }

  private site(resolved: ResolvedAttribute): ReferenceSite | undefined {
    const attribute = resolved.attribute;
    let shape = this.sites.get(attribute);
    if (shape === undefined) {
      shape = this.siteShape(attribute);
      this.sites.set(attribute, shape);
    }
    return shape ? { attributePath: resolved.attributePath, ...shape } : undefined;
  }

  private siteShape(attribute: AttributeDefinition): Omit<ReferenceSite, 'attributePath'> | null {
    if (attribute.type !== 'complex' || attribute.mutability === 'readOnly') {
      return null;
    }
    const value = this.registry.subAttribute(attribute, 'value');
    const ref = this.registry.subAttribute(attribute, '$ref');
    const resourceTypes = (ref?.referenceTypes ?? []).filter(
      (t): t is ResourceTypeName => t === 'User' || t === 'Group',
    );
    if (!value || value.mutability === 'readOnly' || resourceTypes.length === 0) {
      return null;
    }
    return { multiValued: attribute.multiValued, resourceTypes };
  }

  /** A value written at a reference attribute (`sub` undefined) or at one of its sub-attributes. */
  private valueAt(site: ReferenceSite, sub: string | undefined, value: unknown, resolve: ResolveReference): unknown {
    if (sub === undefined) {
      return this.elements(site, value, resolve);
    }
    return sub.toLowerCase() === 'value' ? this.bare(site, value, resolve) : value;
  }

  /** A list of elements, or one element where the services accept one (`"manager": "id"`). */
  private elements(site: ReferenceSite, value: unknown, resolve: ResolveReference): unknown {
    if (!Array.isArray(value)) {
      const next = this.element(site, value, resolve);
      // One element left out clears the attribute, which for a create is the same as not sending it.
      return next === DROP ? null : next;
    }
    let changed = false;
    const out: unknown[] = [];
    for (const element of value as unknown[]) {
      const next = this.element(site, element, resolve);
      changed ||= next !== element;
      if (next !== DROP) {
        out.push(next);
      }
    }
    return changed ? out : value;
  }

  private element(site: ReferenceSite, element: unknown, resolve: ResolveReference): unknown {
    const direct = bulkIdReference(element);
    if (direct !== undefined) {
      const id = resolve({ bulkId: direct, site, element, bare: false, inFilter: false });
      return id === undefined ? element : (id ?? DROP);
    }
    if (!isPlainObject(element)) {
      return element;
    }
    const key = Object.keys(element).find((k) => k.toLowerCase() === 'value');
    const bulkId = key === undefined ? undefined : bulkIdReference(element[key]);
    if (key === undefined || bulkId === undefined) {
      return element;
    }
    const id = resolve({ bulkId, site, element, bare: false, inFilter: false });
    if (id === undefined) {
      return element;
    }
    return id === null ? DROP : { ...element, [key]: id };
  }

  /** `manager.value`: the value is the id itself. */
  private bare(site: ReferenceSite, value: unknown, resolve: ResolveReference): unknown {
    if (Array.isArray(value)) {
      const items = value as unknown[];
      const next = items.map((item) => this.bare(site, item, resolve));
      return next.some((item, i) => item !== items[i]) ? next : value;
    }
    const bulkId = bulkIdReference(value);
    if (bulkId === undefined) {
      return value;
    }
    const id = resolve({ bulkId, site, element: value, bare: true, inFilter: false });
    return id === undefined ? value : id;
  }

  /** `members[value eq "bulkId:x"]`: comparisons of the `value` sub-attribute with a reference. */
  private filter(filter: Filter, site: ReferenceSite, resolve: ResolveReference): Filter {
    switch (filter.kind) {
      case 'compare': {
        const { path } = filter;
        const onValue = path.uri === undefined && path.sub === undefined && path.attr.toLowerCase() === 'value';
        const bulkId = onValue ? bulkIdReference(filter.value) : undefined;
        if (bulkId === undefined) {
          return filter;
        }
        const id = resolve({ bulkId, site, element: filter.value, bare: true, inFilter: true });
        return typeof id === 'string' ? { ...filter, value: id } : filter;
      }
      case 'and':
      case 'or': {
        const left = this.filter(filter.left, site, resolve);
        const right = this.filter(filter.right, site, resolve);
        return left === filter.left && right === filter.right ? filter : { ...filter, left, right };
      }
      case 'not': {
        const inner = this.filter(filter.filter, site, resolve);
        return inner === filter.filter ? filter : { ...filter, filter: inner };
      }
      case 'present':
      case 'valuePath':
        return filter;
    }
  }
}

/** A PATCH path back to text, after a filter operand was replaced. */
export function formatPath(expression: PathExpression): string {
  const filter = expression.filter ? `[${formatFilter(expression.filter)}]` : '';
  return `${formatAttrPath(expression.path)}${filter}${expression.sub !== undefined ? `.${expression.sub}` : ''}`;
}

export function formatFilter(filter: Filter): string {
  switch (filter.kind) {
    case 'compare':
      return `${formatAttrPath(filter.path)} ${filter.op} ${formatValue(filter.value)}`;
    case 'present':
      return `${formatAttrPath(filter.path)} pr`;
    case 'and':
      // `and` binds tighter than `or`, so only an `or` below an `and` needs its parentheses back.
      return `${andOperand(filter.left)} and ${andOperand(filter.right)}`;
    case 'or':
      return `${formatFilter(filter.left)} or ${formatFilter(filter.right)}`;
    case 'not':
      return `not (${formatFilter(filter.filter)})`;
    case 'valuePath':
      return `${formatAttrPath(filter.path)}[${formatFilter(filter.filter)}]`;
  }
}

function andOperand(filter: Filter): string {
  return filter.kind === 'or' ? `(${formatFilter(filter)})` : formatFilter(filter);
}

function formatValue(value: FilterValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
