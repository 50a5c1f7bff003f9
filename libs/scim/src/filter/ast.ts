/**
 * The typed AST shared by filters (RFC 7644 §3.4.2.2), PATCH paths (§3.5.2) and the
 * `attributes`/`excludedAttributes` parameters. Names are kept as written; resolving them
 * against the schema registry (case-insensitively, with URN prefixes) is a separate step.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** `urn:...:User:name.givenName` → { uri: 'urn:...:User', attr: 'name', sub: 'givenName' }. */
export interface AttrPath {
  uri?: string;
  attr: string;
  sub?: string;
}

export type FilterValue = string | number | boolean | null;

export type Filter =
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: FilterValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and'; left: Filter; right: Filter }
  | { kind: 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /** `emails[type eq "work"]`: `filter` applies to one element; its paths are relative to it. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

/**
 * A PATCH path or an `attributes` entry: `members[value eq "x"]`, `emails[type eq "work"].value`,
 * `name.familyName`, `urn:...:enterprise:2.0:User:manager`.
 * With `filter`, `path.sub` is unset and the sub-attribute after the bracket is in `sub`.
 */
export interface PathExpression {
  path: AttrPath;
  filter?: Filter;
  sub?: string;
}
