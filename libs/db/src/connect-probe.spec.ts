import { createServer, Server, Socket } from 'node:net';
import { waitForPostgres } from './connect-probe';

describe('waitForPostgres', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    // Accepts connections and never answers: the case that used to hold the start-up silently.
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up after the attempts, reporting each one, when the server accepts but never answers', async () => {
    const attempts: { number: number; of: number; error?: Error; retryInMs?: number }[] = [];
    await expect(
      waitForPostgres(`postgresql://roster:secret@127.0.0.1:${port}/roster`, {
        timeoutMs: 200,
        attempts: 2,
        onAttempt: (a) => void attempts.push(a),
      }),
    ).rejects.toThrow('PostgreSQL did not answer after 2 attempt(s) of at most 200 ms each');
    expect(attempts.map((a) => [a.number, a.of, a.retryInMs])).toEqual([
      [1, 2, 1000],
      [2, 2, undefined],
    ]);
    expect(attempts.every((a) => a.error instanceof Error)).toBe(true);
  });
});
