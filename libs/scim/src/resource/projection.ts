import type { Filter, PathExpression } from '../filter/ast';
import { formatAttrPath } from '../schema/registry';
import type { ResolvedAttribute, SchemaRegistry } from '../schema/registry';
import type { AttributeDefinition, ResourceTypeName } from '../schema/types';
import { isPlainObject } from './normalize';

/**
 * RFC 7644 §3.4.2.5 and §3.9: `attributes` and `excludedAttributes`, driven by each attribute's
 * `returned` characteristic (RFC 7643 §2.2).
 */

export interface ProjectionOptions {
  attributes?: PathExpression[];
  excludedAttributes?: PathExpression[];
  /**
   * Evaluates a valuePath filter (`emails[type eq "work"]`) on one element of a multi-valued
   * attribute. Without it every element counts as a match, so such entries keep or exclude
   * nothing more precise than the whole attribute would.
   */
  matchElement?: (filter: Filter, element: Record<string, unknown>) => boolean;
}

/** Options compiled once, applied to many resources (a list response). */
export interface Projection {
  apply(resource: Record<string, unknown>): Record<string, unknown>;
  /** Whether any part of `canonicalPath` can appear in the output, so the data layer may skip reading it. */
  wants(canonicalPath: string): boolean;
}

/** What one attribute name selects: all of it, some sub-attributes, or elements matching filters. */
interface Selection {
  whole: boolean;
  subs: Set<string>;
  filters: { filter: Filter; sub?: string }[];
}

interface SelectionSet {
  /** By the attribute's canonical path (`emails`, `urn:…:User:manager`). */
  attributes: Map<string, Selection>;
  /** Canonical ids of extensions named as a whole (`urn:…:enterprise:2.0:User`). */
  extensions: Set<string>;
}

const WHOLE: Selection = { whole: true, subs: new Set(), filters: [] };

function compileSelection(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  entries: PathExpression[] | undefined,
): SelectionSet | undefined {
  if (!entries || entries.length === 0) return undefined;
  const set: SelectionSet = { attributes: new Map(), extensions: new Set() };
  for (const entry of entries) {
    const extension = registry.extensionSchema(resourceType, formatAttrPath(entry.path));
    if (extension) {
      if (!entry.filter) set.extensions.add(extension.id);
      continue;
    }
    // Without a filter the sub-attribute belongs in `path.sub`; accept it in `sub` as well.
    const path =
      !entry.filter && entry.sub !== undefined && entry.path.sub === undefined
        ? { ...entry.path, sub: entry.sub }
        : entry.path;
    // Unknown names select nothing rather than failing the request: clients ask for attributes
    // of their own schema (Microsoft's collection does), and RFC 7644 does not make it an error.
    const resolved = registry.resolve(resourceType, path);
    if (!resolved) continue;
    let selection = set.attributes.get(resolved.attributePath);
    if (!selection) {
      selection = { whole: false, subs: new Set(), filters: [] };
      set.attributes.set(resolved.attributePath, selection);
    }
    if (entry.filter) {
      if (resolved.subAttribute) continue;
      const sub = entry.sub === undefined ? undefined : registry.subAttribute(resolved.attribute, entry.sub);
      if (entry.sub !== undefined && !sub) continue;
      selection.filters.push({ filter: entry.filter, ...(sub ? { sub: sub.name } : {}) });
    } else if (resolved.subAttribute) {
      selection.subs.add(resolved.subAttribute.name);
    } else {
      selection.whole = true;
    }
  }
  return set;
}

// `Array.isArray` narrows to `any[]`; this keeps the elements `unknown`.
function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function elementsOf(attribute: AttributeDefinition, value: unknown): unknown[] {
  return attribute.multiValued && isArray(value) ? value : [value];
}

// Computed once per definition: a group's member list can hold many thousands of elements.
const returnedSubsCache = new WeakMap<AttributeDefinition, { byDefault: string[]; always: string[] }>();

/** The sub-attributes a complex value shows when named as a whole, and those it always shows. */
function returnedSubs(attribute: AttributeDefinition): { byDefault: string[]; always: string[] } {
  let cached = returnedSubsCache.get(attribute);
  if (!cached) {
    const subs = attribute.subAttributes ?? [];
    cached = {
      byDefault: subs.filter((s) => s.returned === 'default' || s.returned === 'always').map((s) => s.name),
      always: subs.filter((s) => s.returned === 'always').map((s) => s.name),
    };
    returnedSubsCache.set(attribute, cached);
  }
  return cached;
}

