import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export interface WebhookSubscriptionRecord {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  format: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretUntil: Date | null;
  cursor: bigint;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  nextAttemptAt: Date;
  consecutiveFailures: number;
  failuresTotal: bigint;
  deliveriesTotal: bigint;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  disabledReason: string | null;
  disabledAt: Date | null;
  created: Date;
  updated: Date;
}

export type NewWebhookSubscription = Pick<
  WebhookSubscriptionRecord,
  'id' | 'url' | 'eventTypes' | 'description' | 'enabled' | 'format' | 'secretSealed' | 'cursor'
>;

export type WebhookSubscriptionChange = Partial<
  Pick<
    WebhookSubscriptionRecord,
    | 'url'
    | 'eventTypes'
    | 'description'
    | 'enabled'
    | 'secretSealed'
    | 'previousSecretSealed'
    | 'previousSecretUntil'
    | 'consecutiveFailures'
    | 'disabledReason'
    | 'disabledAt'
    | 'nextAttemptAt'
  >
>;

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveryRecord {
  id: bigint;
  subscriptionId: string;
  seq: bigint;
  eventType: string;
  messageId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  latencyMs: number | null;
  responseSnippet: string | null;
  created: Date;
  lastAttemptAt: Date;
  nextAttemptAt: Date | null;
}

/** One attempt to deliver one event, as the log keeps it. */
export interface WebhookAttempt {
  seq: bigint;
  eventType: string;
  messageId: string;
  status: WebhookDeliveryStatus;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseSnippet: string | null;
  /** When the next attempt is due (a failure), or null. */
  nextAttemptAt: Date | null;
}

type Db = PrismaService['client'] | Prisma.TransactionClient;

