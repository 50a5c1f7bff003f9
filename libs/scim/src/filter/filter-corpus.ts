/**
 * The filter/path corpus: inputs real clients send (Entra, Okta, Microsoft's Postman collection, RFC 7644
 * examples) plus grammar edge cases, each with the exact AST or the exact error. It is data, not a test, so that
 * the parser spec and later the SQL translation tests replay the same cases.
 */
import type { AttrPath, CompareOp, Filter, FilterValue, PathExpression } from './ast';
import type { FilterLimits } from './parser';

export interface ValidFilterCase {
  filter: string;
  ast: Filter;
  /** Where the shape comes from, when a client or the RFC sends it. */
  source?: string;
  limits?: Partial<FilterLimits>;
}

export interface ExpectedError {
  scimType: 'invalidFilter' | 'invalidPath';
  /** A substring of the ScimError detail. */
  detail: string;
}

export interface InvalidFilterCase {
  filter: string;
  error: ExpectedError;
  limits?: Partial<FilterLimits>;
}

export interface ValidPathCase {
  path: string;
  expected: PathExpression;
}

export interface InvalidPathCase {
  path: string;
  error: ExpectedError;
}

export interface ValidAttributeListCase {
  attributes: string;
  expected: PathExpression[];
}

export interface InvalidAttributeListCase {
  attributes: string;
  error: ExpectedError;
}

// ---- AST builders, only to keep the expected values readable --------------------------------------------------

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';

function at(attr: string, sub?: string, uri?: string): AttrPath {
  return { ...(uri !== undefined ? { uri } : {}), attr, ...(sub !== undefined ? { sub } : {}) };
}

function cmp(path: AttrPath | string, op: CompareOp, value: FilterValue): Filter {
  return { kind: 'compare', path: typeof path === 'string' ? at(path) : path, op, value };
}

function pr(path: AttrPath | string): Filter {
  return { kind: 'present', path: typeof path === 'string' ? at(path) : path };
}

function and(left: Filter, right: Filter): Filter {
  return { kind: 'and', left, right };
}

function or(left: Filter, right: Filter): Filter {
  return { kind: 'or', left, right };
}

function not(filter: Filter): Filter {
  return { kind: 'not', filter };
}

function vp(path: AttrPath | string, filter: Filter): Filter {
  return { kind: 'valuePath', path: typeof path === 'string' ? at(path) : path, filter };
}

function filterError(detail: string): ExpectedError {
  return { scimType: 'invalidFilter', detail };
}

function pathError(detail: string): ExpectedError {
  return { scimType: 'invalidPath', detail };
}

/** `a eq 1 or a eq 2 or ...` with `n` terms, and its left-associative AST. */
function orChain(n: number): { filter: string; ast: Filter } {
  const terms = Array.from({ length: n }, (_, i) => `id eq "${i}"`);
  const ast = Array.from({ length: n }, (_, i) => cmp('id', 'eq', String(i))).reduce((left, right) => or(left, right));
  return { filter: terms.join(' or '), ast };
}

const WORK = cmp('type', 'eq', 'work');
const SIXTEEN_PARENS = `${'('.repeat(16)}userName eq "x"${')'.repeat(16)}`;
const SIXTY_FOUR_TERMS = orChain(64);
/** Exactly 4096 characters: `userName eq "` (13) + 4082 + `"` (1). */
const MAX_LENGTH_FILTER = `userName eq "${'a'.repeat(4082)}"`;

// ---- valid filters ------------------------------------------------------------------------------------------

