import type { AttrPath } from '../filter/ast';
import { ScimError } from '../errors';
import {
  COMMON_ATTRIBUTES,
  RESOURCE_TYPE_DEFINITIONS,
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_DEFINITIONS,
  SCHEMA_SCHEMA,
} from './definitions';
import type {
  AttributeDefinition,
  ResourceTypeDefinition,
  ResourceTypeName,
  SchemaDefinition,
  SchemaExtensionRef,
} from './types';

/** An attribute name resolved against the registry, with every name in its canonical case. */
export interface ResolvedAttribute {
  /** The schema the attribute belongs to; the core schema for the common attributes. */
  schemaId: string;
  attribute: AttributeDefinition;
  subAttribute?: AttributeDefinition;
  /** True when the attribute lives in an extension, i.e. nested under the extension's URN key. */
  extension: boolean;
  /** True for `id`, `externalId` and `meta` (RFC 7643 §3.1). */
  common: boolean;
  /** The attribute's own canonical path, without the sub-attribute: `emails`, `urn:…:User:manager`. */
  attributePath: string;
  /** `name.givenName`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`. */
  canonicalPath: string;
}

/** An extension schema registered at runtime (POST /admin/schemas), as the registry holds it. */
export interface CustomExtension {
  resourceType: ResourceTypeName;
  required: boolean;
  schema: SchemaDefinition;
}

export type UnknownExtensionMode = 'reject' | 'store' | 'ignore';

export interface UnknownExtensionPolicy {
  mode: UnknownExtensionMode;
  /** Called for each URN dropped in `ignore` mode (the app logs and counts it). */
  onIgnored?: (urn: string) => void;
  /** Called for each URN kept in `store` mode (the app lists it in /Schemas as an open extension). */
  onStored?: (resourceType: ResourceTypeName, urn: string) => void;
}

/** An unregistered extension some resource holds under SCHEMA_UNKNOWN_EXTENSIONS=store. */
export interface OpenExtension {
  resourceType: ResourceTypeName;
  urn: string;
}

export interface RegistryDefinitions {
  schemas: SchemaDefinition[];
  resourceTypes: ResourceTypeDefinition[];
  commonAttributes: AttributeDefinition[];
}

/** A /Schemas resource (RFC 7643 §7). */
export interface SchemaResource {
  schemas: string[];
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
  meta: { resourceType: 'Schema'; location: string };
}

/** A /ResourceTypes resource (RFC 7643 §6). */
export interface ResourceTypeResource {
  schemas: string[];
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: SchemaExtensionRef[];
  meta: { resourceType: 'ResourceType'; location: string };
}

interface SchemaIndex {
  definition: SchemaDefinition;
  attributes: Map<string, AttributeDefinition>;
}

interface ResourceTypeIndex {
  definition: ResourceTypeDefinition;
  core: SchemaIndex;
  extensions: SchemaIndex[];
  /** Core and extension schemas, longest id first, so that a URN prefix matches the most specific one. */
  byIdLength: SchemaIndex[];
}

const DEFAULT_DEFINITIONS: RegistryDefinitions = {
  schemas: SCHEMA_DEFINITIONS,
  resourceTypes: RESOURCE_TYPE_DEFINITIONS,
  commonAttributes: COMMON_ATTRIBUTES,
};

/** `{ uri, attr, sub }` back to the text a client writes: `urn:…:User:manager.value`. */
export function formatAttrPath(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}

/** Joins a base URL (with or without a trailing slash) and an absolute path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function nameIndex(attributes: AttributeDefinition[]): Map<string, AttributeDefinition> {
  return new Map(attributes.map((a) => [a.name.toLowerCase(), a]));
}

/**
 * The RFC 7643 schemas and resource types as the one source of truth: discovery documents,
 * input normalisation, projection and filters all read attribute characteristics from here.
 * Every name lookup is case-insensitive (RFC 7643 §2.1) and answers with the canonical case.
 */
export class SchemaRegistry {
  private readonly base: RegistryDefinitions;
  private schemaList: SchemaDefinition[] = [];
  private schemasById = new Map<string, SchemaDefinition>();
  private typeList: ResourceTypeDefinition[] = [];
  private types = new Map<string, ResourceTypeIndex>();
  private readonly common: AttributeDefinition[];
  private readonly commonIndex: Map<string, AttributeDefinition>;
  private subIndex = new Map<AttributeDefinition, Map<string, AttributeDefinition>>();
  private custom: CustomExtension[] = [];
  private unknownPolicy: UnknownExtensionPolicy = { mode: 'reject' };
  private open: OpenExtension[] = [];
  /**
   * resolveName's answers, by resource type and name as written: projection and normalisation ask
   * for every key of every document they touch. Emptied by every rebuild; bounded, since filters
   * and bodies can name anything.
   */
  private resolved = new Map<string, ResolvedAttribute | undefined>();

