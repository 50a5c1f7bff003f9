/** Operators that make a search box entry a SCIM filter rather than free text. */
const FILTER_SHAPE = /\s(eq|ne|co|sw|ew|gt|ge|lt|le)\s|\spr(\s|$)|^\s*not\s*\(/i;

/** A search box entry bigger than this is refused (it would not be a name anyway). */
export const MAX_SEARCH_LENGTH = 500;

/** A list's order, as SCIM's sortBy and sortOrder say it. */
export interface ListSort {
  by: string;
  order: 'ascending' | 'descending';
}

/** What the users' and groups' lists may be sorted by (attributes the filter compiler sorts in SQL). */
export const USER_SORTS = ['userName', 'displayName', 'meta.lastModified'] as const;
export const GROUP_SORTS = ['displayName', 'meta.lastModified'] as const;

/**
 * A list page's query string, bounded: what was typed in the search box, the page's cursor, and
 * the order (one of `sorts`, ascending unless `sortOrder=descending`; none when not one of them).
 */
export function listQuery(
  query: { q?: unknown; cursor?: unknown; sortBy?: unknown; sortOrder?: unknown },
  sorts: readonly string[] = [],
): { q: string; cursor: string; sort?: ListSort } {
  const by = typeof query.sortBy === 'string' ? sorts.find((s) => s === query.sortBy) : undefined;
  return {
    q: typeof query.q === 'string' ? query.q.slice(0, MAX_SEARCH_LENGTH) : '',
    cursor: typeof query.cursor === 'string' && query.cursor.length <= 2000 ? query.cursor : '',
    ...(by ? { sort: { by, order: query.sortOrder === 'descending' ? 'descending' : 'ascending' } } : {}),
  };
}

/** The SCIM list parameters of an order. */
export function sortParams(sort: ListSort | undefined): { sortBy?: string; sortOrder?: string } {
  return sort ? { sortBy: sort.by, sortOrder: sort.order } : {};
}

/**
 * The SCIM filter for what an administrator typed: a SCIM filter as it is (`userName sw "b"`),
 * or free text matched against the user's names and e-mail addresses. Nothing typed: no filter.
 */
export function userSearchFilter(typed: string): string | undefined {
  const text = typed.trim();
  if (!text) {
    return undefined;
  }
  if (FILTER_SHAPE.test(text)) {
    return text;
  }
  const literal = JSON.stringify(text);
  return `userName co ${literal} or displayName co ${literal} or name.familyName co ${literal} or emails.value co ${literal}`;
}

/** A resource's meta.lastModified, when it has one. */
export function lastModified(resource: Record<string, unknown>): string | undefined {
  const meta = resource.meta as { lastModified?: unknown } | undefined;
  return typeof meta?.lastModified === 'string' ? meta.lastModified : undefined;
}
