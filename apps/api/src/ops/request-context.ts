import { trace } from '@opentelemetry/api';
import { currentScope, runInScope } from '../common/request-scope';

export interface RequestContext {
  requestId: string;
}

/**
 * The request a piece of code runs for, wherever it logs from (a Nest `Logger`, a repository, the
 * exception filter), so that every line written while serving a request carries its id. It lives
 * in the request scope (common/request-scope.ts), which the first onRequest hook starts.
 */
export const requestContext = {
  run<T>(context: RequestContext, fn: () => T): T {
    return runInScope({ requestId: context.requestId }, fn);
  },
  getStore(): RequestContext | undefined {
    const requestId = currentScope()?.requestId;
    return requestId === undefined ? undefined : { requestId };
  },
};

/** Fields every log line gets: the request id, and the trace and span ids when tracing is on. */
export function logCorrelation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const requestId = currentScope()?.requestId;
  if (requestId !== undefined) {
    fields.requestId = requestId;
  }
  const span = trace.getActiveSpan()?.spanContext();
  if (span && span.traceId !== '00000000000000000000000000000000') {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}
