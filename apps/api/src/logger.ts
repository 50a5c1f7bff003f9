import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import pretty from 'pino-pretty';
import { logCorrelation } from './ops/request-context';
import { versionInfo } from './ops/version';

/**
 * Query parameter names that may carry a credential: `access_token`, `bearer`, `id_token`,
 * `client_secret`, `client_assertion`, `api_key`, `password`, `code`, `sig`, ... Tokens in the URL
 * are refused, but the request is logged before it is refused.
 */
const SENSITIVE_NAME =
  /token|secret|assertion|passw|bearer|credential|auth|api[-_]?key|jwt|session|^(key|code|sig|signature)$/i;

/** Removes the values of credential-like query parameters (however their names are encoded) before a URL is logged. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) {
    return url;
  }
  const query = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return SENSITIVE_NAME.test(decodedName(name)) ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, start)}?${query.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

export interface LoggerOptions {
  /** `json` (default): one JSON object a line, for machines; `pretty`: coloured lines for people. */
  format?: 'json' | 'pretty';
}

/** `destination` defaults to stdout; tests pass a buffer to check what reaches the log. */
export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const target =
    options.format === 'pretty'
      ? pretty({
          destination: destination ?? 1,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'service,version',
        })
      : destination;
  return pino(
    {
      level,
      base: { service: 'roster', version: versionInfo().version },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The request id (one field name everywhere: requestId) and the trace id, on every line.
      mixin: logCorrelation,
      // Credentials never reach the log, whatever a caller passes in.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.client_secret',
          '*.assertion',
          '*.token',
          '*.access_token',
        ],
        censor: '[REDACTED]',
      },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; headers?: Record<string, unknown>; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
          userAgent: req.headers?.['user-agent'],
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    target,
  );
}

/** Nest's per-module and per-route start-up lines: useful when debugging, noise otherwise. */
const STARTUP_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/** Nest's own log lines go through the same pino instance as the request logs. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    // Nest passes the context name last; an object first argument is structured data.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context && STARTUP_CHATTER.has(context)) {
      level = 'debug';
    }
    if (typeof message === 'object' && message !== null) {
      const text = typeof rest[0] === 'string' ? rest[0] : undefined;
      this.logger[level]({ context, ...(message as Record<string, unknown>) }, text);
      return;
    }
    const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }
}
