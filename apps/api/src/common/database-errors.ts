import { DatabaseFailure } from '@roster/db';
import { ScimError } from '@roster/scim';

export interface DatabaseErrorAnswer {
  error: ScimError;
  headers: Record<string, string>;
  /** Whether the failure is ours and belongs in the error log (the 500s). */
  log: boolean;
}

/**
 * The HTTP answer to a database failure (see classifyDatabaseError). Only a database that cannot
 * serve us is a 503 with Retry-After (clients retry those, so it must never be the answer to a
 * request that will fail again); input the database refused is the client's 400; a fault of ours
 * is a 500. Reads with a filter that time out are turned into 400 tooMany before they get here
 * (see fetchPage): a timeout that reaches this point is the server being too slow.
 */
export function answerDatabaseFailure(failure: DatabaseFailure, requestId: string): DatabaseErrorAnswer {
  switch (failure.kind) {
    case 'unavailable':
      return {
        error: new ScimError(503, `The database is unavailable; try again later (request id ${requestId}).`),
        headers: { 'retry-after': '5' },
        log: true,
      };
    case 'timeout':
      return {
        error: new ScimError(
          503,
          `The request did not finish within the database's statement timeout; try again later (request id ${requestId}).`,
        ),
        headers: { 'retry-after': '5' },
        log: true,
      };
    case 'lockTimeout':
    case 'conflict':
      return {
        error: new ScimError(
          503,
          `The resource is being changed by concurrent requests; try again (request id ${requestId}).`,
        ),
        headers: { 'retry-after': '1' },
        log: false,
      };
    case 'canceled':
      // The client went away, so nobody reads this; it is not an error of the server either.
      return { error: new ScimError(503, 'The request was canceled.'), headers: {}, log: false };
    case 'uniqueViolation':
      return {
        error: ScimError.conflict('A resource with the same unique attribute already exists.'),
        headers: {},
        log: false,
      };
    case 'notFound':
      return { error: ScimError.notFound('The resource does not exist.'), headers: {}, log: false };
    case 'invalidInput':
      return {
        error: ScimError.badRequest(
          'invalidValue',
          `A value in the request cannot be stored or compared (request id ${requestId}).`,
        ),
        headers: {},
        // Validation should have caught it first: worth a look, though it is the client's 400.
        log: true,
      };
    case 'other':
      return {
        error: new ScimError(500, `An unexpected error occurred (request id ${requestId}).`),
        headers: {},
        log: true,
      };
  }
}
