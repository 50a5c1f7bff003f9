/** A command line that cannot be run: answered with the command's usage and exit code 2. */
export class UsageError extends Error {}
