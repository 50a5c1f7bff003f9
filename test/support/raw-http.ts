import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server wrote, as latin1 text. */
  text: string;
  /** The status code of the first response, if one came. */
  status?: number;
  /** The body of the first response (after the blank line). */
  body: string;
  /** Whether the server closed the connection (rather than the test giving up after `giveUpMs`). */
  closedByServer: boolean;
}

/**
 * Writes `chunks` to a fresh TCP connection (one write each, in order), then waits until the
 * server closes the connection, or `giveUpMs` passes. What a real HTTP client library cannot
 * do: announce a body and not send it, stop in the middle of the headers, or send no request.
 */
export function rawExchange(port: number, chunks: (string | Buffer)[], giveUpMs = 30_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closedByServer = true;
    const timer = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, giveUpMs);
    socket.on('connect', () => {
      for (const chunk of chunks) {
        socket.write(chunk);
      }
    });
    socket.on('data', (data) => received.push(data));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const split = text.indexOf('\r\n\r\n');
      resolve({
        text,
        status: status ? Number(status) : undefined,
        body: split >= 0 ? text.slice(split + 4) : '',
        closedByServer,
      });
    });
  });
}
