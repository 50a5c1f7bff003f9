import {
  classifyDatabaseError,
  compileFilter,
  compileSortKey,
  DEFAULT_PAGE_KEY,
  keysetAfter,
  PageKey,
  pageOrder,
  PageQuery,
  PageRows,
  SortKey,
  SqlParams,
} from '@roster/db';
import { AttributeType, canonicalDateTime, ResourceTypeName, SchemaRegistry, ScimError } from '@roster/scim';
import { createHash } from 'node:crypto';
import { PAGE_BOOKMARKS } from './bookmarks';
import { CursorCodec } from './cursors';
import { ListRequest } from './list-query';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** What a resource table offers the pager: one page of rows (with its total and stamp when asked), and a count. */
export interface PageSource<Row extends { id: string; sortKey?: unknown }> {
  page(query: PageQuery): Promise<PageRows<Row>>;
  count(where: string, params: unknown[]): Promise<number>;
  /**
   * Whether the table has a stamp (its row count and latest modification) that changes whenever
   * its rows do: startIndex bookmarks (common/bookmarks.ts) serve only while it stays the same.
   */
  stamps?: boolean;
}

export interface Page<Row> {
  rows: Row[];
  totalResults: number;
  startIndex?: number;
  nextCursor?: string;
  previousCursor?: string;
}

interface CursorState {
  /** Sort key of the row the page starts after (or ends before). */
  k: unknown;
  /** Its id, the tie-breaker that makes the order total. */
  i: string;
  /** 'n': the page after (k, i); 'p': the page before it. */
  d: 'n' | 'p';
  /** Fingerprint of the query the cursor belongs to. */
  q: string;
  /** Issued at, seconds. */
  t: number;
  /** totalResults counted for the first page, carried so later pages need not count again. */
  n?: number;
}

/** The RFC 7644 §3.4.2 ListResponse for one page (plus RFC 9865 cursors when paging by cursor). */
export interface ListResponse {
  schemas: string[];
  totalResults: number;
  itemsPerPage: number;
  startIndex?: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: Record<string, unknown>[];
}

export function toListResponse(page: Page<unknown>, resources: Record<string, unknown>[]): ListResponse {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: page.totalResults,
    itemsPerPage: resources.length,
    ...(page.startIndex !== undefined ? { startIndex: page.startIndex } : {}),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    ...(page.previousCursor ? { previousCursor: page.previousCursor } : {}),
    Resources: resources,
  };
}

