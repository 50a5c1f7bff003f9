/**
 * Hand-written recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2), PATCH paths (§3.5.2) and the
 * `attributes`/`excludedAttributes` query parameters (§3.4.2.5).
 *
 * It is deliberately more lenient than the ABNF where real clients deviate from it (unquoted values, Entra's
 * `emails[type eq "work"].value eq "x"`, the legacy `urn:...:User.manager` form, `not(` without a space), and
 * deliberately strict everywhere else: every malformed input becomes a ScimError 400 naming the problem and its
 * position (a 0-based character offset into the input as given), and the limits bound the work done on input
 * that arrives straight from an unauthenticated-looking query string.
 */
import { ScimError, type ScimType } from '../errors';
import type { AttrPath, CompareOp, Filter, FilterValue, PathExpression } from './ast';

export interface FilterLimits {
  /** Longest accepted input, in UTF-16 code units (what `String#length` counts). */
  maxLength: number;
  /**
   * Deepest nesting: every parenthesised group, `not (...)`, value filter `[...]` and and/or level adds one.
   * A flat chain `a or b or c` is one level, so long OR lists are bounded by `maxTerms`, not by this.
   */
  maxDepth: number;
  /** Most comparison (`eq`...`le`) and presence (`pr`) terms. */
  maxTerms: number;
}

export const DEFAULT_FILTER_LIMITS: Readonly<FilterLimits> = Object.freeze({
  maxLength: 4096,
  maxDepth: 16,
  maxTerms: 64,
});

/** Parses a `filter` query parameter or `.search` body field. Throws ScimError 400 `invalidFilter`. */
export function parseFilter(input: string, limits?: Partial<FilterLimits>): Filter {
  return run(input, limits, 'invalidFilter', 'filter', (parser) => parser.parseWholeFilter());
}

/** Parses a PATCH operation `path`. Throws ScimError 400 `invalidPath`. */
export function parsePath(input: string): PathExpression {
  return run(input, undefined, 'invalidPath', 'path', (parser) => parser.parseWholePath());
}

/**
 * Parses the `attributes` / `excludedAttributes` parameter into one PathExpression per entry. Empty entries
 * (`userName,,emails`, a trailing comma) are skipped rather than rejected, since they carry no meaning.
 * Throws ScimError 400 `invalidPath`, the scimType RFC 7644 uses for malformed attribute paths.
 */
export function parseAttributeList(input: string): PathExpression[] {
  return run(input, undefined, 'invalidPath', 'attributes parameter', (parser) => parser.parseWholeAttributeList());
}

type Label = 'filter' | 'path' | 'attributes parameter';

function run<T>(
  input: unknown,
  limits: Partial<FilterLimits> | undefined,
  scimType: ScimType,
  label: Label,
  parse: (parser: Parser) => T,
): T {
  // Callers pass query-string values; a repeated parameter can arrive as an array from some HTTP layers.
  if (typeof input !== 'string') {
    throw ScimError.badRequest(scimType, `The ${label} must be a string`);
  }
  const resolved: FilterLimits = {
    maxLength: limits?.maxLength ?? DEFAULT_FILTER_LIMITS.maxLength,
    maxDepth: limits?.maxDepth ?? DEFAULT_FILTER_LIMITS.maxDepth,
    maxTerms: limits?.maxTerms ?? DEFAULT_FILTER_LIMITS.maxTerms,
  };
  if (input.length > resolved.maxLength) {
    throw ScimError.badRequest(
      scimType,
      `The ${label} exceeds the maximum length of ${resolved.maxLength} characters (it has ${input.length})`,
    );
  }
  try {
    return parse(new Parser(input, resolved, scimType, label));
  } catch (error: unknown) {
    // maxDepth bounds recursion, but a caller may raise it far enough to exhaust the stack; that is still the
    // client's deeply nested input, so it must surface as a 400 rather than a 500.
    if (error instanceof RangeError) {
      throw ScimError.badRequest(scimType, `The ${label} is nested too deeply to parse`);
    }
    throw error;
  }
}

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const OPERATOR_LIST = 'eq, ne, co, sw, ew, gt, ge, lt, le or pr';

function isCompareOp(word: string): word is CompareOp {
  return COMPARE_OPS.has(word);
}

