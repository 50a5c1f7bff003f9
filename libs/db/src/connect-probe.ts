import { Client } from 'pg';

export interface ProbeOptions {
  /** How long one attempt may take (connecting and answering `SELECT 1`). */
  timeoutMs: number;
  /** Attempts before giving up; the wait between them doubles from 1 s, at most 10 s. */
  attempts: number;
  onAttempt?: (attempt: { number: number; of: number; error?: Error; retryInMs?: number }) => void;
}

/**
 * Waits for PostgreSQL to answer before the service migrates: a server that accepts TCP but
 * never answers (a stuck proxy, a paused VM) would otherwise hold the start-up silently for as
 * long as the kernel keeps the socket.
 */
export async function waitForPostgres(url: string, options: ProbeOptions): Promise<void> {
  for (let number = 1; ; number++) {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
    });
    // A failed connection also emits 'error'; without a listener it would be thrown.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      options.onAttempt?.({ number, of: options.attempts });
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      const last = number >= options.attempts;
      const retryInMs = last ? undefined : Math.min(1000 * 2 ** (number - 1), 10_000);
      options.onAttempt?.({ number, of: options.attempts, error: error as Error, retryInMs });
      if (last) {
        throw new Error(
          `PostgreSQL did not answer after ${number} attempt(s) of at most ${options.timeoutMs} ms each: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}
