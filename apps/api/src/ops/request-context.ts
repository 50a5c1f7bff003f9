import { trace } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
}

/**
 * The request a piece of code runs for, wherever it logs from (a Nest `Logger`, a repository, the
 * exception filter), so that every line written while serving a request carries its id.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Fields every log line gets: the request id, and the trace and span ids when tracing is on. */
export function logCorrelation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const current = requestContext.getStore();
  if (current) {
    fields.requestId = current.requestId;
  }
  const span = trace.getActiveSpan()?.spanContext();
  if (span && span.traceId !== '00000000000000000000000000000000') {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}