export interface PagingOptions {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
  baseUrl: string;
  cursorTimeoutSeconds: number;
  /** Signs the cursors this server issues and refuses every other one. */
  cursors: CursorCodec;
  /** The filter cost budget (FILTER_MAX_COST); the compiler's default when unset. */
  maxFilterCost?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what PostgreSQL text cannot hold
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Runs a list request in the database: the filter and sort compile to SQL, and pages are
 * either index-based (startIndex/count, RFC 7644 §3.4.2.4) or keyset cursors (RFC 9865). The
 * order is always total (sort key, then id), so pages are stable.
 */
export async function fetchPage<Row extends { id: string; sortKey?: unknown }>(
  request: ListRequest,
  source: PageSource<Row>,
  options: PagingOptions,
): Promise<Page<Row>> {
  try {
    return await readPage(request, source, options);
  } catch (error) {
    if (request.filter && classifyDatabaseError(error)?.kind === 'timeout') {
      // RFC 7644 §3.12: the filter asks for more than the server is willing to compute.
      throw ScimError.badRequest(
        'tooMany',
        'The filter is too expensive to evaluate within the time the server allows one statement; narrow it.',
      );
    }
    throw error;
  }
}

async function readPage<Row extends { id: string; sortKey?: unknown }>(
  request: ListRequest,
  source: PageSource<Row>,
  options: PagingOptions,
): Promise<Page<Row>> {
  const params = new SqlParams();
  const context = {
    registry: options.registry,
    resourceType: options.resourceType,
    params,
    baseUrl: options.baseUrl,
    ...(options.maxFilterCost !== undefined ? { maxCost: options.maxFilterCost } : {}),
  };
  const where = request.filter ? compileFilter(request.filter, context) : 'true';
  // The default key is a NOT NULL column: its keyset is one row comparison, and its order needs no
  // NULLS clause, so both match users_created_idx / groups_created_idx in either direction.
  const key: PageKey = request.sortBy ? compileSortKey(request.sortBy, context) : DEFAULT_PAGE_KEY;
  const filterParams = [...params.values];

  if (request.cursor === undefined) {
    // Memberships change without touching the rows' stamp: such queries are always read by OFFSET.
    // A walk starts at 1 and goes on from bookmarks; a page anywhere else reads no stamp.
    const scope =
      request.count > 0 && source.stamps && !where.includes('group_members')
        ? `${options.baseUrl}|${queryFingerprint(options.resourceType, request)}|${request.count}`
        : undefined;
    if (request.count === 0) {
      return { rows: [], totalResults: await source.count(where, filterParams), startIndex: request.startIndex };
    }
    const descending = request.descending ?? false;
    const orderBy = pageOrder(key, descending);
    // A bookmark is taken optimistically and checked against the stamp read with its page: in the
    // rare case the data changed meanwhile, the page is read again by OFFSET.
    const mark = scope && request.startIndex > 1 ? PAGE_BOOKMARKS.peek(scope, request.startIndex) : undefined;
    const byOffset = (stamp?: 'always' | 'ifMore') =>
      source.page({
        where,
        params: filterParams,
        orderBy,
        limit: request.count,
        offset: request.startIndex - 1,
        sortKey: key.sql,
        total: true,
        ...(stamp ? { stamp } : {}),
      });
    let read: PageRows<Row>;
    if (mark) {
      read = await source.page({
        where,
        params: filterParams,
        pageWhere: `(${where}) AND ${keysetAfter(key, mark, descending, false, params)}`,
        pageParams: [...params.values],
        orderBy,
        limit: request.count,
        offset: 0,
        sortKey: key.sql,
        total: true,
        stamp: 'always',
      });
      if (read.stamp === undefined || !PAGE_BOOKMARKS.take(scope!, request.startIndex, `${read.total}|${read.stamp}`)) {
        read = await byOffset('always');
      }
    } else {
      read = await byOffset(scope && request.startIndex === 1 ? 'ifMore' : undefined);
    }
    const { rows } = read;
    const totalResults = read.total ?? 0;
    const last = rows[rows.length - 1];
    if (scope && read.stamp !== undefined && last && rows.length === request.count) {
      PAGE_BOOKMARKS.leave(scope, request.startIndex + rows.length, `${totalResults}|${read.stamp}`, {
        k: keyValue(last.sortKey),
        i: last.id,
      });
    }
    return { rows, totalResults, startIndex: request.startIndex };
  }

  const fingerprint = queryFingerprint(options.resourceType, request);
  const state =
    request.cursor === ''
      ? undefined
      : decodeCursor(request.cursor, fingerprint, options.cursorTimeoutSeconds, options.cursors);
  // Counting a million rows costs more than the page itself: count once, on the first page.
  const known = typeof state?.n === 'number' ? state.n : undefined;
  if (request.count === 0) {
    return { rows: [], totalResults: known ?? (await source.count(where, filterParams)) };
  }
  const backwards = state?.d === 'p';
  // Reading backwards means reversing the order, then the page.
  const descending = request.descending !== backwards;
  if (state && !keyFits(state.k, key)) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this server issued.');
  }
  const read = await source.page({
    where,
    params: filterParams,
    ...(state
      ? {
          pageWhere: `(${where}) AND ${keysetAfter(key, state, descending, backwards, params)}`,
          pageParams: [...params.values],
        }
      : {}),
    orderBy: pageOrder(key, descending, backwards),
    limit: request.count + 1,
    offset: 0,
    sortKey: key.sql,
    total: known === undefined,
  });
  const fetched = read.rows;
  const totalResults = known ?? read.total ?? 0;
  const more = fetched.length > request.count;
  const rows = fetched.slice(0, request.count);
  if (backwards) {
    rows.reverse();
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const hasNext = backwards ? true : more;
  const hasPrevious = backwards ? more : state !== undefined;
  return {
    rows,
    totalResults,
    ...(hasNext && last
      ? {
          nextCursor: encodeCursor(options.cursors, {
            k: keyValue(last.sortKey),
            i: last.id,
            d: 'n',
            q: fingerprint,
            n: totalResults,
          }),
        }
      : {}),
    ...(hasPrevious && first
      ? {
          previousCursor: encodeCursor(options.cursors, {
            k: keyValue(first.sortKey),
            i: first.id,
            d: 'p',
            q: fingerprint,
            n: totalResults,
          }),
        }
      : {}),
  };
}

/**
 * A cursor's key must have the sort key's type, or it would reach the database as a bad cast.
 * Signed cursors are the server's own, so this only matters if the key leaks; it is kept as the
 * second line of defence, with the same rules as filter values.
 */
function keyFits(value: unknown, key: SortKey): boolean {
  if (value === null) {
    return true;
  }
  if (key.uuid) {
    return typeof value === 'string' && UUID.test(value);
  }
  const type: AttributeType = key.type;
  switch (type) {
    case 'dateTime':
      return typeof value === 'string' && canonicalDateTime(value) === value;
    case 'integer':
    case 'decimal':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && /^-?\d{1,300}(\.\d{1,300})?$/.test(value))
      );
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return typeof value === 'string' && !UNSTORABLE.test(value);
  }
}

function keyValue(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  return value ?? null;
}

function queryFingerprint(resourceType: string, request: ListRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([resourceType, request.filterText ?? '', request.sortBy ?? '', request.descending]))
    .digest('base64url')
    .slice(0, 12);
}

function encodeCursor(cursors: CursorCodec, state: Omit<CursorState, 't'>): string {
  return cursors.encode({ ...state, t: Math.floor(Date.now() / 1000) });
}

function decodeCursor(cursor: string, fingerprint: string, timeoutSeconds: number, cursors: CursorCodec): CursorState {
  // Only cursors signed with this deployment's key are read at all.
  const state = cursors.decode(cursor) as CursorState | undefined;
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.i !== 'string' ||
    !UUID.test(state.i) ||
    (state.d !== 'n' && state.d !== 'p') ||
    typeof state.t !== 'number' ||
    (state.n !== undefined && !(Number.isInteger(state.n) && state.n >= 0)) ||
    (!['string', 'number', 'boolean'].includes(typeof state.k) && state.k !== null)
  ) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this server issued.');
  }
  if (state.q !== fingerprint) {
    throw ScimError.badRequest('invalidCursor', 'The cursor belongs to a different filter or sort order.');
  }
  if (Date.now() / 1000 - state.t > timeoutSeconds) {
    throw ScimError.badRequest('expiredCursor', 'The cursor has expired; start again from the first page.');
  }
  return state;
}
