import {
  AttrPath,
  AttributeDefinition,
  AttributeType,
  CompareOp,
  Filter,
  FilterValue,
  ResourceTypeName,
  SchemaRegistry,
  ScimError,
} from '@roster/scim';

/**
 * Compiles a parsed SCIM filter into one parameterised SQL predicate over `users r` or
 * `groups r`. Values only ever travel as parameters. Attributes with a typed column (and an
 * index) use it; multi-valued attributes become EXISTS over their element rows (child tables
 * where there is one, jsonb_array_elements otherwise), which gives valuePath filters their
 * same-element meaning; every other attribute is read from the JSONB document. Every predicate
 * is two-valued (never NULL), so that `not` means what it says.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// xsd:dateTime, with any number of fractional digits (Entra sends seven).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface SqlCompileContext {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
  params: SqlParams;
  /** `${PUBLIC_URL}/v2`, for filters on `$ref` and `meta.location`. */
  baseUrl: string;
  /** Alias of the resource table in the surrounding query. */
  alias?: string;
  /** Ties the members of a `members[...]` filter to one membership row (for deleting by filter). */
  memberCorrelation?: string;
}

/** A scalar the predicate builders can compare: its SQL text and what kind of value it is. */
interface Operand {
  sql: string;
  type: AttributeType;
  caseExact: boolean;
  /** The JSONB value, when the operand comes from the document (for `pr`). */
  json?: string;
  /** Values are UUIDs: an `eq` with a non-UUID value cannot match, and must not reach a ::uuid cast. */
  uuid?: boolean;
  /** Text column that may hold '' (treated as absent by `pr`). */
  text?: boolean;
}

/** Where the elements of a multi-valued attribute come from, and how to read their sub-attributes. */
interface ElementSource {
  /** `FROM ... WHERE <correlation>`, to be completed with `AND <condition>`. */
  from: string;
  operand(sub: AttributeDefinition): Operand;
}

type Scope =
  { kind: 'resource' } | { kind: 'element'; attribute: AttributeDefinition; source: ElementSource; path: string };

export function compileFilter(filter: Filter, context: SqlCompileContext): string {
  return new FilterCompiler(context).compile(filter, { kind: 'resource' }, 0);
}

/** The ORDER BY expression for `sortBy`, or a 400 invalidValue for attributes that cannot sort. */
export function compileSortKey(sortBy: string, context: SqlCompileContext): { sql: string; type: AttributeType } {
  const compiler = new FilterCompiler(context);
  const resolved = context.registry.resolveName(context.resourceType, sortBy.trim());
  if (!resolved) {
    throw ScimError.badRequest('invalidValue', `sortBy names an unknown attribute "${sortBy}".`);
  }
  const { attribute, subAttribute } = resolved;
  if (attribute.returned === 'never') {
    throw ScimError.badRequest('invalidValue', `sortBy cannot use "${resolved.canonicalPath}".`);
  }
  if (attribute.multiValued) {
    // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary (else first) value.
    const sub = subAttribute ?? context.registry.subAttribute(attribute, 'value');
    if (!sub) {
      throw ScimError.badRequest('invalidValue', `sortBy cannot use "${resolved.canonicalPath}".`);
    }
    return compiler.multiValuedSortKey(attribute, sub, resolved.canonicalPath);
  }
  const target = subAttribute ?? attribute;
  if (target.type === 'complex') {
    throw ScimError.badRequest('invalidValue', `sortBy needs a simple attribute, not "${resolved.canonicalPath}".`);
  }
  const operand = compiler.singularOperand(
    resolved.canonicalPath,
    attribute,
    subAttribute,
    resolved.extension ? resolved.schemaId : undefined,
  );
  const sql = operand.type === 'string' || operand.type === 'reference' ? caseFold(operand) : operand.sql;
  return { sql: castFor(operand, sql), type: operand.type };
}

function caseFold(operand: Operand): string {
  return operand.caseExact ? operand.sql : `lower(${operand.sql})`;
}

