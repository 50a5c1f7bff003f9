import {
  AttrPath,
  AttributeDefinition,
  AttributeType,
  canonicalDateTime,
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
 *
 * A user's `groups` are not stored: they are the groups that contain the user, directly or
 * through nested groups. Predicates on them are compiled as set operations computed once per
 * statement (restrict the groups, walk nested groups downwards, semi-join the users), never as
 * a subquery per user row.
 *
 * Every filter has a cost (FILTER_COSTS), checked against a budget before any SQL runs, so that
 * one request cannot ask for an arbitrarily expensive statement.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  /** Largest accepted filter cost (FILTER_COSTS); DEFAULT_FILTER_MAX_COST when unset. */
  maxCost?: number;
}

/**
 * What a filter costs. Each comparison or presence term costs `term`, or `scan` when no index can
 * answer it (`co`/`ew`, `sw` without a prefix index, attributes read from the JSONB document);
 * each multi-valued attribute evaluated per row (EXISTS over its elements) adds `element`; each
 * predicate on a user's `groups` (a walk of the group graph) adds `groups`.
 */
export const FILTER_COSTS = Object.freeze({ term: 1, scan: 2, element: 3, groups: 10 });

/** 64 indexed terms (the parser's term limit) fit; 60 substring matches over element rows do not. */
export const DEFAULT_FILTER_MAX_COST = 100;

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
  /** A typed column (of the resource or of an element row): compared without reading the document. */
  column?: boolean;
  /** An index answers `sw` on it (text_pattern_ops on the folded value). */
  prefixIndexed?: boolean;
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
  const compiler = new FilterCompiler(context);
  const sql = compiler.compile(filter, { kind: 'resource' }, 0);
  const budget = context.maxCost ?? DEFAULT_FILTER_MAX_COST;
  if (compiler.cost > budget) {
    throw ScimError.badRequest(
      'invalidFilter',
      `The filter is too expensive: it costs ${compiler.cost} where at most ${budget} is allowed ` +
        `(a term costs ${FILTER_COSTS.term}, ${FILTER_COSTS.scan} without an index such as co and ew; ` +
        `a multi-valued attribute adds ${FILTER_COSTS.element}, a groups predicate ${FILTER_COSTS.groups}). ` +
        'Narrow it, or split it into several requests.',
    );
  }
  return sql;
}

/** The cost of a filter, without compiling it to a statement (for tests and documentation). */
export function filterCost(filter: Filter, context: SqlCompileContext): number {
  const compiler = new FilterCompiler({ ...context, params: new SqlParams() });
  compiler.compile(filter, { kind: 'resource' }, 0);
  return compiler.cost;
}

/** A sort key: the ORDER BY expression and what its values are, for keyset cursors. */
export interface SortKey {
  sql: string;
  type: AttributeType;
  /** Values are UUIDs (compared with a uuid column). */
  uuid?: boolean;
}

/**
 * The ORDER BY expression for `sortBy`, or a 400 invalidValue for attributes that cannot sort.
 * A sort key never takes parameters: the same statement counts without it, and an ordering
 * needs no client value. Values built from a constant prefix (`meta.location`, a `$ref`) sort
 * like what follows the prefix.
 */
export function compileSortKey(sortBy: string, context: SqlCompileContext): SortKey {
  const params = new SqlParams();
  const key = sortKeyOf(sortBy, { ...context, params });
  if (params.values.length > 0) {
    throw ScimError.badRequest('invalidValue', `sortBy cannot use "${sortBy.trim()}".`);
  }
  return key;
}

