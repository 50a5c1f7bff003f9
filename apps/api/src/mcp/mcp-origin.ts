import { ScimError } from '@roster/scim';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SCIM_CONTENT_TYPE } from '../common/http';
import { routeOf } from '../common/request-scope';
import { AppConfig } from '../config';

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
const MCP_PATH = '/v2/mcp';

/** Whether a request is for the MCP endpoint: its route, or (a method it has no route for) its path. */
function isMcpRequest(request: FastifyRequest): boolean {
  if (routeOf(request).url === MCP_PATH) {
    return true;
  }
  const url = request.url;
  // Cheap refusal first: every other request pays only this.
  if (url.length < MCP_PATH.length || (url.charCodeAt(1) | 0x20) !== 0x76 /* v */) {
    return false;
  }
  const path = url.split('?')[0].toLowerCase();
  return path === MCP_PATH || path === `${MCP_PATH}/`;
}

/**
 * Origin check and CORS for /v2/mcp, before authentication: MCP servers must refuse requests
 * whose Origin is present and not trusted (403), which stops DNS-rebinding and cross-site
 * pages from using a user's token. Requests without Origin (every non-browser client) pass.
 * Allowed origins get CORS headers, also on the 401 challenge, so browser clients can start
 * OAuth discovery; preflights are answered here. A Fastify hook rather than Nest middleware:
 * middleware needs @fastify/middie, whose hook every request of every route would pay for.
 */
export function registerMcpOriginCheck(fastify: FastifyInstance, config: AppConfig): void {
  const allowAny = config.mcp.allowedOrigins.includes('*');
  const allowed = new Set([new URL(config.publicUrl).origin, ...config.mcp.allowedOrigins.map(canonicalOrigin)]);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isMcpRequest(request)) {
      done();
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!allowAny && !allowed.has(canonicalOrigin(origin))) {
        const error = new ScimError(403, `Origin ${origin} may not call the MCP endpoint (see MCP_ALLOWED_ORIGINS).`);
        void reply.code(403).header('content-type', SCIM_CONTENT_TYPE).send(error.toJSON());
        return;
      }
      // On the raw response: the MCP SDK writes its answers there, past Fastify's reply headers.
      reply.raw.setHeader('access-control-allow-origin', origin);
      reply.raw.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
      reply.raw.setHeader('vary', 'Origin');
    }
    if (request.method.toUpperCase() === 'OPTIONS') {
      void reply
        .code(204)
        .headers({
          allow: 'POST, GET, DELETE, OPTIONS',
          'access-control-allow-methods': 'POST, GET, DELETE, OPTIONS',
          'access-control-allow-headers': ALLOWED_HEADERS,
          'access-control-max-age': '600',
        })
        .send();
      return;
    }
    done();
  });
}

/** `https://Host:443/` and `https://host` are one origin; an unparseable value matches nothing. */
function canonicalOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}