function castFor(operand: Operand, sql: string): string {
  if (operand.json === undefined) {
    return sql;
  }
  switch (operand.type) {
    case 'integer':
    case 'decimal':
      return `(${sql})::numeric`;
    case 'dateTime':
      return `(${sql})::timestamptz`;
    default:
      return sql;
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function jsonKey(name: string): string {
  // Keys are canonical names from the registry, never client text; quoting still keeps SQL sane.
  return `'${name.replace(/'/g, "''")}'`;
}

class FilterCompiler {
  private readonly alias: string;
  private elementCounter = 0;

  constructor(private readonly context: SqlCompileContext) {
    this.alias = context.alias ?? 'r';
  }

  compile(filter: Filter, scope: Scope, depth: number): string {
    switch (filter.kind) {
      case 'and':
        return `(${this.compile(filter.left, scope, depth)} AND ${this.compile(filter.right, scope, depth)})`;
      case 'or':
        return `(${this.compile(filter.left, scope, depth)} OR ${this.compile(filter.right, scope, depth)})`;
      case 'not':
        return `(NOT ${this.compile(filter.filter, scope, depth)})`;
      case 'present':
        return this.complexPresence(filter.path, scope) ?? this.term(filter.path, scope, (operand) => present(operand));
      case 'compare': {
        // `name eq null` asks whether the complex attribute is there at all, like `not (name pr)`.
        const presence =
          filter.value === null && (filter.op === 'eq' || filter.op === 'ne')
            ? this.complexPresence(filter.path, scope)
            : undefined;
        if (presence) {
          return filter.op === 'eq' ? `(NOT ${presence})` : presence;
        }
        return this.compare(filter.path, filter.op, filter.value, scope);
      }
      case 'valuePath':
        return this.valuePath(filter.path, filter.filter, scope, depth);
    }
  }

  private compare(path: AttrPath, op: CompareOp, value: FilterValue, scope: Scope): string {
    if (scope.kind === 'resource' && this.context.resourceType === 'User' && op === 'eq' && typeof value === 'string') {
      // `groups.value eq "<id>"` is how clients ask "who is in this group": answer it from the
      // group's side, walking nested groups downwards, instead of computing every user's groups.
      const resolved = this.context.registry.resolve('User', path);
      if (resolved?.attributePath === 'groups' && (resolved.subAttribute?.name ?? 'value') === 'value') {
        return this.usersInGroup(value);
      }
    }
    return this.term(path, scope, (operand, label) => comparison(operand, op, value, label, this.context.params));
  }

  /**
   * `pr` on a complex attribute named without a sub-attribute (RFC 7644 §3.4.2.2): a singular
   * one is present when its object has content, a multi-valued one when it has an element.
   * Undefined when the path is not such an attribute.
   */
  private complexPresence(path: AttrPath, scope: Scope): string | undefined {
    if (scope.kind !== 'resource' || path.sub) {
      return undefined;
    }
    const resolved = this.context.registry.resolve(this.context.resourceType, path);
    if (!resolved || resolved.subAttribute || resolved.attribute.type !== 'complex') {
      return undefined;
    }
    const extension = resolved.extension ? resolved.schemaId : undefined;
    if (resolved.attribute.multiValued) {
      return `EXISTS (SELECT 1 ${this.elementSource(resolved.attribute, resolved.attributePath, extension).from})`;
    }
    if (resolved.attribute.name === 'meta' && !extension) {
      return 'true';
    }
    const doc = extension ? `${this.alias}.doc->${jsonKey(extension)}` : `${this.alias}.doc`;
    return present({
      sql: '',
      json: `(${doc}->${jsonKey(resolved.attribute.name)})`,
      type: 'complex',
      caseExact: false,
    });
  }

  /** `schemas`: the core schema, plus each extension the resource holds data for. */
  private schemasSource(): ElementSource {
    const core = this.context.registry.coreSchema(this.context.resourceType).id;
    const parts = [
      `ARRAY[${this.context.params.add(core)}::text]`,
      ...this.context.registry
        .extensionSchemas(this.context.resourceType)
        .map(
          (e) =>
            `(CASE WHEN ${this.alias}.doc ? ${jsonKey(e.id)} THEN ARRAY[${jsonKey(e.id)}::text] ELSE ARRAY[]::text[] END)`,
        ),
    ];
    const e = `e${++this.elementCounter}`;
    return {
      from: `FROM unnest(${parts.join(' || ')}) ${e}(v) WHERE true`,
      operand: () => ({ sql: `${e}.v`, type: 'reference', caseExact: false }),
    };
  }

  /**
   * Resolves a path in the current scope and builds a predicate on it; multi-valued attributes
   * become "some element satisfies it".
   */
  private term(path: AttrPath, scope: Scope, build: (operand: Operand, label: string) => string): string {
    if (scope.kind === 'element') {
      if (path.uri || path.sub) {
        throw ScimError.badRequest(
          'invalidFilter',
          `Inside ${scope.path}[...], name sub-attributes only: "${path.attr}".`,
        );
      }
      const sub = this.context.registry.subAttribute(scope.attribute, path.attr);
      if (!sub) {
        throw ScimError.badRequest('invalidFilter', `${scope.path} has no sub-attribute "${path.attr}".`);
      }
      return build(scope.source.operand(sub), `${scope.path}.${sub.name}`);
    }
    if (!path.uri && !path.sub && path.attr.toLowerCase() === 'schemas') {
      const source = this.schemasSource();
      return `EXISTS (SELECT 1 ${source.from} AND ${build(source.operand(SCHEMAS_ATTRIBUTE), 'schemas')})`;
    }
    const resolved = this.context.registry.resolve(this.context.resourceType, path);
    if (!resolved) {
      throw ScimError.badRequest('invalidFilter', `Unknown attribute "${formatPath(path)}" in filter.`);
    }
    const { attribute, subAttribute, canonicalPath } = resolved;
    if (attribute.returned === 'never' || subAttribute?.returned === 'never') {
      throw ScimError.badRequest('invalidFilter', `"${canonicalPath}" cannot be used in a filter.`);
    }
    if (attribute.multiValued) {
      const sub = subAttribute ?? this.context.registry.subAttribute(attribute, 'value');
      if (!sub) {
        throw ScimError.badRequest('invalidFilter', `"${canonicalPath}" needs a sub-attribute in a filter.`);
      }
      const source = this.elementSource(
        attribute,
        resolved.attributePath,
        resolved.extension ? resolved.schemaId : undefined,
        new Set([sub.name]),
      );
      return `EXISTS (SELECT 1 ${source.from} AND ${build(source.operand(sub), `${resolved.attributePath}.${sub.name}`)})`;
    }
    if (attribute.type === 'complex' && !subAttribute) {
      const value = this.context.registry.subAttribute(attribute, 'value');
      if (!value) {
        throw ScimError.badRequest('invalidFilter', `"${canonicalPath}" is complex; name one of its sub-attributes.`);
      }
      const operand = this.singularOperand(
        `${canonicalPath}.value`,
        attribute,
        value,
        resolved.extension ? resolved.schemaId : undefined,
      );
      return build(operand, `${canonicalPath}.value`);
    }
    return build(
      this.singularOperand(canonicalPath, attribute, subAttribute, resolved.extension ? resolved.schemaId : undefined),
      canonicalPath,
    );
  }

  private valuePath(path: AttrPath, inner: Filter, scope: Scope, depth: number): string {
    if (scope.kind === 'element') {
      throw ScimError.badRequest('invalidFilter', 'A value filter cannot be nested inside another one.');
    }
    const resolved = this.context.registry.resolve(this.context.resourceType, path);
    if (!resolved || resolved.subAttribute) {
      throw ScimError.badRequest('invalidFilter', `Unknown attribute "${formatPath(path)}" in filter.`);
    }
    const { attribute } = resolved;
    if (attribute.type !== 'complex') {
      throw ScimError.badRequest('invalidFilter', `"${resolved.canonicalPath}" is not complex; [...] does not apply.`);
    }
    const extension = resolved.extension ? resolved.schemaId : undefined;
    if (!attribute.multiValued) {
      // name[givenName eq "x"]: a singular complex attribute is its own, only, element.
      const source: ElementSource = {
        from: '',
        operand: (sub) => this.singularOperand(`${resolved.canonicalPath}.${sub.name}`, attribute, sub, extension),
      };
      return this.compile(inner, { kind: 'element', attribute, source, path: resolved.canonicalPath }, depth + 1);
    }
    const source = this.elementSource(attribute, resolved.attributePath, extension, collectNames(inner));
    const condition = this.compile(
      inner,
      { kind: 'element', attribute, source, path: resolved.attributePath },
      depth + 1,
    );
    return `EXISTS (SELECT 1 ${source.from} AND ${condition})`;
  }

  /** A singular attribute (or a sub-attribute of a singular complex one) of the resource row. */
  singularOperand(
    canonicalPath: string,
    attribute: AttributeDefinition,
    subAttribute: AttributeDefinition | undefined,
    extension: string | undefined,
  ): Operand {
    const r = this.alias;
    const target = subAttribute ?? attribute;
    const column = (sql: string, extra: Partial<Operand> = {}): Operand => ({
      sql,
      type: target.type,
      caseExact: target.caseExact,
      ...extra,
    });
    const isGroup = this.context.resourceType === 'Group';
    switch (canonicalPath) {
      case 'id':
        return column(`${r}.id`, { uuid: true });
      case 'externalId':
        return column(`${r}.external_id`, { text: true });
      case 'userName':
        return column(`${r}.user_name::text`, { text: true });
      case 'displayName':
        return isGroup
          ? column(`${r}.display_name::text`, { text: true })
          : column(`${r}.display_name`, { text: true });
      case 'active':
        return column(`${r}.active`);
      case 'meta.created':
        return column(`${r}.created`);
      case 'meta.lastModified':
        return column(`${r}.last_modified`);
      case 'meta.version':
        return column(`('W/"' || ${r}.version::text || '"')`);
      case 'meta.resourceType':
        return column(`'${this.context.resourceType}'::text`);
      case 'meta.location':
        return column(
          `(${this.context.params.add(this.context.baseUrl)} || '/${isGroup ? 'Groups' : 'Users'}/' || ${r}.id::text)`,
        );
      default:
        break;
    }
    if (isGroup && extension && attribute.name === 'logo') {
      return column(
        `(CASE WHEN EXISTS (SELECT 1 FROM group_logos gl WHERE gl.group_id = ${r}.id) ` +
          `THEN ${this.context.params.add(this.context.baseUrl)} || '/Groups/' || ${r}.id::text || '/Logo' END)`,
      );
    }
    const base = extension ? `${r}.doc->${jsonKey(extension)}` : `${r}.doc`;
    if (
      extension &&
      attribute.name === 'manager' &&
      (subAttribute?.name === '$ref' || subAttribute?.name === 'displayName')
    ) {
      // Stored as {value} only; $ref and displayName are derived on read, so derive them here too.
      const managerId = `(${base}->'manager'->>'value')`;
      if (subAttribute.name === '$ref') {
        return column(`(${this.context.params.add(this.context.baseUrl)} || '/Users/' || ${managerId})`);
      }
      return column(
        `(SELECT coalesce(mu.display_name, mu.user_name::text) FROM users mu WHERE mu.id = ` +
          `(CASE WHEN ${managerId} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN ${managerId}::uuid END))`,
        { text: true },
      );
    }
    const json = subAttribute
      ? `${base}->${jsonKey(attribute.name)}->${jsonKey(subAttribute.name)}`
      : `${base}->${jsonKey(attribute.name)}`;
    const text = subAttribute
      ? `${base}->${jsonKey(attribute.name)}->>${jsonKey(subAttribute.name)}`
      : `${base}->>${jsonKey(attribute.name)}`;
    return { sql: `(${text})`, json: `(${json})`, type: target.type, caseExact: target.caseExact };
  }

  /** The rows of a multi-valued attribute of the current resource. */
  private elementSource(
    attribute: AttributeDefinition,
    attributePath: string,
    extension: string | undefined,
    names?: Set<string>,
  ): ElementSource {
    const r = this.alias;
    const e = `e${++this.elementCounter}`;
    const base = this.context.baseUrl;
    if (
      this.context.resourceType === 'User' &&
      attributePath === 'emails' &&
      (!names || isSubset(names, EMAIL_COLUMNS))
    ) {
      return {
        from: `FROM user_emails ${e} WHERE ${e}.user_id = ${r}.id`,
        operand: (sub) => {
          const name = sub.name.toLowerCase();
          if (!EMAIL_COLUMNS.has(name)) {
            return this.jsonElementOperand(`to_jsonb(${e})`, sub);
          }
          return { sql: `${e}."${name}"`, type: sub.type, caseExact: sub.caseExact, text: sub.type === 'string' };
        },
      };
    }
    if (this.context.resourceType === 'Group' && attributePath === 'members') {
      const mu = `${e}u`;
      const mg = `${e}g`;
      return {
        from:
          `FROM group_members ${e} LEFT JOIN users ${mu} ON ${mu}.id = ${e}.user_id ` +
          `LEFT JOIN groups ${mg} ON ${mg}.id = ${e}.child_group_id WHERE ${e}.group_id = ${r}.id` +
          (this.context.memberCorrelation ? ` AND ${e}.member_id = ${this.context.memberCorrelation}` : ''),
        operand: (sub) => this.memberOperand(sub, e, mu, mg, base),
      };
    }
    if (this.context.resourceType === 'User' && attributePath === 'groups') {
      const anc = `${e}a`;
      const g = `${e}g`;
      // Direct memberships, then every group that contains one of those (nested groups).
      const from =
        `FROM (WITH RECURSIVE ${anc}(group_id, direct) AS (` +
        `SELECT gm.group_id, true FROM group_members gm WHERE gm.user_id = ${r}.id ` +
        `UNION SELECT gm.group_id, false FROM group_members gm JOIN ${anc} ON gm.child_group_id = ${anc}.group_id) ` +
        `SELECT * FROM ${anc}) ${e} JOIN groups ${g} ON ${g}.id = ${e}.group_id WHERE true`;
      return {
        from,
        operand: (sub) => {
          switch (sub.name) {
            case 'value':
              return { sql: `${e}.group_id`, type: 'string', caseExact: true, uuid: true };
            case 'display':
              return { sql: `${g}.display_name::text`, type: 'string', caseExact: false, text: true };
            case 'type':
              return {
                sql: `(CASE WHEN ${e}.direct THEN 'direct' ELSE 'indirect' END)`,
                type: 'string',
                caseExact: false,
              };
            default:
              return {
                sql: `(${this.context.params.add(base)} || '/Groups/' || ${e}.group_id::text)`,
                type: 'reference',
                caseExact: true,
              };
          }
        },
      };
    }
    const doc = extension ? `${r}.doc->${jsonKey(extension)}` : `${r}.doc`;
    const array = `${doc}->${jsonKey(attribute.name)}`;
    return {
      from: `FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END) ${e}(v) WHERE true`,
      operand: (sub) => this.jsonElementOperand(`${e}.v`, sub),
    };
  }

  private jsonElementOperand(element: string, sub: AttributeDefinition): Operand {
    if (sub.name === 'primary') {
      // RFC 7643 §2.4: an element without `primary` is not the primary one.
      return { sql: `COALESCE(${element}->>'primary', 'false')`, type: 'boolean', caseExact: false };
    }
    return {
      sql: `(${element}->>${jsonKey(sub.name)})`,
      json: `(${element}->${jsonKey(sub.name)})`,
      type: sub.type,
      caseExact: sub.caseExact,
    };
  }

  private memberOperand(sub: AttributeDefinition, e: string, mu: string, mg: string, base: string): Operand {
    switch (sub.name) {
      case 'value':
        return { sql: `${e}.member_id`, type: 'string', caseExact: true, uuid: true };
      case 'type':
        return { sql: `${e}.member_type`, type: 'string', caseExact: false };
      case 'display':
        return {
          sql: `coalesce(${mu}.display_name, ${mu}.user_name::text, ${mg}.display_name::text)`,
          type: 'string',
          caseExact: false,
          text: true,
        };
      default:
        return {
          sql:
            `(${this.context.params.add(base)} || CASE ${e}.member_type WHEN 'User' THEN '/Users/' ELSE '/Groups/' END ` +
            `|| ${e}.member_id::text)`,
          type: 'reference',
          caseExact: true,
        };
    }
  }

  multiValuedSortKey(
    attribute: AttributeDefinition,
    sub: AttributeDefinition,
    path: string,
  ): { sql: string; type: AttributeType } {
    const r = this.alias;
    if (
      this.context.resourceType === 'User' &&
      attribute.name === 'emails' &&
      EMAIL_COLUMNS.has(sub.name.toLowerCase())
    ) {
      const column = `se."${sub.name.toLowerCase()}"`;
      const key = sub.type === 'string' && !sub.caseExact ? `lower(${column})` : column;
      return {
        sql: `(SELECT ${key} FROM user_emails se WHERE se.user_id = ${r}.id ORDER BY se."primary" DESC, se.position LIMIT 1)`,
        type: sub.type,
      };
    }
    if (attribute.name === 'members' || attribute.name === 'groups') {
      throw ScimError.badRequest('invalidValue', `sortBy cannot use "${path}".`);
    }
    const array = `${r}.doc->${jsonKey(attribute.name)}`;
    const text = `(se.v->>${jsonKey(sub.name)})`;
    const key = sub.type === 'string' && !sub.caseExact ? `lower(${text})` : text;
    return {
      sql:
        `(SELECT ${key} FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ` +
        `ELSE '[]'::jsonb END) WITH ORDINALITY se(v, n) ORDER BY (se.v->>'primary') = 'true' DESC, se.n LIMIT 1)`,
      type: sub.type,
    };
  }

  private usersInGroup(groupId: string): string {
    if (!UUID.test(groupId)) {
      return 'false';
    }
    const id = this.context.params.add(groupId.toLowerCase());
    return (
      `${this.alias}.id IN (WITH RECURSIVE sub(id) AS (SELECT ${id}::uuid UNION ` +
      `SELECT gm.child_group_id FROM group_members gm JOIN sub ON gm.group_id = sub.id WHERE gm.child_group_id IS NOT NULL) ` +
      `SELECT gm.user_id FROM group_members gm JOIN sub ON gm.group_id = sub.id WHERE gm.user_id IS NOT NULL)`
    );
  }
}

const EMAIL_COLUMNS = new Set(['value', 'type', 'primary']);

/** RFC 7643 §3: every resource's `schemas`, which no schema lists but filters may name. */
const SCHEMAS_ATTRIBUTE: AttributeDefinition = {
  name: 'schemas',
  type: 'reference',
  multiValued: true,
  required: true,
  caseExact: false,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'none',
};

function isSubset(names: Set<string>, allowed: Set<string>): boolean {
  return [...names].every((n) => allowed.has(n.toLowerCase()));
}

/** Attribute names used directly inside a value filter (they are relative to the element). */
function collectNames(filter: Filter, into: Set<string> = new Set()): Set<string> {
  switch (filter.kind) {
    case 'and':
    case 'or':
      collectNames(filter.left, into);
      collectNames(filter.right, into);
      break;
    case 'not':
      collectNames(filter.filter, into);
      break;
    case 'valuePath':
      into.add(filter.path.attr);
      break;
    case 'compare':
    case 'present':
      into.add(filter.path.attr);
      break;
  }
  return into;
}

function formatPath(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}

/**
 * `x op $n` made two-valued without hiding it from the planner. Parameters are never NULL, so the
 * comparison is NULL exactly when `x` is, and `AND x IS NOT NULL` turns that NULL into false;
 * both conjuncts stay plain quals, so an index on `x` (or on lower(x)) can serve the first.
 * `COALESCE(x op $n, false)` means the same but no index can serve it: every filter became a
 * sequential scan.
 */
function definite(test: string, operand: string): string {
  return `(${test} AND ${operand} IS NOT NULL)`;
}

/** `pr`: has a value that is not null, "", [] or {} (RFC 7644 §3.4.2.2). */
function present(operand: Operand): string {
  if (operand.json !== undefined) {
    return `COALESCE(${operand.json} NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`;
  }
  return operand.text ? `COALESCE(${operand.sql} <> '', false)` : `(${operand.sql} IS NOT NULL)`;
}

function comparison(operand: Operand, op: CompareOp, value: FilterValue, label: string, params: SqlParams): string {
  if (value === null) {
    // `eq null` asks for absence, `ne null` for presence; nothing else is meaningful.
    if (op === 'eq') {
      return `(NOT ${present(operand)})`;
    }
    if (op === 'ne') {
      return present(operand);
    }
    throw ScimError.badRequest('invalidFilter', `"${op} null" is not a meaningful comparison for ${label}.`);
  }
  switch (operand.type) {
    case 'boolean':
      return booleanComparison(operand, op, value, label, params);
    case 'integer':
    case 'decimal':
      return numberComparison(operand, op, value, label, params);
    case 'dateTime':
      return dateComparison(operand, op, value, label, params);
    default:
      return stringComparison(operand, op, String(value), params);
  }
}

function booleanComparison(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  label: string,
  params: SqlParams,
): string {
  const bool =
    typeof value === 'boolean'
      ? value
      : /^(true|false)$/i.test(String(value))
        ? /^true$/i.test(String(value))
        : undefined;
  if (bool === undefined) {
    throw ScimError.badRequest('invalidFilter', `${label} is a boolean; compare it with true or false.`);
  }
  if (op !== 'eq' && op !== 'ne') {
    throw ScimError.badRequest('invalidFilter', `${label} is a boolean; only eq and ne apply.`);
  }
  const test = definite(
    operand.json !== undefined
      ? `${operand.sql} = ${params.add(String(bool))}`
      : `${operand.sql} = ${params.add(bool)}`,
    operand.sql,
  );
  return op === 'eq' ? test : `(NOT ${test})`;
}

function numberComparison(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  label: string,
  params: SqlParams,
): string {
  const number = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(number) || String(value).trim() === '') {
    throw ScimError.badRequest('invalidFilter', `${label} is a number; "${String(value)}" is not.`);
  }
  const left = operand.json !== undefined ? `(${operand.sql})::numeric` : operand.sql;
  return orderedComparison(left, op, `${params.add(number)}::numeric`, label);
}

function dateComparison(operand: Operand, op: CompareOp, value: FilterValue, label: string, params: SqlParams): string {
  if (typeof value !== 'string' || !DATE_TIME.test(value.trim())) {
    throw ScimError.badRequest('invalidFilter', `${label} is a dateTime; "${String(value)}" is not an xsd:dateTime.`);
  }
  const left = operand.json !== undefined ? `(${operand.sql})::timestamptz` : operand.sql;
  return orderedComparison(left, op, `${params.add(value.trim())}::timestamptz`, label);
}

function orderedComparison(left: string, op: CompareOp, right: string, label: string): string {
  const sqlOp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op as 'eq'];
  if (!sqlOp) {
    throw ScimError.badRequest('invalidFilter', `"${op}" does not apply to ${label}.`);
  }
  if (op === 'ne') {
    return `(NOT ${definite(`${left} = ${right}`, left)})`;
  }
  return definite(`${left} ${sqlOp} ${right}`, left);
}

