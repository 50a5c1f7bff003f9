import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  RequestLogConnection,
  RequestLogErrorRecord,
  RequestLogErrorRow,
  RequestLogMinuteRow,
  RequestLogRepository,
} from '@roster/db';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig } from '../config';
import { connectionOf, logged, minuteOf, safeDetail, safePath } from './request-log';

/** One answered request, as the observability hook sees it in onResponse. */
export interface AnsweredRequest {
  method: string;
  /** The URL as sent (path and query). */
  url: string;
  status: number;
  principal?: Principal;
  scimType?: string;
  detail?: string;
  requestId: string;
}

/** Errors of one connection kept per minute on one instance (the counts stay exact beyond it). */
export const ERRORS_PER_CONNECTION_MINUTE = 20;
/** Distinct (connection, minute) counters one instance holds at most between flushes. */
const MAX_COUNTERS = 10_000;
/** Rows one prune statement deletes at most per table, and statements per run. */
export const PRUNE_BATCH = 1000;
const MAX_PRUNE_BATCHES = 50;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** Connections the console shows at most (the rest are counted as "more"). */
const MAX_CONNECTIONS_SHOWN = 20;

export interface OverviewQuery {
  hours: number;
  /** Only this connection (its key). */
  connection?: string;
  /** Errors shown per connection. */
  errorsEach: number;
  /** Errors older than this id (the "Older" link). */
  before?: bigint;
}

export interface ConnectionActivity extends RequestLogConnection {
  minutes: RequestLogMinuteRow[];
  /** Its latest errors, newest first. */
  recentErrors: RequestLogErrorRecord[];
  /** The id to page on when there are older errors. */
  olderErrors?: bigint;
}

export interface RequestLogOverview {
  since: Date;
  /** The current minute's start (the last bar). */
  until: Date;
  connections: ConnectionActivity[];
  /** Whether more connections were seen than are shown. */
  more: boolean;
}

interface Counter {
  row: RequestLogMinuteRow;
  /** Errors kept for this connection and minute (at most ERRORS_PER_CONNECTION_MINUTE). */
  kept: number;
}

/**
 * The request log: per instance, in memory, requests and errors per minute per connection and a
 * bounded buffer of recent errors, written every REQUEST_LOG_FLUSH_MS in one statement
 * (RequestLogRepository.add), so that answering a request costs a map update and no round trip.
 * The console reads the tables, so what it shows covers every instance. Retention prunes in
 * batches every ten minutes.
 */
