import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

/** One change as written to the `events` table (the outbox). */
export interface EventRow {
  type: string;
  resourceType: string;
  resourceId: string;
  version: number | null;
  changes: unknown[];
  detail: Record<string, unknown> | null;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

/** Who made a change: written once per statement for a batch of events. */
export interface EventActorRow {
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

export interface EventRecord extends EventRow {
  seq: bigint;
  time: Date;
}

export interface EventQuery {
  /** Events after this sequence number. */
  after: bigint;
  limit: number;
  types?: string[];
  resourceId?: string;
  /** Matches the actor's id or name. */
  actor?: string;
  since?: Date;
  until?: Date;
  /** Newest first (a resource's history); the feed is oldest first. */
  descending?: boolean;
}

/**
 * The key of the advisory lock one sequencer at a time holds while it hands out feed positions.
 * Writers never take it: they insert their rows without a position, at the cost of an INSERT.
 */
const SEQUENCER_LOCK = 7240311525;
/** Rows one sequencing statement positions at most. */
const SEQUENCE_BATCH = 10_000;

type Db = PrismaService['client'] | Prisma.TransactionClient;

const SELECT_EVENT = `seq, time, type, resource_type AS "resourceType", resource_id AS "resourceId", version, changes,
  detail, actor_kind AS "actorKind", actor_id AS "actorId", actor_name AS "actorName", request_id AS "requestId",
  client_address AS "clientAddress", user_agent AS "userAgent"`;

@Injectable()
export class EventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends events inside the caller's transaction with one multi-row INSERT. The rows get their
   * transaction's id (column default) and no feed position yet: `sequence` gives them one once
   * their transaction, and every older one, has ended.
   */
  async append(tx: Prisma.TransactionClient, rows: EventRow[]): Promise<void> {
    if (!rows.length) {
      return;
    }
    await tx.$executeRawUnsafe(eventsInsertSql('$1'), eventsJson(rows));
  }

  /**
   * The `user.created` events of users just inserted in the caller's transaction (Bulk's batched
   * creations), in one INSERT … SELECT from their rows: the event's `changes` column takes the
   * stored document as it is (plus a `password` key, valueless, when the user has one), instead of
   * the document sent a second time as changes built in JavaScript. Reading turns that document
   * into the usual list of changes (`list`). The actor is one set of parameters for the batch.
   */
  async appendUsersCreated(
    tx: Prisma.TransactionClient,
    users: { id: string; password: boolean }[],
    actor: EventActorRow,
  ): Promise<void> {
    if (!users.length) {
      return;
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO events (time, type, resource_type, resource_id, version, changes, actor_kind, actor_id, actor_name,
         request_id, client_address, user_agent)
       SELECT clock_timestamp(), 'user.created', 'User', u.id::text, u.version,
         CASE WHEN x.password THEN u.doc || '{"password": null}'::jsonb ELSE u.doc END, $3, $4, $5, $6, $7, $8
       FROM unnest($1::uuid[], $2::boolean[]) WITH ORDINALITY AS x(id, password, ord)
       JOIN users u ON u.id = x.id
       ORDER BY x.ord`,
      users.map((u) => u.id),
      users.map((u) => u.password),
      actor.actorKind,
      actor.actorId,
      actor.actorName,
      actor.requestId,
      actor.clientAddress,
      actor.userAgent,
    );
  }

  /**
   * Gives feed positions to the rows of finished transactions: those whose transaction id is below
   * the oldest running transaction's (`pg_snapshot_xmin`), in (xid, id) order, from one sequence,
   * under an advisory lock (another caller already sequencing: nothing to do). A row still
   * invisible now belongs to a transaction at or above that horizon, so it can only get a position
   * above every position handed out now: a reader following positions never skips one.
   * Returns how many rows were positioned.
   */
  async sequence(): Promise<number> {
    return this.prisma.transaction(async (tx) => {
      const [lock] = await tx.$queryRawUnsafe<{ ok: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) AS ok`,
      );
      if (!lock?.ok) {
        return 0;
      }
      return tx.$executeRawUnsafe(
        `UPDATE events e SET seq = s.seq
         FROM (SELECT p.id, nextval('events_feed_seq') AS seq
               FROM (SELECT id FROM events WHERE seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
                     ORDER BY xid, id LIMIT ${SEQUENCE_BATCH}) AS p) AS s
         WHERE e.id = s.id`,
      );
    });
  }

  /** Whether committed rows are still waiting for a position (an older transaction is still running). */
  async hasPending(): Promise<boolean> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ pending: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL) AS pending`,
    );
    return rows[0]?.pending === true;
  }

  async list(query: EventQuery, db: Db = this.prisma.client): Promise<EventRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [query.descending ? `seq < ${param(query.after)}::bigint` : `seq > ${param(query.after)}::bigint`];
    if (query.types?.length) {
      where.push(`type = ANY(${param(query.types)}::text[])`);
    }
    if (query.resourceId !== undefined) {
      where.push(`resource_id = ${param(query.resourceId)}`);
    }
    if (query.actor !== undefined) {
      const p = param(query.actor);
      where.push(`(actor_id = ${p} OR actor_name = ${p})`);
    }
    if (query.since) {
      where.push(`time >= ${param(query.since)}`);
    }
    if (query.until) {
      where.push(`time < ${param(query.until)}`);
    }
    const rows = await db.$queryRawUnsafe<EventRecord[]>(
      `SELECT ${SELECT_EVENT} FROM events WHERE seq IS NOT NULL AND ${where.join(' AND ')}
       ORDER BY seq ${query.descending ? 'DESC' : 'ASC'} LIMIT ${param(query.limit)}::int`,
      ...params,
    );
    return rows.map((r) => ({ ...r, seq: BigInt(r.seq), changes: changeList(r.changes) }));
  }

  /**
   * Deletes the events older than `before` among the oldest `batch` (by id, which follows time),
   * through the primary key; returns how many. Short statements, no long locks.
   */
  async prune(before: Date, batch: number): Promise<number> {
    return this.prisma.client.$executeRawUnsafe(
      `DELETE FROM events WHERE id IN (
         SELECT o.id FROM (SELECT id, time FROM events ORDER BY id LIMIT $2::int) AS o WHERE o.time < $1)`,
      before,
      batch,
    );
  }

  async userRevokedAt(userId: string): Promise<Date | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ revokedAt: Date }[]>(
      `SELECT revoked_at AS "revokedAt" FROM user_revocations WHERE user_id = $1::uuid`,
      userId,
    );
    return rows[0]?.revokedAt;
  }
}

/**
 * Records, in the transaction that deactivates or deletes a user, that access tokens issued to the
 * user before `at` are no longer good (checked by the access-token strategy, cached briefly).
 */
export async function recordUserRevocation(tx: Prisma.TransactionClient, userId: string, at: Date): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO user_revocations (user_id, revoked_at) VALUES ($1::uuid, $2)
     ON CONFLICT (user_id) DO UPDATE SET revoked_at = GREATEST(user_revocations.revoked_at, excluded.revoked_at)`,
    userId,
    at,
  );
}