/**
 * Webhook subscriptions and their delivery log. The delivery engine's state lives in the
 * subscription row (cursor, lease, backoff, failure counters), so that any instance can take over.
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  count(): Promise<number> {
    return this.prisma.client.webhookSubscription.count();
  }

  insert(data: NewWebhookSubscription, db: Db = this.prisma.client): Promise<WebhookSubscriptionRecord> {
    return db.webhookSubscription.create({ data });
  }

  list(): Promise<WebhookSubscriptionRecord[]> {
    return this.prisma.client.webhookSubscription.findMany({ orderBy: [{ created: 'asc' }, { id: 'asc' }] });
  }

  async find(id: string, db: Db = this.prisma.client): Promise<WebhookSubscriptionRecord | undefined> {
    return (await db.webhookSubscription.findUnique({ where: { id } })) ?? undefined;
  }

  /** Locks the row for a change (FOR UPDATE), inside the caller's transaction. */
  async lock(tx: Prisma.TransactionClient, id: string): Promise<boolean> {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM webhook_subscriptions WHERE id = $1::uuid FOR UPDATE`,
      id,
    );
    return rows.length === 1;
  }

  update(
    tx: Prisma.TransactionClient,
    id: string,
    data: WebhookSubscriptionChange,
  ): Promise<WebhookSubscriptionRecord> {
    return tx.webhookSubscription.update({ where: { id }, data: { ...data, updated: new Date() } });
  }

  async delete(tx: Prisma.TransactionClient, id: string): Promise<boolean> {
    return (await tx.webhookSubscription.deleteMany({ where: { id } })).count === 1;
  }

  /** The last feed position handed out (0 before the first event). */
  async head(db: Db = this.prisma.client): Promise<bigint> {
    const rows = await db.$queryRawUnsafe<{ head: bigint | string | number }[]>(
      `SELECT coalesce(max(seq), 0)::text AS head FROM events WHERE seq IS NOT NULL`,
    );
    return BigInt(rows[0]?.head ?? 0);
  }

  async anyEnabled(): Promise<boolean> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ any: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled) AS any`,
    );
    return rows[0]?.any === true;
  }

  /**
   * Claims up to `limit` subscriptions that have work: enabled, due (past their backoff), behind
   * the feed's head, and not leased by a live worker (a lease past its time is free again: its
   * owner died or stalled). `FOR UPDATE SKIP LOCKED` lets instances claiming at the same moment
   * take different rows instead of queueing on one; the lease then keeps the row theirs.
   */
  async claim(owner: string, leaseSeconds: number, limit: number): Promise<WebhookSubscriptionRecord[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE webhook_subscriptions s
         SET lease_owner = $1, lease_until = clock_timestamp() + make_interval(secs => $2::double precision)
       FROM (SELECT id FROM webhook_subscriptions
             WHERE enabled AND next_attempt_at <= clock_timestamp()
               AND (lease_until IS NULL OR lease_until < clock_timestamp())
               AND cursor < (SELECT coalesce(max(seq), 0) FROM events WHERE seq IS NOT NULL)
             ORDER BY next_attempt_at
             LIMIT $3::int
             FOR UPDATE SKIP LOCKED) AS c
       WHERE s.id = c.id
       RETURNING s.id::text AS id`,
      owner,
      leaseSeconds,
      limit,
    );
    if (!rows.length) {
      return [];
    }
    return this.prisma.client.webhookSubscription.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  }

  /**
   * Moves the cursor past events the subscription does not want, and extends the lease; false
   * when the lease is no longer this owner's (another worker took over, or a replay reset it) or
   * the subscription was disabled meanwhile: the worker stops there.
   */
  async advance(id: string, owner: string, seq: bigint, leaseSeconds: number): Promise<boolean> {
    const count = await this.prisma.client.$executeRawUnsafe(
      `UPDATE webhook_subscriptions
         SET cursor = GREATEST(cursor, $3::bigint),
             lease_until = clock_timestamp() + make_interval(secs => $4::double precision)
       WHERE id = $1::uuid AND lease_owner = $2 AND lease_until > clock_timestamp() AND enabled`,
      id,
      owner,
      seq,
      leaseSeconds,
    );
    return count === 1;
  }

  /** Logs one attempt: a new row for the event, or the next attempt of its open (pending) row. Returns the attempts so far. */
  async logAttempt(tx: Prisma.TransactionClient, subscriptionId: string, attempt: WebhookAttempt): Promise<number> {
    // The open row of the event if there is one (an update can take it out of the partial unique
    // index, which ON CONFLICT cannot), else a new row.
    const rows = await tx.$queryRawUnsafe<{ attempts: number }[]>(
      `WITH updated AS (
         UPDATE webhook_deliveries SET status = $5, attempts = attempts + 1, last_status_code = $6::int,
           last_error = $7, latency_ms = $8::int, response_snippet = $9, last_attempt_at = clock_timestamp(),
           next_attempt_at = $10::timestamptz
         WHERE subscription_id = $1::uuid AND seq = $2::bigint AND status = 'pending'
         RETURNING attempts),
       inserted AS (
         INSERT INTO webhook_deliveries (subscription_id, seq, event_type, message_id, status, attempts,
           last_status_code, last_error, latency_ms, response_snippet, last_attempt_at, next_attempt_at)
         SELECT $1::uuid, $2::bigint, $3, $4, $5, 1, $6::int, $7, $8::int, $9, clock_timestamp(), $10::timestamptz
         WHERE NOT EXISTS (SELECT 1 FROM updated)
         RETURNING attempts)
       SELECT attempts FROM updated UNION ALL SELECT attempts FROM inserted`,
      subscriptionId,
      attempt.seq,
      attempt.eventType,
      attempt.messageId,
      attempt.status,
      attempt.statusCode,
      attempt.error,
      attempt.latencyMs,
      attempt.responseSnippet,
      attempt.nextAttemptAt,
    );
    return Number(rows[0]?.attempts ?? 1);
  }

  /** After a delivered event: the cursor moves past it, failures reset, the lease is extended. False: no longer the owner. */
  async succeeded(
    tx: Prisma.TransactionClient,
    id: string,
    owner: string,
    seq: bigint,
    leaseSeconds: number,
  ): Promise<boolean> {
    const count = await tx.$executeRawUnsafe(
      `UPDATE webhook_subscriptions
         SET cursor = GREATEST(cursor, $3::bigint), consecutive_failures = 0, deliveries_total = deliveries_total + 1,
             last_success_at = clock_timestamp(), next_attempt_at = clock_timestamp(),
             lease_until = clock_timestamp() + make_interval(secs => $4::double precision)
       WHERE id = $1::uuid AND lease_owner = $2 AND lease_until > clock_timestamp() AND enabled`,
      id,
      owner,
      seq,
      leaseSeconds,
    );
    return count === 1;
  }

  /**
   * After a failed attempt: counted, backed off until `next`, and released (the next attempt may
   * come from any instance). Returns the consecutive failures, or undefined when no longer the owner.
   */
  async failed(tx: Prisma.TransactionClient, id: string, owner: string, next: Date): Promise<number | undefined> {
    const rows = await tx.$queryRawUnsafe<{ failures: number }[]>(
      `UPDATE webhook_subscriptions
         SET consecutive_failures = consecutive_failures + 1, failures_total = failures_total + 1,
             last_failure_at = clock_timestamp(), next_attempt_at = $3::timestamptz, lease_owner = NULL, lease_until = NULL
       WHERE id = $1::uuid AND lease_owner = $2 AND lease_until > clock_timestamp()
       RETURNING consecutive_failures AS failures`,
      id,
      owner,
      next,
    );
    return rows.length ? Number(rows[0].failures) : undefined;
  }

  /** Disables a subscription (too many failures), and closes its open deliveries as failed. */
  async disable(tx: Prisma.TransactionClient, id: string, reason: string): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE webhook_subscriptions SET enabled = false, disabled_reason = $2, disabled_at = clock_timestamp(),
         updated = clock_timestamp(), lease_owner = NULL, lease_until = NULL
       WHERE id = $1::uuid`,
      id,
      reason,
    );
    await this.closePending(tx, id);
  }

  /** Open deliveries become failed (given up), those before `beforeSeq` only when given. */
  async closePending(tx: Prisma.TransactionClient, id: string, beforeSeq?: bigint): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL
       WHERE subscription_id = $1::uuid AND status = 'pending' ${beforeSeq === undefined ? '' : 'AND seq < $2::bigint'}`,
      id,
      ...(beforeSeq === undefined ? [] : [beforeSeq]),
    );
  }

  /** Delivery starts again after `cursor` at once; whoever held the lease loses it. */
  async rewind(tx: Prisma.TransactionClient, id: string, cursor: bigint): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE webhook_subscriptions SET cursor = $2::bigint, next_attempt_at = clock_timestamp(), lease_owner = NULL,
         lease_until = NULL, updated = clock_timestamp()
       WHERE id = $1::uuid`,
      id,
      cursor,
    );
  }

  /** Ends this owner's leases (a clean shutdown), so another instance need not wait for them to expire. */
  async release(owner: string, id?: string): Promise<void> {
    await this.prisma.client.$executeRawUnsafe(
      `UPDATE webhook_subscriptions SET lease_owner = NULL, lease_until = NULL
       WHERE lease_owner = $1 ${id === undefined ? '' : 'AND id = $2::uuid'}`,
      owner,
      ...(id === undefined ? [] : [id]),
    );
  }

  /** A subscription's log, newest first, keyset-paged by id. */
  deliveries(
    subscriptionId: string,
    query: { before?: bigint; limit: number; status?: WebhookDeliveryStatus },
  ): Promise<WebhookDeliveryRecord[]> {
    return this.prisma.client.webhookDelivery.findMany({
      where: {
        subscriptionId,
        ...(query.before !== undefined ? { id: { lt: query.before } } : {}),
        ...(query.status ? { status: query.status } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
  }

  /**
   * Deletes log rows last attempted before `before` among the oldest `batch` (by id), through
   * the primary key; returns how many. Short statements, no long locks (like events' pruning).
   */
  prune(before: Date, batch: number): Promise<number> {
    return this.prisma.client.$executeRawUnsafe(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT o.id FROM (SELECT id, last_attempt_at, status FROM webhook_deliveries ORDER BY id LIMIT $2::int) AS o
         WHERE o.last_attempt_at < $1 AND o.status <> 'pending')`,
      before,
      batch,
    );
  }
}
