import { ScimError } from '@roster/scim';
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { isOAuthEndpoint } from '../auth/oauth/oauth-exception.filter';
import { OAuthError } from '../auth/oauth/oauth-error';
import { AppConfig } from '../config';
import { SCIM_CONTENT_TYPE } from './http';
import { findBadText, isBadText } from './text-input';

/**
 * The HTTP edge: what happens to a request before Nest sees it. Timeouts for every phase of a
 * request, errors of Node's HTTP parser and of Fastify's router as SCIM envelopes (never echoing
 * the URL or a header back), and one check of every text input (query, path, Authorization) for
 * characters PostgreSQL cannot store. JSON and form bodies are checked by their parsers.
 */
export function edgeServerOptions(
  config: AppConfig,
): Pick<
  FastifyHttpOptions<Server>,
  'http' | 'requestTimeout' | 'keepAliveTimeout' | 'frameworkErrors' | 'clientErrorHandler'
> {
  const { headersTimeout, requestTimeout, keepAliveTimeout } = config.http;
  return {
    http: {
      headersTimeout,
      // Node checks the headers and request timeouts on this interval (30 s by default), so a
      // short timeout would otherwise fire up to 30 s late.
      connectionsCheckingInterval: Math.max(
        250,
        Math.min(5000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)),
      ),
    },
    requestTimeout,
    keepAliveTimeout,
    frameworkErrors: (error, _request, anyReply) => {
      const reply = anyReply as unknown as FastifyReply;
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const detail =
        status === 414
          ? 'A path segment of the URL is longer than any identifier this server has.'
          : 'The URL is not valid: a path segment has a malformed percent-encoding.';
      void reply
        .code(status)
        .header('content-type', SCIM_CONTENT_TYPE)
        .send(new ScimError(status, detail, status === 400 ? 'invalidValue' : undefined).toJSON());
    },
    clientErrorHandler: writeClientError,
  };
}

/**
 * Node's HTTP parser refused the request (headers too large, a timeout, bytes that are not HTTP):
 * there is no request object to answer through, so the response is written to the socket.
 */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  let status = 400;
  let detail = 'The request is not valid HTTP.';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    detail = 'The request was not received in time.';
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    detail = 'The request line and headers are larger than this server accepts (16 KB).';
  }
  const body = JSON.stringify(new ScimError(status, detail).toJSON());
  if (socket.writable) {
    const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status];
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${SCIM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** A 400 in the shape of the route: OAuth JSON on the token endpoint, a SCIM error everywhere else. */
export function badInput(request: FastifyRequest, detail: string): Error {
  return isOAuthEndpoint(request) ? OAuthError.invalidRequest(detail) : ScimError.badRequest('invalidValue', detail);
}

/** The 400 detail for bad text found at `where` (never the text itself). */
export function badTextDetail(where: string): string {
  return `Found U+0000 or an unpaired UTF-16 surrogate in ${where}; no text value may hold either.`;
}

/** Query parameters, path parameters and Basic credentials, before anything reads them. */
export function checkRequestText(request: FastifyRequest): void {
  const query = findBadText(request.query);
  if (query !== undefined) {
    throw badInput(request, badTextDetail(`the query parameter ${query.split('/')[1] ?? ''}`));
  }
  const params = findBadText(request.params);
  if (params !== undefined) {
    throw badInput(request, badTextDetail('the URL path'));
  }
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^Basic\s/i.test(authorization)) {
    const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
    // RFC 6749 §2.3.1: the client id and secret are form-urlencoded inside the Basic credentials.
    if (isBadText(decoded) || isBadText(percentDecoded(decoded))) {
      throw badInput(request, badTextDetail('the Basic credentials'));
    }
  }
}

/** Leniently decoded: what cannot be decoded is left as it is, for the token service to refuse. */
function percentDecoded(value: string): string {
  return value.replace(/(%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Values of a form that are JWTs (assertions): their header and claims are text inputs as well. */
export function findBadTextInForm(form: Record<string, string | string[]>): string | undefined {
  const path = findBadText(form);
  if (path !== undefined) {
    return `the form field ${path.split('/')[1] ?? ''}`;
  }
  for (const [name, value] of Object.entries(form)) {
    for (const item of ([] as string[]).concat(value)) {
      const parts = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(item);
      if (!parts) {
        continue;
      }
      for (const segment of [parts[1], parts[2]]) {
        let decoded: unknown;
        try {
          decoded = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
        } catch {
          continue; // not a JWT after all; the token service says what is wrong with it
        }
        if (findBadText(decoded) !== undefined) {
          return `the JWT in the form field ${name}`;
        }
      }
    }
  }
  return undefined;
}

/** A request body that has not been read: answer without reading it, and close the connection after. */
export function unreadBody(request: FastifyRequest, reply: FastifyReply): Readable {
  reply.header('connection', 'close');
  const empty = Readable.from([]) as Readable & { receivedEncodedLength?: number };
  // Fastify compares the bytes it received with Content-Length; none are read on purpose.
  const length = Number(request.headers['content-length']);
  empty.receivedEncodedLength = Number.isFinite(length) ? length : 0;
  return empty;
}

/**
 * The body must arrive within `ms` of the end of the headers: a client that announces
 * Content-Length: 100 and sends four bytes gets 408 and its connection closed, instead of holding
 * it open for ever.
 */
export function withBodyTimeout(payload: Readable, reply: FastifyReply, ms: number): Readable {
  const timed = new PassThrough();
  const timer = setTimeout(() => {
    reply.header('connection', 'close');
    payload.unpipe(timed);
    timed.destroy(new ScimError(408, `The request body was not received within ${ms} ms.`));
  }, ms);
  timer.unref();
  const done = (): void => clearTimeout(timer);
  payload.once('end', done);
  payload.once('error', (error) => timed.destroy(error));
  payload.once('close', () => {
    done();
    if (!payload.readableEnded && !timed.destroyed) {
      timed.destroy(new ScimError(400, 'The connection closed before the request body was complete.'));
    }
  });
  timed.once('close', done);
  // Answered before the body was read whole (413 past the route's limit): the timeout has nothing
  // left to guard, and firing later would destroy a stream nobody listens to (an unhandled error).
  reply.raw.once('finish', done);
  payload.pipe(timed);
  return timed;
}

/**
 * The API docs page (Swagger UI): its own scripts and styles only (the page's one inline <style>
 * and the UI's style attributes need 'unsafe-inline' for styles, never for scripts), requests to
 * this server only, and no framing.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerEdgeHooks(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (/^\/docs(\/|\?|$)/i.test(request.url)) {
      reply.header('content-security-policy', DOCS_CSP).header('x-content-type-options', 'nosniff');
    }
    try {
      checkRequestText(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}