export const VALID_FILTERS: ValidFilterCase[] = [
  // Microsoft Entra ID (outbound provisioning): matching queries, Test Connection, references.
  {
    filter: 'userName eq "3f8b9c1e-5a2d-4e7f-9b1c-0d2e3f4a5b6c"',
    ast: cmp('userName', 'eq', '3f8b9c1e-5a2d-4e7f-9b1c-0d2e3f4a5b6c'),
    source: 'Entra Test Connection',
  },
  { filter: 'userName eq "alice@contoso.com"', ast: cmp('userName', 'eq', 'alice@contoso.com'), source: 'Entra' },
  { filter: 'externalId eq "alice"', ast: cmp('externalId', 'eq', 'alice'), source: 'Entra' },
  { filter: 'externalId eq jyoung', ast: cmp('externalId', 'eq', 'jyoung'), source: 'Entra docs, unquoted' },
  {
    filter: 'emails[type eq "work"].value eq "alice@contoso.com"',
    ast: vp('emails', and(WORK, cmp('value', 'eq', 'alice@contoso.com'))),
    source: 'Entra, email as matching attribute',
  },
  {
    filter: 'id eq "a0a0a0a0" and manager eq "00aa00aa"',
    ast: and(cmp('id', 'eq', 'a0a0a0a0'), cmp('manager', 'eq', '00aa00aa')),
    source: 'Entra reference check',
  },
  { filter: 'id eq "a" and manager eq "b"', ast: and(cmp('id', 'eq', 'a'), cmp('manager', 'eq', 'b')) },
  { filter: 'displayName eq "displayName"', ast: cmp('displayName', 'eq', 'displayName'), source: 'Entra group match' },
  {
    filter: 'members[value eq "f648f8d5ea4e4cd38e9c"]',
    ast: vp('members', cmp('value', 'eq', 'f648f8d5ea4e4cd38e9c')),
    source: 'Entra group members',
  },
  { filter: 'members[value eq "x"]', ast: vp('members', cmp('value', 'eq', 'x')) },
  { filter: 'members eq "x"', ast: cmp('members', 'eq', 'x'), source: 'Entra group members' },
  { filter: 'emails[type eq "work"].value eq "x"', ast: vp('emails', and(WORK, cmp('value', 'eq', 'x'))) },
  {
    filter: 'emails[type eq "work"].value pr',
    ast: vp('emails', and(WORK, pr('value'))),
    source: 'Entra form with pr',
  },
  {
    filter: 'displayName eq "Sales" and urn:ietf:params:scim:schemas:core:2.0:Group:externalId pr',
    ast: and(cmp('displayName', 'eq', 'Sales'), pr(at('externalId', undefined, CORE_GROUP))),
  },

  // Microsoft's Postman collection (SCIMReferenceCode): capitalised names, unquoted values and dateTimes.
  { filter: 'DisplayName eq "BobIsAmazing"', ast: cmp('DisplayName', 'eq', 'BobIsAmazing'), source: 'MS Postman' },
  {
    filter: 'name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)',
    ast: and(
      cmp(at('name', 'FamilyName'), 'eq', 'Employee'),
      or(cmp(at('emails', 'Value'), 'co', 'example.com'), cmp(at('emails', 'Value'), 'co', 'example.org')),
    ),
    source: 'MS Postman',
  },
  { filter: 'userName sw O', ast: cmp('userName', 'sw', 'O'), source: 'MS Postman' },
  {
    filter: 'meta.Created gt 2015-10-10T14:38:21.8617979-07:00',
    ast: cmp(at('meta', 'Created'), 'gt', '2015-10-10T14:38:21.8617979-07:00'),
    source: 'MS Postman, unquoted dateTime',
  },
  { filter: 'emails.Value co example.com', ast: cmp(at('emails', 'Value'), 'co', 'example.com') },

  // Entra inbound (API-driven) collection.
  {
    filter: 'id eq "2819c223-7f76-453a-919d-413861904646"',
    ast: cmp('id', 'eq', '2819c223-7f76-453a-919d-413861904646'),
    source: 'Entra inbound',
  },
  {
    filter:
      'active eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and ' +
      'meta.lastModified le "2021-09-23T19:35:41.8420572Z")',
    ast: and(
      cmp('active', 'eq', true),
      and(
        cmp(at('meta', 'lastModified'), 'ge', '0001-01-03T00:00:00.0000000Z'),
        cmp(at('meta', 'lastModified'), 'le', '2021-09-23T19:35:41.8420572Z'),
      ),
    ),
    source: 'Entra inbound',
  },
  {
    filter: '(ActiVe eq true) and meta.lastmodified ge "2021-09-23T19:35:41.8420572Z"',
    ast: and(cmp('ActiVe', 'eq', true), cmp(at('meta', 'lastmodified'), 'ge', '2021-09-23T19:35:41.8420572Z')),
    source: 'Entra inbound, mixed case',
  },

  // Okta and the Okta SPEC test / Microsoft validator.
  { filter: 'userName eq "test.user@okta.local"', ast: cmp('userName', 'eq', 'test.user@okta.local'), source: 'Okta' },
  {
    filter: 'userName eq abcdefgh@example.com',
    ast: cmp('userName', 'eq', 'abcdefgh@example.com'),
    source: 'Okta SPEC test 2017, unquoted',
  },
  { filter: 'userName eq "ABCDEFGH@EXAMPLE.COM"', ast: cmp('userName', 'eq', 'ABCDEFGH@EXAMPLE.COM') },
  { filter: 'displayName eq "Group Name"', ast: cmp('displayName', 'eq', 'Group Name') },

  // URN-qualified core and extension paths.
  {
    filter: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"',
    ast: cmp(at('employeeNumber', undefined, ENTERPRISE), 'eq', '701984'),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Barbara"',
    ast: cmp(at('name', 'givenName', CORE_USER), 'eq', 'Barbara'),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"',
    ast: cmp(at('manager', 'value', ENTERPRISE), 'eq', '26118915'),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    ast: cmp(at('userName', undefined, CORE_USER), 'sw', 'J'),
    source: 'RFC 7644',
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager eq "x"',
    ast: cmp(at('manager', undefined, ENTERPRISE), 'eq', 'x'),
    source: 'legacy dotted extension form',
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value eq "x"',
    ast: cmp(at('manager', 'value', ENTERPRISE), 'eq', 'x'),
  },
  // Custom extensions (issue 15): Entra's `urn:...:<Name>:2.0:User:<attr>` and Okta-style namespaces.
  {
    filter: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCenter eq "42"',
    ast: cmp(at('costCenter', undefined, CUSTOM), 'eq', '42'),
    source: 'Entra custom extension attribute',
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:site.floor gt 2',
    ast: cmp(at('site', 'floor', CUSTOM), 'gt', 2),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:remote eq true and userName sw "a"',
    ast: and(cmp(at('remote', undefined, CUSTOM), 'eq', true), cmp('userName', 'sw', 'a')),
  },
  {
    filter: 'urn:okta:acme:1.0:User:badge pr',
    ast: pr(at('badge', undefined, 'urn:okta:acme:1.0:User')),
    source: 'Okta custom namespace',
  },
  {
    filter: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:skills[value eq "go"]',
    ast: vp(at('skills', undefined, CUSTOM), cmp('value', 'eq', 'go')),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Sales"',
    ast: cmp(at('displayName', undefined, CORE_GROUP), 'eq', 'Sales'),
  },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]',
    ast: vp(at('emails', undefined, CORE_USER), WORK),
  },
  {
    filter: 'URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:Department eq "R&D"',
    ast: cmp(at('Department', undefined, 'URN:IETF:params:scim:schemas:extension:enterprise:2.0:User'), 'eq', 'R&D'),
  },
  {
    filter: 'urn:example:custom-schema_1.0:Thing:attr-1 pr',
    ast: pr(at('attr-1', undefined, 'urn:example:custom-schema_1.0:Thing')),
  },

  // RFC 7644 §3.4.2.2 examples.
  { filter: 'userName eq "bjensen"', ast: cmp('userName', 'eq', 'bjensen'), source: 'RFC 7644' },
  {
    filter: 'name.familyName co "O\'Malley"',
    ast: cmp(at('name', 'familyName'), 'co', "O'Malley"),
    source: 'RFC 7644',
  },
  { filter: 'title pr', ast: pr('title'), source: 'RFC 7644' },
  {
    filter: 'meta.lastModified gt "2011-05-13T04:42:34Z"',
    ast: cmp(at('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z'),
    source: 'RFC 7644',
  },
  {
    filter: 'meta.lastModified ge "2011-05-13T04:42:34Z"',
    ast: cmp(at('meta', 'lastModified'), 'ge', '2011-05-13T04:42:34Z'),
  },
  {
    filter: 'meta.lastModified lt "2011-05-13T04:42:34Z"',
    ast: cmp(at('meta', 'lastModified'), 'lt', '2011-05-13T04:42:34Z'),
  },
  {
    filter: 'meta.lastModified le "2011-05-13T04:42:34Z"',
    ast: cmp(at('meta', 'lastModified'), 'le', '2011-05-13T04:42:34Z'),
  },
  {
    filter: 'title pr and userType eq "Employee"',
    ast: and(pr('title'), cmp('userType', 'eq', 'Employee')),
    source: 'RFC 7644',
  },
  { filter: 'title pr or userType eq "Intern"', ast: or(pr('title'), cmp('userType', 'eq', 'Intern')) },
  {
    filter: 'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    ast: cmp('schemas', 'eq', ENTERPRISE),
    source: 'RFC 7644',
  },
  {
    filter: 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    ast: and(
      cmp('userType', 'eq', 'Employee'),
      or(cmp('emails', 'co', 'example.com'), cmp(at('emails', 'value'), 'co', 'example.org')),
    ),
    source: 'RFC 7644',
  },
  {
    filter: 'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    ast: and(
      cmp('userType', 'ne', 'Employee'),
      not(or(cmp('emails', 'co', 'example.com'), cmp(at('emails', 'value'), 'co', 'example.org'))),
    ),
    source: 'RFC 7644',
  },
  {
    filter: 'userType eq "Employee" and (emails.type eq "work")',
    ast: and(cmp('userType', 'eq', 'Employee'), cmp(at('emails', 'type'), 'eq', 'work')),
    source: 'RFC 7644',
  },
  {
    filter: 'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    ast: and(cmp('userType', 'eq', 'Employee'), vp('emails', and(WORK, cmp('value', 'co', '@example.com')))),
    source: 'RFC 7644',
  },
  {
    filter: 'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    ast: or(
      vp('emails', and(WORK, cmp('value', 'co', '@example.com'))),
      vp('ims', and(cmp('type', 'eq', 'xmpp'), cmp('value', 'co', '@foo.com'))),
    ),
    source: 'RFC 7644',
  },

  // Every operator.
  { filter: 'userName ne "bjensen"', ast: cmp('userName', 'ne', 'bjensen') },
  { filter: 'displayName co "ales"', ast: cmp('displayName', 'co', 'ales') },
  { filter: 'userName ew "@example.com"', ast: cmp('userName', 'ew', '@example.com') },
  { filter: 'name.givenName sw "Bar"', ast: cmp(at('name', 'givenName'), 'sw', 'Bar') },
  { filter: 'age gt 30', ast: cmp('age', 'gt', 30) },
  { filter: 'age ge 30', ast: cmp('age', 'ge', 30) },
  { filter: 'age lt 30', ast: cmp('age', 'lt', 30) },
  { filter: 'age le 30', ast: cmp('age', 'le', 30) },

  // Keywords are case-insensitive; names are kept as written.
  { filter: 'userName EQ "x"', ast: cmp('userName', 'eq', 'x') },
  { filter: 'UserName Eq "x"', ast: cmp('UserName', 'eq', 'x') },
  { filter: 'title PR', ast: pr('title') },
  { filter: 'a eq 1 AND b eq 2', ast: and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: 'a eq 1 Or b eq 2', ast: or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: 'NOT (a eq 1)', ast: not(cmp('a', 'eq', 1)) },
  { filter: 'userName SW "J" aNd title Pr', ast: and(cmp('userName', 'sw', 'J'), pr('title')) },
  { filter: 'age GE 1 and age LE 9', ast: and(cmp('age', 'ge', 1), cmp('age', 'le', 9)) },

  // Precedence (not > and > or), associativity and parentheses.
  { filter: 'a eq 1 or b eq 2 and c eq 3', ast: or(cmp('a', 'eq', 1), and(cmp('b', 'eq', 2), cmp('c', 'eq', 3))) },
  { filter: 'a eq 1 and b eq 2 or c eq 3', ast: or(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)) },
  { filter: 'a eq 1 and b eq 2 and c eq 3', ast: and(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)) },
  { filter: 'a eq 1 or b eq 2 or c eq 3', ast: or(or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)) },
  { filter: '(a eq 1 or b eq 2) and c eq 3', ast: and(or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)) },
  { filter: 'a eq 1 and (b eq 2 or c eq 3)', ast: and(cmp('a', 'eq', 1), or(cmp('b', 'eq', 2), cmp('c', 'eq', 3))) },
  { filter: 'not (a eq 1) and b eq 2', ast: and(not(cmp('a', 'eq', 1)), cmp('b', 'eq', 2)) },
  {
    filter: 'not (a eq 1 and b eq 2) or c eq 3',
    ast: or(not(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2))), cmp('c', 'eq', 3)),
  },
  {
    filter: 'a eq 1 or not (b eq 2) and c eq 3',
    ast: or(cmp('a', 'eq', 1), and(not(cmp('b', 'eq', 2)), cmp('c', 'eq', 3))),
  },
  {
    filter: 'a eq 1 and b eq 2 or c eq 3 and d eq 4',
    ast: or(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), and(cmp('c', 'eq', 3), cmp('d', 'eq', 4))),
  },
  { filter: 'not (not (a eq 1))', ast: not(not(cmp('a', 'eq', 1))) },
  { filter: 'not(a eq 1)', ast: not(cmp('a', 'eq', 1)) },
  { filter: 'not   (a pr)', ast: not(pr('a')) },
  { filter: '((a eq 1))', ast: cmp('a', 'eq', 1) },
  { filter: '(((a eq 1) or (b eq 2)))', ast: or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: '( a eq 1 )', ast: cmp('a', 'eq', 1) },
  {
    filter: '((a eq 1) and ((b eq 2) or (c eq 3)))',
    ast: and(cmp('a', 'eq', 1), or(cmp('b', 'eq', 2), cmp('c', 'eq', 3))),
  },
  {
    filter: '(a pr or b pr) and (c pr or d pr)',
    ast: and(or(pr('a'), pr('b')), or(pr('c'), pr('d'))),
  },
  { filter: 'a eq 1 and(b eq 2)', ast: and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: '(a eq 1)or(b eq 2)', ast: or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },

  // Whitespace.
  { filter: '  userName eq "x"  ', ast: cmp('userName', 'eq', 'x') },
  { filter: 'userName\teq\t"x"', ast: cmp('userName', 'eq', 'x') },
  { filter: 'userName   eq    "x"', ast: cmp('userName', 'eq', 'x') },
  { filter: 'a eq 1\tand\tb eq 2', ast: and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: 'a eq 1\r\nor b eq 2', ast: or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)) },
  { filter: 'emails[ type eq "work" ]', ast: vp('emails', WORK) },
  { filter: 'userName eq"x"', ast: cmp('userName', 'eq', 'x') },

  // String literals and every JSON escape.
  { filter: 'a eq "with \\"quotes\\""', ast: cmp('a', 'eq', 'with "quotes"') },
  { filter: 'a eq "back\\\\slash"', ast: cmp('a', 'eq', 'back\\slash') },
  { filter: 'a eq "sl\\/ash"', ast: cmp('a', 'eq', 'sl/ash') },
  { filter: 'a eq "\\b\\f\\n\\r\\t"', ast: cmp('a', 'eq', '\b\f\n\r\t') },
  { filter: 'a eq "\\u00e9t\\u00E9"', ast: cmp('a', 'eq', 'été') },
  { filter: 'a eq "\\ud83d\\ude00"', ast: cmp('a', 'eq', '😀') },
  { filter: 'a eq "\\u0041\\u005a"', ast: cmp('a', 'eq', 'AZ') },
  { filter: 'a eq ""', ast: cmp('a', 'eq', '') },
  { filter: 'a eq "and"', ast: cmp('a', 'eq', 'and') },
  { filter: 'a eq "true"', ast: cmp('a', 'eq', 'true') },
  { filter: 'a eq "42"', ast: cmp('a', 'eq', '42') },
  { filter: 'a eq "a ) b ] c [ d ("', ast: cmp('a', 'eq', 'a ) b ] c [ d (') },
  { filter: 'a eq "Zoë 😀 日本"', ast: cmp('a', 'eq', 'Zoë 😀 日本') },
  { filter: 'a eq "  spaced  "', ast: cmp('a', 'eq', '  spaced  ') },
  { filter: 'meta.version eq "W/\\"3694e05e9dff591\\""', ast: cmp(at('meta', 'version'), 'eq', 'W/"3694e05e9dff591"') },

  // Numbers, booleans and null.
  { filter: 'a eq 42', ast: cmp('a', 'eq', 42) },
  { filter: 'a eq -7', ast: cmp('a', 'eq', -7) },
  { filter: 'a eq 3.14', ast: cmp('a', 'eq', 3.14) },
  { filter: 'a eq 1e3', ast: cmp('a', 'eq', 1000) },
  { filter: 'a eq -2.5E-3', ast: cmp('a', 'eq', -0.0025) },
  { filter: 'a eq 0', ast: cmp('a', 'eq', 0) },
  { filter: 'a eq -0', ast: cmp('a', 'eq', 0) },
  { filter: 'active eq true', ast: cmp('active', 'eq', true) },
  { filter: 'active eq FALSE', ast: cmp('active', 'eq', false) },
  { filter: 'active eq True', ast: cmp('active', 'eq', true) },
  { filter: 'manager eq null', ast: cmp('manager', 'eq', null) },
  { filter: 'manager ne NULL', ast: cmp('manager', 'ne', null) },

  // Unquoted values: a bare word is a string; it runs until whitespace, ")" or "]".
  { filter: 'a eq 01234', ast: cmp('a', 'eq', '01234') },
  { filter: 'a eq 1.', ast: cmp('a', 'eq', '1.') },
  { filter: 'a eq +1', ast: cmp('a', 'eq', '+1') },
  { filter: "a eq O'Brien", ast: cmp('a', 'eq', "O'Brien") },
  { filter: 'a eq truely', ast: cmp('a', 'eq', 'truely') },
  { filter: 'a eq nullable', ast: cmp('a', 'eq', 'nullable') },
  { filter: 'a eq https://example.com/x?y=1&z=2', ast: cmp('a', 'eq', 'https://example.com/x?y=1&z=2') },
  { filter: '(userName eq bob)', ast: cmp('userName', 'eq', 'bob') },
  { filter: 'emails[type eq work]', ast: vp('emails', cmp('type', 'eq', 'work')) },
  { filter: 'a eq 2015-10-10', ast: cmp('a', 'eq', '2015-10-10') },
  { filter: 'a eq x,y', ast: cmp('a', 'eq', 'x,y') },
  { filter: 'a eq not', ast: cmp('a', 'eq', 'not') },
  { filter: 'userName eq bob and active eq true', ast: and(cmp('userName', 'eq', 'bob'), cmp('active', 'eq', true)) },

  // Attribute names.
  { filter: 'name.familyName pr', ast: pr(at('name', 'familyName')) },
  { filter: 'members.$ref eq "https://x/Users/1"', ast: cmp(at('members', '$ref'), 'eq', 'https://x/Users/1') },
  { filter: 'members[$ref eq "x"]', ast: vp('members', cmp('$ref', 'eq', 'x')) },
  { filter: 'x-custom_attr1 eq "y"', ast: cmp('x-custom_attr1', 'eq', 'y') },
  { filter: 'x509Certificates pr', ast: pr('x509Certificates') },
  { filter: 'not pr', ast: pr('not'), source: '"not" is only a keyword before "("' },
  { filter: 'not eq "x" or and pr', ast: or(cmp('not', 'eq', 'x'), pr('and')) },

  // Value filters.
  { filter: 'emails[not (type eq "work")]', ast: vp('emails', not(WORK)) },
  {
    filter: 'emails[type eq "work" or type eq "home"]',
    ast: vp('emails', or(WORK, cmp('type', 'eq', 'home'))),
  },
  {
    filter: 'emails[(type eq "work" or type eq "home") and primary eq true]',
    ast: vp('emails', and(or(WORK, cmp('type', 'eq', 'home')), cmp('primary', 'eq', true))),
  },
  { filter: 'emails[type eq "work"] and userName sw "a"', ast: and(vp('emails', WORK), cmp('userName', 'sw', 'a')) },
  { filter: 'not (emails[type eq "work"])', ast: not(vp('emails', WORK)) },
  {
    filter: 'emails[type eq "work"].value co "@example.com" and active eq true',
    ast: and(vp('emails', and(WORK, cmp('value', 'co', '@example.com'))), cmp('active', 'eq', true)),
  },
  {
    filter: 'addresses[type eq "work"].streetAddress pr',
    ast: vp('addresses', and(WORK, pr('streetAddress'))),
  },
  {
    filter: 'phoneNumbers[type eq "work"].value eq "+1 555 0100"',
    ast: vp('phoneNumbers', and(WORK, cmp('value', 'eq', '+1 555 0100'))),
  },
  {
    filter: 'emails[type eq "work" or type eq "home"].value ew ".org"',
    ast: vp('emails', and(or(WORK, cmp('type', 'eq', 'home')), cmp('value', 'ew', '.org'))),
  },
  {
    filter: 'emails[type eq "work"].Value EQ x@y.z',
    ast: vp('emails', and(WORK, cmp('Value', 'eq', 'x@y.z'))),
  },
  { filter: 'emails[primary eq true]', ast: vp('emails', cmp('primary', 'eq', true)) },
  { filter: 'emails[value pr]', ast: vp('emails', pr('value')) },
  {
    filter: 'emails[urn:example:ext:2.0:Email:label eq "x"]',
    ast: vp('emails', cmp(at('label', undefined, 'urn:example:ext:2.0:Email'), 'eq', 'x')),
    source: 'the ABNF allows URI-qualified paths inside [...]; the resolver decides',
  },

  // Limits: exactly at each default limit, and custom limits.
  { filter: SIXTEEN_PARENS, ast: cmp('userName', 'eq', 'x') },
  { filter: SIXTY_FOUR_TERMS.filter, ast: SIXTY_FOUR_TERMS.ast },
  { filter: MAX_LENGTH_FILTER, ast: cmp('userName', 'eq', 'a'.repeat(4082)) },
  { filter: 'a pr and b pr', ast: and(pr('a'), pr('b')), limits: { maxTerms: 2 } },
  {
    filter: 'a pr or (b pr and c pr)',
    ast: or(pr('a'), and(pr('b'), pr('c'))),
    limits: { maxDepth: 3 },
  },
  { filter: 'userName eq "x"', ast: cmp('userName', 'eq', 'x'), limits: { maxLength: 15 } },
];