@Injectable()
export class RequestLogService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RequestLog');
  private counters = new Map<string, Counter>();
  private errors: RequestLogErrorRow[] = [];
  /** Requests not counted because the counters were full (reported in the log at the next flush). */
  private dropped = 0;
  private flushing?: Promise<void>;
  private pruning?: Promise<number>;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: RequestLogRepository,
  ) {}

  get enabled(): boolean {
    return this.config.requestLog.enabled;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) {
      return;
    }
    const flush = setInterval(() => void this.flush(), this.config.requestLog.flushMs);
    const prune = setInterval(() => void this.pruneQuietly(), PRUNE_EVERY_MS);
    const first = setTimeout(() => void this.pruneQuietly(), 30_000);
    for (const timer of [flush, prune, first]) {
      timer.unref();
      this.timers.push(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) {
      clearInterval(timer);
    }
    await this.pruning;
    // What this instance counted since its last flush.
    await this.flush();
  }

  /** Counts one answered request (called for every response; no I/O). */
  record(answer: AnsweredRequest, now = Date.now()): void {
    if (!this.enabled) {
      return;
    }
    const path = answer.url.split('?')[0];
    if (!logged(path, answer.principal)) {
      return;
    }
    const connection = connectionOf(answer.principal);
    const minute = minuteOf(now);
    const id = `${minute}\n${connection.key}`;
    let counter = this.counters.get(id);
    if (!counter) {
      if (this.counters.size >= MAX_COUNTERS) {
        this.dropped++;
        return;
      }
      counter = {
        row: { ...connection, connection: connection.key, minute: new Date(minute), requests: 0, errors: 0 },
        kept: 0,
      };
      this.counters.set(id, counter);
    }
    counter.row.requests++;
    if (answer.status < 400) {
      return;
    }
    counter.row.errors++;
    if (counter.kept >= ERRORS_PER_CONNECTION_MINUTE || this.errors.length >= this.config.requestLog.maxErrors) {
      return;
    }
    counter.kept++;
    this.errors.push({
      time: new Date(now),
      connection: connection.key,
      method: answer.method.slice(0, 16),
      path: safePath(answer.url),
      status: answer.status,
      scimType: answer.scimType ? answer.scimType.slice(0, 64) : null,
      detail: safeDetail(answer.detail),
      requestId: answer.requestId.slice(0, 128),
    });
  }

  /**
   * Writes what this instance counted since the last flush (one statement). A failed write puts
   * the counts back, to be added next time; its errors are kept while the buffer has room.
   */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      await this.flushing;
      const counters = this.counters;
      const errors = this.errors;
      const dropped = this.dropped;
      if (!counters.size && !errors.length) {
        return;
      }
      this.counters = new Map();
      this.errors = [];
      this.dropped = 0;
      try {
        await this.repository.add(
          [...counters.values()].map((c) => c.row),
          errors,
        );
        if (dropped) {
          this.logger.warn(`${dropped} requests were not counted: too many connections in one interval.`);
        }
      } catch (error) {
        this.logger.warn({ err: String(error) }, 'Could not write the request log; will retry.');
        this.restore(counters, errors, dropped);
      }
    };
    const next = run().finally(() => {
      if (this.flushing === next) {
        this.flushing = undefined;
      }
    });
    this.flushing = next;
    return next;
  }

  /** Deletes what is older than REQUEST_LOG_RETENTION_HOURS, batch by batch; returns how many rows. */
  async prune(now = new Date(), maxBatches = MAX_PRUNE_BATCHES): Promise<number> {
    const before = new Date(now.getTime() - this.config.requestLog.retentionHours * 3_600_000);
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const deleted = await this.repository.prune(before, PRUNE_BATCH);
      total += deleted;
      if (deleted === 0) {
        break;
      }
    }
    if (total > 0) {
      this.logger.log(`Pruned ${total} request log rows older than ${before.toISOString()}.`);
    }
    return total;
  }

  /**
   * What the console shows for the last `hours`: the connections seen (most errors first), each
   * with its per-minute counts and its latest errors (`errorsEach` of them, older than `before`).
   * One connection only when `connection` is given.
   */
  async overview(query: OverviewQuery, now = new Date()): Promise<RequestLogOverview> {
    const since = new Date(minuteOf(now.getTime()) - (query.hours * 60 - 1) * 60_000);
    const found = await this.repository.connections(since, MAX_CONNECTIONS_SHOWN + 1, query.connection);
    const more = found.length > MAX_CONNECTIONS_SHOWN;
    const connections = found.slice(0, MAX_CONNECTIONS_SHOWN);
    const keys = connections.map((c) => c.connection);
    const [minutes, errors] = await Promise.all([
      this.repository.minutes(keys, since),
      this.repository.recentErrors(keys, since, query.errorsEach + 1, query.before),
    ]);
    return {
      since,
      until: new Date(minuteOf(now.getTime())),
      more,
      connections: connections.map((c) => {
        const own = errors.filter((e) => e.connection === c.connection);
        return {
          ...c,
          minutes: minutes.filter((m) => m.connection === c.connection),
          recentErrors: own.slice(0, query.errorsEach),
          olderErrors: own.length > query.errorsEach ? own[query.errorsEach - 1].id : undefined,
        };
      }),
    };
  }

  private pruneQuietly(): void {
    this.pruning ??= this.prune()
      .catch((error: unknown) => {
        this.logger.warn({ err: String(error) }, 'Could not prune the request log.');
        return 0;
      })
      .finally(() => {
        this.pruning = undefined;
      });
  }

  private restore(counters: Map<string, Counter>, errors: RequestLogErrorRow[], dropped: number): void {
    for (const [id, counter] of counters) {
      const now = this.counters.get(id);
      if (now) {
        now.row.requests += counter.row.requests;
        now.row.errors += counter.row.errors;
        now.kept += counter.kept;
      } else if (this.counters.size < MAX_COUNTERS) {
        this.counters.set(id, counter);
      } else {
        this.dropped += counter.row.requests;
      }
    }
    const room = Math.max(0, this.config.requestLog.maxErrors - this.errors.length);
    this.errors = [...errors.slice(0, room), ...this.errors];
    this.dropped += dropped;
  }
}
