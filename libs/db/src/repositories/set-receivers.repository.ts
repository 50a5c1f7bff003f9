import { Injectable } from '@nestjs/common';
import type { ChangeEventInput } from '@roster/scim';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

/** A receiver of SCIM security events (table `set_receivers`). */
export interface SetReceiverRecord {
  id: string;
  name: string;
  audience: string;
  events: string[];
  delivery: string;
  tokenHash: string;
  enabled: boolean;
  /** Every feed position up to here is acknowledged, or not one of this receiver's events. */
  ackedThrough: bigint;
  created: Date;
  lastPollAt: Date | null;
}

export type NewSetReceiver = Pick<SetReceiverRecord, 'id' | 'name' | 'audience' | 'events' | 'delivery' | 'tokenHash'>;

/** An event as a SET is made from it: what the mapping takes (libs/scim), with its transaction always known. */
export type SetEventRow = ChangeEventInput & { xid: string };

export interface SetErrorRecord {
  jti: string;
  err: string;
  description: string | null;
  time: Date;
}

/** Errors kept per receiver (the latest). */
const KEPT_ERRORS = 100;

const SELECT_RECEIVER = `id, name, audience, events, delivery, token_hash AS "tokenHash", enabled,
  acked_through AS "ackedThrough", created, last_poll_at AS "lastPollAt"`;

function receiver(row: SetReceiverRecord): SetReceiverRecord {
  return { ...row, ackedThrough: BigInt(row.ackedThrough) };
}

/**
 * SET receivers and their poll state. The feed itself is the events table (the outbox): a
 * receiver's SETs are the positioned events of its types above `acked_through` that set_acks does
 * not name, read through the feed's `seq` index within a bounded window of positions.
 */