// ---- invalid filters ----------------------------------------------------------------------------------------

export const INVALID_FILTERS: InvalidFilterCase[] = [
  // Empty input.
  { filter: '', error: filterError('Filter is empty') },
  { filter: '   ', error: filterError('Filter is empty') },
  { filter: '\t\r\n', error: filterError('Filter is empty') },

  // Missing or unknown operators.
  { filter: 'userName', error: filterError('Expected a comparison operator after "userName" at position 8') },
  { filter: 'userName "x"', error: filterError('Expected a comparison operator after "userName" at position 9') },
  { filter: 'userName = "x"', error: filterError('Expected a comparison operator after "userName" at position 9') },
  { filter: 'userName == "x"', error: filterError('found "=="') },
  { filter: 'userName eqq "x"', error: filterError('Unknown operator "eqq" at position 9') },
  { filter: 'userName equals "x"', error: filterError('Unknown operator "equals" at position 9') },
  { filter: 'userName like "x"', error: filterError('Unknown operator "like"') },
  { filter: 'userName eq1', error: filterError('Unknown operator "eq1" at position 9') },
  { filter: 'userName in ("a", "b")', error: filterError('Unknown operator "in"') },
  { filter: 'userName(eq "x")', error: filterError('Expected a comparison operator after "userName" at position 8') },
  {
    filter: 'userName+eq+"x"',
    error: filterError('Expected a comparison operator after "userName" at position 8, found "+eq+" (a "+" is not'),
  },
  { filter: 'ABC@EXAMPLE.COM', error: filterError('Expected a comparison operator after "ABC" at position 3') },
  { filter: 'filter=userName eq "x"', error: filterError('after "filter" at position 6') },
  { filter: 'emails [type eq "work"]', error: filterError('after "emails" at position 7, found "["') },

  // Missing values; pr with a value.
  { filter: 'userName eq', error: filterError('Expected a value after "eq" at position 11') },
  { filter: 'userName eq   ', error: filterError('Expected a value after "eq" at position 14') },
  { filter: '(userName eq)', error: filterError('Expected a value after "eq" at position 12, found ")"') },
  { filter: 'emails[type eq]', error: filterError('Expected a value after "eq" at position 14, found "]"') },
  { filter: 'userName eq (x)', error: filterError('Expected a value after "eq" at position 12, found "("') },
  { filter: 'userName eq and b pr', error: filterError('found the keyword "and"') },
  {
    filter: 'userName sw OR',
    error: filterError('Expected a value after "sw" at position 12, found the keyword "OR"'),
  },
  {
    filter: 'userName pr "x"',
    error: filterError('The "pr" operator takes no value, found a quoted string at position 12'),
  },
  { filter: 'userName pr x', error: filterError('The "pr" operator takes no value, found "x" at position 12') },
  { filter: 'userName PR true', error: filterError('The "PR" operator takes no value') },
  { filter: 'emails[value pr 1]', error: filterError('takes no value, found "1" at position 16') },

  // Strings and escapes.
  { filter: 'userName eq "x', error: filterError('Unterminated string starting at position 12') },
  { filter: 'userName eq "x\\"', error: filterError('Unterminated string starting at position 12') },
  { filter: 'userName eq "x\\', error: filterError('Unterminated string starting at position 12') },
  { filter: '(userName eq "x)', error: filterError('Unterminated string starting at position 13') },
  { filter: 'userName eq "\\x"', error: filterError('Invalid escape "\\x" at position 13') },
  { filter: 'userName eq "\\\'"', error: filterError('Invalid escape "\\\'"') },
  { filter: 'userName eq "\\u12"', error: filterError('"\\u" must be followed by 4 hexadecimal digits') },
  { filter: 'userName eq "\\uZZZZ"', error: filterError('Invalid escape at position 13') },
  { filter: 'userName eq "\\ud83d"', error: filterError('unpaired UTF-16 surrogate') },
  { filter: 'userName eq "\\ude00x"', error: filterError('unpaired UTF-16 surrogate') },
  { filter: 'userName eq "\\ud83d\\u0041"', error: filterError('unpaired UTF-16 surrogate') },
  { filter: 'userName eq "a\\u0000b"', error: filterError('NUL character') },
  { filter: 'userName eq ab"c"', error: filterError('Unexpected double quote in an unquoted value at position 14') },
  { filter: 'userName eq a(b)', error: filterError('Unexpected "(" in an unquoted value at position 13') },
  { filter: 'userName eq a[b]', error: filterError('Unexpected "[" in an unquoted value') },
  { filter: 'userName eq "x" "y"', error: filterError('at position 16, found a quoted string') },
  { filter: 'a eq 1e999', error: filterError('Number 1e999 at position 5 is out of range') },

  // Parentheses.
  { filter: '(userName eq "x"', error: filterError('Unbalanced parentheses: "(" at position 0 is never closed') },
  { filter: '((userName eq "x")', error: filterError('"(" at position 0 is never closed') },
  { filter: 'a pr and (b pr or (c pr)', error: filterError('"(" at position 9 is never closed') },
  { filter: 'userName eq "x")', error: filterError('Unbalanced parentheses: unexpected ")" at position 15') },
  { filter: '(a eq 1))', error: filterError('unexpected ")" at position 8') },
  { filter: '()', error: filterError('Expected a filter at position 1, found ")"') },
  { filter: '(', error: filterError('Expected a filter at position 1, found the end of the filter') },
  { filter: ')', error: filterError('Expected a filter at position 0, found ")"') },
  { filter: '(a eq 1]', error: filterError('Unexpected "]" at position 7 without a matching "["') },

  // Logical operators.
  { filter: 'a eq 1 and', error: filterError('Expected a filter after "and" at position 10') },
  { filter: 'a eq 1 and ', error: filterError('Expected a filter after "and" at position 11') },
  { filter: 'a eq 1 or', error: filterError('Expected a filter after "or" at position 9') },
  { filter: '(a eq 1 AND)', error: filterError('Expected a filter after "AND" at position 11, found ")"') },
  { filter: 'emails[type eq "x" or]', error: filterError('Expected a filter after "or" at position 21, found "]"') },
  { filter: 'and a eq 1', error: filterError('Expected a filter at position 0, found the keyword "and"') },
  { filter: 'or', error: filterError('Expected a filter at position 0, found the keyword "or"') },
  { filter: 'a eq 1 and and b eq 2', error: filterError('Expected a filter at position 11, found the keyword "and"') },
  { filter: 'a eq 1 or or b eq 2', error: filterError('found the keyword "or"') },
  { filter: 'a eq 1 xor b eq 2', error: filterError('Expected "and", "or" or the end of the filter at position 7') },
  { filter: 'a eq 1 && b eq 2', error: filterError('at position 7, found "&&"') },
  {
    filter: 'a eq 1, b eq 2',
    // An unquoted value runs until whitespace, so the comma belongs to the value "1," and "b" is the surplus.
    error: filterError('Expected "and", "or" or the end of the filter at position 8, found "b"'),
  },
  { filter: 'a eq 1 andb eq 2', error: filterError('found "andb"') },
  {
    filter: 'userName eq "x" garbage',
    error: filterError('Expected "and", "or" or the end of the filter at position 16'),
  },
  { filter: 'userName eq x y', error: filterError('at position 14, found "y"') },
  { filter: '(a eq 1 b eq 2)', error: filterError('Expected "and", "or" or ")" at position 8, found "b"') },
  { filter: 'a eq 1 not (b eq 2)', error: filterError('at position 7, found "not"') },

  // not.
  {
    filter: 'not userName eq "x"',
    error: filterError('"not" at position 0 must be followed by a filter in parentheses'),
  },
  { filter: 'not', error: filterError('must be followed by a filter in parentheses') },
  {
    filter: 'a pr and NOT b pr',
    error: filterError('"NOT" at position 9 must be followed by a filter in parentheses'),
  },
  { filter: 'not ()', error: filterError('Expected a filter at position 5, found ")"') },
  { filter: 'not (a eq 1', error: filterError('"(" at position 4 is never closed') },

  // Value filters.
  { filter: 'emails[type eq "work"', error: filterError('Missing "]" to close the "[" at position 6') },
  {
    filter: 'emails[type eq "work" and value co "x"',
    error: filterError('Missing "]" to close the "[" at position 6'),
  },
  { filter: 'emails[type eq "work")', error: filterError('Unbalanced parentheses: unexpected ")" at position 21') },
  { filter: 'emails type eq "work"]', error: filterError('Unknown operator "type"') },
  { filter: 'userName eq "x"]', error: filterError('Unexpected "]" at position 15 without a matching "["') },
  { filter: 'emails[]', error: filterError('Expected a filter at position 7, found "]"') },
  {
    filter: 'emails[phones[type eq "x"]]',
    error: filterError('Unexpected "[" at position 13: value filters cannot be nested'),
  },
  { filter: 'emails[type[value eq "x"] eq "w"]', error: filterError('value filters cannot be nested') },
  { filter: 'emails[type eq "work"].value[x eq 1] eq 2', error: filterError('found "["') },
  {
    filter: 'name.givenName[value eq "x"]',
    error: filterError('Unexpected "[" at position 14: a value filter must follow a multi-valued attribute'),
  },
  { filter: 'emails[type eq "work"].', error: filterError('Expected a sub-attribute name after "." at position 22') },
  { filter: 'emails[type eq "work"].1x eq "a"', error: filterError('Invalid attribute name "1x" at position 23') },
  {
    filter: 'emails[type eq "work"].value',
    error: filterError('Expected a comparison operator after "emails[type eq "work"].value" at position 28'),
  },
  { filter: 'emails[type eq "work"].value.display eq "x"', error: filterError('at position 28, found ".display"') },
  { filter: 'emails[type eq "work"].value pr "x"', error: filterError('The "pr" operator takes no value') },
  { filter: 'emails[type eq "work"] eq "x"', error: filterError('at position 23, found "eq"') },

  // Attribute names and URIs.
  { filter: '"userName" eq "x"', error: filterError('Expected a filter at position 0, found a quoted string') },
  { filter: '1abc eq "x"', error: filterError('Invalid attribute name "1abc" at position 0') },
  { filter: '_abc eq 1', error: filterError('Invalid attribute name "_abc" at position 0') },
  { filter: '-abc eq 1', error: filterError('Invalid attribute name "-abc" at position 0') },
  { filter: 'a$b eq 1', error: filterError('Invalid attribute name "a$b" at position 0') },
  { filter: '$refs eq 1', error: filterError('Invalid attribute name "$refs"') },
  {
    filter: 'name.familyName.x eq 1',
    error: filterError('Attribute path "name.familyName.x" at position 0 has more than one sub-attribute'),
  },
  { filter: 'name. eq 1', error: filterError('Expected a sub-attribute name after "." at position 4') },
  { filter: 'name.1x eq 1', error: filterError('Invalid attribute name "1x" at position 5') },
  { filter: '.name eq 1', error: filterError('Expected an attribute name at position 0') },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User: eq 1',
    error: filterError(
      'Expected an attribute name after the schema URI "urn:ietf:params:scim:schemas:core:2.0:User" at position 43',
    ),
  },
  { filter: 'urn::name eq 1', error: filterError('Invalid schema URI "urn:" at position 0') },
  { filter: ':name eq 1', error: filterError('Invalid schema URI "" at position 0') },
  { filter: '1urn:x:name eq 1', error: filterError('Invalid schema URI "1urn:x"') },
  { filter: 'urn:x$y:name eq 1', error: filterError('Invalid schema URI "urn:x$y"') },
  {
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName.x eq 1',
    error: filterError('has more than one sub-attribute'),
  },
  { filter: 'user name eq "x"', error: filterError('Unknown operator "name" at position 5') },

  // Limits.
  {
    filter: `${'('.repeat(17)}a pr${')'.repeat(17)}`,
    error: filterError('exceeds the maximum nesting depth of 16 at position 16'),
  },
  { filter: '('.repeat(4096), error: filterError('exceeds the maximum nesting depth of 16') },
  { filter: `${'not ('.repeat(17)}a pr${')'.repeat(17)}`, error: filterError('maximum nesting depth of 16') },
  { filter: orChain(65).filter, error: filterError('exceeds the maximum of 64 comparison terms') },
  {
    filter: `${MAX_LENGTH_FILTER} `,
    error: filterError('exceeds the maximum length of 4096 characters (it has 4097)'),
  },
  {
    filter: 'a pr and b pr',
    limits: { maxTerms: 1 },
    error: filterError('maximum of 1 comparison terms at position 11'),
  },
  {
    filter: 'a pr or (b pr and (c pr or d pr))',
    limits: { maxDepth: 3 },
    error: filterError('exceeds the maximum nesting depth of 3'),
  },
  {
    filter: 'emails[type eq "work" and value pr]',
    limits: { maxDepth: 1 },
    error: filterError('maximum nesting depth of 1 at position 0'),
  },
  { filter: 'emails[type eq "work"].value eq "x"', limits: { maxDepth: 1 }, error: filterError('nesting depth of 1') },
  { filter: 'not (not (a pr))', limits: { maxDepth: 1 }, error: filterError('nesting depth of 1') },
  { filter: 'userName eq "xy"', limits: { maxLength: 15 }, error: filterError('maximum length of 15 characters') },
];

