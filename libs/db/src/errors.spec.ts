import { classifyDatabaseError, isRetryableConflict, isUniqueViolation } from './errors';
import { EmbeddedQueryCanceled } from './pglite-worker';

/** The shapes in which Prisma 7, its adapters and the drivers report failures (seen in logs). */
const prismaRaw = (code: string, message = '') => ({
  code: 'P2010',
  message: 'Raw query failed.',
  meta: { code, message },
});
const adapter = (cause: Record<string, unknown>) => ({
  code: 'P2010',
  message: 'x',
  meta: { driverAdapterError: { cause } },
});

describe('classifyDatabaseError', () => {
  it.each([
    ['a refused connection', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 'unavailable'],
    ['a reset connection', { code: 'ECONNRESET', message: 'read ECONNRESET' }, 'unavailable'],
    ['Prisma P1001', { code: 'P1001', message: "Can't reach database server" }, 'unavailable'],
    ['a pool that stays busy', new Error('timeout exceeded when trying to connect'), 'unavailable'],
    ['a closed embedded database', new Error('PGlite is closed'), 'unavailable'],
    [
      'admin shutdown (57P01)',
      prismaRaw('57P01', 'terminating connection due to administrator command'),
      'unavailable',
    ],
    ['too many connections (53300)', adapter({ kind: 'TooManyConnections', cause: 'sorry' }), 'unavailable'],
    [
      'a database not accepting connections',
      { code: '55000', message: 'the database system is not accepting connections' },
      'unavailable',
    ],
    ['a statement timeout (pg)', { code: '57014', message: 'canceling statement due to statement timeout' }, 'timeout'],
    ['a statement timeout (Prisma)', prismaRaw('57014', 'canceling statement due to statement timeout'), 'timeout'],
    ['a statement timeout (embedded)', new EmbeddedQueryCanceled('timeout'), 'timeout'],
    ['a canceled statement', { code: '57014', message: 'canceling statement due to user request' }, 'canceled'],
    ['a canceled embedded read', new EmbeddedQueryCanceled('canceled'), 'canceled'],
    [
      'a lock timeout',
      adapter({ kind: 'postgres', code: '55P03', message: 'canceling statement due to lock timeout' }),
      'lockTimeout',
    ],
    ['a deadlock', adapter({ kind: 'postgres', code: '40P01', message: 'deadlock detected' }), 'conflict'],
    ['a serialization failure', adapter({ kind: 'TransactionWriteConflict' }), 'conflict'],
    [
      'a unique violation (adapter)',
      adapter({ kind: 'UniqueConstraintViolation', originalCode: '23505' }),
      'uniqueViolation',
    ],
    ['a unique violation (Prisma)', { code: 'P2002', message: 'Unique constraint failed' }, 'uniqueViolation'],
    ['a record not found', { code: 'P2025', message: 'Record to update not found.' }, 'notFound'],
    ['a bad timestamp (22008)', prismaRaw('22008', 'date/time field value out of range'), 'invalidInput'],
    [
      'a bad uuid (22P02)',
      adapter({ kind: 'InvalidInputValue', originalCode: '22P02', message: 'invalid input syntax for type uuid' }),
      'invalidInput',
    ],
    [
      'a foreign key violation',
      adapter({ kind: 'ForeignKeyConstraintViolation', originalCode: '23503' }),
      'invalidInput',
    ],
    // 08P01 is a protocol violation (a bind with the wrong number of parameters): our bug, not a lost connection.
    [
      'a protocol violation (08P01)',
      prismaRaw('08P01', 'bind message supplies 1 parameters, but prepared statement "" requires 0'),
      'other',
    ],
    ['a syntax error of ours', prismaRaw('42601', 'syntax error at or near'), 'other'],
  ])('%s is %s', (_label, error, kind) => {
    expect(classifyDatabaseError(error)?.kind).toBe(kind);
  });

  it('follows causes', () => {
    const wrapped = new Error('outer', { cause: { code: '40001', message: 'could not serialize access' } });
    expect(classifyDatabaseError(wrapped)).toEqual({ kind: 'conflict', code: '40001' });
  });

  it('is undefined for errors that are not the database', () => {
    expect(classifyDatabaseError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyDatabaseError('a string')).toBeUndefined();
  });

  it('answers the two questions services ask', () => {
    expect(isUniqueViolation(adapter({ kind: 'UniqueConstraintViolation' }))).toBe(true);
    expect(isRetryableConflict(adapter({ kind: 'postgres', code: '40P01', message: 'deadlock detected' }))).toBe(true);
    expect(isRetryableConflict({ code: '23505', message: 'duplicate' })).toBe(false);
  });
});
