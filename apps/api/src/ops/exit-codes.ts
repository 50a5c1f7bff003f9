/**
 * Exit codes of the service and the command line (sysexits.h where one fits), so scripts can
 * tell a refused request from a typo or from a service that is not there.
 */
export const EXIT = {
  ok: 0,
  /** Roster refused the request (validation, not found, conflict) or an import had failed rows. */
  refused: 1,
  /** The command line itself is wrong (unknown command, missing option). */
  usage: 2,
  /** The database or the running service cannot be reached, or another process holds the embedded database. */
  unavailable: 69,
  /** A bug: an error nobody expected. */
  software: 70,
  /** A file to read or write could not be. */
  io: 74,
  /** Bad configuration (environment variables). */
  config: 78,
} as const;
