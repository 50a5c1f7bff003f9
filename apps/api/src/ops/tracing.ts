import type { Logger } from 'pino';

export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

/** Placeholder until the tracing step lands: tracing is off. */
export function startTracing(_env: Record<string, string | undefined>, _logger: Logger): Promise<Tracing> {
  return Promise.resolve({ enabled: false, shutdown: async () => {} });
}
