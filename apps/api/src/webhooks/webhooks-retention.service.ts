import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WebhooksRepository } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../config';

/** Log rows one DELETE removes at most: short statements, short locks, whatever the backlog. */
export const DELIVERY_PRUNE_BATCH = 1000;
const MAX_BATCHES_PER_RUN = 50;
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Keeps the webhook delivery log for WEBHOOKS_DELIVERY_RETENTION_DAYS, like EventsRetentionService
 * keeps events: every ten minutes (and once soon after start) each instance deletes older rows in
 * batches of DELIVERY_PRUNE_BATCH, each its own statement. Open (pending) deliveries are kept.
 */
@Injectable()
export class WebhooksRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhooksRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly webhooks: WebhooksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.running ??= this.prune()
        .catch((error: unknown) => {
          this.logger.warn({ err: String(error) }, 'Could not prune the webhook delivery log.');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(run, INTERVAL_MS);
    this.timer.unref();
    setTimeout(run, 45_000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Deletes log rows older than the retention period, batch by batch; returns how many. */
  async prune(now = new Date(), maxBatches = MAX_BATCHES_PER_RUN): Promise<number> {
    const before = new Date(now.getTime() - this.config.webhooks.deliveryRetentionDays * 86_400_000);
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const deleted = await this.webhooks.prune(before, DELIVERY_PRUNE_BATCH);
      total += deleted;
      if (deleted < DELIVERY_PRUNE_BATCH) {
        break;
      }
    }
    if (total > 0) {
      this.logger.log({ deleted: total, before: before.toISOString() }, 'Pruned the webhook delivery log.');
    }
    return total;
  }
}
