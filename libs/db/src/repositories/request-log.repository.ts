import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

/** One connection's counts for one minute, as an instance adds them. */
export interface RequestLogMinuteRow {
  connection: string;
  kind: string;
  name: string;
  /** The minute's start. */
  minute: Date;
  requests: number;
  errors: number;
}

/** One error a connection received. */
export interface RequestLogErrorRow {
  time: Date;
  connection: string;
  method: string;
  path: string;
  status: number;
  scimType: string | null;
  detail: string | null;
  requestId: string;
}

export interface RequestLogErrorRecord extends RequestLogErrorRow {
  id: bigint;
}

/** A connection seen since some time: its latest kind and name and its totals. */
export interface RequestLogConnection {
  connection: string;
  kind: string;
  name: string;
  requests: number;
  errors: number;
  lastSeen: Date;
}

const SELECT_ERROR = `id, time, connection, method, path, status, scim_type AS "scimType", detail,
  request_id AS "requestId"`;

/**
 * The request log's tables (`request_log_minutes`, `request_log_errors`): each instance's flush
 * adds its counts and errors in one statement; the console reads them back, across instances.
 */
@Injectable()
export class RequestLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Adds an instance's per-minute counts (summed into the rows other instances write) and inserts
   * its errors: one statement, two data-modifying CTEs, so a flush is one round trip. `minutes`
   * must hold each (connection, minute) at most once (ON CONFLICT cannot touch a row twice).
   */
  async add(minutes: RequestLogMinuteRow[], errors: RequestLogErrorRow[]): Promise<void> {
    if (!minutes.length && !errors.length) {
      return;
    }
    await this.prisma.client.$queryRawUnsafe(
      `WITH m AS (
         INSERT INTO request_log_minutes AS t (connection, minute, kind, name, requests, errors)
         SELECT x.c, x.m, x.k, x.n, x.r, x.e
           FROM jsonb_to_recordset($1::jsonb) AS x(c text, m timestamptz, k text, n text, r int, e int)
         ON CONFLICT (connection, minute) DO UPDATE
           SET requests = t.requests + EXCLUDED.requests, errors = t.errors + EXCLUDED.errors,
               kind = EXCLUDED.kind, name = EXCLUDED.name
         RETURNING 1
       ), e AS (
         INSERT INTO request_log_errors (time, connection, method, path, status, scim_type, detail, request_id)
         SELECT x.t, x.c, x.me, x.p, x.s, x.st, x.d, x.rid
           FROM jsonb_to_recordset($2::jsonb)
             AS x(t timestamptz, c text, me text, p text, s int, st text, d text, rid text)
         RETURNING 1
       )
       SELECT ((SELECT count(*) FROM m) + (SELECT count(*) FROM e))::int AS n`,
      JSON.stringify(
        minutes.map((r) => ({
          c: r.connection,
          m: r.minute.toISOString(),
          k: r.kind,
          n: r.name,
          r: r.requests,
          e: r.errors,
        })),
      ),
      JSON.stringify(
        errors.map((r) => ({
          t: r.time.toISOString(),
          c: r.connection,
          me: r.method,
          p: r.path,
          s: r.status,
          st: r.scimType,
          d: r.detail,
          rid: r.requestId,
        })),
      ),
    );
  }

  /** The connections with requests since `since` (or only `only`), most errors first, then most requests. */
  async connections(since: Date, limit: number, only?: string): Promise<RequestLogConnection[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<
      (Omit<RequestLogConnection, 'requests' | 'errors'> & { requests: bigint; errors: bigint })[]
    >(
      `SELECT connection, (array_agg(kind ORDER BY minute DESC))[1] AS kind,
              (array_agg(name ORDER BY minute DESC))[1] AS name,
              sum(requests) AS requests, sum(errors) AS errors, max(minute) AS "lastSeen"
         FROM request_log_minutes WHERE minute >= $1 AND ($3::text IS NULL OR connection = $3)
        GROUP BY connection
        ORDER BY sum(errors) DESC, sum(requests) DESC, connection
        LIMIT $2::int`,
      since,
      limit,
      only ?? null,
    );
    return rows.map((r) => ({ ...r, requests: Number(r.requests), errors: Number(r.errors) }));
  }

  /** The per-minute rows of these connections since `since`, oldest first. */
  async minutes(connections: string[], since: Date): Promise<RequestLogMinuteRow[]> {
    if (!connections.length) {
      return [];
    }
    return this.prisma.client.$queryRawUnsafe<RequestLogMinuteRow[]>(
      `SELECT connection, kind, name, minute, requests, errors FROM request_log_minutes
        WHERE connection = ANY($1::text[]) AND minute >= $2 ORDER BY connection, minute`,
      connections,
      since,
    );
  }

  /**
   * The latest errors of each of these connections since `since` (at most `perConnection` each,
   * older than `before` when given), newest first: one index range per connection.
   */
  async recentErrors(
    connections: string[],
    since: Date,
    perConnection: number,
    before?: bigint,
  ): Promise<RequestLogErrorRecord[]> {
    if (!connections.length) {
      return [];
    }
    return this.prisma.client.$queryRawUnsafe<RequestLogErrorRecord[]>(
      `SELECT ${SELECT_ERROR} FROM unnest($1::text[]) AS c(name)
         CROSS JOIN LATERAL (
           SELECT * FROM request_log_errors e
            WHERE e.connection = c.name AND e.time >= $2 AND e.id < $4::bigint
            ORDER BY e.id DESC LIMIT $3::int) AS r
        ORDER BY id DESC`,
      connections,
      since,
      perConnection,
      before ?? 9223372036854775807n,
    );
  }

  /**
   * Deletes rows older than `before`, at most `batch` of each table (the oldest errors by id, the
   * oldest minutes by the minute index); returns how many. Short statements, no long locks.
   */
  async prune(before: Date, batch: number): Promise<number> {
    const errors = await this.prisma.client.$executeRawUnsafe(
      `DELETE FROM request_log_errors WHERE id IN (
         SELECT o.id FROM (SELECT id, time FROM request_log_errors ORDER BY id LIMIT $2::int) AS o WHERE o.time < $1)`,
      before,
      batch,
    );
    const minutes = await this.prisma.client.$executeRawUnsafe(
      `DELETE FROM request_log_minutes WHERE (connection, minute) IN (
         SELECT connection, minute FROM request_log_minutes WHERE minute < $1 ORDER BY minute LIMIT $2::int)`,
      before,
      batch,
    );
    return errors + minutes;
  }
}