/**
 * The changes of a stored event: the list itself, or, for a creation stored as its document
 * (`appendUsersCreated`), the document's attributes as a list: top-level attributes by name,
 * extension attributes as `urn:…:attribute`, a password by name only, last.
 */
export function changeList(stored: unknown): unknown[] {
  if (Array.isArray(stored)) {
    return stored;
  }
  if (typeof stored !== 'object' || stored === null) {
    return [];
  }
  const changes: { path: string; value?: unknown }[] = [];
  let password = false;
  for (const [key, value] of Object.entries(stored as Record<string, unknown>)) {
    if (key === 'password') {
      password = true;
    } else if (key.startsWith('urn:') && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
        changes.push({ path: `${key}:${name}`, value: inner });
      }
    } else {
      changes.push({ path: key, value });
    }
  }
  if (password) {
    changes.push({ path: 'password' });
  }
  return changes;
}

/**
 * The INSERT of event rows passed as one JSON array parameter (`param`, see eventsJson), in their
 * order; with `from`, one copy per row of that relation (a write's `RETURNING` CTE: the events exist
 * exactly when the write did, in the same statement).
 */
export function eventsInsertSql(param: string, from?: string): string {
  return `INSERT INTO events (time, type, resource_type, resource_id, version, changes, detail, actor_kind, actor_id,
         actor_name, request_id, client_address, user_agent)
       SELECT clock_timestamp(), e->>'type', e->>'resource_type', e->>'resource_id', (e->>'version')::int,
         coalesce(e->'changes', '[]'::jsonb), nullif(e->'detail', 'null'::jsonb), e->>'actor_kind', e->>'actor_id',
         e->>'actor_name', e->>'request_id', e->>'client_address', e->>'user_agent'
       FROM ${from ? `${from}, ` : ''}jsonb_array_elements(${param}::jsonb) WITH ORDINALITY AS x(e, ord)
       ORDER BY x.ord`;
}

export function eventsJson(rows: EventRow[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      type: r.type,
      resource_type: r.resourceType,
      resource_id: r.resourceId,
      version: r.version,
      changes: r.changes,
      detail: r.detail,
      actor_kind: r.actorKind,
      actor_id: r.actorId,
      actor_name: r.actorName,
      request_id: r.requestId,
      client_address: r.clientAddress,
      user_agent: r.userAgent,
    })),
  );
}