  constructor(definitions: RegistryDefinitions = DEFAULT_DEFINITIONS) {
    this.base = definitions;
    this.common = [...definitions.commonAttributes];
    this.commonIndex = nameIndex(this.common);
    this.rebuild();
  }

  /**
   * Replaces the extensions registered at runtime (issue 15) with `extensions`: the built-in
   * schemas stay, each custom one is added to its resource type. The indexes are rebuilt and
   * swapped in one synchronous step, so a request never sees half of a change.
   */
  setCustomExtensions(extensions: CustomExtension[]): void {
    const previous = this.custom;
    this.custom = extensions.map((e) => ({ ...e }));
    try {
      this.rebuild();
    } catch (error) {
      this.custom = previous;
      this.rebuild();
      throw error;
    }
  }

  /** The extensions registered at runtime, in registration order. */
  customExtensions(): CustomExtension[] {
    return [...this.custom];
  }

  /** True for a schema Roster defines itself (core, EnterpriseUser, Roster's group extension). */
  isBuiltIn(id: string): boolean {
    const lower = id.toLowerCase();
    return this.base.schemas.some((s) => s.id.toLowerCase() === lower);
  }

  /** What a request that uses an unregistered extension URN gets (SCHEMA_UNKNOWN_EXTENSIONS). */
  unknownExtensions(): UnknownExtensionPolicy {
    return this.unknownPolicy;
  }

  setUnknownExtensions(policy: UnknownExtensionPolicy): void {
    this.unknownPolicy = policy;
  }

  /** The open extensions /Schemas lists in `store` mode (ids a registered schema took are left out). */
  setOpenExtensions(extensions: OpenExtension[]): void {
    this.open = extensions.filter((e) => !this.schemasById.has(e.urn.toLowerCase()));
  }

  /**
   * /Schemas entries for the open extensions (RFC 7643 §7 has no "open" flag: no attributes and a
   * description that says so), only while SCHEMA_UNKNOWN_EXTENSIONS is `store`.
   */
  openExtensionResources(baseUrl: string): SchemaResource[] {
    if (this.unknownPolicy.mode !== 'store') return [];
    return this.open.map((e) => ({
      schemas: [SCHEMA_SCHEMA],
      id: e.urn,
      name: e.urn.slice(e.urn.lastIndexOf(':') + 1),
      description:
        `Open extension of ${e.resourceType}: not registered, its values are kept verbatim ` +
        '(SCHEMA_UNKNOWN_EXTENSIONS=store), not validated and not filterable.',
      attributes: [],
      meta: { resourceType: 'Schema', location: joinUrl(baseUrl, `/Schemas/${e.urn}`) },
    }));
  }

  private rebuild(): void {
    this.resolved = new Map();
    const definitions = this.base;
    const schemaList = [...definitions.schemas, ...this.custom.map((e) => e.schema)];
    const typeList = definitions.resourceTypes.map((type) => ({
      ...type,
      schemaExtensions: [
        ...type.schemaExtensions,
        ...this.custom
          .filter((e) => e.resourceType.toLowerCase() === type.id.toLowerCase())
          .map((e) => ({ schema: e.schema.id, required: e.required })),
      ],
    }));
    const schemasById = new Map<string, SchemaDefinition>();
    const subIndex = new Map<AttributeDefinition, Map<string, AttributeDefinition>>();
    const indexSubAttributes = (attributes: AttributeDefinition[]): void => {
      for (const attribute of attributes) {
        if (attribute.subAttributes) subIndex.set(attribute, nameIndex(attribute.subAttributes));
      }
    };
    indexSubAttributes(this.common);

    const schemaIndexes = new Map<string, SchemaIndex>();
    for (const schema of schemaList) {
      const key = schema.id.toLowerCase();
      if (schemasById.has(key)) throw new Error(`The schema ${schema.id} is defined twice`);
      schemasById.set(key, schema);
      schemaIndexes.set(key, { definition: schema, attributes: nameIndex(schema.attributes) });
      indexSubAttributes(schema.attributes);
    }
    const schemaIndex = (id: string, owner: string): SchemaIndex => {
      const found = schemaIndexes.get(id.toLowerCase());
      if (!found) throw new Error(`Resource type ${owner} refers to the unknown schema ${id}`);
      return found;
    };
    const types = new Map<string, ResourceTypeIndex>();
    for (const type of typeList) {
      const core = schemaIndex(type.schema, type.id);
      const extensions = type.schemaExtensions.map((e) => schemaIndex(e.schema, type.id));
      const byIdLength = [core, ...extensions].sort((a, b) => b.definition.id.length - a.definition.id.length);
      types.set(type.id.toLowerCase(), { definition: type, core, extensions, byIdLength });
    }
    this.schemaList = schemaList;
    this.typeList = typeList;
    this.schemasById = schemasById;
    this.subIndex = subIndex;
    this.types = types;
  }