/** RFC 7644 ATTRNAME = ALPHA *(nameChar), plus `$ref` (RFC 7643 §2.3.7 reference sub-attributes). */
const ATTR_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i;
/** One colon-separated segment of a schema URI; SCIM schema URNs use only these characters. */
const URI_SEGMENT = /^[A-Za-z0-9._-]+$/;
/** `2.0` in `urn:...:2.0:User.manager`: the marker of the legacy dotted extension form. */
const VERSION_SEGMENT = /^\d+(?:\.\d+)*$/;
/** RFC 8259 number grammar; anything else unquoted is a string (so `01234` stays "01234"). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

function isWhitespace(ch: string | undefined): boolean {
  // CR/LF are accepted too: `.search` bodies may carry multi-line filters. `+` is not: the HTTP layer decodes it.
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isLetter(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}

/** Characters of an attribute path token: names, sub-attribute dots and the colons/dots/digits of a URN. */
function isPathChar(ch: string | undefined): boolean {
  return (
    ch !== undefined &&
    (isLetter(ch) || (ch >= '0' && ch <= '9') || ch === ':' || ch === '.' || ch === '_' || ch === '-' || ch === '$')
  );
}

/** Characters that end a token in error descriptions. */
function isDelimiter(ch: string): boolean {
  return ch === '(' || ch === ')' || ch === '[' || ch === ']' || ch === '"' || ch === ',';
}

/** A parsed sub-filter with its nesting depth, which the limits need and the AST does not record. */
interface Parsed {
  filter: Filter;
  depth: number;
}

type Closer = ')' | ']' | 'end';

class Parser {
  private pos = 0;
  /** Currently open groups; checked on the way down so hostile nesting stops before deep recursion. */
  private nesting = 0;
  private terms = 0;

  constructor(
    private readonly src: string,
    private readonly limits: FilterLimits,
    private readonly scimType: ScimType,
    private readonly label: Label,
  ) {}

  parseWholeFilter(): Filter {
    this.skipWhitespace();
    if (this.atEnd()) throw this.fail('Filter is empty');
    const { filter } = this.parseOr(false);
    this.skipWhitespace();
    if (!this.atEnd()) throw this.unexpectedAfterTerm('end');
    return filter;
  }

  parseWholePath(): PathExpression {
    this.skipWhitespace();
    if (this.atEnd()) throw this.fail('Path is empty');
    const expression = this.parsePathExpression();
    this.skipWhitespace();
    if (!this.atEnd()) {
      throw this.fail(`Expected the end of the path at position ${this.pos}, found ${this.describe(this.pos)}`);
    }
    return expression;
  }

