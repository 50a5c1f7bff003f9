import { Writable } from 'node:stream';
import { createLogger, redactUrl } from './logger';
import { requestContext } from './ops/request-context';

function capture(): { stream: Writable; lines: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text };
}

describe('createLogger', () => {
  it('writes JSON with the version and, inside a request, its requestId', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    requestContext.run({ requestId: 'req-7' }, () => logger.info({ thing: 1 }, 'inside'));
    logger.info('outside');
    const [inside, outside] = out
      .lines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({
      msg: 'inside',
      requestId: 'req-7',
      service: 'roster',
      version: expect.any(String),
      thing: 1,
    });
    expect(outside.requestId).toBeUndefined();
  });

  it('writes lines for people with LOG_FORMAT=pretty', () => {
    const out = capture();
    createLogger('info', out.stream, { format: 'pretty' }).warn({ route: '/v2/Users' }, 'GET /v2/Users 400');
    const text = out.lines();
    expect(text).toContain('GET /v2/Users 400');
    expect(text).toContain('route: "/v2/Users"');
    expect(() => JSON.parse(text) as unknown).toThrow();
  });
});

describe('redactUrl', () => {
  it.each([
    ['/v2/Users?access_token=abc', '/v2/Users?access_token=[REDACTED]'],
    ['/v2/Users?bearer=abc&count=1', '/v2/Users?bearer=[REDACTED]&count=1'],
    ['/v2/Users?count=1&id_token=a.b.c', '/v2/Users?count=1&id_token=[REDACTED]'],
    [
      '/x?client_secret=s&client_assertion=a&api_key=k&apiKey=k&password=p',
      '/x?client_secret=[REDACTED]&client_assertion=[REDACTED]&api_key=[REDACTED]&apiKey=[REDACTED]&password=[REDACTED]',
    ],
    ['/x?Access%5Ftoken=abc', '/x?Access%5Ftoken=[REDACTED]'], // an encoded name is still a token's name
    ['/x?refresh_token', '/x?refresh_token=[REDACTED]'],
    ['/x?code=c&sig=s&key=k', '/x?code=[REDACTED]&sig=[REDACTED]&key=[REDACTED]'],
    ['/v2/Users?filter=userName%20eq%20%22x%22&count=5', '/v2/Users?filter=userName%20eq%20%22x%22&count=5'],
    ['/v2/Users', '/v2/Users'],
    ['/x?%E0%A4%A=1', '/x?%E0%A4%A=1'], // an undecodable name is kept as it is
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('is what the request serializer logs', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    logger.info({ req: { method: 'GET', url: '/v2/Users?bearer=secret-value', headers: {} } }, 'incoming request');
    expect(lines.join('')).not.toContain('secret-value');
    expect(lines.join('')).toContain('bearer=[REDACTED]');
  });
});