  /** User, Group, EnterpriseUser, then Roster's group extension. */
  schemas(): SchemaDefinition[] {
    return [...this.schemaList];
  }

  schema(id: string): SchemaDefinition | undefined {
    return this.schemasById.get(id.toLowerCase());
  }

  resourceTypes(): ResourceTypeDefinition[] {
    return [...this.typeList];
  }

  resourceType(id: string): ResourceTypeDefinition | undefined {
    return this.types.get(id.toLowerCase())?.definition;
  }

  /** `id`, `externalId` and `meta`: part of every resource, listed by no schema. */
  commonAttributes(): AttributeDefinition[] {
    return [...this.common];
  }

  coreSchema(resourceType: ResourceTypeName): SchemaDefinition {
    return this.index(resourceType).core.definition;
  }

  extensionSchemas(resourceType: ResourceTypeName): SchemaDefinition[] {
    return this.index(resourceType).extensions.map((e) => e.definition);
  }

  /** The extension of `resourceType` whose id is `urn` (any case), if there is one. */
  extensionSchema(resourceType: ResourceTypeName, urn: string): SchemaDefinition | undefined {
    const lower = urn.toLowerCase();
    return this.index(resourceType).extensions.find((e) => e.definition.id.toLowerCase() === lower)?.definition;
  }

  /** A sub-attribute of `attribute` by name, in any case. */
  subAttribute(attribute: AttributeDefinition, name: string): AttributeDefinition | undefined {
    return this.subIndex.get(attribute)?.get(name.toLowerCase());
  }

  /**
   * Resolves a parsed attribute path. A `uri` selects the schema (core or extension); without
   * one the common attributes and the core schema are searched first, then the extensions.
   * Returns undefined for unknown names and for a path naming a whole extension.
   */
  resolve(resourceType: ResourceTypeName, path: AttrPath): ResolvedAttribute | undefined {
    return this.resolveName(resourceType, formatAttrPath(path));
  }

  /**
   * Resolves an attribute name as written by a client: `userName`, `name.givenName`,
   * `urn:…:enterprise:2.0:User:manager.value`, and the legacy dotted form `urn:…:2.0:User.manager`
   * that older Entra jobs send.
   */
  resolveName(resourceType: ResourceTypeName, name: string): ResolvedAttribute | undefined {
    const key = `${resourceType}\u0000${name}`;
    const known = this.resolved.get(key);
    if (known !== undefined || this.resolved.has(key)) {
      return known;
    }
    const answer = this.resolveUncached(resourceType, name);
    if (this.resolved.size >= 4096) {
      this.resolved.clear();
    }
    this.resolved.set(key, answer);
    return answer;
  }

  private resolveUncached(resourceType: ResourceTypeName, name: string): ResolvedAttribute | undefined {
    const type = this.index(resourceType);
    const lower = name.toLowerCase();
    const scoped = type.byIdLength.find((s) => {
      const id = s.definition.id.toLowerCase();
      return (
        lower.length > id.length + 1 && lower.startsWith(id) && (lower[id.length] === ':' || lower[id.length] === '.')
      );
    });
    if (!scoped && name.includes(':')) return undefined;

    const rest = scoped ? name.slice(scoped.definition.id.length + 1) : name;
    const parts = rest.split('.');
    if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
    const [attrName, subName] = parts;

    const candidates = scoped ? [scoped] : [type.core, ...type.extensions];
    for (const schema of candidates) {
      const isCore = schema === type.core;
      const common = isCore ? this.commonIndex.get(attrName.toLowerCase()) : undefined;
      const attribute = common ?? schema.attributes.get(attrName.toLowerCase());
      if (!attribute) continue;
      const subAttribute = subName === undefined ? undefined : this.subAttribute(attribute, subName);
      if (subName !== undefined && !subAttribute) return undefined;
      const attributePath = isCore ? attribute.name : `${schema.definition.id}:${attribute.name}`;
      return {
        schemaId: schema.definition.id,
        attribute,
        ...(subAttribute ? { subAttribute } : {}),
        extension: !isCore,
        common: common !== undefined,
        attributePath,
        canonicalPath: subAttribute ? `${attributePath}.${subAttribute.name}` : attributePath,
      };
    }
    return undefined;
  }