  parseWholeAttributeList(): PathExpression[] {
    const entries: PathExpression[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.atEnd()) return entries;
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      entries.push(this.parsePathExpression());
      this.skipWhitespace();
      if (this.atEnd()) return entries;
      if (this.peek() !== ',') {
        throw this.fail(`Expected "," between attributes at position ${this.pos}, found ${this.describe(this.pos)}`);
      }
      this.pos++;
    }
  }

  // ---- filters ------------------------------------------------------------------------------------------

  /** or-expression: and-expressions joined by `or`, left-associative (lowest precedence). */
  private parseOr(inValuePath: boolean): Parsed {
    this.skipWhitespace();
    const start = this.pos;
    let { filter, depth } = this.parseAnd(inValuePath);
    let chained = false;
    for (let keyword = this.acceptKeyword('or'); keyword !== undefined; keyword = this.acceptKeyword('or')) {
      this.requireOperand(keyword);
      const right = this.parseAnd(inValuePath);
      filter = { kind: 'or', left: filter, right: right.filter };
      depth = Math.max(depth, right.depth);
      chained = true;
    }
    return chained ? this.checked(filter, depth + 1, start) : { filter, depth };
  }

  /** and-expression: unary expressions joined by `and`, left-associative (binds tighter than `or`). */
  private parseAnd(inValuePath: boolean): Parsed {
    this.skipWhitespace();
    const start = this.pos;
    let { filter, depth } = this.parseUnary(inValuePath);
    let chained = false;
    for (let keyword = this.acceptKeyword('and'); keyword !== undefined; keyword = this.acceptKeyword('and')) {
      this.requireOperand(keyword);
      const right = this.parseUnary(inValuePath);
      filter = { kind: 'and', left: filter, right: right.filter };
      depth = Math.max(depth, right.depth);
      chained = true;
    }
    return chained ? this.checked(filter, depth + 1, start) : { filter, depth };
  }

  /** A parenthesised group, `not (...)`, a value filter, or a single comparison/presence term. */
  private parseUnary(inValuePath: boolean): Parsed {
    this.skipWhitespace();
    const start = this.pos;
    if (this.atEnd()) throw this.fail(`Expected a filter at position ${start}, found ${this.describe(start)}`);
    if (this.peek() === '(') {
      this.enterGroup(start);
      this.pos++;
      const inner = this.parseOr(inValuePath);
      this.expectCloser(')', start);
      this.nesting--;
      return this.checked(inner.filter, inner.depth + 1, start);
    }
    const token = this.readPathToken();
    if (token === '') throw this.fail(`Expected a filter at position ${start}, found ${this.describe(start)}`);

    const lower = token.toLowerCase();
    // `not`, `and` and `or` are only keywords where an attribute cannot be: a bare `not` attribute
    // (`not pr`) stays legal, as the ABNF does not reserve these words.
    if ((lower === 'not' || lower === 'and' || lower === 'or') && !this.operatorFollows()) {
      if (lower !== 'not') {
        throw this.fail(`Expected a filter at position ${start}, found the keyword "${token}"`);
      }
      this.skipWhitespace();
      if (this.peek() !== '(') {
        throw this.fail(
          `"${token}" at position ${start} must be followed by a filter in parentheses, e.g. not (title pr)`,
        );
      }
      const open = this.pos;
      this.enterGroup(start);
      this.pos++;
      const inner = this.parseOr(inValuePath);
      this.expectCloser(')', open);
      this.nesting--;
      return this.checked({ kind: 'not', filter: inner.filter }, inner.depth + 1, start);
    }

    const path = this.toAttrPath(token, start);
    if (this.peek() === '[') return this.parseValuePathFilter(path, start, inValuePath);
    return { filter: this.parseAttrExpression(path, token), depth: 0 };
  }

  /** `emails[type eq "work"]`, and Entra's `emails[type eq "work"].value eq "x"` (same-element semantics). */
  private parseValuePathFilter(path: AttrPath, start: number, inValuePath: boolean): Parsed {
    const open = this.pos;
    if (inValuePath) {
      throw this.fail(`Unexpected "[" at position ${open}: value filters cannot be nested`);
    }
    const inner = this.parseBracket(path, start);
    if (this.peek() !== '.') {
      return this.checked({ kind: 'valuePath', path, filter: inner.filter }, inner.depth + 1, start);
    }
    const dot = this.pos;
    this.pos++;
    const sub = this.readSubAttrName(dot);
    // Entra means "an element with type work whose value is x", so the comparison joins the element filter
    // rather than becoming a separate `emails.value eq "x"` that any other element could satisfy.
    const term = this.parseAttrExpression({ attr: sub }, this.src.slice(start, this.pos));
    const filter: Filter = { kind: 'valuePath', path, filter: { kind: 'and', left: inner.filter, right: term } };
    return this.checked(filter, inner.depth + 2, start);
  }

  /** The `[...]` of a value filter, from `[` to the matching `]`. */
  private parseBracket(path: AttrPath, start: number): Parsed {
    const open = this.pos;
    if (path.sub !== undefined) {
      throw this.fail(
        `Unexpected "[" at position ${open}: a value filter must follow a multi-valued attribute, ` +
          `not the sub-attribute "${this.src.slice(start, open)}"`,
      );
    }
    this.enterGroup(open);
    this.pos++;
    this.skipWhitespace();
    const inner = this.parseOr(true);
    this.expectCloser(']', open);
    this.nesting--;
    return inner;
  }

  /** `attrPath SP compareOp SP compValue` or `attrPath SP "pr"`. */
  private parseAttrExpression(path: AttrPath, pathText: string): Filter {
    const afterPath = this.pos;
    if (!isWhitespace(this.peek())) {
      throw this.fail(
        `Expected a comparison operator after "${pathText}" at position ${afterPath}, found ${this.describe(afterPath)}`,
      );
    }
    this.skipWhitespace();
    const opStart = this.pos;
    const letters = this.readLetters();
    if (letters === '') {
      throw this.fail(
        `Expected a comparison operator after "${pathText}" at position ${opStart}, found ${this.describe(opStart)}`,
      );
    }
    if (isPathChar(this.peek())) {
      // `eq1`, `eq_`: report the whole run rather than a confusing "value 1".
      while (!this.atEnd() && !isWhitespace(this.peek()) && !isDelimiter(this.src[this.pos])) this.pos++;
      throw this.fail(
        `Unknown operator "${this.src.slice(opStart, this.pos)}" at position ${opStart}; expected ${OPERATOR_LIST}`,
      );
    }
    const op = letters.toLowerCase();
    if (op === 'pr') {
      this.countTerm(opStart);
      this.rejectValueAfterPresent(letters);
      return { kind: 'present', path };
    }
    if (!isCompareOp(op)) {
      throw this.fail(`Unknown operator "${letters}" at position ${opStart}; expected ${OPERATOR_LIST}`);
    }
    const value = this.parseValue(letters);
    this.countTerm(opStart);
    return { kind: 'compare', path, op, value };
  }

  private rejectValueAfterPresent(letters: string): void {
    const save = this.pos;
    this.skipWhitespace();
    const at = this.pos;
    const ch = this.peek();
    if (ch === undefined || ch === ')' || ch === ']' || this.keywordAt(at) !== undefined) {
      this.pos = save;
      return;
    }
    throw this.fail(`The "${letters}" operator takes no value, found ${this.describe(at)} at position ${at}`);
  }

  // ---- values ---------------------------------------------------------------------------------------------

  private parseValue(opText: string): FilterValue {
    this.skipWhitespace();
    const at = this.pos;
    const ch = this.peek();
    if (ch === undefined || ch === ')' || ch === ']' || ch === '(' || ch === '[') {
      throw this.fail(`Expected a value after "${opText}" at position ${at}, found ${this.describe(at)}`);
    }
    if (ch === '"') return this.parseString();
    return this.parseBareValue(opText);
  }

  /** A JSON string literal (RFC 8259 §7), starting at the opening quote. */
  private parseString(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.atEnd()) throw this.fail(`Unterminated string starting at position ${start}`);
      const ch = this.src[this.pos];
      if (ch === '"') {
        out += this.src.slice(chunk, this.pos);
        this.pos++;
        break;
      }
      if (ch !== '\\') {
        this.pos++;
        continue;
      }
      out += this.src.slice(chunk, this.pos);
      out += this.parseEscape(start);
      chunk = this.pos;
    }
    return this.checkedText(out, start);
  }

  /** One escape sequence at the backslash; returns the code unit(s) it stands for. */
  private parseEscape(stringStart: number): string {
    const at = this.pos;
    const code = this.src[at + 1];
    if (code === undefined) throw this.fail(`Unterminated string starting at position ${stringStart}`);
    this.pos = at + 2;
    switch (code) {
      case '"':
      case '\\':
      case '/':
        return code;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = this.src.slice(at + 2, at + 6);
        if (!HEX4.test(hex)) {
          throw this.fail(`Invalid escape at position ${at}: "\\u" must be followed by 4 hexadecimal digits`);
        }
        this.pos = at + 6;
        // Surrogate halves are concatenated as UTF-16 code units; checkedText rejects any left unpaired.
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        throw this.fail(`Invalid escape "\\${code}" at position ${at}`);
    }
  }

  /**
   * An unquoted value (tolerated for Entra's `externalId eq jyoung` and Microsoft's Postman collection). It runs
   * until whitespace, `)` or `]`, so an unquoted dateTime such as `2015-10-10T14:38:21.86-07:00` is one token.
   */
  private parseBareValue(opText: string): FilterValue {
    const start = this.pos;
    while (!this.atEnd()) {
      const ch = this.src[this.pos];
      if (isWhitespace(ch) || ch === ')' || ch === ']') break;
      if (ch === '"' || ch === '(' || ch === '[') {
        const what = ch === '"' ? 'double quote' : `"${ch}"`;
        throw this.fail(
          `Unexpected ${what} in an unquoted value at position ${this.pos}; put string values in double quotes`,
        );
      }
      this.pos++;
    }
    const token = this.src.slice(start, this.pos);
    const lower = token.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (lower === 'and' || lower === 'or') {
      // `userName eq and title pr` is far likelier a forgotten value than a user named "and".
      throw this.fail(`Expected a value after "${opText}" at position ${start}, found the keyword "${token}"`);
    }
    if (JSON_NUMBER.test(token)) {
      const value = Number(token);
      if (!Number.isFinite(value)) throw this.fail(`Number ${token} at position ${start} is out of range`);
      // -0 would survive into SQL parameters and test equality as a distinct value for no benefit.
      return value === 0 ? 0 : value;
    }
    return this.checkedText(token, start);
  }

  /** Rejects text the database cannot store faithfully, instead of failing there with a 500. */
  private checkedText(value: string, at: number): string {
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      if (unit === 0) throw this.fail(`The value at position ${at} contains a NUL character (U+0000)`);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const next = value.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          i++;
          continue;
        }
      }
      if (unit >= 0xd800 && unit <= 0xdfff) {
        throw this.fail(`The value at position ${at} contains an unpaired UTF-16 surrogate`);
      }
    }
    return value;
  }

  // ---- paths --------------------------------------------------------------------------------------------

  /** `attrPath`, `attrPath[valFilter]` or `attrPath[valFilter].subAttr` (the PATCH PATH grammar). */
  private parsePathExpression(): PathExpression {
    const start = this.pos;
    const token = this.readPathToken();
    if (token === '') {
      throw this.fail(`Expected an attribute name at position ${start}, found ${this.describe(start)}`);
    }
    const path = this.toAttrPath(token, start);
    if (this.peek() !== '[') return { path };
    const inner = this.parseBracket(path, start);
    this.checkDepth(inner.depth + 1, start);
    if (this.peek() !== '.') return { path, filter: inner.filter };
    const dot = this.pos;
    this.pos++;
    return { path, filter: inner.filter, sub: this.readSubAttrName(dot) };
  }

  /**
   * Splits `[URI ":"] ATTRNAME ["." ATTRNAME]`. The URI is everything before the last colon, because URNs
   * contain colons and dots themselves. The legacy `urn:...:2.0:User.manager` (colon-less last step, still sent
   * by older Entra jobs) is recognised by the version segment before it and read as `urn:...:2.0:User` + manager.
   */
  private toAttrPath(token: string, start: number): AttrPath {
    const colon = token.lastIndexOf(':');
    let uri = colon >= 0 ? token.slice(0, colon) : undefined;
    let namesStart = colon + 1;
    let names = token.slice(namesStart).split('.');
    if (uri !== undefined && names.length > 1 && VERSION_SEGMENT.test(uri.slice(uri.lastIndexOf(':') + 1))) {
      uri = `${uri}:${names[0]}`;
      namesStart += names[0].length + 1;
      names = names.slice(1);
    }
    if (uri !== undefined) {
      const segments = uri.split(':');
      if (!isLetter(uri[0]) || !segments.every((segment) => URI_SEGMENT.test(segment))) {
        throw this.fail(`Invalid schema URI "${uri}" at position ${start}`);
      }
    }
    if (names.length > 2) {
      throw this.fail(`Attribute path "${token}" at position ${start} has more than one sub-attribute`);
    }
    let offset = start + namesStart;
    for (const [index, name] of names.entries()) {
      if (name === '') {
        if (index > 0) throw this.fail(`Expected a sub-attribute name after "." at position ${offset - 1}`);
        if (uri !== undefined) {
          throw this.fail(`Expected an attribute name after the schema URI "${uri}" at position ${offset}`);
        }
        throw this.fail(`Expected an attribute name at position ${offset}, found ${this.describe(offset)}`);
      }
      if (!ATTR_NAME.test(name)) throw this.fail(`Invalid attribute name "${name}" at position ${offset}`);
      offset += name.length + 1;
    }
    const [attr, sub] = names;
    return { ...(uri !== undefined ? { uri } : {}), attr, ...(sub !== undefined ? { sub } : {}) };
  }

  /** The name after `].`; `dot` is the position of the dot. */
  private readSubAttrName(dot: number): string {
    const start = this.pos;
    while (
      !this.atEnd() &&
      isPathChar(this.src[this.pos]) &&
      this.src[this.pos] !== '.' &&
      this.src[this.pos] !== ':'
    ) {
      this.pos++;
    }
    const name = this.src.slice(start, this.pos);
    if (name === '') throw this.fail(`Expected a sub-attribute name after "." at position ${dot}`);
    if (!ATTR_NAME.test(name)) throw this.fail(`Invalid attribute name "${name}" at position ${start}`);
    return name;
  }

  // ---- limits ---------------------------------------------------------------------------------------------

  private enterGroup(at: number): void {
    this.nesting++;
    if (this.nesting > this.limits.maxDepth) throw this.tooDeep(at);
  }

  private checked(filter: Filter, depth: number, at: number): Parsed {
    this.checkDepth(depth, at);
    return { filter, depth };
  }

  private checkDepth(depth: number, at: number): void {
    if (depth > this.limits.maxDepth) throw this.tooDeep(at);
  }

  private tooDeep(at: number): ScimError {
    return this.fail(
      `The ${this.label} exceeds the maximum nesting depth of ${this.limits.maxDepth} at position ${at}`,
    );
  }

  private countTerm(at: number): void {
    this.terms++;
    if (this.terms > this.limits.maxTerms) {
      throw this.fail(
        `The ${this.label} exceeds the maximum of ${this.limits.maxTerms} comparison terms at position ${at}`,
      );
    }
  }

  // ---- lexical helpers -----------------------------------------------------------------------------------

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.src[this.pos])) this.pos++;
  }

  private readLetters(): string {
    const start = this.pos;
    while (isLetter(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private readPathToken(): string {
    const start = this.pos;
    while (isPathChar(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** `and`/`or` (any case) at `at`, as written, if a whole word starts there. */
  private keywordAt(at: number): string | undefined {
    let end = at;
    while (isLetter(this.src[end])) end++;
    const word = this.src.slice(at, end);
    const lower = word.toLowerCase();
    return (lower === 'and' || lower === 'or') && !isPathChar(this.src[end]) ? word : undefined;
  }

  /** Consumes the logical keyword (after optional whitespace) and returns it as written, or consumes nothing. */
  private acceptKeyword(keyword: 'and' | 'or'): string | undefined {
    const save = this.pos;
    this.skipWhitespace();
    const word = this.keywordAt(this.pos);
    if (word === undefined || word.toLowerCase() !== keyword) {
      this.pos = save;
      return undefined;
    }
    this.pos += word.length;
    return word;
  }

  private requireOperand(keyword: string): void {
    const save = this.pos;
    this.skipWhitespace();
    const ch = this.peek();
    if (ch === undefined || ch === ')' || ch === ']') {
      throw this.fail(`Expected a filter after "${keyword}" at position ${this.pos}, found ${this.describe(this.pos)}`);
    }
    this.pos = save;
  }

  /** Whether whitespace and a comparison operator (or `[`) follow, i.e. the preceding word is an attribute. */
  private operatorFollows(): boolean {
    if (this.peek() === '[') return true;
    let at = this.pos;
    if (!isWhitespace(this.src[at])) return false;
    while (isWhitespace(this.src[at])) at++;
    let end = at;
    while (isLetter(this.src[end])) end++;
    const word = this.src.slice(at, end).toLowerCase();
    return (word === 'pr' || isCompareOp(word)) && !isPathChar(this.src[end]);
  }

  /** The error for whatever follows a complete term when `and`, `or` or `closer` was expected. */
  private unexpectedAfterTerm(closer: Closer): ScimError {
    const at = this.pos;
    const ch = this.src[at];
    if (ch === ')' && closer !== ')') return this.fail(`Unbalanced parentheses: unexpected ")" at position ${at}`);
    if (ch === ']' && closer !== ']') return this.fail(`Unexpected "]" at position ${at} without a matching "["`);
    const expected = closer === 'end' ? `the end of the ${this.label}` : `"${closer}"`;
    return this.fail(`Expected "and", "or" or ${expected} at position ${at}, found ${this.describe(at)}`);
  }

  private expectCloser(closer: ')' | ']', open: number): void {
    this.skipWhitespace();
    if (this.peek() === closer) {
      this.pos++;
      return;
    }
    if (this.atEnd()) {
      throw this.fail(
        closer === ')'
          ? `Unbalanced parentheses: "(" at position ${open} is never closed`
          : `Missing "]" to close the "[" at position ${open}`,
      );
    }
    throw this.unexpectedAfterTerm(closer);
  }

  /** A short, quotable description of the input at `at`, for "found ..." in error details. */
  private describe(at: number): string {
    if (at >= this.src.length) return `the end of the ${this.label}`;
    const ch = this.src[at];
    if (ch === '"') return 'a quoted string';
    if (isDelimiter(ch)) return `"${ch}"`;
    let end = at;
    while (end < this.src.length && !isWhitespace(this.src[end]) && !isDelimiter(this.src[end])) end++;
    const text = this.src.slice(at, end);
    const shown = text.length > 24 ? `${text.slice(0, 24)}…` : text;
    // A literal `+` here means the query string was decoded without turning `+` into spaces.
    const hint = text.includes('+') ? ' (a "+" is not a space here; encode spaces as %20)' : '';
    return `"${shown}"${hint}`;
  }

  private fail(message: string): ScimError {
    return ScimError.badRequest(this.scimType, message);
  }
}
