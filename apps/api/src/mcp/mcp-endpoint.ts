import {
  NodeIncomingMessageLike,
  NodeMcpRequestHandler,
  NodeServerResponseLike,
  toNodeHandler,
} from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isLegacyRequest,
  McpHandlerRequestOptions,
  McpHttpHandler,
  McpServerFactory,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

/** How a client wants answers: one JSON body, or an SSE stream (clients that accept nothing else). */
export type ResponseShape = 'json' | 'sse';

/** What every MCP transport insists on seeing; clients that list less are still answered. */
const BOTH = 'application/json, text/event-stream';

/**
 * Picks the answer shape from the client's Accept header. Streamable HTTP clients must accept
 * both JSON and SSE, but real ones send a bare wildcard, only `application/json` or only
 * `text/event-stream`; the SDK refuses those with 406. Only a client that accepts SSE and not
 * JSON gets SSE; everyone else gets JSON, which every client can read.
 */
export function responseShape(accept: string | undefined): ResponseShape {
  if (!accept) {
    return 'json';
  }
  const types = accept.split(',').map((part) => part.split(';')[0].trim().toLowerCase());
  const json = types.some((t) => t === 'application/json' || t === 'application/*' || t === '*/*');
  return !json && types.includes('text/event-stream') ? 'sse' : 'json';
}

/**
 * Rewrites the request headers the SDK checks, once the answer shape is chosen: Accept lists
 * both types (the shape is already decided), and a body the app already parsed as JSON is
 * declared as JSON (Roster accepts `text/plain` and `+json` types, as SCIM clients send them).
 */
export function normaliseHeaders(headers: NodeIncomingMessageLike['headers'], parsedJson: boolean): void {
  headers.accept = BOTH;
  if (parsedJson) {
    headers['content-type'] = 'application/json';
  }
}

/**
 * The MCP endpoint over the official SDK: one server factory serves both protocol eras,
 * statelessly, per request.
 *
 * - Modern (2026-07-28) requests go to `createMcpHandler` (header checks, `server/discover`,
 *   per-request envelopes are all the SDK's).
 * - Legacy (initialize-based) requests would get SSE from the SDK's stateless fallback; clients
 *   that accept JSON get a stateless `WebStandardStreamableHTTPServerTransport` with
 *   `enableJsonResponse` instead, one per request, which answers one JSON body (or 202 for
 *   notifications) and handles batches.
 * - Clients that accept only SSE get the SDK's own dual-era handler in SSE mode.
 */
export class McpEndpoint {
  private readonly modern: McpHttpHandler;
  private readonly streaming: McpHttpHandler;
  private readonly json: NodeMcpRequestHandler;
  private readonly sse: NodeMcpRequestHandler;

  constructor(
    private readonly factory: McpServerFactory,
    private readonly onerror: (error: Error) => void,
  ) {
    this.modern = createMcpHandler(factory, { legacy: 'reject', onerror });
    this.streaming = createMcpHandler(factory, { responseMode: 'sse', onerror });
    this.json = toNodeHandler({ fetch: (request, options) => this.routeJson(request, options) }, { onerror });
    this.sse = toNodeHandler(this.streaming, { onerror });
  }

  /** Serves one POST; `request.auth` must hold the verified AuthInfo. */
  handle(
    request: NodeIncomingMessageLike,
    response: NodeServerResponseLike,
    parsedBody: unknown,
    shape: ResponseShape,
  ): Promise<void> {
    return (shape === 'sse' ? this.sse : this.json)(request, response, parsedBody);
  }

  async close(): Promise<void> {
    await Promise.all([this.modern.close(), this.streaming.close()]);
  }

  private async routeJson(request: Request, options: McpHandlerRequestOptions = {}): Promise<Response> {
    if (await isLegacyRequest(request, options.parsedBody)) {
      return this.legacyJson(request, options);
    }
    return this.modern.fetch(request, options);
  }

  /** One legacy exchange, answered as JSON by a fresh server on a fresh stateless transport. */
  private async legacyJson(request: Request, options: McpHandlerRequestOptions): Promise<Response> {
    const server = await this.factory({
      era: 'legacy',
      ...(options.authInfo ? { authInfo: options.authInfo } : {}),
      requestInfo: request,
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await server.connect(transport);
      // With JSON responses the body is complete when this resolves: nothing streams afterwards.
      return await transport.handleRequest(request, {
        ...(options.authInfo ? { authInfo: options.authInfo } : {}),
        ...(options.parsedBody !== undefined ? { parsedBody: options.parsedBody } : {}),
      });
    } finally {
      await Promise.all([
        transport.close().catch((error: unknown) => this.onerror(asError(error))),
        server.close().catch((error: unknown) => this.onerror(asError(error))),
      ]);
    }
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
