import { context, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { QueryObserver } from '@roster/db';
import type { Logger } from 'pino';
import { sqlOperation } from './metrics';
import { versionInfo } from './version';

export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'roster';

let on = false;
/** Whether startTracing registered the SDK (request spans are made only then). */
export function tracingOn(): boolean {
  return on;
}

/**
 * Whether the standard OpenTelemetry variables ask for traces: an OTLP endpoint, or
 * `OTEL_TRACES_EXPORTER=otlp`; `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` win.
 */
export function tracingRequested(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    return false;
  }
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') {
    return false;
  }
  return exporter === 'otlp' || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * The OpenTelemetry SDK with the OTLP/HTTP exporter, off unless the OTEL_* variables ask for it.
 * The exporter, sampler and resource read their standard variables themselves
 * (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT, OTEL_TRACES_SAMPLER[_ARG],
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*). Roster makes the request spans itself
 * (ops/observability.ts) and a span per database statement (the query observer), so nothing
 * depends on patching modules at load time; outbound fetch() calls (JWKS) are traced through
 * undici's diagnostics channels.
 */
export async function startTracing(env: Record<string, string | undefined>, logger: Logger): Promise<Tracing> {
  if (!tracingRequested(env)) {
    return { enabled: false, shutdown: async () => {} };
  }
  // Loaded only when asked for: a service without tracing never loads the SDK.
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    resources,
    { UndiciInstrumentation },
    { registerInstrumentations },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation'),
  ]);
  const resource = resources
    .resourceFromAttributes({ 'service.name': 'roster', 'service.version': versionInfo().version })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const exporter = new OTLPTraceExporter();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  on = true;
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation()],
  });
  logger.info(
    {
      endpoint:
        env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'default (http://localhost:4318)',
    },
    'Tracing on: spans go to the OTLP/HTTP endpoint.',
  );
  return {
    enabled: true,
    shutdown: async () => {
      unregister();
      on = false;
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'Traces could not all be sent.'));
      trace.disable();
    },
  };
}

/** A span per database statement, child of the request's span (no-op spans when tracing is off). */
export function tracingQueryObserver(): QueryObserver {
  const tracer = trace.getTracer(TRACER_NAME);
  return {
    start: (sql) => {
      if (!on || !trace.getActiveSpan()) {
        // Outside a traced request (start-up, migrations): no orphan spans.
        return () => undefined;
      }
      const operation = sqlOperation(sql);
      const span: Span = tracer.startSpan(
        `db ${operation}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'postgresql',
            'db.operation.name': operation,
            'db.query.text': sql.slice(0, 2000),
          },
        },
        context.active(),
      );
      return (error) => {
        if (error) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : 'failed',
          });
        }
        span.end();
      };
    },
  };
}

/** Several observers as one. */
export function combineObservers(...observers: QueryObserver[]): QueryObserver {
  return {
    start: (sql) => {
      const ends = observers.map((o) => o.start(sql));
      return (error) => ends.forEach((end) => end(error));
    },
    connected: (adapter) => observers.forEach((o) => o.connected?.(adapter)),
  };
}
