import { Injectable } from '@nestjs/common';
import type { QueryObserver } from '@roster/db';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** `SELECT`, `INSERT`, ...: the statement's first keyword, so the label stays bounded. */
export function sqlOperation(sql: string): string {
  if (/^\s*with\b/i.test(sql)) {
    // A statement with CTEs is named by its first data-modifying CTE (`WITH u AS (UPDATE ...)` is
    // an update, whatever its main SELECT returns), or is a select.
    const verbs = [
      ...sql.matchAll(/\bas\s+(?:not\s+)?(?:materialized\s+)?\(\s*(select|insert|update|delete|values)\b/gi),
    ];
    const writes = verbs.map((m) => m[1].toLowerCase()).find((v) => v !== 'select' && v !== 'values');
    return writes ?? 'select';
  }
  const word = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback'].includes(word) ? word : 'other';
}

/**
 * Prometheus metrics (prom-client), one registry per application so that several apps in one
 * process (tests) never share or collide. Label values are bounded: route templates, never raw
 * URLs; SQL operations, never statements.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private pool?: PoolCounts;
  private readonly inFlightQueries: Gauge;

  readonly httpRequests = new Counter({
    name: 'roster_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly scimErrors = new Counter({
    name: 'roster_scim_errors_total',
    help: 'SCIM error responses, by status and scimType (none when the error has no scimType).',
    labelNames: ['status', 'scimType'] as const,
    registers: [this.registry],
  });
  readonly queryDuration = new Histogram({
    name: 'roster_db_query_duration_seconds',
    help: 'Time of each database statement, by SQL operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly bulkOperations = new Counter({
    name: 'roster_bulk_operations_total',
    help: 'Operations inside Bulk requests, by method, resource type and outcome.',
    labelNames: ['method', 'resource', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly tokenRequests = new Counter({
    name: 'roster_oauth_token_requests_total',
    help: 'Token endpoint requests, by grant type and outcome (issued, or the OAuth error code).',
    labelNames: ['grant', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly mcpToolCalls = new Counter({
    name: 'roster_mcp_tool_calls_total',
    help: 'MCP tool calls, by tool and outcome (ok, or tool_error for an isError result).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Event-loop lag, heap, RSS, GC, handles: prom-client's standard process metrics.
    collectDefaultMetrics({ register: this.registry });
    this.inFlightQueries = new Gauge({
      name: 'roster_db_queries_in_flight',
      help: 'Database statements running now.',
      registers: [this.registry],
    });
    const poolOf = (): PoolCounts => this.pool ?? { totalCount: 1, idleCount: 1, waitingCount: 0 };
    new Gauge({
      name: 'roster_db_pool_connections',
      help: 'PostgreSQL pool connections by state (total, idle, waiting clients); the embedded database has one.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = poolOf();
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  /** What the database layer reports each statement to (libs/db/src/query-observer.ts). */
  queryObserver(): QueryObserver {
    return {
      start: (sql) => {
        const stop = this.queryDuration.startTimer({ operation: sqlOperation(sql) });
        this.inFlightQueries.inc();
        return (error) => {
          this.inFlightQueries.dec();
          stop({ outcome: error ? 'error' : 'ok' });
        };
      },
      connected: (adapter) => {
        const driver = (adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.();
        if (driver && typeof (driver as PoolCounts).totalCount === 'number') {
          this.pool = driver as PoolCounts;
        }
      },
    };
  }
}
