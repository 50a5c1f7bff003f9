import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventsRepository } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../config';

/** Events one DELETE removes at most: short statements, short locks, whatever the backlog. */
export const PRUNE_BATCH = 1000;
/** Batches one run deletes before it yields to the next interval. */
const MAX_BATCHES_PER_RUN = 50;
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Keeps events for EVENTS_RETENTION_DAYS: every ten minutes (and once soon after start) each
 * instance deletes what is older in batches of PRUNE_BATCH, each its own short statement, so the
 * pruning never holds a long lock nor competes with writes for long. Instances may prune at the
 * same time; a row deleted twice is simply not found the second time.
 */
@Injectable()
export class EventsRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventsRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.running ??= this.prune()
        .catch((error: unknown) => {
          this.logger.warn({ err: String(error) }, 'Could not prune old events.');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(run, INTERVAL_MS);
    this.timer.unref();
    setTimeout(run, 30_000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Deletes events older than the retention period, batch by batch; returns how many. */
  async prune(now = new Date(), maxBatches = MAX_BATCHES_PER_RUN): Promise<number> {
    const before = new Date(now.getTime() - this.config.events.retentionDays * 86_400_000);
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const deleted = await this.events.prune(before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) {
        break;
      }
    }
    if (total > 0) {
      this.logger.log({ deleted: total, before: before.toISOString() }, 'Pruned old events.');
    }
    return total;
  }
}
