import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
}

/** What the receiver answers to the n-th request (0-based): a status, or 'hang' (never answers). */
export type Responder = (request: Received, n: number) => number | 'hang';

/**
 * A webhook receiver on 127.0.0.1 (node:http), as a subscriber runs one: it keeps what it got
 * and answers what the test says.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  respond: Responder = () => 200;
  /** Milliseconds before each answer (deliveries are then in flight when a test kills a sender). */
  delayMs = 0;
  private server?: Server;
  private readonly hanging: ServerResponse[] = [];

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/hook`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const received: Received = { headers: req.headers, body, json, at: Date.now() };
        const n = this.received.length;
        this.received.push(received);
        const answer = this.respond(received, n);
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        const reply = () =>
          res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : `status ${answer}`);
        if (this.delayMs > 0) {
          setTimeout(reply, this.delayMs);
        } else {
          reply();
        }
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Event ids (feed positions) in the order they arrived, repeats included. */
  eventIds(): string[] {
    return this.received.map((r) => String(r.json?.data?.id));
  }

  async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 30_000, what = 'deliveries'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}; received ${JSON.stringify(this.eventIds())}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging.splice(0)) {
      res.destroy();
    }
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Verification as the Standard Webhooks specification publishes it, written independently of
 * Roster's code: HMAC-SHA256 with the base64-decoded secret (after `whsec_`) over
 * `${webhook-id}.${webhook-timestamp}.${body}`, compared with each `v1,` signature.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((part) => {
      const [version, signature] = part.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}