function sortKeyOf(sortBy: string, context: SqlCompileContext): SortKey {
  const compiler = new FilterCompiler(context);
  const r = context.alias ?? 'r';
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
  const extensionId = resolved.extension ? resolved.schemaId : undefined;
  if (!extensionId && resolved.canonicalPath === 'meta.location') {
    // `<base>/Users/<id>`: the prefix is the same for every row, so it sorts like the id.
    return { sql: `${r}.id`, type: 'string', uuid: true };
  }
  if (extensionId && attribute.name === 'manager' && subAttribute?.name === '$ref') {
    // `<base>/Users/<manager id>`: sorts like the manager's id as stored.
    return { sql: `(${r}.doc->${jsonKey(extensionId)}->'manager'->>'value')`, type: 'string' };
  }
  if (extensionId && context.resourceType === 'Group' && attribute.name === 'logo') {
    // `<base>/Groups/<id>/Logo` when the group has a logo, absent otherwise.
    return {
      sql: `(CASE WHEN EXISTS (SELECT 1 FROM group_logos gl WHERE gl.group_id = ${r}.id) THEN ${r}.id::text END)`,
      type: 'string',
    };
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

/** The elements of a simple multi-valued attribute, as the `value` a filter names them by. */
function elementValue(attribute: AttributeDefinition): AttributeDefinition {
  return { ...attribute, name: 'value', multiValued: false };
}

function jsonKey(name: string): string {
  // Keys are canonical names from the registry, never client text; quoting still keeps SQL sane.
  return `'${name.replace(/'/g, "''")}'`;
}

class FilterCompiler {
  private readonly alias: string;
  private elementCounter = 0;
  /** What the filter compiled so far costs (FILTER_COSTS). */
  cost = 0;

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
      case 'present': {
        const presence = this.complexPresence(filter.path, scope);
        if (presence) {
          return presence;
        }
        const groups = this.groupsTerm(filter, scope);
        return groups ?? this.term(filter.path, scope, 'pr', (operand) => present(operand));
      }
      case 'compare': {
        // `name eq null` asks whether the complex attribute is there at all, like `not (name pr)`.
        const presence =
          filter.value === null && (filter.op === 'eq' || filter.op === 'ne')
            ? this.complexPresence(filter.path, scope)
            : undefined;
        if (presence) {
          return filter.op === 'eq' ? `(NOT ${presence})` : presence;
        }
        const groups = this.groupsTerm(filter, scope);
        const { op, value } = filter;
        return (
          groups ??
          this.term(filter.path, scope, op, (operand, label) =>
            comparison(operand, op, value, label, this.context.params),
          )
        );
      }
      case 'valuePath':
        return this.valuePath(filter.path, filter.filter, scope, depth);
    }
  }

  /** Adds what one comparison or presence term on `operand` costs. */
  private charge(operand: Operand, op: CompareOp | 'pr'): void {
    const scan = op === 'co' || op === 'ew' || (op === 'sw' && !operand.prefixIndexed) || !operand.column;
    this.cost += scan ? FILTER_COSTS.scan : FILTER_COSTS.term;
  }

  /** The `groups` attribute of User, when `path` names it (or one of its sub-attributes). */
  private groupsAttribute(path: AttrPath, scope: Scope): { attribute: AttributeDefinition; sub?: string } | undefined {
    if (scope.kind !== 'resource' || this.context.resourceType !== 'User') {
      return undefined;
    }
    const resolved = this.context.registry.resolve('User', path);
    if (!resolved || resolved.extension || resolved.attributePath !== 'groups') {
      return undefined;
    }
    return { attribute: resolved.attribute, ...(resolved.subAttribute ? { sub: resolved.subAttribute.name } : {}) };
  }

  /** `groups.display co "x"` is `groups[display co "x"]`: one element satisfies it. */
  private groupsTerm(filter: Filter & { kind: 'compare' | 'present' }, scope: Scope): string | undefined {
    const groups = this.groupsAttribute(filter.path, scope);
    if (!groups) {
      return undefined;
    }
    const path = { attr: groups.sub ?? 'value' };
    return this.groupsSet(
      groups.attribute,
      filter.kind === 'present' ? { kind: 'present', path } : { ...filter, path },
    );
  }

  /**
   * "Some group of the user satisfies `inner`", as one set computed once per statement: the
   * groups that satisfy it (whatever a membership's type, when `inner` names the type), every
   * group nested in them, walked downwards once, then the users that are members of those,
   * semi-joined by id. A user's element for a group is `direct` when the user is a member of the
   * group itself, `indirect` when only of a group nested in it (as the representation says).
   */
  private groupsSet(attribute: AttributeDefinition, inner: Filter): string {
    const r = this.alias;
    const n = ++this.elementCounter;
    const [g, w, gm, m] = [`gg${n}`, `gw${n}`, `gm${n}`, `gu${n}`];
    this.cost += FILTER_COSTS.groups;
    if (inner.kind === 'present') {
      // Every element has a value, display, type and $ref: present means "has a group", and a user
      // with any group is a direct member of one.
      return `EXISTS (SELECT 1 FROM group_members ${gm} WHERE ${gm}.user_id = ${r}.id)`;
    }
    const scope = (type: string): Scope => ({
      kind: 'element',
      attribute,
      path: 'groups',
      source: { from: '', operand: (sub) => this.groupOperand(sub, g, type) },
    });
    const walk = (anchor: string, step: string) =>
      `WITH RECURSIVE ${w} AS (${anchor} UNION ${step} FROM group_members ${gm} JOIN ${w} ON ${gm}.group_id = ${w}.gid ` +
      `WHERE ${gm}.child_group_id IS NOT NULL)`;
    if (!mentions(inner, 'type')) {
      const restrict = this.compile(inner, scope('NULL'), 1);
      return (
        `${r}.id IN (${walk(`SELECT ${g}.id AS gid FROM groups ${g} WHERE ${restrict}`, `SELECT ${gm}.child_group_id`)} ` +
        `SELECT ${gm}.user_id FROM group_members ${gm} JOIN ${w} ON ${gm}.group_id = ${w}.gid WHERE ${gm}.user_id IS NOT NULL)`
      );
    }
    // The groups worth walking from: those where the element could satisfy `inner` as a direct or
    // as an indirect membership. The cost is the filter's once, not three times.
    const direct = this.compile(inner, scope(`'direct'`), 1);
    const cost = this.cost;
    const restrict = `(${direct} OR ${this.compile(inner, scope(`'indirect'`), 1)})`;
    const test = this.compile(inner, scope(`(CASE WHEN ${m}.direct THEN 'direct' ELSE 'indirect' END)`), 1);
    this.cost = cost;
    return (
      `${r}.id IN (${walk(`SELECT ${g}.id AS root, ${g}.id AS gid, true AS self FROM groups ${g} WHERE ${restrict}`, `SELECT ${w}.root, ${gm}.child_group_id, false`)} ` +
      `SELECT ${m}.user_id FROM (SELECT ${gm}.user_id, ${w}.root, bool_or(${w}.self) AS direct ` +
      `FROM group_members ${gm} JOIN ${w} ON ${gm}.group_id = ${w}.gid WHERE ${gm}.user_id IS NOT NULL GROUP BY ${gm}.user_id, ${w}.root) ${m} ` +
      `JOIN groups ${g} ON ${g}.id = ${m}.root WHERE ${test})`
    );
  }

  /** A sub-attribute of a `groups` element, for the group row `g`; `type` is its SQL. */
  private groupOperand(sub: AttributeDefinition, g: string, type: string): Operand {
    switch (sub.name) {
      case 'value':
        return { sql: `${g}.id`, type: 'string', caseExact: true, uuid: true, column: true };
      case 'display':
        return {
          sql: `${g}.display_name::text`,
          type: 'string',
          caseExact: false,
          text: true,
          column: true,
          prefixIndexed: true,
        };
      case 'type':
        return { sql: type, type: 'string', caseExact: false, column: true };
      default:
        return {
          sql: `(${this.context.params.add(this.context.baseUrl)} || '/Groups/' || ${g}.id::text)`,
          type: 'reference',
          caseExact: true,
        };
    }
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
      if (this.groupsAttribute(path, scope)) {
        return this.groupsSet(resolved.attribute, { kind: 'present', path: { attr: 'value' } });
      }
      this.cost += FILTER_COSTS.element + FILTER_COSTS.term;
      return `EXISTS (SELECT 1 ${this.elementSource(resolved.attribute, resolved.attributePath, extension).from})`;
    }
    if (resolved.attribute.name === 'meta' && !extension) {
      return 'true';
    }
    this.cost += FILTER_COSTS.scan;
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
  private term(
    path: AttrPath,
    scope: Scope,
    op: CompareOp | 'pr',
    build: (operand: Operand, label: string) => string,
  ): string {
    const charged = (operand: Operand): Operand => {
      this.charge(operand, op);
      return operand;
    };
    if (scope.kind === 'element') {
      const sub = this.elementSub(scope, path);
      return build(charged(scope.source.operand(sub)), `${scope.path}.${sub.name}`);
    }
    if (!path.uri && !path.sub && path.attr.toLowerCase() === 'schemas') {
      const source = this.schemasSource();
      this.cost += FILTER_COSTS.term;
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
      const sub =
        subAttribute ??
        this.context.registry.subAttribute(attribute, 'value') ??
        (attribute.type === 'complex' ? undefined : elementValue(attribute));
      if (!sub) {
        throw ScimError.badRequest('invalidFilter', `"${canonicalPath}" needs a sub-attribute in a filter.`);
      }
      const source = this.elementSource(
        attribute,
        resolved.attributePath,
        resolved.extension ? resolved.schemaId : undefined,
        new Set([sub.name]),
      );
      this.cost += FILTER_COSTS.element;
      return `EXISTS (SELECT 1 ${source.from} AND ${build(charged(source.operand(sub)), `${resolved.attributePath}.${sub.name}`)})`;
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
      return build(charged(operand), `${canonicalPath}.value`);
    }
    return build(
      charged(
        this.singularOperand(
          canonicalPath,
          attribute,
          subAttribute,
          resolved.extension ? resolved.schemaId : undefined,
        ),
      ),
      canonicalPath,
    );
  }

  /** The sub-attribute an element-scope path names, or the 400 for one it does not. */
  private elementSub(scope: Scope & { kind: 'element' }, path: AttrPath): AttributeDefinition {
    if (path.uri || path.sub) {
      throw ScimError.badRequest(
        'invalidFilter',
        `Inside ${scope.path}[...], name sub-attributes only: "${path.attr}".`,
      );
    }
    const sub =
      this.context.registry.subAttribute(scope.attribute, path.attr) ??
      (scope.attribute.type !== 'complex' && path.attr.toLowerCase() === 'value'
        ? elementValue(scope.attribute)
        : undefined);
    if (!sub) {
      throw ScimError.badRequest('invalidFilter', `${scope.path} has no sub-attribute "${path.attr}".`);
    }
    return sub;
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
    // A simple multi-valued attribute (an extension's list of strings) has elements too, called `value`.
    if (attribute.type !== 'complex' && !attribute.multiValued) {
      throw ScimError.badRequest('invalidFilter', `"${resolved.canonicalPath}" is not complex; [...] does not apply.`);
    }
    if (this.groupsAttribute(path, scope)) {
      if (inner.kind === 'present') {
        // Validated like any element term, then answered as "has a group" (see groupsSet).
        this.elementSub(
          {
            kind: 'element',
            attribute,
            path: 'groups',
            source: { from: '', operand: () => ({ sql: '', type: 'string', caseExact: true }) },
          },
          inner.path,
        );
      }
      return this.groupsSet(attribute, inner);
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
    this.cost += FILTER_COSTS.element;
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
    const computed = (sql: string, extra: Partial<Operand> = {}): Operand => ({
      sql,
      type: target.type,
      caseExact: target.caseExact,
      ...extra,
    });
    const column = (sql: string, extra: Partial<Operand> = {}): Operand => computed(sql, { column: true, ...extra });
    const isGroup = this.context.resourceType === 'Group';
    switch (canonicalPath) {
      case 'id':
        return column(`${r}.id`, { uuid: true });
      case 'externalId':
        return column(`${r}.external_id`, { text: true });
      case 'userName':
        return column(`${r}.user_name::text`, { text: true, prefixIndexed: true });
      case 'displayName':
        return isGroup
          ? column(`${r}.display_name::text`, { text: true, prefixIndexed: true })
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
        return computed(
          `(${this.context.params.add(this.context.baseUrl)} || '/${isGroup ? 'Groups' : 'Users'}/' || ${r}.id::text)`,
        );
      default:
        break;
    }
    if (isGroup && extension && attribute.name === 'logo') {
      return computed(
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
        return computed(`(${this.context.params.add(this.context.baseUrl)} || '/Users/' || ${managerId})`);
      }
      return computed(
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
          return {
            sql: `${e}."${name}"`,
            type: sub.type,
            caseExact: sub.caseExact,
            text: sub.type === 'string',
            column: true,
          };
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
    const doc = extension ? `${r}.doc->${jsonKey(extension)}` : `${r}.doc`;
    const array = `${doc}->${jsonKey(attribute.name)}`;
    return {
      from: `FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END) ${e}(v) WHERE true`,
      operand: (sub) =>
        attribute.type === 'complex'
          ? this.jsonElementOperand(`${e}.v`, sub)
          : { sql: `(${e}.v #>> '{}')`, json: `${e}.v`, type: attribute.type, caseExact: attribute.caseExact },
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
        return { sql: `${e}.member_id`, type: 'string', caseExact: true, uuid: true, column: true };
      case 'type':
        return { sql: `${e}.member_type`, type: 'string', caseExact: false, column: true };
      case 'display':
        return {
          sql: `coalesce(${mu}.display_name, ${mu}.user_name::text, ${mg}.display_name::text)`,
          type: 'string',
          caseExact: false,
          text: true,
          column: true,
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

  multiValuedSortKey(attribute: AttributeDefinition, sub: AttributeDefinition, path: string): SortKey {
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

/** Whether a value filter names the sub-attribute `name` anywhere. */
function mentions(filter: Filter, name: string): boolean {
  return [...collectNames(filter)].some((n) => n.toLowerCase() === name);
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
  // Checked as a calendar date here, so that `2020-02-30` is the client's 400 and never a failing cast.
  const instant = typeof value === 'string' ? canonicalDateTime(value) : undefined;
  if (instant === undefined) {
    throw ScimError.badRequest(
      'invalidFilter',
      `${label} is a dateTime; "${String(value)}" is not an xsd:dateTime such as "2026-01-31T12:00:00Z" (years 0001-9999).`,
    );
  }
  const left = operand.json !== undefined ? `(${operand.sql})::timestamptz` : operand.sql;
  return orderedComparison(left, op, `${params.add(instant)}::timestamptz`, label);
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
