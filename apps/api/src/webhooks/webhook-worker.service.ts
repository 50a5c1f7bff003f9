import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  EventRecord,
  EventsRepository,
  PrismaService,
  WebhookSubscriptionRecord,
  WebhooksRepository,
} from '@roster/db';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config';
import { EventsService } from '../events/events.service';
import { versionInfo } from '../ops/version';
import { send, SendResult } from './delivery-http';
import { DeliveryEncoder, messageId, StandardWebhooksEncoder } from './encoders';
import { SecurityEventPushEncoder } from './secevent-encoder';
import { SetEncoder } from '../events/sets/set-encoder.service';
import { WebhooksService } from './webhooks.service';

/** Events one claim delivers at most before the subscription goes back to the pool (fairness). */
const MAX_EVENTS_PER_CLAIM = 200;
/** Events read from the feed at a time. */
const PAGE = 100;
/** How often an instance without enabled subscriptions looks again (one cheap query). */
const IDLE_CHECK_MS = 30_000;

/**
 * The delay before attempt n + 1 after n consecutive failures: base * 2^(n-1), at most max,
 * with "equal jitter" (between half and all of it), so that receivers coming back are not hit
 * by every subscription at the same instant.
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * The delivery engine, in every instance (WEBHOOKS_WORKER). Each poll positions pending events
 * (the feed's sequencer), then claims due subscriptions that are behind the feed with
 * `FOR UPDATE SKIP LOCKED` and a lease of WEBHOOKS_LEASE_SECONDS, and delivers each one's events
 * after its cursor, one POST per event, in feed order. A success moves the cursor and extends the
 * lease; a failure backs the subscription off (exponential, with jitter) and releases it; after
 * WEBHOOKS_MAX_FAILURES in a row it is disabled. A dead instance's leases simply expire: the next
 * claim after that, on any instance, delivers again from the cursor, so an event is delivered at
 * least once and never skipped.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly encoders = new Map<string, DeliveryEncoder>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly userAgent = `Roster-Webhooks/${versionInfo().version}`;
  private loop?: Promise<void>;
  private stopped = false;
  private active = false;
  private lastEnabledCheck = 0;
  private wakeUp?: () => void;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly eventsRepository: EventsRepository,
    private readonly events: EventsService,
    private readonly webhooks: WebhooksService,
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    setEncoder: SetEncoder,
  ) {
    this.register(new StandardWebhooksEncoder(`${config.publicUrl}/v2`));
    this.register(new SecurityEventPushEncoder(setEncoder));
  }

  /** A delivery format (the seam for SET push, RFC 8935). */
  register(encoder: DeliveryEncoder): void {
    this.encoders.set(encoder.format, encoder);
  }

  /** The lease owner this instance writes (for tests and logs). */
  get id(): string {
    return this.owner;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.webhooks.worker) {
      return;
    }
    this.webhooks.onChange(() => this.wake(true));
    try {
      this.active = await this.repository.anyEnabled();
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'Could not look for webhook subscriptions; trying again later.');
    }
    this.lastEnabledCheck = Date.now();
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    if (this.loop) {
      // What this instance held is free at once, rather than after the lease: nothing was lost,
      // the cursors stand where the last acknowledged delivery left them.
      await this.repository.release(this.owner).catch(() => undefined);
    }
  }

  /** Looks for work now (a subscription was created, enabled or replayed through this instance). */
  wake(active = false): void {
    if (active) {
      this.active = true;
    }
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    const { pollIntervalMs, concurrency, leaseSeconds } = this.config.webhooks;
    while (!this.stopped) {
      try {
        if (!this.active) {
          if (Date.now() - this.lastEnabledCheck >= IDLE_CHECK_MS) {
            this.lastEnabledCheck = Date.now();
            this.active = await this.repository.anyEnabled();
          }
          if (!this.active) {
            await this.sleep(Math.max(0, IDLE_CHECK_MS - (Date.now() - this.lastEnabledCheck)));
            continue;
          }
        }
        const free = concurrency - this.inFlight.size;
        if (free > 0) {
          await this.eventsRepository.sequence();
          const claimed = await this.repository.claim(this.owner, leaseSeconds, free);
          for (const subscription of claimed) {
            const task: Promise<void> = this.deliver(subscription)
              .catch((error: unknown) => {
                this.logger.warn({ err: String(error), subscription: subscription.id }, 'Webhook delivery failed.');
                return this.repository.release(this.owner, subscription.id).catch(() => undefined);
              })
              .finally(() => {
                this.inFlight.delete(task);
                this.wakeUp?.();
              });
            this.inFlight.add(task);
          }
          if (!claimed.length && !this.inFlight.size && Date.now() - this.lastEnabledCheck >= IDLE_CHECK_MS) {
            this.lastEnabledCheck = Date.now();
            this.active = await this.repository.anyEnabled();
          }
        }
      } catch (error) {
        this.logger.warn({ err: String(error) }, 'Webhook worker: could not claim work; trying again.');
      }
      await this.sleep(pollIntervalMs);
    }
  }

  /** Delivers a claimed subscription's events after its cursor, in order, until a failure, the end or the per-claim bound. */
  private async deliver(subscription: WebhookSubscriptionRecord): Promise<void> {
    const { leaseSeconds } = this.config.webhooks;
    const encoder = this.encoders.get(subscription.format);
    let cursor = subscription.cursor;
    let skipped: bigint | undefined;
    let delivered = 0;
    let secrets: string[];
    try {
      secrets = this.webhooks.secretsOf(subscription);
    } catch (error) {
      await this.fail(subscription, undefined, `The signing secret cannot be opened: ${String(error)}`);
      return;
    }
    while (!this.stopped && delivered < MAX_EVENTS_PER_CLAIM) {
      const page = await this.eventsRepository.list({ after: cursor, limit: PAGE });
      if (!page.length) {
        break;
      }
      for (const event of page) {
        if (this.stopped || delivered >= MAX_EVENTS_PER_CLAIM) {
          break;
        }
        cursor = event.seq;
        if (
          (subscription.eventTypes.length && !subscription.eventTypes.includes(event.type)) ||
          (encoder?.accepts && !encoder.accepts(event, { id: subscription.id, url: subscription.url, secrets }))
        ) {
          skipped = event.seq;
          continue;
        }
        if (skipped !== undefined) {
          if (!(await this.repository.advance(subscription.id, this.owner, skipped, leaseSeconds))) {
            return;
          }
          skipped = undefined;
        }
        if (!encoder) {
          await this.fail(subscription, event, `Unknown delivery format ${subscription.format}.`);
          return;
        }
        const encoded = await encoder.encode(
          event,
          { id: subscription.id, url: subscription.url, secrets },
          new Date(),
        );
        const result = await send(subscription.url, encoded, {
          policy: this.webhooks.targetPolicy,
          timeoutMs: this.config.webhooks.timeoutMs,
          connectTimeoutMs: this.config.webhooks.connectTimeoutMs,
          userAgent: this.userAgent,
          signal: this.abort.signal,
        });
        if (this.stopped && result.statusCode === null) {
          // Abandoned by the shutdown: not the receiver's failure; the event is delivered again later.
          return;
        }
        const ok = result.statusCode !== null && encoder.isSuccess(result.statusCode);
        if (!ok) {
          await this.fail(subscription, event, describeFailure(result), result);
          return;
        }
        const owned = await this.prisma.transaction(async (tx) => {
          await this.repository.logAttempt(tx, subscription.id, {
            seq: event.seq,
            eventType: event.type,
            messageId: messageId(event),
            status: 'succeeded',
            statusCode: result.statusCode,
            error: null,
            latencyMs: result.latencyMs,
            responseSnippet: result.snippet,
            nextAttemptAt: null,
          });
          return this.repository.succeeded(tx, subscription.id, this.owner, event.seq, leaseSeconds);
        });
        if (!owned) {
          return;
        }
        delivered++;
      }
    }
    if (skipped !== undefined && !(await this.repository.advance(subscription.id, this.owner, skipped, leaseSeconds))) {
      return;
    }
    await this.repository.release(this.owner, subscription.id);
  }

  /** A failed attempt: logged, counted, backed off; past WEBHOOKS_MAX_FAILURES in a row, the subscription is disabled. */
  private async fail(
    subscription: WebhookSubscriptionRecord,
    event: EventRecord | undefined,
    error: string,
    result?: SendResult,
  ): Promise<void> {
    const { retryBaseMs, retryMaxMs, maxFailures } = this.config.webhooks;
    const failures = subscription.consecutiveFailures + 1;
    const next = new Date(Date.now() + backoffMs(failures, retryBaseMs, retryMaxMs));
    const disabled = await this.prisma.transaction(async (tx) => {
      if (event) {
        await this.repository.logAttempt(tx, subscription.id, {
          seq: event.seq,
          eventType: event.type,
          messageId: messageId(event),
          status: 'pending',
          statusCode: result?.statusCode ?? null,
          error,
          latencyMs: result?.latencyMs ?? 0,
          responseSnippet: result?.snippet ?? null,
          nextAttemptAt: next,
        });
      }
      const count = await this.repository.failed(tx, subscription.id, this.owner, next);
      if (count === undefined || count < maxFailures) {
        return undefined;
      }
      const reason = `Disabled after ${count} consecutive failed deliveries; the last: ${error}`.slice(0, 600);
      await this.repository.disable(tx, subscription.id, reason);
      await this.events.webhook(tx, 'webhook.updated', subscription.id, [
        { path: 'enabled', value: false },
        { path: 'disabled_reason', value: reason },
      ]);
      return reason;
    });
    if (disabled) {
      this.logger.warn({ subscription: subscription.id, url: subscription.url }, disabled);
    }
  }
}

function describeFailure(result: SendResult): string {
  if (result.statusCode === null) {
    return result.error ?? 'No answer.';
  }
  return result.error ? `HTTP ${result.statusCode}: ${result.error}` : `HTTP ${result.statusCode}`;
}
