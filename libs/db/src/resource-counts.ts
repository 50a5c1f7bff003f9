/**
 * The exact number of users or groups from the trigger-maintained resource_counts shards
 * (migration 20261204184938_resource_counts): what an unfiltered list's totalResults needs,
 * without counting a million rows per page. A filtered count still counts its rows.
 */
export const RESOURCE_COUNT_SQL = `SELECT coalesce(sum(n), 0) AS n FROM resource_counts WHERE resource_type = $1`;

/** A WHERE clause that selects every row: the filter compiler's "no filter". */
export function isUnfiltered(where: string): boolean {
  return where.trim() === 'true';
}

/**
 * What changes whenever a table's rows do: its latest modification (an index probe of
 * <table>_last_modified_idx) and its exact count (a delete changes that). Page bookmarks compare it.
 */
export function stampSql(table: 'users' | 'groups'): string {
  return (
    `SELECT coalesce((SELECT max(last_modified) FROM ${table})::text, '') || '|' || ` +
    `(SELECT coalesce(sum(n), 0) FROM resource_counts WHERE resource_type = $1)::text AS s`
  );
}
