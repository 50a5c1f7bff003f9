import { Filter, isPlainObject, parseAttributeList, parseFilter, PathExpression, ScimError } from '@roster/scim';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** A list request, from query parameters (GET) or a SearchRequest body (POST .search). */
export interface ListRequest {
  filter?: Filter;
  /** The filter as sent, so a cursor can tell whether it is reused with the same query. */
  filterText?: string;
  sortBy?: string;
  descending: boolean;
  startIndex: number;
  /** Already clamped to maxResults. */
  count: number;
  /** Present (possibly empty, meaning "the first page") when the client pages by cursor (RFC 9865). */
  cursor?: string;
  attributes?: PathExpression[];
  excludedAttributes?: PathExpression[];
}

export interface ListLimits {
  maxResults: number;
  defaultPageSize: number;
}

/** Paging limits from the configuration. */
export function listLimits(config: { filter: { maxResults: number }; defaultPageSize: number }): ListLimits {
  return { maxResults: config.filter.maxResults, defaultPageSize: config.defaultPageSize };
}

export interface Projected {
  attributes?: PathExpression[];
  excludedAttributes?: PathExpression[];
}

/** Query parameter names are matched case-insensitively: Entra's inbound client sends `startindex`. */
function lowerKeys(query: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.entries(query).map(([k, v]) => [k.toLowerCase(), v]));
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (Array.isArray(value)) {
    throw ScimError.badRequest('invalidValue', `The "${name}" parameter may be given only once.`);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const text = typeof value === 'number' ? String(value) : single(value, name);
  if (text === undefined || !/^-?\d{1,15}$/.test(text.trim())) {
    throw ScimError.badRequest('invalidValue', `"${name}" must be an integer, got "${String(text)}".`);
  }
  return Number(text);
}

function sortOrder(value: string | undefined): boolean {
  if (value === undefined || value === '') {
    return false;
  }
  const v = value.toLowerCase();
  if (v !== 'ascending' && v !== 'descending') {
    throw ScimError.badRequest('invalidValue', `sortOrder must be "ascending" or "descending", got "${value}".`);
  }
  return v === 'descending';
}

function attributeList(value: unknown, name: string): PathExpression[] | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const text = Array.isArray(value) ? value.map((v) => single(v, name)).join(',') : (single(value, name) ?? '');
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return parseAttributeList(text);
  } catch (error) {
    if (error instanceof ScimError) {
      throw ScimError.badRequest('invalidValue', `${name}: ${error.detail}`);
    }
    throw error;
  }
}

function build(
  values: {
    filter?: string;
    sortBy?: string;
    sortOrder?: string;
    startIndex?: number;
    count?: number;
    cursor?: string;
  },
  projection: Projected,
  limits: ListLimits,
): ListRequest {
  const filterText = values.filter?.trim() ? values.filter : undefined;
  const requested = values.count ?? limits.defaultPageSize;
  return {
    ...(filterText !== undefined ? { filter: parseFilter(filterText), filterText } : {}),
    ...(values.sortBy?.trim() ? { sortBy: values.sortBy.trim() } : {}),
    descending: sortOrder(values.sortOrder),
    // RFC 7644 §3.4.2.4: below 1 counts as 1; a negative count as 0; above the maximum is clamped.
    startIndex: Math.max(1, values.startIndex ?? 1),
    count: Math.min(Math.max(0, requested), limits.maxResults),
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    ...projection,
  };
}

/** GET /Users?filter=...&sortBy=...&startIndex=...&count=...&cursor=...&attributes=... */
export function parseListQuery(query: Record<string, unknown>, limits: ListLimits): ListRequest {
  const q = lowerKeys(query);
  return build(
    {
      filter: single(q.get('filter'), 'filter'),
      sortBy: single(q.get('sortby'), 'sortBy'),
      sortOrder: single(q.get('sortorder'), 'sortOrder'),
      startIndex: integer(q.get('startindex'), 'startIndex'),
      count: integer(q.get('count'), 'count'),
      cursor: single(q.get('cursor'), 'cursor'),
    },
    parseProjection(query),
    limits,
  );
}

/** `attributes` / `excludedAttributes` from the query string of any read or write. */
export function parseProjection(query: Record<string, unknown>): Projected {
  const q = lowerKeys(query);
  const attributes = attributeList(q.get('attributes'), 'attributes');
  const excludedAttributes = attributeList(q.get('excludedattributes'), 'excludedAttributes');
  return {
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  };
}

/** POST /.search with a SearchRequest body (RFC 7644 §3.4.3). */
export function parseSearchRequest(body: unknown, limits: ListLimits): ListRequest {
  if (!isPlainObject(body)) {
    throw ScimError.badRequest('invalidSyntax', 'The body of a search must be a SearchRequest object.');
  }
  const b = lowerKeys(body);
  const schemas = b.get('schemas');
  if (
    schemas !== undefined &&
    !(Array.isArray(schemas) && schemas.some((s) => String(s).toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase()))
  ) {
    throw ScimError.badRequest('invalidSyntax', `A SearchRequest must list the schema ${SEARCH_REQUEST_SCHEMA}.`);
  }
  const text = (name: string): string | undefined => {
    const value = b.get(name.toLowerCase());
    if (value === undefined || value === null) {
      return undefined;
    }
    if (typeof value !== 'string') {
      throw ScimError.badRequest('invalidValue', `"${name}" must be a string.`);
    }
    return value;
  };
  const attributes = attributeList(b.get('attributes'), 'attributes');
  const excludedAttributes = attributeList(b.get('excludedattributes'), 'excludedAttributes');
  return build(
    {
      filter: text('filter'),
      sortBy: text('sortBy'),
      sortOrder: text('sortOrder'),
      startIndex: integer(b.get('startindex'), 'startIndex'),
      count: integer(b.get('count'), 'count'),
      cursor: b.get('cursor') === undefined ? undefined : String(b.get('cursor')),
    },
    { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) },
    limits,
  );
}