// ---- PATCH paths ----------------------------------------------------------------------------------------------

export const VALID_PATHS: ValidPathCase[] = [
  { path: 'members', expected: { path: at('members') } },
  { path: 'userName', expected: { path: at('userName') } },
  { path: 'active', expected: { path: at('active') } },
  { path: 'nickName', expected: { path: at('nickName') } },
  { path: 'name.familyName', expected: { path: at('name', 'familyName') } },
  { path: 'Name.GivenName', expected: { path: at('Name', 'GivenName') } },
  { path: 'emails[type eq "work"].value', expected: { path: at('emails'), filter: WORK, sub: 'value' } },
  { path: 'members[value eq "x"]', expected: { path: at('members'), filter: cmp('value', 'eq', 'x') } },
  {
    path: 'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
    expected: { path: at('members'), filter: cmp('value', 'eq', '2819c223-7f76-453a-919d-413861904646') },
  },
  { path: 'phoneNumbers[type eq "work"].value', expected: { path: at('phoneNumbers'), filter: WORK, sub: 'value' } },
  {
    path: 'addresses[type eq "work"].streetAddress',
    expected: { path: at('addresses'), filter: WORK, sub: 'streetAddress' },
  },
  { path: 'addresses[type eq "work"].locality', expected: { path: at('addresses'), filter: WORK, sub: 'locality' } },
  {
    path: 'emails[type eq "work" and primary eq true]',
    expected: { path: at('emails'), filter: and(WORK, cmp('primary', 'eq', true)) },
  },
  { path: 'emails[not (type eq "work")]', expected: { path: at('emails'), filter: not(WORK) } },
  { path: 'emails[type eq work].value', expected: { path: at('emails'), filter: WORK, sub: 'value' } },
  { path: 'members[$ref eq "x"]', expected: { path: at('members'), filter: cmp('$ref', 'eq', 'x') } },
  {
    path: 'members[value eq "x"].display',
    expected: { path: at('members'), filter: cmp('value', 'eq', 'x'), sub: 'display' },
  },
  { path: 'Members[Value EQ "x"]', expected: { path: at('Members'), filter: cmp('Value', 'eq', 'x') } },
  { path: 'members.$ref', expected: { path: at('members', '$ref') } },
  {
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
    expected: { path: at('manager', undefined, ENTERPRISE) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager',
    expected: { path: at('manager', undefined, ENTERPRISE) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
    expected: { path: at('manager', 'value', ENTERPRISE) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value',
    expected: { path: at('manager', 'value', ENTERPRISE) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
    expected: { path: at('employeeNumber', undefined, ENTERPRISE) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName',
    expected: { path: at('name', 'givenName', CORE_USER) },
  },
  {
    path: 'urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value',
    expected: { path: at('emails', undefined, CORE_USER), filter: WORK, sub: 'value' },
  },
  {
    // A bare schema URN names no attribute; it parses as its last segment and the resolver recognises it.
    path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    expected: { path: at('User', undefined, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0') },
  },
  { path: '  name.givenName\t', expected: { path: at('name', 'givenName') } },
  {
    path: 'x509Certificates[value eq "abc"]',
    expected: { path: at('x509Certificates'), filter: cmp('value', 'eq', 'abc') },
  },
];

export const INVALID_PATHS: InvalidPathCase[] = [
  { path: '', error: pathError('Path is empty') },
  { path: '  ', error: pathError('Path is empty') },
  { path: 'name.familyName.x', error: pathError('has more than one sub-attribute') },
  { path: 'emails[type eq "work"', error: pathError('Missing "]" to close the "[" at position 6') },
  { path: 'emails[type eq "work"].', error: pathError('Expected a sub-attribute name after "." at position 22') },
  {
    path: 'emails[type eq "work"].value.x',
    error: pathError('Expected the end of the path at position 28, found ".x"'),
  },
  { path: 'emails[type eqq "work"]', error: pathError('Unknown operator "eqq" at position 12') },
  { path: 'name.givenName[value eq "x"]', error: pathError('a value filter must follow a multi-valued attribute') },
  { path: 'emails[]', error: pathError('Expected a filter at position 7, found "]"') },
  { path: 'members value', error: pathError('Expected the end of the path at position 8, found "value"') },
  { path: 'members eq "x"', error: pathError('Expected the end of the path at position 8, found "eq"') },
  { path: '1abc', error: pathError('Invalid attribute name "1abc" at position 0') },
  {
    path: 'emails[type eq "work"][value eq "x"]',
    error: pathError('Expected the end of the path at position 22, found "["'),
  },
  { path: 'emails[phones[x eq 1]]', error: pathError('value filters cannot be nested') },
  {
    path: 'urn:ietf:params:scim:schemas:core:2.0:User:',
    error: pathError('Expected an attribute name after the schema URI'),
  },
  { path: '"members"', error: pathError('Expected an attribute name at position 0, found a quoted string') },
  { path: 'emails[type eq "work]', error: pathError('Unterminated string starting at position 15') },
  {
    path: 'emails[type eq "work"]value',
    error: pathError('Expected the end of the path at position 22, found "value"'),
  },
];

// ---- attributes / excludedAttributes ----------------------------------------------------------------------------

export const VALID_ATTRIBUTE_LISTS: ValidAttributeListCase[] = [
  { attributes: '', expected: [] },
  { attributes: '  ', expected: [] },
  { attributes: 'userName', expected: [{ path: at('userName') }] },
  { attributes: 'id', expected: [{ path: at('id') }] },
  { attributes: 'members', expected: [{ path: at('members') }] },
  { attributes: 'userName,emails', expected: [{ path: at('userName') }, { path: at('emails') }] },
  {
    attributes: 'userName, emails , name.givenName',
    expected: [{ path: at('userName') }, { path: at('emails') }, { path: at('name', 'givenName') }],
  },
  { attributes: '\tuserName\t,\temails\t', expected: [{ path: at('userName') }, { path: at('emails') }] },
  { attributes: 'emails[type eq "work"]', expected: [{ path: at('emails'), filter: WORK }] },
  {
    attributes: 'emails[value eq "emailName357"]',
    expected: [{ path: at('emails'), filter: cmp('value', 'eq', 'emailName357') }],
  },
  {
    attributes: 'emails[value eq "a,b"],userName',
    expected: [{ path: at('emails'), filter: cmp('value', 'eq', 'a,b') }, { path: at('userName') }],
  },
  {
    attributes: 'emails[type eq "work" or type eq "home"],name',
    expected: [{ path: at('emails'), filter: or(WORK, cmp('type', 'eq', 'home')) }, { path: at('name') }],
  },
  {
    attributes: 'emails[type eq work,home]',
    expected: [{ path: at('emails'), filter: cmp('type', 'eq', 'work,home') }],
  },
  {
    attributes: 'emails[type eq "work"].value,phoneNumbers',
    expected: [{ path: at('emails'), filter: WORK, sub: 'value' }, { path: at('phoneNumbers') }],
  },
  {
    attributes:
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager,urn:ietf:params:scim:schemas:core:2.0:User:userName',
    expected: [{ path: at('manager', undefined, ENTERPRISE) }, { path: at('userName', undefined, CORE_USER) }],
  },
  { attributes: 'id,userName,', expected: [{ path: at('id') }, { path: at('userName') }] },
  { attributes: ',userName,,emails', expected: [{ path: at('userName') }, { path: at('emails') }] },
  { attributes: 'meta.lastModified', expected: [{ path: at('meta', 'lastModified') }] },
];

export const INVALID_ATTRIBUTE_LISTS: InvalidAttributeListCase[] = [
  { attributes: 'userName emails', error: pathError('Expected "," between attributes at position 9, found "emails"') },
  { attributes: 'userName;emails', error: pathError('Expected "," between attributes at position 8, found ";emails"') },
  { attributes: 'emails[type eq "work"', error: pathError('Missing "]" to close the "[" at position 6') },
  { attributes: 'name.', error: pathError('Expected a sub-attribute name after "." at position 4') },
  { attributes: 'emails[value eq "a]', error: pathError('Unterminated string starting at position 16') },
  {
    attributes: 'userName,"emails"',
    error: pathError('Expected an attribute name at position 9, found a quoted string'),
  },
  { attributes: 'name.givenName.x', error: pathError('has more than one sub-attribute') },
  {
    attributes: 'emails[type eq "work"].value.x',
    error: pathError('Expected "," between attributes at position 28, found ".x"'),
  },
];