function stringComparison(operand: Operand, op: CompareOp, value: string, params: SqlParams): string {
  if (operand.uuid) {
    return uuidComparison(operand, op, value, params);
  }
  const fold = !operand.caseExact;
  const left = fold ? `lower(${operand.sql})` : operand.sql;
  const v = fold ? value.toLowerCase() : value;
  const test = (sql: string) => definite(sql, operand.sql);
  switch (op) {
    case 'eq':
      return test(`${left} = ${params.add(v)}`);
    case 'ne':
      return `(NOT ${test(`${left} = ${params.add(v)}`)})`;
    case 'co':
      return test(`${left} LIKE ${params.add(`%${escapeLike(v)}%`)}`);
    case 'sw':
      return test(`${left} LIKE ${params.add(`${escapeLike(v)}%`)}`);
    case 'ew':
      return test(`${left} LIKE ${params.add(`%${escapeLike(v)}`)}`);
    case 'gt':
      return test(`${left} > ${params.add(v)}`);
    case 'ge':
      return test(`${left} >= ${params.add(v)}`);
    case 'lt':
      return test(`${left} < ${params.add(v)}`);
    case 'le':
      return test(`${left} <= ${params.add(v)}`);
  }
}

function uuidComparison(operand: Operand, op: CompareOp, value: string, params: SqlParams): string {
  if (op === 'eq' || op === 'ne') {
    // A value that is not a UUID names no resource; it must not reach a ::uuid cast either.
    const test = UUID.test(value)
      ? definite(`${operand.sql} = ${params.add(value.toLowerCase())}::uuid`, operand.sql)
      : 'false';
    return op === 'eq' ? test : `(NOT ${test})`;
  }
  return stringComparison(
    { ...operand, sql: `${operand.sql}::text`, uuid: false, caseExact: false },
    op,
    value,
    params,
  );
}

/**
 * `members[<filter>]` as a condition on one membership row `d` of group `r`: what
 * `remove` with a members filter deletes (RFC 7644 §3.5.2.2).
 */
export function compileMemberCondition(filter: Filter, context: SqlCompileContext, row = 'd'): string {
  return compileFilter(
    { kind: 'valuePath', path: { attr: 'members' }, filter },
    { ...context, resourceType: 'Group', memberCorrelation: `${row}.member_id` },
  );
}
