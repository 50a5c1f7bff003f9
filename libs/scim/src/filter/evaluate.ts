/**
 * In-memory evaluation of a parsed filter against ONE JSON value. The PATCH engine uses it to pick the
 * elements of a multi-valued attribute that a path such as `members[value eq "x"]` or
 * `emails[type eq "work"].value` addresses.
 *
 * This is NOT how the directory is filtered: `GET /Users?filter=` is translated to SQL, so that paging, counts
 * and indexes stay in the database. Running this over every resource would not scale, and it only approximates
 * the database's text semantics (it lower-cases with `String#toLowerCase`, which is not a database collation).
 */
import type { AttrPath, CompareOp, Filter, FilterValue } from './ast';

export interface MatchOptions {
  /**
   * Whether string comparisons on `path` (as written in the filter, relative to the element) are case-sensitive.
   * The caller answers from the schema's `caseExact` characteristic; without it every comparison ignores case,
   * which is what RFC 7643 §2.1 prescribes for the default `caseExact: false`.
   */
  caseExact?: (path: AttrPath) => boolean;
}

/** Whether `element` (typically one item of a multi-valued attribute) satisfies `filter`. */
export function matchesElement(filter: Filter, element: unknown, options: MatchOptions = {}): boolean {
  return evaluate(filter, element, options.caseExact ?? (() => false));
}

type CaseExact = (path: AttrPath) => boolean;
type JsonObject = Record<string, unknown>;

function evaluate(filter: Filter, scope: unknown, caseExact: CaseExact): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, scope, caseExact) && evaluate(filter.right, scope, caseExact);
    case 'or':
      return evaluate(filter.left, scope, caseExact) || evaluate(filter.right, scope, caseExact);
    case 'not':
      return !evaluate(filter.filter, scope, caseExact);
    case 'present':
      return resolve(scope, filter.path).some(isPresent);
    case 'valuePath':
      // The inner filter's paths are relative to each element, so it is evaluated with the element as scope.
      return resolve(scope, filter.path).some((item) => evaluate(filter.filter, item, caseExact));
    case 'compare':
      return compare(resolve(scope, filter.path), filter.op, filter.value, caseExact(filter.path));
  }
}

/**
 * `ne` is the negation of `eq` (an absent attribute is "not equal" to anything, and a multi-valued attribute is
 * "not equal" only when no value equals). `eq null` matches an unassigned attribute. Every other operator
 * matches when any value matches, per RFC 7644 §3.4.2.2 for multi-valued attributes.
 */
function compare(candidates: unknown[], op: CompareOp, value: FilterValue, exact: boolean): boolean {
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') return false;
    const assigned = candidates.some(isPresent);
    return op === 'eq' ? !assigned : assigned;
  }
  if (op === 'ne') return !candidates.some((candidate) => test(candidate, 'eq', value, exact));
  return candidates.some((candidate) => test(candidate, op, value, exact));
}

function test(
  candidate: unknown,
  op: Exclude<CompareOp, 'ne'>,
  value: string | number | boolean,
  exact: boolean,
): boolean {
  // A complex value compared without a sub-attribute (Entra's `members eq "id"`) means its `value`.
  const actual = isObject(candidate) ? lookup(candidate, 'value') : candidate;
  if (typeof actual === 'string') {
    return compareStrings(actual, typeof value === 'string' ? value : String(value), op, exact);
  }
  if (typeof actual === 'number') {
    const wanted = toNumber(value);
    return wanted !== undefined && isOrdering(op) && ordered(actual - wanted, op);
  }
  if (typeof actual === 'boolean') {
    // Booleans have no order; only equality is meaningful (`ne` arrives here as a negated `eq`).
    return op === 'eq' && toBoolean(value) === actual;
  }
  return false;
}

function compareStrings(actual: string, wanted: string, op: Exclude<CompareOp, 'ne'>, exact: boolean): boolean {
  if (isOrdering(op)) {
    // `meta.lastModified gt "2021-09-23T19:35:41.8420572Z"` must compare instants: offsets and fraction widths differ.
    const left = parseInstant(actual);
    const right = left && parseInstant(wanted);
    if (left && right) return ordered(compareInstants(left, right), op);
  }
  const a = exact ? actual : actual.toLowerCase();
  const b = exact ? wanted : wanted.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    case 'eq':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      // Code-unit order of the (folded) strings: "lexicographic" as RFC 7644 leaves it.
      return ordered(a < b ? -1 : a > b ? 1 : 0, op);
  }
}

/** The operators that compare by order (equality counts: it is "order 0"), as opposed to substring tests. */
type OrderingOp = Extract<CompareOp, 'eq' | 'gt' | 'ge' | 'lt' | 'le'>;

function isOrdering(op: Exclude<CompareOp, 'ne'>): op is OrderingOp {
  return op !== 'co' && op !== 'sw' && op !== 'ew';
}

/** Applies an ordering operator to the sign of (actual - wanted). */
function ordered(sign: number, op: OrderingOp): boolean {
  switch (op) {
    case 'eq':
      return sign === 0;
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
  }
}

const NUMERIC = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The filter's value as a number, accepting `"5"` because unquoted and quoted numbers both reach us. */
function toNumber(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

/** The filter's value as a boolean, accepting `"True"` as clients send booleans as strings too. */
function toBoolean(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

// ---- attribute lookup ----------------------------------------------------------------------------------------

/**
 * The values `path` denotes in `scope`, with arrays flattened so that callers can test "any value".
 * Names match case-insensitively (RFC 7643 §2.1). A URI prefix selects the extension object of that name when the
 * scope has one (a whole resource); otherwise the name is looked up directly (an element has no schema objects).
 * A primitive element (a simple multi-valued attribute's item) answers to `value`.
 */
function resolve(scope: unknown, path: AttrPath): unknown[] {
  let base = scope;
  if (path.uri !== undefined && isObject(scope)) {
    const extension = lookup(scope, path.uri);
    if (isObject(extension)) base = extension;
  }
  let values: unknown[];
  if (isObject(base)) values = flatten([lookup(base, path.attr)]);
  else if (!Array.isArray(base) && path.attr.toLowerCase() === 'value') values = [base];
  else values = [];
  const sub = path.sub;
  if (sub === undefined) return values;
  return flatten(values.map((value) => (isObject(value) ? lookup(value, sub) : undefined)));
}

function lookup(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  // Object.keys, not `in`: a filter on `constructor` or `__proto__` must not reach the prototype.
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value]));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7644 `pr`: a non-empty value, or a complex value with at least one non-empty sub-attribute. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

// ---- dateTime ------------------------------------------------------------------------------------------------

/** An instant with sub-millisecond precision kept apart, since Entra sends 7 fractional digits. */
interface Instant {
  millis: number;
  nanos: number;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** Parses an xsd:dateTime (RFC 7643 §2.3.5); a missing offset means UTC. Returns undefined for anything else. */
function parseInstant(text: string): Instant | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '', offset = 'Z'] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (h > 23 || mi > 59 || s > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999, and Entra sends year 0001.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  date.setUTCHours(h, mi, s, 0);
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.replace(':', '');
    const offsetHours = Number(digits.slice(1, 3));
    const offsetMins = Number(digits.slice(3, 5));
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (offset.startsWith('-') ? -1 : 1);
  }
  return {
    millis: date.getTime() - offsetMinutes * 60_000,
    nanos: Number(fraction.padEnd(9, '0').slice(0, 9)),
  };
}

function compareInstants(a: Instant, b: Instant): number {
  return a.millis !== b.millis ? a.millis - b.millis : a.nanos - b.nanos;
}
