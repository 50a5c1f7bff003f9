import type { ReadQueries } from '../database';
import { SortKey, SqlParams } from '../filter-sql';

/**
 * One page of a resource list as ONE statement (issue 12 item 4): the page's rows, and with them,
 * when the caller needs them, the total and the table's stamp (what a startIndex bookmark is
 * checked against, common/bookmarks.ts in the app). Reading the three in one statement costs one
 * round trip instead of three, and they describe one snapshot: a bookmark left with this page's
 * stamp is exactly as fresh as its rows.
 */
export interface PageQuery {
  /** The filter's predicate over `r`: what is counted. */
  where: string;
  /** The filter's parameters. */
  params: unknown[];
  /** The page's predicate, when it is more than `where`: plus a keyset condition after a row. */
  pageWhere?: string;
  /** Parameters of `pageWhere`: the filter's, then the keyset's. */
  pageParams?: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
  /** Extra expression selected as `sortKey`, for cursors and bookmarks. */
  sortKey?: string;
  /** Read the total with the page: the counter for an unfiltered list, count(*) otherwise. */
  total?: boolean;
  /**
   * Read the stamp with the page: `always` (a bookmark is being used and must be checked), or
   * `ifMore` (only when the total exceeds the page size, i.e. when a bookmark can be left: a
   * one-page answer such as `userName eq` reads no stamp).
   */
  stamp?: 'always' | 'ifMore';
}

export interface PageRows<Row> {
  rows: Row[];
  total?: number;
  stamp?: string;
}

/** What a resource table tells the page statement: its name and counter, and its columns as `r`. */
export interface PageTable {
  table: 'users' | 'groups';
  resourceType: 'User' | 'Group';
  /** The select list over alias `r` (may add correlated columns, such as a user's groups). */
  select: string;
}

/** The exact number of rows of a resource type, from the trigger-kept counter (resource_counts). */
export function counterSql(resourceType: 'User' | 'Group'): string {
  return `SELECT coalesce(sum(n), 0) AS n FROM resource_counts WHERE resource_type = '${resourceType}'`;
}

/**
 * What changes whenever a table's rows do: its latest modification (an index probe of
 * <table>_last_modified_idx) and its exact count (a delete changes that).
 */
export function stampExpression(table: PageTable): string {
  return (
    `(SELECT coalesce(max(s.last_modified)::text, '') FROM ${table.table} s) || '|' || ` +
    `(${counterSql(table.resourceType)})::text`
  );
}

function countSql(table: PageTable, where: string): string {
  return where.trim() === 'true'
    ? counterSql(table.resourceType)
    : `SELECT count(*) AS n FROM ${table.table} r WHERE ${where}`;
}

/** Runs the page statement; an empty page past the end counts in a second, rare, statement. */
export async function readPage<Row extends object>(
  db: ReadQueries,
  table: PageTable,
  query: PageQuery,
): Promise<PageRows<Row>> {
  const params = [
    ...(query.pageWhere !== undefined ? (query.pageParams ?? query.params) : query.params),
    query.limit,
    query.offset,
  ];
  const limit = `$${params.length - 1}`;
  const sortKey = query.sortKey ? `, ${query.sortKey} AS "sortKey"` : '';
  let head = '';
  let extra = '';
  if (query.total) {
    head = `WITH page_total AS MATERIALIZED (${countSql(table, query.where)}) `;
    extra += `, (SELECT n FROM page_total) AS "pageTotal"`;
    if (query.stamp === 'ifMore') {
      // An initplan is evaluated when first used: the stamp only when the total says it is needed.
      extra += `, CASE WHEN (SELECT n FROM page_total) > ${limit} THEN ${stampExpression(table)} END AS "pageStamp"`;
    }
  }
  if (query.stamp === 'always') {
    extra += `, ${stampExpression(table)} AS "pageStamp"`;
  }
  const raw = await db.query<Row & { pageTotal?: unknown; pageStamp?: string | null }>(
    `${head}SELECT ${table.select}${sortKey}${extra} FROM ${table.table} r WHERE ${query.pageWhere ?? query.where} ` +
      `ORDER BY ${query.orderBy} LIMIT ${limit} OFFSET $${params.length}`,
    params,
  );
  const first = raw[0];
  let total: number | undefined;
  let stamp: string | undefined;
  if (first) {
    total = query.total ? Number(first.pageTotal ?? 0) : undefined;
    stamp = typeof first.pageStamp === 'string' ? first.pageStamp : undefined;
    for (const row of raw) {
      delete row.pageTotal;
      delete row.pageStamp;
    }
  } else if (query.total) {
    // No row to carry the total: nothing matched (then it is 0, when the page started at the
    // first row), or the page lies past the end, and the total is counted on its own.
    const fromStart = query.offset === 0 && (query.pageWhere === undefined || query.pageWhere === query.where);
    total = fromStart ? 0 : await countRows(db, table, query.where, query.params);
  }
  return { rows: raw, ...(total !== undefined ? { total } : {}), ...(stamp !== undefined ? { stamp } : {}) };
}

export async function countRows(db: ReadQueries, table: PageTable, where: string, params: unknown[]): Promise<number> {
  const isCounter = where.trim() === 'true';
  const rows = await db.query<{ n: unknown }>(countSql(table, where), isCounter ? [] : params);
  return Number(rows[0]?.n ?? 0);
}

const CAST: Partial<Record<SortKey['type'], string>> = {
  dateTime: 'timestamptz',
  integer: 'numeric',
  decimal: 'numeric',
  boolean: 'boolean',
};

/** A sort key the store knows never to be NULL (the default, `created`): one row comparison, no NULLS clause. */
export type PageKey = SortKey & { notNull?: boolean };

/** The default order of a list: creation time, a NOT NULL column matching <table>_created_idx. */
export const DEFAULT_PAGE_KEY: PageKey = { sql: 'r.created', type: 'dateTime', notNull: true };

/** ORDER BY for a page: the key, then the id, so that the order is total and pages are stable. */
export function pageOrder(key: PageKey, descending: boolean, backwards = false): string {
  const direction = descending ? 'DESC' : 'ASC';
  const nulls = key.notNull ? '' : backwards ? ' NULLS FIRST' : ' NULLS LAST';
  return `${key.sql} ${direction}${nulls}, r.id ${direction}`;
}

/**
 * The rows after (or, reading backwards, before) the row with sort key `value` and id `id`, in the
 * page order: a keyset condition for cursors and bookmarks.
 */
export function keysetAfter(
  key: PageKey,
  { k: value, i }: { k: unknown; i: string },
  descending: boolean,
  backwards: boolean,
  params: SqlParams,
): string {
  const cast = CAST[key.type] ? `::${CAST[key.type]}` : '';
  const id = params.add(i);
  const after = descending ? '<' : '>';
  // NULL keys sort last in both directions; reading backwards they therefore come first.
  if (key.notNull && value !== null) {
    return `((${key.sql}, r.id) ${after} (${params.add(value)}${cast}, ${id}::uuid))`;
  }
  if (value === null) {
    return backwards
      ? `(${key.sql} IS NOT NULL OR r.id ${after} ${id}::uuid)`
      : `(${key.sql} IS NULL AND r.id ${after} ${id}::uuid)`;
  }
  const k = params.add(value);
  const nullClause = backwards ? '' : ` OR ${key.sql} IS NULL`;
  return `((${key.sql} ${after} ${k}${cast}) OR (${key.sql} = ${k}${cast} AND r.id ${after} ${id}::uuid)${nullClause})`;
}
