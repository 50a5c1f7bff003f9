/** Operators that make a search box entry a SCIM filter rather than free text. */
const FILTER_SHAPE = /\s(eq|ne|co|sw|ew|gt|ge|lt|le)\s|\spr(\s|$)|^\s*not\s*\(/i;

/** A search box entry bigger than this is refused (it would not be a name anyway). */
export const MAX_SEARCH_LENGTH = 500;

/** A list page's query string, bounded: what was typed in the search box, and the page's cursor. */
export function listQuery(query: { q?: unknown; cursor?: unknown }): { q: string; cursor: string } {
  return {
    q: typeof query.q === 'string' ? query.q.slice(0, MAX_SEARCH_LENGTH) : '',
    cursor: typeof query.cursor === 'string' && query.cursor.length <= 2000 ? query.cursor : '',
  };
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
