import { EventQuery, EventRecord } from '@roster/db';
import { ScimError } from '@roster/scim';
import { EVENT_TYPES } from './events.service';

export const EVENT_SCHEMA = 'urn:roster:params:scim:schemas:core:1.0:Event';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;
const MAX_TEXT = 256;
const CURSOR = /^[0-9]{1,19}$/;

/** A feed request: where to start and what to keep. */
export type FeedRequest = EventQuery;

/**
 * Parses the query of `GET /v2/Events` (and of a resource's History): RFC 9865 `cursor` (empty
 * or absent: from the oldest event kept, or the newest with `sortOrder=descending`) and `count`, and the filters `type` (comma-separated),
 * `resourceId`, `actor`, `since` and `until` (RFC 3339 instants). Anything else wrong is a 400.
 */
export function parseFeedQuery(query: Record<string, unknown>, fixed: { resourceId?: string } = {}): FeedRequest {
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'string') {
      throw ScimError.badRequest('invalidValue', `Query parameter "${name}" may be given once.`);
    }
    if (value.length > MAX_TEXT) {
      throw ScimError.badRequest('invalidValue', `Query parameter "${name}" is longer than ${MAX_TEXT} characters.`);
    }
    return value;
  };
  const order = text('sortOrder');
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw ScimError.badRequest('invalidValue', 'sortOrder must be ascending or descending.');
  }
  const descending = order === 'descending';
  const cursor = text('cursor');
  let after = descending ? 9223372036854775807n : 0n;
  if (cursor !== undefined && cursor !== '') {
    if (!CURSOR.test(cursor) || BigInt(cursor) > 9223372036854775807n) {
      throw ScimError.badRequest('invalidCursor', 'The cursor is not one this server issued.');
    }
    after = BigInt(cursor);
  }
  const countText = text('count');
  let limit = DEFAULT_EVENT_PAGE;
  if (countText !== undefined) {
    if (!/^[0-9]{1,6}$/.test(countText) || Number(countText) < 1) {
      throw ScimError.badRequest('invalidValue', `count must be an integer from 1 to ${MAX_EVENT_PAGE}.`);
    }
    limit = Math.min(Number(countText), MAX_EVENT_PAGE);
  }
  const typeText = text('type');
  const types = typeText
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types?.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t)) ?? [];
  if (unknown.length) {
    throw ScimError.badRequest(
      'invalidValue',
      `Unknown event type ${unknown.join(', ')}; known types: ${EVENT_TYPES.join(', ')}.`,
    );
  }
  const instant = (name: string): Date | undefined => {
    const value = text(name);
    if (value === undefined) {
      return undefined;
    }
    const date = new Date(value);
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
      isNaN(date.getTime())
    ) {
      throw ScimError.badRequest('invalidValue', `${name} must be an RFC 3339 date-time, e.g. 2026-12-04T10:00:00Z.`);
    }
    return date;
  };
  const since = instant('since');
  const until = instant('until');
  const resourceId = fixed.resourceId ?? text('resourceId');
  const actor = text('actor');
  return {
    after,
    limit,
    ...(descending ? { descending } : {}),
    ...(types?.length ? { types } : {}),
    ...(resourceId !== undefined ? { resourceId } : {}),
    ...(actor !== undefined ? { actor } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

/** An event as the API shows it. */
export function representEvent(record: EventRecord, baseUrl: string): Record<string, unknown> {
  const collection = record.resourceType === 'User' ? 'Users' : record.resourceType === 'Group' ? 'Groups' : undefined;
  return {
    schemas: [EVENT_SCHEMA],
    id: record.seq.toString(),
    type: record.type,
    time: record.time.toISOString(),
    resource: {
      type: record.resourceType,
      id: record.resourceId,
      ...(record.version !== null ? { version: `W/"${record.version}"` } : {}),
      ...(collection ? { location: `${baseUrl}/${collection}/${record.resourceId}` } : {}),
    },
    changes: record.changes,
    ...(record.detail ? { detail: record.detail } : {}),
    actor: {
      kind: record.actorKind,
      ...(record.actorId !== null ? { id: record.actorId } : {}),
      ...(record.actorName !== null ? { name: record.actorName } : {}),
      ...(record.requestId !== null ? { requestId: record.requestId } : {}),
      ...(record.clientAddress !== null ? { clientAddress: record.clientAddress } : {}),
      ...(record.userAgent !== null ? { userAgent: record.userAgent } : {}),
    },
  };
}

/**
 * One page of the feed as an RFC 9865 list response. `nextCursor` is always there: it is the
 * position after the last event served (or the request's own position when nothing is new), so a
 * follower polls with it and sees every event once, in sequence order.
 */
export function feedPage(request: FeedRequest, records: EventRecord[], baseUrl: string): Record<string, unknown> {
  const last = records.length ? records[records.length - 1].seq : request.after;
  return {
    schemas: [LIST_RESPONSE],
    itemsPerPage: records.length,
    ...(records.length === request.limit ? {} : { totalResults: records.length }),
    nextCursor: last.toString(),
    Resources: records.map((r) => representEvent(r, baseUrl)),
  };
}
