import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Socket } from 'node:net';
import { EncodedDelivery } from './encoders';
import { FORBIDDEN_ADDRESS, guardedLookup, Lookup, TargetPolicy, urlProblem } from './webhook-target';

/** Bytes of a receiver's answer read at most; the rest is not waited for. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Characters of the answer the delivery log keeps. */
export const RESPONSE_SNIPPET_CHARS = 1024;
/** Characters of an error message the log keeps. */
const MAX_ERROR_CHARS = 500;

export interface SendOptions {
  policy: TargetPolicy;
  timeoutMs: number;
  connectTimeoutMs: number;
  userAgent: string;
  signal?: AbortSignal;
  /** The resolver (tests give one that rebinds). */
  lookup?: Lookup;
}

export interface SendResult {
  /** The receiver's status, when it answered. */
  statusCode: number | null;
  /** Why there is no usable answer (or what the answer was not: a redirect). */
  error: string | null;
  latencyMs: number;
  snippet: string | null;
}

/**
 * One POST: the target checked again (the policy may have changed since it was stored), every
 * address the name resolves to checked at connection time, a connect timeout and a total
 * timeout, at most MAX_RESPONSE_BYTES read, redirects never followed, no connection reuse (an
 * attempt never fails on a socket the receiver closed meanwhile).
 */
export function send(url: string, delivery: EncodedDelivery, options: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const problem = urlProblem(url, options.policy);
  if (problem) {
    return Promise.resolve({ statusCode: null, error: `Refused: ${problem}`, latencyMs: 0, snippet: null });
  }
  const target = new URL(url);
  const body = Buffer.from(delivery.body);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      options.signal?.removeEventListener('abort', abort);
      resolve({ ...result, error: result.error?.slice(0, MAX_ERROR_CHARS) ?? null, latencyMs: Date.now() - started });
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(options.policy, options.lookup),
        headers: {
          ...delivery.headers,
          'content-type': delivery.contentType,
          'content-length': String(body.length),
          'user-agent': options.userAgent,
        },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const snippet = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_SNIPPET_CHARS);
          const redirect =
            status >= 300 && status < 400
              ? `Redirect to ${String(res.headers.location ?? '(no location)').slice(0, 300)} not followed.`
              : null;
          finish({ statusCode: status, error: redirect, snippet: snippet || null });
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) {
            chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
          }
          size += chunk.length;
          if (size >= MAX_RESPONSE_BYTES) {
            done();
          }
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const total = setTimeout(() => {
      finish({ statusCode: null, error: `No answer within ${options.timeoutMs} ms.`, snippet: null });
      req.destroy();
    }, options.timeoutMs);
    let connect: NodeJS.Timeout | undefined;
    req.on('socket', (socket: Socket) => {
      if (socket.connecting) {
        connect = setTimeout(() => {
          finish({
            statusCode: null,
            error: `Could not connect within ${options.connectTimeoutMs} ms.`,
            snippet: null,
          });
          req.destroy();
        }, options.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connect));
      }
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({
        statusCode: null,
        error:
          error.code === FORBIDDEN_ADDRESS
            ? `Refused: ${error.message} (WEBHOOKS_ALLOW_PRIVATE_NETWORKS is off).`
            : `${error.code ?? 'Error'}: ${error.message}`,
        snippet: null,
      });
    });
    const abort = () => {
      finish({ statusCode: null, error: 'Shutting down: the attempt was abandoned.', snippet: null });
      req.destroy();
    };
    if (options.signal?.aborted) {
      abort();
      return;
    }
    options.signal?.addEventListener('abort', abort, { once: true });
    req.end(body);
  });
}
