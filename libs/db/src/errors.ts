/**
 * What went wrong in the database, in the terms a caller can act on. Prisma, its driver adapters
 * and the drivers (pg, PGlite) each report failures differently; this is the one place that reads
 * them all.
 *
 * - `unavailable`: the database cannot serve us now (connection failures, shutdown, too many
 *   connections, a pool that stays busy); worth retrying later.
 * - `timeout`: the statement ran longer than the statement timeout.
 * - `canceled`: the statement was canceled because its request had gone.
 * - `lockTimeout`: the statement waited longer than the lock timeout for a row or the graph lock.
 * - `conflict`: a serialization failure or a deadlock (40001, 40P01): the transaction may be
 *   retried as a whole.
 * - `uniqueViolation`, `notFound`: what they say.
 * - `invalidInput`: the statement failed on a value (SQLSTATE classes 22 and 23), i.e. on input
 *   that validation let through.
 * - `other`: a fault of ours (a broken statement, a protocol error): a 500.
 */
export type DatabaseFailureKind =
  | 'unavailable'
  | 'timeout'
  | 'canceled'
  | 'lockTimeout'
  | 'conflict'
  | 'uniqueViolation'
  | 'notFound'
  | 'invalidInput'
  | 'other';

export interface DatabaseFailure {
  kind: DatabaseFailureKind;
  /** The SQLSTATE, Prisma or Node error code found, for logs. */
  code?: string;
}

interface Layer {
  code?: unknown;
  message?: unknown;
  meta?: {
    code?: unknown;
    message?: unknown;
    driverAdapterError?: {
      cause?: { kind?: string; originalCode?: string; code?: string; originalMessage?: string; message?: string };
    };
  };
  cause?: unknown;
}

const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** SQLSTATE → kind. */
function fromSqlState(code: string, message: string): DatabaseFailureKind {
  if (code === '57014') {
    return /statement timeout/i.test(message) ? 'timeout' : 'canceled';
  }
  if (code === '55P03') {
    return 'lockTimeout';
  }
  if (code === '40001' || code === '40P01') {
    return 'conflict';
  }
  if (code === '23505') {
    return 'uniqueViolation';
  }
  // 08P01 is a protocol violation: a broken statement of ours, not a lost connection.
  if (
    (code.startsWith('08') && code !== '08P01') ||
    ['57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('53')
  ) {
    return 'unavailable';
  }
  if (code === '55000' && /accepting connections/i.test(message)) {
    return 'unavailable';
  }
  if (code.startsWith('22') || code.startsWith('23')) {
    return 'invalidInput';
  }
  return 'other';
}

/** Prisma's own codes (P1xxx connection, P2xxx query engine). */
function fromPrismaCode(code: string): DatabaseFailureKind | undefined {
  switch (code) {
    case 'P1001':
    case 'P1002':
    case 'P1008':
    case 'P1017':
    case 'P2024': // timed out waiting for a connection from the pool
      return 'unavailable';
    case 'P2002':
      return 'uniqueViolation';
    case 'P2025':
      return 'notFound';
    case 'P2034':
      return 'conflict';
    case 'P2000':
    case 'P2003':
    case 'P2006':
    case 'P2007':
    case 'P2011':
    case 'P2012':
    case 'P2020':
      return 'invalidInput';
    default:
      return undefined;
  }
}

function fromAdapterKind(kind: string): DatabaseFailureKind | undefined {
  switch (kind) {
    case 'UniqueConstraintViolation':
      return 'uniqueViolation';
    case 'DatabaseNotReachable':
    case 'ConnectionClosed':
    case 'SocketTimeout':
    case 'TooManyConnections':
    case 'DatabaseDoesNotExist':
    case 'DatabaseAccessDenied':
    case 'AuthenticationFailed':
    case 'TlsConnectionError':
      return 'unavailable';
    case 'TransactionWriteConflict':
      return 'conflict';
    case 'LengthMismatch':
    case 'ValueOutOfRange':
    case 'InvalidInputValue':
    case 'NullConstraintViolation':
    case 'ForeignKeyConstraintViolation':
      return 'invalidInput';
    default:
      return undefined;
  }
}

const UNAVAILABLE_MESSAGES =
  /PGlite is closed|Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i;

/**
 * The database failure behind `error` (Prisma error, adapter error, driver error, or a chain of
 * causes), or undefined when `error` is not a database failure at all.
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as Layer;
    const message = typeof e.message === 'string' ? e.message : '';
    const cause = e.meta?.driverAdapterError?.cause;
    if (cause) {
      const sqlState = cause.originalCode ?? cause.code;
      const causeMessage = cause.originalMessage ?? cause.message ?? message;
      if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) {
        return { kind: fromSqlState(sqlState, causeMessage), code: sqlState };
      }
      const kind = cause.kind ? fromAdapterKind(cause.kind) : undefined;
      if (kind) {
        return { kind, code: cause.kind };
      }
    }
    if (typeof e.code === 'string') {
      if (e.code === 'P2010' && typeof e.meta?.code === 'string') {
        // A raw query failed; Prisma keeps PostgreSQL's SQLSTATE in meta.code.
        const metaMessage = typeof e.meta.message === 'string' ? e.meta.message : message;
        return { kind: fromSqlState(e.meta.code, metaMessage), code: e.meta.code };
      }
      const prisma = /^P\d{4}$/.test(e.code) ? fromPrismaCode(e.code) : undefined;
      if (prisma) {
        return { kind: prisma, code: e.code };
      }
      if (/^[0-9A-Z]{5}$/.test(e.code) && !/^P\d{4}$/.test(e.code)) {
        return { kind: fromSqlState(e.code, message), code: e.code };
      }
      if (NODE_CONNECTION_CODES.has(e.code)) {
        return { kind: 'unavailable', code: e.code };
      }
    }
    if (UNAVAILABLE_MESSAGES.test(message)) {
      return { kind: 'unavailable' };
    }
    if (/Transaction already closed|Transaction API error/i.test(message)) {
      // An interactive transaction that outlived its time limit (TX_OPTIONS), typically while
      // waiting for a lock or a connection: the database is too busy for it now.
      return { kind: 'unavailable', code: typeof e.code === 'string' ? e.code : undefined };
    }
    current = e.cause;
  }
  return undefined;
}

/** True for a unique-constraint violation, whichever layer (Prisma, adapter, driver) reports it. */
export function isUniqueViolation(error: unknown): boolean {
  return classifyDatabaseError(error)?.kind === 'uniqueViolation';
}

/** True for a failure that retrying the whole transaction can cure (serialization, deadlock). */
export function isRetryableConflict(error: unknown): boolean {
  return classifyDatabaseError(error)?.kind === 'conflict';
}
