import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScimError } from '@roster/scim';
import { SCIM_CONTENT_TYPE } from '../common/http';
import { APP_CONFIG, AppConfig } from '../config';

/** Request headers a browser-based MCP client sends (Streamable HTTP, both eras). */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'mcp-session-id',
  'last-event-id',
].join(', ');
/** Response headers a browser-based client must be able to read (the 401 challenge above all). */
const EXPOSED_HEADERS = ['www-authenticate', 'mcp-protocol-version', 'mcp-session-id', 'retry-after'].join(', ');

/**
 * Origin check and CORS for /v2/mcp, before authentication: MCP servers must refuse requests
 * whose Origin is present and not trusted (403), which stops DNS-rebinding and cross-site
 * pages from using a user's token. Requests without Origin (every non-browser client) pass.
 * Allowed origins get CORS headers, also on the 401 challenge, so browser clients can start
 * OAuth discovery; preflights are answered here.
 */
@Injectable()
export class McpOriginMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly allowAny: boolean;
  private readonly allowed: Set<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowAny = config.mcp.allowedOrigins.includes('*');
    this.allowed = new Set([new URL(config.publicUrl).origin, ...config.mcp.allowedOrigins.map(canonicalOrigin)]);
  }

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!this.allowAny && !this.allowed.has(canonicalOrigin(origin))) {
        // Written here: exceptions thrown by middleware do not reach the SCIM exception filter intact.
        const error = new ScimError(403, `Origin ${origin} may not call the MCP endpoint (see MCP_ALLOWED_ORIGINS).`);
        response.writeHead(403, { 'content-type': SCIM_CONTENT_TYPE });
        response.end(JSON.stringify(error.toJSON()));
        return;
      }
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
      response.setHeader('vary', 'Origin');
    }
    if (request.method?.toUpperCase() === 'OPTIONS') {
      response.writeHead(204, {
        allow: 'POST, GET, DELETE, OPTIONS',
        'access-control-allow-methods': 'POST, GET, DELETE, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }
    next();
  }
}

/** `https://Host:443/` and `https://host` are one origin; an unparseable value matches nothing. */
function canonicalOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}