  /**
   * The extension URN a body key uses when no registered schema covers it: the key itself for
   * the nested form (`"urn:…:User": {...}`), the key up to its last colon for Entra's flat form
   * (`"urn:…:User:costCenter": "42"`). Undefined for keys that are not URNs, that belong to a
   * registered schema (an unknown attribute of a known schema is a typo, dropped like core typos),
   * or that name the core schema.
   */
  unregisteredExtensionUrn(resourceType: ResourceTypeName, key: string, value: unknown): string | undefined {
    if (!/^urn:[^:]+:./i.test(key)) return undefined;
    const lower = key.toLowerCase();
    this.index(resourceType);
    // Any schema counts, the other resource type's too: `urn:…:core:2.0:Group:displayName` on a
    // User is a wrong attribute (invalidPath in PATCH, dropped in a body), not an extension.
    const known = this.schemaList.some((s) => {
      const id = s.id.toLowerCase();
      return lower === id || lower.startsWith(`${id}:`) || lower.startsWith(`${id}.`);
    });
    if (known) return undefined;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return key;
    const colon = key.lastIndexOf(':');
    return colon > 4 ? key.slice(0, colon) : undefined;
  }

  /** GET /Schemas/{id}; a 404 ScimError for an unknown id. */
  schemaResource(id: string, baseUrl: string): SchemaResource {
    const schema = this.schema(id);
    if (!schema) throw ScimError.notFound(`Schema "${id}" not found`);
    // `externalId` (RFC 7643 §3.1) belongs to no schema, but Entra maps attributes to it and
    // Microsoft's gallery validation looks for every mapped attribute in /Schemas.
    const isCore = this.typeList.some((t) => t.schema.toLowerCase() === schema.id.toLowerCase());
    const externalId = this.common.find((a) => a.name === 'externalId');
    const attributes = isCore && externalId ? [externalId, ...schema.attributes] : schema.attributes;
    return {
      schemas: [SCHEMA_SCHEMA],
      id: schema.id,
      name: schema.name,
      description: schema.description,
      attributes: attributes.map(renderAttribute),
      meta: { resourceType: 'Schema', location: joinUrl(baseUrl, `/Schemas/${schema.id}`) },
    };
  }

  /** GET /Schemas, in registry order. */
  schemaResources(baseUrl: string): SchemaResource[] {
    return this.schemaList.map((s) => this.schemaResource(s.id, baseUrl));
  }

  /** GET /ResourceTypes/{id} (the id in any case); a 404 ScimError for an unknown id. */
  resourceTypeResource(id: string, baseUrl: string): ResourceTypeResource {
    const type = this.resourceType(id);
    if (!type) throw ScimError.notFound(`Resource type "${id}" not found`);
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: type.id,
      name: type.name,
      endpoint: type.endpoint,
      description: type.description,
      schema: type.schema,
      schemaExtensions: type.schemaExtensions.map((e) => ({ schema: e.schema, required: e.required })),
      meta: { resourceType: 'ResourceType', location: joinUrl(baseUrl, `/ResourceTypes/${type.id}`) },
    };
  }

  /** GET /ResourceTypes: User first (Microsoft's test checks `Resources[0].endpoint`). */
  resourceTypeResources(baseUrl: string): ResourceTypeResource[] {
    return this.typeList.map((t) => this.resourceTypeResource(t.id, baseUrl));
  }

  private index(resourceType: string): ResourceTypeIndex {
    const type = this.types.get(resourceType.toLowerCase());
    if (!type) throw new Error(`Unknown resource type ${resourceType}`);
    return type;
  }
}

/**
 * A fresh copy for the wire, so callers cannot reach the frozen definitions, and with optional
 * characteristics left out rather than sent as null (Entra rejects nulls in /Schemas).
 */
function renderAttribute(attribute: AttributeDefinition): AttributeDefinition {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    ...(attribute.description !== undefined ? { description: attribute.description } : {}),
    required: attribute.required,
    caseExact: attribute.caseExact,
    ...(attribute.canonicalValues?.length ? { canonicalValues: [...attribute.canonicalValues] } : {}),
    ...(attribute.referenceTypes?.length ? { referenceTypes: [...attribute.referenceTypes] } : {}),
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness,
    ...(attribute.subAttributes?.length ? { subAttributes: attribute.subAttributes.map(renderAttribute) } : {}),
  };
}