function collect(attribute: AttributeDefinition, elements: Record<string, unknown>[]): unknown {
  if (attribute.multiValued) return elements.length > 0 ? elements : undefined;
  return elements[0];
}

function copySimple(value: unknown): unknown {
  return isArray(value) ? value.filter((v) => v !== null && v !== undefined) : value;
}

/**
 * Compiles `attributes`/`excludedAttributes` for one resource type. Both may be given: the
 * result is what `attributes` selects minus what `excludedAttributes` removes.
 */
export function compileProjection(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  options: ProjectionOptions = {},
): Projection {
  const include = compileSelection(registry, resourceType, options.attributes);
  const exclude = compileSelection(registry, resourceType, options.excludedAttributes);
  const { matchElement } = options;
  const matches = (filter: Filter, element: Record<string, unknown>): boolean =>
    matchElement ? matchElement(filter, element) : true;

  const pick = (
    attribute: AttributeDefinition,
    element: Record<string, unknown>,
    wanted: Set<string>,
  ): Record<string, unknown> | undefined => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(element)) {
      const sub = registry.subAttribute(attribute, key);
      if (!sub || !wanted.has(sub.name) || sub.returned === 'never' || value === null || value === undefined) continue;
      out[sub.name] = copySimple(value);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };

  const select = (attribute: AttributeDefinition, value: unknown, selection: Selection): unknown => {
    if (attribute.type !== 'complex') {
      return selection.whole || selection.filters.length > 0 ? copySimple(value) : undefined;
    }
    const kept: Record<string, unknown>[] = [];
    for (const element of elementsOf(attribute, value)) {
      if (!isPlainObject(element)) continue;
      const wanted = new Set<string>(selection.subs);
      const { byDefault, always } = returnedSubs(attribute);
      if (selection.whole) byDefault.forEach((s) => wanted.add(s));
      for (const { filter, sub } of selection.filters) {
        if (!matches(filter, element)) continue;
        if (sub) wanted.add(sub);
        else byDefault.forEach((s) => wanted.add(s));
      }
      if (wanted.size === 0) continue;
      always.forEach((s) => wanted.add(s));
      const picked = pick(attribute, element, wanted);
      if (picked) kept.push(picked);
    }
    return collect(attribute, kept);
  };

  const remove = (attribute: AttributeDefinition, value: unknown, selection: Selection): unknown => {
    if (attribute.type !== 'complex') return value;
    const kept: Record<string, unknown>[] = [];
    for (const element of elementsOf(attribute, value)) {
      if (!isPlainObject(element)) continue;
      // An excluded valuePath removes nothing unless it can be evaluated; keeping data is the safe side.
      const matching = matchElement ? selection.filters.filter((f) => matchElement(f.filter, element)) : [];
      if (matching.some((f) => f.sub === undefined)) continue;
      const dropped = new Set([...selection.subs, ...matching.flatMap((f) => (f.sub ? [f.sub] : []))]);
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(element)) {
        const sub = registry.subAttribute(attribute, key);
        if (sub && dropped.has(sub.name) && sub.returned !== 'always') continue;
        out[key] = v;
      }
      if (Object.keys(out).length > 0) kept.push(out);
    }
    return collect(attribute, kept);
  };

  const projectAttribute = (resolved: ResolvedAttribute, value: unknown): unknown => {
    const { attribute, attributePath } = resolved;
    if (value === null || value === undefined || attribute.returned === 'never') return undefined;
    if (attribute.returned === 'always') return select(attribute, value, WHOLE);

    let selection: Selection | undefined = WHOLE;
    if (include) {
      const wholeExtension = resolved.extension && include.extensions.has(resolved.schemaId);
      selection = wholeExtension && attribute.returned === 'default' ? WHOLE : include.attributes.get(attributePath);
      if (!selection) return undefined;
    } else if (attribute.returned === 'request') {
      return undefined;
    }
    let result = select(attribute, value, selection);
    if (result === undefined || !exclude) return result;

    if (resolved.extension && exclude.extensions.has(resolved.schemaId)) return undefined;
    const excluded = exclude.attributes.get(attributePath);
    if (excluded?.whole) return undefined;
    if (excluded) result = remove(attribute, result, excluded);
    return result;
  };

  const excludedText = new Set((options.excludedAttributes ?? []).map((e) => formatAttrPath(e.path).toLowerCase()));
  const excludesUrn = (urn: string): boolean => excludedText.has(urn.toLowerCase());

  const apply = (resource: Record<string, unknown>): Record<string, unknown> => {
    // `schemas` is always returned (RFC 7644 §3.4.2.5); set first so it leads the output.
    const out: Record<string, unknown> = { schemas: [] };
    const stored: string[] = [];
    for (const [key, value] of Object.entries(resource)) {
      const extension = registry.extensionSchema(resourceType, key);
      if (extension) {
        if (!isPlainObject(value)) continue;
        const nested: Record<string, unknown> = {};
        for (const [name, inner] of Object.entries(value)) {
          const resolved = registry.resolveName(resourceType, `${extension.id}:${name}`);
          if (!resolved || resolved.subAttribute || resolved.schemaId !== extension.id) continue;
          const projected = projectAttribute(resolved, inner);
          if (projected !== undefined) nested[resolved.attribute.name] = projected;
        }
        if (Object.keys(nested).length > 0) out[extension.id] = nested;
        continue;
      }
      if (
        registry.unknownExtensions().mode === 'store' &&
        isPlainObject(value) &&
        registry.unregisteredExtensionUrn(resourceType, key, value) === key
      ) {
        // Kept verbatim under SCHEMA_UNKNOWN_EXTENSIONS=store: no schema says what is in it, so it
        // is returned whole by default and left out when `attributes` asks for particular ones.
        // In the other modes such leftovers (of an earlier `store`) are not served.
        if (!include && !excludesUrn(key)) {
          out[key] = structuredClone(value);
          stored.push(key);
        }
        continue;
      }
      const resolved = registry.resolveName(resourceType, key);
      if (!resolved || resolved.extension || resolved.subAttribute) continue;
      const projected = projectAttribute(resolved, value);
      if (projected !== undefined) out[resolved.attribute.name] = projected;
    }
    out.schemas = [
      registry.coreSchema(resourceType).id,
      ...registry
        .extensionSchemas(resourceType)
        .filter((e) => out[e.id] !== undefined)
        .map((e) => e.id),
      ...stored,
    ];
    return out;
  };

  const wantsResolved = (resolved: ResolvedAttribute): boolean => {
    const { attribute, subAttribute: sub, attributePath } = resolved;
    if (attribute.returned === 'never' || sub?.returned === 'never') return false;
    if (attribute.returned === 'always') return true;
    if (include) {
      const wholeExtension = resolved.extension && include.extensions.has(resolved.schemaId);
      const selection = include.attributes.get(attributePath);
      const whole =
        (wholeExtension && attribute.returned === 'default') ||
        selection?.whole === true ||
        selection?.filters.some((f) => f.sub === undefined) === true;
      if (!whole && !selection) return false;
      if (sub) {
        const named =
          selection?.subs.has(sub.name) === true || selection?.filters.some((f) => f.sub === sub.name) === true;
        if (!named && sub.returned !== 'always' && !(whole && sub.returned === 'default')) return false;
      }
    } else if (attribute.returned === 'request' || sub?.returned === 'request') {
      return false;
    }
    if (!exclude) return true;
    if (resolved.extension && exclude.extensions.has(resolved.schemaId)) return false;
    const excluded = exclude.attributes.get(attributePath);
    if (excluded?.whole) return false;
    return !(sub && excluded?.subs.has(sub.name) && sub.returned !== 'always');
  };

  const wants = (canonicalPath: string): boolean => {
    const extension = registry.extensionSchema(resourceType, canonicalPath);
    if (extension) return extension.attributes.some((a) => wants(`${extension.id}:${a.name}`));
    const resolved = registry.resolveName(resourceType, canonicalPath);
    return resolved !== undefined && wantsResolved(resolved);
  };

  return { apply, wants };
}

/** Applies `attributes`/`excludedAttributes` to one resource, returning a new object. */
export function project(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  resource: Record<string, unknown>,
  options: ProjectionOptions = {},
): Record<string, unknown> {
  return compileProjection(registry, resourceType, options).apply(resource);
}

/**
 * Whether `canonicalPath` (`members`, `name.givenName`, `urn:…:User:manager`) would appear in a
 * projected resource, so the data layer can skip reading it (group members above all).
 */
export function wantsAttribute(
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  options: ProjectionOptions,
  canonicalPath: string,
): boolean {
  return compileProjection(registry, resourceType, options).wants(canonicalPath);
}