@Injectable()
export class SetReceiversRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The newest feed position now (0 when the feed is empty): where a new receiver starts. */
  async head(db: Prisma.TransactionClient | PrismaService['client'] = this.prisma.client): Promise<bigint> {
    const rows = await db.$queryRawUnsafe<{ seq: bigint | string }[]>(
      `SELECT coalesce(max(seq), 0) AS seq FROM events WHERE seq IS NOT NULL`,
    );
    return BigInt(rows[0]?.seq ?? 0);
  }

  async insert(row: NewSetReceiver, ackedThrough: bigint): Promise<SetReceiverRecord> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetReceiverRecord[]>(
      `INSERT INTO set_receivers (id, name, audience, events, delivery, token_hash, acked_through)
       VALUES ($1::uuid, $2, $3, $4::text[], $5, $6, $7::bigint) RETURNING ${SELECT_RECEIVER}`,
      row.id,
      row.name,
      row.audience,
      row.events,
      row.delivery,
      row.tokenHash,
      ackedThrough,
    );
    return receiver(rows[0]);
  }

  async list(): Promise<SetReceiverRecord[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetReceiverRecord[]>(
      `SELECT ${SELECT_RECEIVER} FROM set_receivers ORDER BY created, id`,
    );
    return rows.map(receiver);
  }

  async find(id: string): Promise<SetReceiverRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetReceiverRecord[]>(
      `SELECT ${SELECT_RECEIVER} FROM set_receivers WHERE id = $1::uuid`,
      id,
    );
    return rows[0] ? receiver(rows[0]) : undefined;
  }

  /** By the poll token's hash: the plain token never reaches the database. */
  async findByTokenHash(tokenHash: string): Promise<SetReceiverRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetReceiverRecord[]>(
      `SELECT ${SELECT_RECEIVER} FROM set_receivers WHERE token_hash = $1`,
      tokenHash,
    );
    return rows[0] ? receiver(rows[0]) : undefined;
  }

  async update(
    id: string,
    changes: { name?: string; audience?: string; events?: string[]; enabled?: boolean; tokenHash?: string },
  ): Promise<SetReceiverRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetReceiverRecord[]>(
      `UPDATE set_receivers SET name = coalesce($2, name), audience = coalesce($3, audience),
         events = coalesce($4::text[], events), enabled = coalesce($5::boolean, enabled),
         token_hash = coalesce($6, token_hash)
       WHERE id = $1::uuid RETURNING ${SELECT_RECEIVER}`,
      id,
      changes.name ?? null,
      changes.audience ?? null,
      changes.events ?? null,
      changes.enabled ?? null,
      changes.tokenHash ?? null,
    );
    return rows[0] ? receiver(rows[0]) : undefined;
  }

  /** Deletes a receiver with its acknowledgements and errors (cascading keys); whether it existed. */
  async delete(id: string): Promise<boolean> {
    return (await this.prisma.client.$executeRawUnsafe(`DELETE FROM set_receivers WHERE id = $1::uuid`, id)) === 1;
  }

  /**
   * One poll's acknowledgements, in one transaction with the receiver's row locked (two polls of
   * one receiver apply theirs one after the other): records the acknowledged positions that are
   * events of the receiver's types above its cursor (anything else is ignored: an acknowledgement
   * cannot move the cursor past events it never saw), stores reported errors (the latest
   * KEPT_ERRORS), then moves `acked_through` up to just before the first event of its types in
   * the window that is still unacknowledged, or to the window's end (bounded by the feed's head)
   * when there is none, and forgets acknowledgements at or below it. Returns the new cursor, or
   * undefined when the receiver is gone.
   */
  async acknowledge(
    id: string,
    types: string[],
    window: number,
    acks: bigint[],
    errors: { jti: string; seq: bigint; err: string; description: string | null }[],
  ): Promise<{ ackedThrough: bigint; accepted: number } | undefined> {
    return this.prisma.transaction(async (tx) => {
      const locked = await tx.$queryRawUnsafe<{ ackedThrough: bigint | string }[]>(
        `SELECT acked_through AS "ackedThrough" FROM set_receivers WHERE id = $1::uuid FOR NO KEY UPDATE`,
        id,
      );
      if (!locked[0]) {
        return undefined;
      }
      const cursor = BigInt(locked[0].ackedThrough);
      const positions = [...new Set([...acks, ...errors.map((e) => e.seq)])].filter((seq) => seq > cursor);
      let accepted = 0;
      if (positions.length) {
        accepted = await tx.$executeRawUnsafe(
          `INSERT INTO set_acks (receiver_id, seq)
           SELECT $1::uuid, e.seq FROM events e
           WHERE e.seq = ANY($2::bigint[]) AND e.seq > $3::bigint AND e.type = ANY($4::text[])
           ON CONFLICT DO NOTHING`,
          id,
          positions.map(String),
          cursor,
          types,
        );
      }
      if (errors.length) {
        await tx.$executeRawUnsafe(
          `INSERT INTO set_errors (receiver_id, jti, err, description)
           SELECT $1::uuid, x.jti, x.err, x.description
           FROM jsonb_to_recordset($2::jsonb) AS x(jti text, err text, description text)`,
          id,
          JSON.stringify(errors.map((e) => ({ jti: e.jti, err: e.err, description: e.description }))),
        );
        await tx.$executeRawUnsafe(
          `DELETE FROM set_errors WHERE receiver_id = $1::uuid AND id < (
             SELECT min(id) FROM (SELECT id FROM set_errors WHERE receiver_id = $1::uuid
                                  ORDER BY id DESC LIMIT ${KEPT_ERRORS}) AS kept)`,
          id,
        );
      }
      const moved = await tx.$queryRawUnsafe<{ ackedThrough: bigint | string }[]>(
        `UPDATE set_receivers r SET acked_through = GREATEST(r.acked_through, coalesce(
           (SELECT e.seq - 1 FROM events e
            WHERE e.seq IS NOT NULL AND e.seq > $2::bigint AND e.seq <= $2::bigint + $4::bigint
              AND e.type = ANY($3::text[])
              AND NOT EXISTS (SELECT 1 FROM set_acks a WHERE a.receiver_id = r.id AND a.seq = e.seq)
            ORDER BY e.seq LIMIT 1),
           LEAST($2::bigint + $4::bigint, (SELECT coalesce(max(seq), 0) FROM events WHERE seq IS NOT NULL))))
         WHERE r.id = $1::uuid RETURNING acked_through AS "ackedThrough"`,
        id,
        cursor,
        types,
        window,
      );
      const ackedThrough = BigInt(moved[0].ackedThrough);
      if (ackedThrough > cursor) {
        await tx.$executeRawUnsafe(
          `DELETE FROM set_acks WHERE receiver_id = $1::uuid AND seq <= $2::bigint`,
          id,
          ackedThrough,
        );
      }
      return { ackedThrough, accepted };
    });
  }

  /**
   * The receiver's unacknowledged events, oldest first: positions in (cursor, cursor + window] of
   * its types that set_acks does not name, at most `limit`.
   */
  async pending(id: string, cursor: bigint, types: string[], window: number, limit: number): Promise<SetEventRow[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<SetEventRow[]>(
      `SELECT e.seq, e.time, e.type, e.resource_type AS "resourceType", e.resource_id AS "resourceId", e.version,
         e.changes, e.request_id AS "requestId", e.xid::text AS xid
       FROM events e
       WHERE e.seq IS NOT NULL AND e.seq > $2::bigint AND e.seq <= $2::bigint + $4::bigint AND e.type = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM set_acks a WHERE a.receiver_id = $1::uuid AND a.seq = e.seq)
       ORDER BY e.seq LIMIT $5::int`,
      id,
      cursor,
      types,
      window,
      limit,
    );
    return rows.map((r) => ({ ...r, seq: BigInt(r.seq) }));
  }

  /** Records a poll, at most once a minute per receiver (no write per long-poll round). */
  async touch(id: string, now: Date): Promise<void> {
    await this.prisma.client.$executeRawUnsafe(
      `UPDATE set_receivers SET last_poll_at = $2
       WHERE id = $1::uuid AND (last_poll_at IS NULL OR last_poll_at < $2 - interval '1 minute')`,
      id,
      now,
    );
  }

  /** How many acknowledgements wait above the cursor, and the latest reported errors. */
  async state(id: string): Promise<{ acksAhead: number; errors: SetErrorRecord[] }> {
    const [count] = await this.prisma.client.$queryRawUnsafe<{ n: number | bigint }[]>(
      `SELECT count(*)::int AS n FROM set_acks WHERE receiver_id = $1::uuid`,
      id,
    );
    const errors = await this.prisma.client.$queryRawUnsafe<SetErrorRecord[]>(
      `SELECT jti, err, description, time FROM set_errors WHERE receiver_id = $1::uuid ORDER BY id DESC LIMIT 20`,
      id,
    );
    return { acksAhead: Number(count?.n ?? 0), errors };
  }
}
